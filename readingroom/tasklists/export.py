"""The figures of a task list as CSV that Excel opens correctly on a Chinese Windows PC
(:mod:`readingroom.csvutil`), one section per table separated by an empty line."""

from __future__ import annotations

from flask_babel import gettext as _

from ..csvutil import ExcelCsv
from ..i18n import localized
from ..timeutil import beijing_today
from .figures import Group, ListFigures


def percent(rate: float | None) -> str:
    """0.755 -> "75.5%" (Excel reads it as a percentage); no children -> empty."""
    return "" if rate is None else f"{rate * 100:.1f}%"


def _name(group: Group) -> str:
    return localized(group.community) if group.community else _("Total")


def figures_csv(figures: ListFigures) -> str:
    task_list = figures.task_list
    task_count = len(figures.tasks)
    groups = [*figures.groups, figures.total]
    out = ExcelCsv()
    row = out.row

    row(_("Task list"), task_list.title)
    row(_("Period"), task_list.starts_on.isoformat(), task_list.ends_on.isoformat())
    row(_("Strand"), localized(task_list.program))
    row(_("Counting tasks"), task_count)
    row(_("Exported on"), beijing_today().isoformat())
    row()

    row(
        _("Community"),
        _("Households taking part"),
        _("Children taking part"),
        _("Children who completed the list"),
        _("Overall completion rate"),
        _("Share of tasks done"),
        _("Minutes read"),
    )
    for group in groups:
        row(
            _name(group),
            group.household_count,
            group.child_count,
            group.completed,
            percent(group.completion_rate()),
            percent(group.done_share(task_count)),
            group.minutes,
        )
    row()

    row(
        _("Community"),
        _("Week"),
        _("Task"),
        _("Kind"),
        _("Children who did it"),
        _("Children taking part"),
        _("Completion rate"),
    )
    for group in groups:
        for task in figures.tasks:
            row(
                _name(group),
                task.week,
                task.title,
                task.kind_label,
                group.task_done[task.id],
                group.child_count,
                percent(group.task_rate(task.id)),
            )
    row()

    row(_("Community"), _("Week"), _("From"), _("To"), _("Minutes read"))
    bounds = {w: (first, last) for w, first, last in figures.weeks}
    for group in groups:
        for week, *_rest in figures.week_rows():
            first, last = bounds.get(week, (None, None))
            row(
                _name(group),
                week if week is not None else _("outside the period"),
                first.isoformat() if first else "",
                last.isoformat() if last else "",
                group.week_minutes[week],
            )
    return out.text()
