"""What the sign-up part of a session page shows, built by the view (the calendar's
session page, the sign-up page) and handed to the template as ``panel``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..auth.permissions import can_manage
from ..extensions import db
from ..families.models import Household
from ..schedule.models import ReadingSession
from ..timeutil import utcnow
from . import queries as ops
from .eligibility import Window, session_day
from .models import LIVE_STATUSES, Registration
from .occupancy import Occupancy, occupancy, seats_left
from .queries import SignupState


@dataclass
class Panel:
    s: ReadingSession
    seats: Occupancy
    seats_left: int
    window: Window
    state: SignupState
    household: Household | None = None
    registration: Registration | None = None
    position: int | None = None
    blocked_until: datetime | None = None
    choices: list[SelectChoice] = field(default_factory=list)
    manages: bool = False  # staff of the session's community (the roster link)
    running: bool = False  # started and not yet over (进行中); over and not running: 已结束

    @property
    def blocked_message(self) -> str | None:
        return ops.blocked_message(self.blocked_until) if self.blocked_until else None

    @property
    def audience_text(self) -> str:
        return audience_text(self.s)


def audience_text(s: ReadingSession) -> str:
    """Who the session's strand is for, in a sentence."""
    audience = ops.audience_of(s)
    if audience.adult_required:
        return _(
            "For children aged %(range)s, each with an accompanying adult.",
            range=audience.age_range(),
        )
    if audience.has_age_limits:
        return _("For ages %(range)s.", range=audience.age_range())
    return _("For everyone.")


def member_label(member, s: ReadingSession) -> str:
    if member.birth_year is None:
        return member.given_name
    age = ops.person_of(member).age_on(session_day(s.starts_at))
    return _("%(name)s (%(age)d on the day)", name=member.given_name, age=age)


def member_ids(household: Household) -> list[SelectChoice]:
    """The sign-up form's choices without their labels (the ages on the session's day): what
    a POST validates against before the session is loaded."""
    return [SelectChoice(m.id, "") for m in household.members]


def signup_choices(household: Household, s: ReadingSession) -> list[SelectChoice]:
    members = sorted(household.members, key=lambda m: (not m.is_child, m.id))
    return [SelectChoice(m.id, member_label(m, s)) for m in members]


def panel_for(s: ReadingSession, now: datetime | None = None) -> Panel:
    now = now or utcnow()
    seats = occupancy([s.id])[s.id]
    window = ops.window_of(s)
    panel = Panel(
        s=s,
        seats=seats,
        seats_left=seats_left(s.capacity, seats.seats_taken),
        window=window,
        state=ops.signup_state(s, now, window),
        manages=can_manage(current_user, s.room.community_id),
        running=s.starts_at <= now < s.ends_at,
    )
    if getattr(current_user, "is_household", False):
        household = current_user._get_current_object()
        panel.household = household
        panel.registration = ops.live_registration(s.id, household.id)
        if panel.registration is not None:
            panel.position = ops.waitlist_position(panel.registration)
        panel.blocked_until = ops.household_blocked_until(household.id, now)
        panel.choices = signup_choices(household, s)
    return panel


def my_registrations(
    household: Household, now: datetime
) -> tuple[list[tuple[Registration, ReadingSession]], list[tuple[Registration, ReadingSession]]]:
    """Upcoming live registrations (soonest first) and the history (latest first)."""
    rows = db.session.execute(
        select(Registration, ReadingSession)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(Registration.household_id == household.id)
        .order_by(ReadingSession.starts_at)
    ).all()
    upcoming = [
        (r, s)
        for r, s in rows
        if r.status in LIVE_STATUSES and s.ends_at > now and not s.is_cancelled
    ]
    seen = {r.id for r, _s in upcoming}
    history = [(r, s) for r, s in reversed(rows) if r.id not in seen][:100]
    return upcoming, history
