"""The figures page (/staff/figures), its exports and the monthly report (月度报表).

Staff see the figures of their own communities; the administrator sees all of
them side by side. Filters live in the address; a bad filter gets its message
next to the field (400), another community's figures a 403. The course filter
(``?course=<id>``, also on the monthly report) offers the courses the viewer may
see; any other id is an unknown choice like a mistyped one (400), and a course
shows only the viewer's communities' runs.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..auth.permissions import community_ids_of, staff_required
from ..extensions import db
from ..places.models import Community
from ..places.operations import managed_communities
from ..registrations.retention import retention_cutoff
from ..schedule.course_access import courses_visible_to
from ..schedule.courses import Course
from ..schedule.models import Program
from ..timeutil import beijing_today, utcnow
from .charts import charts
from .dashboard import template_helpers
from .export import course_text, scope_text, strand_text, table_csv, workbook
from .figures import Figures, Scope, cached_figures, purge_day_within
from .forms import FigureFilterForm, MonthForm, course_choices
from .report import compare_months
from .tables import sessions_table, tables

bp = Blueprint("reports", __name__, url_prefix="/staff/figures")
bp.app_context_processor(template_helpers)  # the staff desk's seats and headline figures


def _my_courses() -> list[Course]:
    """The courses the user may see (the course filter's choices)."""
    return list(db.session.scalars(courses_visible_to(community_ids_of(current_user))))


def _filters() -> tuple[FigureFilterForm, Scope | None]:
    """The filter form, and the scope it asks for (None while the form has errors)."""
    communities = managed_communities()
    programs = list(db.session.scalars(select(Program).order_by(Program.id)))
    form = FigureFilterForm(formdata=request.args)
    form.set_choices(communities, programs, _my_courses())
    slug = request.args.get("community", "")
    if slug not in {"", *(c.slug for c in communities)} and _community_exists(slug):
        abort(403)  # a real community, not the viewer's
    if not form.validate():
        return form, None
    start, end = form.date_range()
    chosen = next((c for c in communities if c.slug == form.community.data), None)
    program = next((p for p in programs if p.slug == form.program.data), None)
    visible = community_ids_of(current_user)
    ids = {chosen.id} if chosen else visible
    return form, Scope(
        start=start,
        end=end,
        community_ids=None if ids is None else frozenset(ids),
        now=utcnow(),
        program_id=program.id if program else None,
        course_id=form.course_id(),
    )


def _community_exists(slug: str) -> bool:
    return db.session.scalar(select(Community.id).where(Community.slug == slug)) is not None


def _scope_or_400() -> Scope:
    form, scope = _filters()
    if scope is None:
        errors = "; ".join(str(e) for f in form for e in f.errors)
        abort(400, description=errors)
    return scope


@bp.get("/")
@staff_required
def index():
    form, scope = _filters()
    if scope is None:
        return render_template("reports/figures.html", form=form, f=None), 400
    f = cached_figures(scope)
    return render_template(
        "reports/figures.html",
        form=form,
        f=f,
        tables=tables(f),
        charts=charts(f),
        scope_text=scope_text(f),
        strand_text=strand_text(f) if scope.program_id else None,
        course_text=course_text(f) if scope.course_id else None,
        purge_day=_purge_day(scope),
        args=request.args.to_dict(),
    )


def _purge_day(scope: Scope):
    months = int(current_app.config["RETENTION_MONTHS"])
    return purge_day_within(scope, retention_cutoff(months, scope.now))


#: What a file name must not hold (Windows' reserved characters, controls, spaces).
_NOT_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def _filename(f: Figures, ext: str, key: str = "figures") -> tuple[str, str | None]:
    """The file's name in ASCII, and with the course's title (None without a course): the
    title is what a person looks for in the downloads folder; the id stays in the ASCII
    name, for the clients that ignore ``filename*``."""
    dates = f"{f.scope.start.isoformat()}-{f.scope.end.isoformat()}.{ext}"
    course = f.labels.course
    if course is None:
        return f"binhe-{key}-{dates}", None
    title = _NOT_IN_FILENAME.sub("-", course.title).strip("-.") or str(course.id)
    return f"binhe-{key}-course-{course.id}-{dates}", f"binhe-{key}-{title}-{dates}"


def _download(body: str | bytes, mimetype: str, names: tuple[str, str | None]) -> Response:
    ascii_name, unicode_name = names
    disposition = f'attachment; filename="{ascii_name}"'
    if unicode_name:
        disposition += f"; filename*=UTF-8''{quote(unicode_name, safe='')}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )


@bp.get("/figures.xlsx")
@staff_required
def xlsx():
    f = cached_figures(_scope_or_400())
    sheets = {**tables(f), "sessions": sessions_table(f)}
    return _download(
        workbook(f, sheets),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _filename(f, "xlsx"),
    )


@bp.get("/<key>.csv")
@staff_required
def csv(key: str):
    f = cached_figures(_scope_or_400())
    if key == "sessions":
        table = sessions_table(f)
    else:
        table = tables(f).get(key)
        if table is None:
            abort(404)
    return _download(table_csv(table), "text/csv", _filename(f, "csv", key))


@bp.get("/report")
@staff_required
def report():
    form = MonthForm(formdata=request.args)
    form.course.choices = course_choices(_my_courses())
    if not form.validate():
        return render_template("reports/report.html", form=form, f=None), 400
    first = form.first_day()
    form.month.data = f"{first:%Y-%m}"
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    previous_last = first - timedelta(days=1)
    ids = community_ids_of(current_user)
    communities = None if ids is None else frozenset(ids)
    now = utcnow()
    course_id = form.course_id()
    f = cached_figures(
        Scope(start=first, end=last, community_ids=communities, now=now, course_id=course_id)
    )
    before = cached_figures(
        Scope(
            start=previous_last.replace(day=1),
            end=previous_last,
            community_ids=communities,
            now=now,
            course_id=course_id,
        )
    )
    return render_template(
        "reports/report.html",
        form=form,
        f=f,
        month=first,
        tables=tables(f),
        sessions=sessions_table(f),
        changes=compare_months(f, before),
        scope_text=scope_text(f),
        course_text=course_text(f) if course_id else None,
        today=beijing_today(),
    )
