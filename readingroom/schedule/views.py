"""Staff screens for scheduling: sessions, series, week view, upcoming lists.

Each view: load (404), check access (403), validate the form, call one
operation, commit once, flash, redirect.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth.permissions import community_ids_of, require_community, scope_to_user, staff_required
from ..extensions import db
from ..formutil import with_none
from ..i18n import localized
from ..places.models import Community, Room
from ..places.operations import managed_communities
from ..security import database_id
from ..timeutil import (
    beijing_day_bounds,
    beijing_today,
    local_naive_to_utc,
    to_beijing,
    utcnow,
    week_start,
)
from .clashes import Clash
from .course_access import hosts_visible_to
from .courses import Host
from .forms import CancelForm, SeriesForm, SessionForm
from .models import Program, ReadingSession, Series
from .operations import (
    SeriesData,
    SessionData,
    cancel_session,
    check_session,
    create_series,
    create_session,
    edit_refusal,
    plan_series,
    plan_series_edit,
    series_data,
    update_series_from,
    update_session,
)
from .series_names import series_label

bp = Blueprint("schedule", __name__, url_prefix="/staff")
bp.add_app_template_global(series_label, "series_label")  # split series in staff lists


# --- helpers ---------------------------------------------------------------------------------


def _load_session(session_id: int) -> ReadingSession:
    reading_session = db.get_or_404(ReadingSession, session_id)
    require_community(reading_session.room.community_id)
    return reading_session


def _set_choices(form: SessionForm | SeriesForm) -> None:
    programs = db.session.scalars(select(Program).where(Program.active).order_by(Program.id))
    form.program.choices = [SelectChoice(p.id, localized(p)) for p in programs]
    rooms = db.session.scalars(
        scope_to_user(
            select(Room).where(Room.active).order_by(Room.community_id, Room.id), Room.community_id
        )
    )
    form.room.choices = [
        SelectChoice(r.id, localized(r), optgroup=localized(r.community)) for r in rooms
    ]
    hosts = db.session.scalars(hosts_visible_to(community_ids_of(current_user)))
    form.host_id.choices = with_none([SelectChoice(h.id, h.label) for h in hosts])


def _common(form: SessionForm | SeriesForm) -> dict[str, object]:
    room = db.session.get(Room, form.room.data)
    require_community(room.community_id)
    host = db.session.get(Host, form.host_id.data) if form.host_id.data else None
    return {
        "host_id": host.id if host else None,
        "program": db.session.get(Program, form.program.data),
        "room": room,
        "title": form.title.data.strip(),
        "capacity": form.capacity.data,
        "description": (form.description.data or "").strip(),
        "host": host.label if host else (form.host.data or "").strip(),
        "suggested_books": (form.suggested_books.data or "").strip(),
    }


def _session_data(form: SessionForm) -> SessionData:
    return SessionData(
        starts_at=local_naive_to_utc(form.starts_at.data),
        ends_at=local_naive_to_utc(form.ends_at.data),
        **_common(form),
        **form.window_values(),
    )


def _series_data(form: SeriesForm) -> SeriesData:
    return SeriesData(
        weekdays=tuple(form.weekdays.data),
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        first_date=form.first_date.data,
        last_date=form.last_date.data,
        count=form.count.data,
        **_common(form),
        **form.window_values(),
    )


# --- overview pages --------------------------------------------------------------------------


@bp.get("/")
@staff_required
def dashboard():
    communities = managed_communities()
    now = utcnow()
    ids = [c.id for c in communities]
    upcoming = db.session.scalars(
        select(ReadingSession)
        .join(Room)
        .where(Room.community_id.in_(ids), ReadingSession.starts_at >= now)
        .options(selectinload(ReadingSession.room), selectinload(ReadingSession.program))
        .order_by(ReadingSession.starts_at)
        .limit(12)
    ).all()
    rooms = db.session.scalars(
        select(Room).where(Room.community_id.in_(ids)).order_by(Room.community_id, Room.id)
    ).all()
    return render_template(
        "schedule/dashboard.html", communities=communities, upcoming=upcoming, rooms=rooms
    )


@bp.get("/communities/<slug>/sessions")
@staff_required
def community_sessions(slug: str):
    community = db.one_or_404(select(Community).where(Community.slug == slug))
    require_community(community.id)
    show_past = request.args.get("past") == "1"
    now = utcnow()
    stmt = (
        select(ReadingSession)
        .join(Room)
        .where(Room.community_id == community.id)
        .options(selectinload(ReadingSession.room), selectinload(ReadingSession.program))
    )
    if show_past:
        stmt = stmt.where(ReadingSession.starts_at < now).order_by(ReadingSession.starts_at.desc())
    else:
        stmt = stmt.where(ReadingSession.ends_at >= now).order_by(ReadingSession.starts_at)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template(
        "schedule/community_sessions.html", community=community, page=page, show_past=show_past
    )


def _parse_day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else beijing_today()
    except ValueError:
        return beijing_today()


@bp.get("/rooms/<int:room_id>/week")
@staff_required
def room_week(room_id: int):
    room = db.get_or_404(Room, room_id)
    require_community(room.community_id)
    monday = week_start(_parse_day(request.args.get("date")))
    start, _ = beijing_day_bounds(monday)
    _, end = beijing_day_bounds(monday + timedelta(days=6))
    sessions = db.session.scalars(
        select(ReadingSession)
        .where(
            ReadingSession.room_id == room.id,
            ReadingSession.starts_at < end,
            ReadingSession.ends_at > start,
        )
        .options(selectinload(ReadingSession.program))
        .order_by(ReadingSession.starts_at)
    ).all()
    days = [monday + timedelta(days=i) for i in range(7)]
    by_day = {d: [s for s in sessions if to_beijing(s.starts_at).date() == d] for d in days}
    return render_template(
        "schedule/room_week.html",
        room=room,
        days=days,
        by_day=by_day,
        today=beijing_today(),
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
    )


# --- single sessions -------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>")
@staff_required
def session_detail(session_id: int):
    reading_session = _load_session(session_id)
    return render_template("schedule/session_detail.html", s=reading_session)


def _prefill_new(form: SessionForm) -> None:
    room_id = request.args.get("room", type=database_id)
    if room_id:
        form.room.data = room_id
    day = request.args.get("date")
    if day:
        try:
            start = datetime.combine(date.fromisoformat(day), datetime.min.time())
        except ValueError:
            return
        form.starts_at.data = start.replace(hour=9)
        form.ends_at.data = start.replace(hour=10)


@bp.route("/sessions/new", methods=["GET", "POST"])
@staff_required
def create_single():
    form = SessionForm()
    _set_choices(form)
    clashes: list[Clash] = []
    if not form.is_submitted():
        _prefill_new(form)
    elif form.validate():
        data = _session_data(form)
        clashes = check_session(data)
        if form.may_save(clashes):
            reading_session = create_session(data)
            db.session.commit()
            flash(_("Session “%(title)s” saved.", title=reading_session.title), "success")
            return redirect(url_for("schedule.session_detail", session_id=reading_session.id))
    return render_template(
        "schedule/session_form.html", form=form, clashes=clashes, reading_session=None
    )


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_single(session_id: int):
    reading_session = _load_session(session_id)
    refusal = edit_refusal(reading_session)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("schedule.session_detail", session_id=reading_session.id))
    form = SessionForm(obj=reading_session)
    _set_choices(form)
    clashes: list[Clash] = []
    if not form.is_submitted():
        form.fill_from(reading_session)
    elif form.validate():
        data = _session_data(form)
        clashes = check_session(data, reading_session)
        if form.may_save(clashes):
            update_session(reading_session, data)
            db.session.commit()
            flash(_("Session “%(title)s” saved.", title=reading_session.title), "success")
            return redirect(url_for("schedule.session_detail", session_id=reading_session.id))
    return render_template(
        "schedule/session_form.html", form=form, clashes=clashes, reading_session=reading_session
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@staff_required
def cancel(session_id: int):
    reading_session = _load_session(session_id)
    if reading_session.is_cancelled:
        flash(_("This session is already cancelled."), "info")
        return redirect(url_for("schedule.session_detail", session_id=reading_session.id))
    form = CancelForm()
    if form.validate_on_submit():
        cancel_session(reading_session, form.reason.data)
        db.session.commit()
        flash(
            _(
                "Session “%(title)s” cancelled. It stays in the calendar, marked cancelled.",
                title=reading_session.title,
            ),
            "success",
        )
        return redirect(url_for("schedule.session_detail", session_id=reading_session.id))
    return render_template("schedule/cancel.html", form=form, s=reading_session)


# --- series ----------------------------------------------------------------------------------


@bp.route("/series/new", methods=["GET", "POST"])
@staff_required
def create_weekly():
    form = SeriesForm()
    _set_choices(form)
    plan = None
    if not form.is_submitted():
        form.room.data = request.args.get("room", type=database_id)
    elif form.validate():
        data = _series_data(form)
        plan = plan_series(data)
        if form.may_save(plan.clashes):
            series, sessions = create_series(data)
            db.session.commit()
            flash(
                _(
                    "Series “%(title)s” saved with %(count)d sessions.",
                    title=series.title,
                    count=len(sessions),
                ),
                "success",
            )
            return redirect(url_for("schedule.series_detail", series_id=series.id))
    return render_template(
        "schedule/series_form.html", form=form, plan=plan, series=None, from_session=None
    )


@bp.get("/series/<int:series_id>")
@staff_required
def series_detail(series_id: int):
    series = db.get_or_404(Series, series_id)
    require_community(series.room.community_id)
    return render_template("schedule/series_detail.html", series=series)


@bp.route("/sessions/<int:session_id>/edit-following", methods=["GET", "POST"])
@staff_required
def edit_following(session_id: int):
    reading_session = _load_session(session_id)
    series = reading_session.series
    if series is None:
        abort(404)
    from_day = to_beijing(reading_session.starts_at).date()
    form = SeriesForm()
    _set_choices(form)
    plan = None
    if not form.is_submitted():
        last_day = to_beijing(series.sessions[-1].starts_at).date()
        form.fill_from(series_data(series), last_day=last_day)
    form.first_date.data = from_day  # fixed: "this and following" starts here
    if form.is_submitted() and form.validate():
        data = _series_data(form)
        plan = plan_series_edit(series, from_day, data)
        if form.may_save(plan.clashes):
            target = update_series_from(
                series, from_day, data, removed_reason=_("No longer part of the series.")
            )
            db.session.commit()
            flash(
                _(
                    "Series “%(title)s” updated from %(day)s on.",
                    title=target.title,
                    day=from_day.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("schedule.series_detail", series_id=target.id))
    return render_template(
        "schedule/series_form.html",
        form=form,
        plan=plan,
        series=series,
        from_session=reading_session,
    )
