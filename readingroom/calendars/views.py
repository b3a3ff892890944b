"""The public activity calendar (活动日历): month, week and upcoming views, the session
page, the "how to subscribe" page and the printable month poster. No login.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import current_language, localized
from ..links import external_url, public_base_url, webcal_url
from ..places.models import Community, Room
from ..qr import qr_svg
from ..registrations.panel import panel_for
from ..schedule.courses import Course
from ..schedule.models import Program, ReadingSession, Series
from ..timeutil import beijing_today, utcnow, week_start
from .cache import SharedCache, compress_as, digest
from .feeds import feed_url
from .forms import FilterForm, PosterForm
from .grid import add_months, by_day, month_weeks, parse_day, parse_month, week_days
from .params import ParamError, current_scope
from .queries import (
    Scope,
    beijing_range,
    feed_days,
    load_session,
    other_dates_of_series,
    range_state,
    sessions_between,
    with_occupancy,
)

bp = Blueprint("calendars", __name__)

VIEWS = ("month", "week", "list")
LIST_DAYS = 28
SERIES_PREVIEW = 6


@bp.app_template_filter("audience")
def audience_label(program: Program) -> str:
    """Who a strand is for, in the UI language: "Ages 3–12; each child comes with an adult"."""
    if program.max_age is not None and program.min_age > 0:
        ages = _("Ages %(min)d–%(max)d", min=program.min_age, max=program.max_age)
    elif program.max_age is not None:
        ages = _("Ages %(max)d and under", max=program.max_age)
    elif program.min_age > 0:
        ages = _("Ages %(min)d and over", min=program.min_age)
    else:
        ages = _("All ages")
    if program.adult_required:
        return _("%(ages)s; each child comes with an adult", ages=ages)
    return ages


def describe(scope: Scope) -> str:
    """The scope in words, for headings: "Yaozhuang Community · Parent–child reading"."""
    if scope.is_empty:
        return _("all sessions")
    parts = [localized(x) for x in (scope.community, scope.room, scope.program) if x is not None]
    if scope.course is not None:
        parts.append(scope.course.title)
    if scope.age is not None:
        parts.append(_("for age %(age)d", age=scope.age))
    return " · ".join(parts)


@dataclass
class Filters:
    form: FilterForm
    scope: Scope
    communities: list[Any]  # rows: id, slug, name, name_en
    rooms: list[Room]
    programs: list[Program]
    courses: list[Course]


def courses_with_sessions() -> list[Course]:
    """The courses the filter offers: those with at least one session, newest first."""
    runs = select(Series.course_id).join(ReadingSession, ReadingSession.series_id == Series.id)
    stmt = (
        select(Course)
        .where(Course.id.in_(runs))
        .order_by(Course.first_date.desc(), Course.id.desc())
    )
    return list(db.session.scalars(stmt))


def load_filters(*, all_communities: bool = False) -> Filters:
    """The filter form read from the URL, and the scope its valid fields describe.

    With a community chosen, the book rooms offered are that community's (and the
    one the URL names, so that a room of another community gets its own message):
    a city has thousands, and listing them all made one community's page cost in
    proportion to the whole city. So do the communities offered, in a city of more
    than ``CALENDAR_FILTER_COMMUNITIES``: that one and "all" (whose page lists them all);
    ``all_communities``: every one regardless (the subscribe page lists their feeds).
    """
    # The communities offered, as plain rows (slug and names: what the list and the
    # subscribe page show); only the chosen one is loaded as a Community.
    columns = select(Community.id, Community.slug, Community.name, Community.name_en)
    chosen = request.args.get("community")
    communities: list[Any] = []
    if chosen and not all_communities and _is_city():
        communities = list(db.session.execute(columns.where(Community.slug == chosen)))
    shortened = bool(communities)  # an unknown slug gets the whole list and its message
    if not shortened:
        communities = list(db.session.execute(columns.order_by(Community.id)))
    stmt = select(Room).where(Room.active)
    row = next((c for c in communities if c.slug == chosen), None) if chosen else None
    community = db.session.get(Community, row.id) if row is not None else None
    if community is not None:
        named = request.args.get("room")
        stmt = stmt.where(
            or_(Room.community_id == community.id, Room.slug == named)
            if named
            else Room.community_id == community.id
        )
    rooms = list(
        db.session.scalars(
            stmt.options(joinedload(Room.community)).order_by(Room.community_id, Room.id)
        )
    )
    programs = list(db.session.scalars(select(Program).where(Program.active).order_by(Program.id)))
    courses = courses_with_sessions()
    form = FilterForm(formdata=request.args)
    form.set_choices(communities, rooms, programs, courses)
    if shortened:
        form.community.description = _(
            "To see another community, choose “All communities” and press “Show”, then choose it."
        )
    if request.args:
        form.validate()
    scope = form.scope([community] if community else [], rooms, programs, courses)
    return Filters(form, scope, communities, rooms, programs, courses)


def _is_city() -> bool:
    """More communities than a filter lists for one community's page."""
    count = db.session.scalar(select(func.count()).select_from(Community))
    return count > current_app.config["CALENDAR_FILTER_COMMUNITIES"]


@lru_cache(maxsize=512)
def _qr(url: str, label: str) -> Markup:
    return qr_svg(url, label=label)


def qr_code(url: str) -> Markup:
    """The QR code of a subscribe page (drawn once per address: it is the slow part)."""
    return _qr(url, _("QR code: how to subscribe to this calendar"))


@dataclass(frozen=True)
class Subscription:
    """How to subscribe to the feed of a view: addresses, QR code, help page."""

    https: str
    path: str
    webcal: str
    google: str
    help_url: str


def subscription(scope: Scope) -> Subscription:
    https = feed_url(scope)
    webcal = webcal_url(https)
    help_url = external_url("calendars.subscribe", **scope.params(with_seats=False))
    google = "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")
    path = feed_url(scope, external=False)
    return Subscription(https=https, path=path, webcal=webcal, google=google, help_url=help_url)


@dataclass(frozen=True)
class Plan:
    """What keys a calendar URL's page while the data is unchanged: the end times of the
    sessions it considers (before the "seats left" filter), and the view's feed."""

    ends: tuple[datetime, ...]  # sorted
    feed_path: str


# Rendered calendars. The key of a page holds the validators of the sessions it shows
# (range_state: only its scope's and its dates'), of the filters' lists of book rooms
# and strands (places_state), the URL's query, the language, the day and how many of
# its sessions have ended, so a cached page shows the sessions a fresh render would
# show. Seat counts change without any of these: a cached page is used for SEATS_TTL
# seconds at most, so the calendar's "seats left" may lag by that much (the session
# page, where people sign up, always counts afresh). The plan's time-to-live bounds
# what no key covers (a community renamed). Both are shared through Redis when set.
PAGE_FORMAT = "2"
SEATS_TTL = 30
_plans: SharedCache[Plan] = SharedCache("plan", max_size=4000, timeout=300)
_pages: SharedCache[str] = SharedCache("page", max_size=16 * 1024 * 1024, timeout=SEATS_TTL)


def _page_key(key: str, plan: Plan, now: datetime) -> str:
    return digest(key, bisect_right(plan.ends, now))


@bp.get("/")
def index():
    """The calendar. Without ``view`` the page carries the upcoming list and the month grid,
    and CSS shows the list on a phone and the grid on a wide screen (no script needed).

    A page whose data, query, language and day are unchanged comes from the
    cache (one small query) for up to SEATS_TTL seconds.
    """
    if any(value == "" for value in request.args.values()):
        # The filter form sends its empty fields too; keep shared addresses short.
        kept = [(k, v) for k, v in request.args.items(multi=True) if v != ""]
        return redirect(url_for("calendars.index") + ("?" + urlencode(kept) if kept else ""))
    today, now = beijing_today(), utcnow()
    span = page_span(today)
    bounds = beijing_range(span.first, span.last)

    def state_of(scope: Scope):
        return range_state(scope, *bounds, places=True)

    try:
        _, state = current_scope(request.args, state_of)
    except ParamError:  # the form ignores what is bad: every session may show
        state = state_of(Scope())
    query = sorted(request.args.items(multi=True))
    key = digest(
        PAGE_FORMAT, current_language(), public_base_url(), query, today, state.fingerprint
    )
    plan = _plans.get(key)
    if plan is not None:
        page_key = _page_key(key, plan, now)
        html = _pages.get(page_key)
        if html is not None:
            return _calendar_page(html, plan.feed_path, page_key)
    html, plan = _render_calendar(today, now, span)
    _plans.set(key, plan)
    page_key = _page_key(key, plan, now)
    _pages.set(page_key, html)
    return _calendar_page(html, plan.feed_path, page_key)


def _calendar_page(html: str, feed_path: str, key: str):
    compress_as(digest(key, current_language()))
    return render_template("calendars/index.html", content=Markup(html), feed_path=feed_path)


@dataclass(frozen=True)
class Span:
    """Which views a calendar URL shows, and the days they cover together."""

    view: str | None
    month: date
    weeks: list[list[date]]
    monday: date
    list_from: date
    first: date
    last: date


def page_span(today: date) -> Span:
    """The views and days of the URL's calendar page (no database needed)."""
    view = request.args.get("view")
    if view not in VIEWS:
        view = None
    month = parse_month(request.args.get("month")) or today.replace(day=1)
    monday = week_start(parse_day(request.args.get("week")) or today)
    list_from = parse_day(request.args.get("from")) or today
    spans: list[tuple[date, date]] = []
    weeks = month_weeks(month)
    if view in (None, "month"):
        spans.append((weeks[0][0], weeks[-1][-1]))
    if view == "week":
        spans.append((monday, monday + timedelta(days=6)))
    if view in (None, "list"):
        spans.append((list_from, list_from + timedelta(days=LIST_DAYS - 1)))
    first, last = min(s[0] for s in spans), max(s[1] for s in spans)
    return Span(view, month, weeks, monday, list_from, first, last)


def _render_calendar(today: date, now: datetime, span: Span) -> tuple[str, Plan]:
    """The calendar views for the URL's filters, as HTML, with what keys its cache entry."""
    filters = load_filters()
    scope = filters.scope
    view, month, weeks, monday, list_from = (
        span.view,
        span.month,
        span.weeks,
        span.monday,
        span.list_from,
    )
    first, last = span.first, span.last

    candidates = sessions_between(scope, *beijing_range(first, last))
    sessions, seats = with_occupancy(candidates, scope, now)
    days = by_day(sessions)
    list_end = list_from + timedelta(days=LIST_DAYS - 1)
    upcoming = [(day, days[day]) for day in sorted(days) if list_from <= day <= list_end]
    month_total = sum(len(v) for d, v in days.items() if d.replace(day=1) == month)
    sub = subscription(scope)
    html = render_template(
        "calendars/_index_body.html",
        view=view,
        filters=filters,
        scope=scope,
        today=today,
        month=month,
        weeks=weeks,
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1),
        monday=monday,
        week=week_days(monday),
        list_from=list_from,
        list_end=list_end,
        list_days=LIST_DAYS,
        upcoming=upcoming,
        days=days,
        seats=seats,
        now=now,
        link_params=scope.params(),
        month_total=month_total,
        sub=sub,
        qr=qr_code(sub.help_url),
        timedelta=timedelta,
    )
    plan = Plan(
        ends=tuple(sorted(s.ends_at for s in candidates)),
        feed_path=sub.path,
    )
    return html, plan


@bp.get("/sessions/<int:session_id>")
def session_page(session_id: int):
    """Everything about one session, and the place where sign-up goes."""
    s = load_session(session_id)
    now = utcnow()
    panel = panel_for(s, now)
    return render_template(
        "calendars/session.html",
        s=s,
        panel=panel,
        seats=panel.seats,
        seats_left=panel.seats_left,
        now=now,
        siblings=other_dates_of_series(s, now, limit=SERIES_PREVIEW),
        community_sub=subscription(Scope(community=s.room.community)),
        manages=panel.manages,
    )


@bp.get("/subscribe")
def subscribe():
    """How to subscribe (iPhone, Android, Outlook, Google), for the feed of the given filters."""
    filters = load_filters(all_communities=True)
    sub = subscription(filters.scope)
    return render_template(
        "calendars/subscribe.html",
        filters=filters,
        scope=filters.scope,
        scope_label=describe(filters.scope),
        sub=sub,
        qr=qr_code(sub.help_url),
        feed_url=feed_url,
        webcal_url=webcal_url,
        Scope=Scope,
        window_days=feed_days()[0],
        ahead_days=feed_days()[1],
    )


@bp.get("/poster")
def poster():
    """An A4 month poster of one community's sessions (or one course's there) for the
    notice board."""
    communities = list(db.session.scalars(select(Community).order_by(Community.id)))
    courses = courses_with_sessions()
    form = PosterForm(formdata=request.args)
    form.set_choices(communities, courses)
    community = next((c for c in communities if c.slug == form.community.data), None)
    if form.community.data and community is None:
        abort(404)
    month = form.first_day if form.validate() else None
    if community is None or month is None:
        return render_template("calendars/poster_form.html", form=form)
    course = next((c for c in courses if str(c.id) == form.course.data), None)
    scope = Scope(community=community, course=course)
    weeks = month_weeks(month)
    sessions = sessions_between(
        scope, *beijing_range(month, add_months(month, 1) - timedelta(days=1))
    )
    page_url = external_url("calendars.index", **scope.params())
    programs = {s.program_id: s.program for s in sessions}
    rooms = {s.room_id: s.room for s in sessions}
    return render_template(
        "calendars/poster.html",
        community=community,
        course=course,
        month=month,
        weeks=weeks,
        days=by_day(sessions),
        programs=sorted(programs.values(), key=lambda p: p.id),
        rooms=sorted(rooms.values(), key=lambda r: r.id),
        page_url=page_url,
        qr=qr_svg(page_url, label=_("QR code of the community's calendar page")),
    )
