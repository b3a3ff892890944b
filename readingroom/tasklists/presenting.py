"""How task lists are shown: week labels, dates, the printable A4 list, template globals.

Shared by the staff screens and the family pages.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from babel.dates import format_date as babel_format_date
from flask import Flask, render_template, url_for
from flask_babel import gettext as _

from ..i18n import current_language, localized
from ..places.models import Community
from ..qr import qr_svg
from ..timeutil import babel_locale, to_beijing
from .models import Task, TaskList


def short_day(value: date) -> str:
    """7月14日 / 14 Jul: a day inside a period that is shown with its year elsewhere."""
    pattern = "M月d日" if current_language() == "zh" else "d MMM"
    return babel_format_date(value, pattern, locale=babel_locale())


def week_label(task_list: TaskList, week: int) -> str:
    first, last = task_list.week_bounds(week)
    return _(
        "Week %(week)d · %(first)s – %(last)s",
        week=week,
        first=short_day(first),
        last=short_day(last),
    )


def weeks_of(task_list: TaskList) -> list[tuple[int, str, list[Task]]]:
    """(week, label, counting tasks) for every week of the period, and any week beyond it
    that has tasks (after the period was shortened)."""
    tasks = task_list.counting_tasks
    last = max([task_list.week_count, *(t.week for t in tasks)])
    return [
        (w, week_label(task_list, w), [t for t in tasks if t.week == w]) for w in range(1, last + 1)
    ]


def household_url(task_list: TaskList) -> str:
    """The online list for families (the QR code on paper leads there)."""
    return url_for("family_tasklists.show", list_id=task_list.id, _external=True)


def render_printable(
    task_list: TaskList,
    *,
    back_url: str,
    child: Any = None,
    community: Community | None = None,
    ticked: Collection[int] = (),
) -> str:
    """The A4 list (blank for staff, a child's for a family) with a QR code to the list online."""
    url = household_url(task_list)
    return render_template(
        "tasklists/print.html",
        task_list=task_list,
        weeks=weeks_of(task_list),
        child=child,
        community=community,
        ticked=set(ticked),
        qr=qr_svg(url, label=_("QR code: the task list online")),
        online_url=url,
        back_url=back_url,
    )


def book_title(title: str) -> str:
    """《书名》 in Chinese, the plain title in English (set in italics by the stylesheet)."""
    return f"《{title}》" if current_language() == "zh" else title


def long_date(value: date | datetime) -> str:
    """2026年1月20日 / 20 January 2026: a certificate's date, without the weekday."""
    if isinstance(value, datetime):
        value = to_beijing(value).date()
    pattern = "y年M月d日" if current_language() == "zh" else "d MMMM y"
    return babel_format_date(value, pattern, locale=babel_locale())


def community_names(task_list: TaskList) -> str:
    """ "All communities" or the names of the list's communities."""
    if task_list.all_communities:
        return _("All communities")
    return "、".join(localized(c) for c in task_list.communities)


def register_template_globals(app: Flask) -> None:
    app.add_template_global(book_title, "tasklist_book_title")
    app.add_template_global(long_date, "tasklist_long_date")
    app.add_template_global(community_names, "tasklist_community_names")
