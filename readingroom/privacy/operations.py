"""A family's own data: everything kept about it (to read and download), deleting it, and
the purge of old registrations (``flask --app readingroom signups purge``).

What deleting keeps, and why: the programme needs figures (people and visits
by strand, community, age group and month; fill rate, waiting lists,
no-shows). So a registration is not deleted but cut loose from the family, as
the purge of old registrations does (:func:`anonymise_registrations` serves
both): its session, status, seats, times, the no-show mark and, per person,
kind (child/adult), age on the day and check-in stay; the household, the
members, the cancellation link and any staff note go. Everything else about
the family is deleted with its row, by the foreign keys' ``ON DELETE
CASCADE``: members, notices (and their queued messages), number look-ups,
password-reset links. Task-list ticks and reading-log entries are cut loose the
same way (:func:`anonymise_task_work`: the task, day, minutes and home community
stay; the child, the household, notes and book titles go), so that the task-list
figures do not change either. Upcoming registrations are
first cancelled the way the family would cancel them, so waiting families move
up at once.

Functions flush and never commit (the caller commits once).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, or_, select, update

from ..extensions import db
from ..families.models import Household, Member, PasswordReset
from ..notices.models import Notice
from ..notices.operations import notice_text
from ..places.models import Room
from ..registrations import operations as ops
from ..registrations.models import LIVE_STATUSES, Attendee, Registration
from ..schedule.models import ReadingSession
from ..tasklists.models import ReadingLogEntry, Task, TaskTick
from ..timeutil import to_beijing, utcnow
from .models import PhoneReveal


def anonymise_registrations(registration_ids: Select, *, now: datetime) -> tuple[int, int]:
    """Cut these registrations loose from their household; returns (registrations, attendees).

    Kept: session, status, seats, times, no-show mark, and per person the kind,
    the age on the day and the check-in. Gone: the household, the members, the
    cancellation link and any note typed about the family. In their place each
    household and each member gets a random number (``household_ref``,
    ``person_ref``, new for every anonymisation), so that the figures still count
    them once ("households reached", "people reached") without saying who. Flushes.
    """
    _give_refs(registration_ids)
    attendees = db.session.execute(
        update(Attendee)
        .where(Attendee.registration_id.in_(registration_ids), Attendee.member_id.is_not(None))
        .values(member_id=None)
    ).rowcount
    registrations = db.session.execute(
        update(Registration)
        .where(Registration.id.in_(registration_ids), Registration.household_id.is_not(None))
        .values(
            household_id=None,
            walk_in_name="",
            cancel_reason="",
            cancel_nonce=None,
            cancel_token_digest=None,
            anonymised_at=now,
        )
    ).rowcount
    db.session.flush()
    return registrations, attendees


def _random_ref() -> int:
    return secrets.randbits(62) + 1


def _give_refs(registration_ids: Select) -> None:
    """One fresh random ``household_ref`` per household and ``person_ref`` per member."""
    households = db.session.scalars(
        select(Registration.household_id)
        .where(Registration.id.in_(registration_ids), Registration.household_id.is_not(None))
        .distinct()
    ).all()
    members = db.session.scalars(
        select(Attendee.member_id)
        .where(Attendee.registration_id.in_(registration_ids), Attendee.member_id.is_not(None))
        .distinct()
    ).all()
    connection = db.session.connection()
    registration, attendee = Registration.__table__, Attendee.__table__
    if households:
        connection.execute(
            update(registration)
            .where(
                registration.c.id.in_(registration_ids),
                registration.c.household_id == bindparam("b_household"),
            )
            .values(household_ref=bindparam("b_ref")),
            [{"b_household": h, "b_ref": _random_ref()} for h in households],
        )
    if members:
        connection.execute(
            update(attendee)
            .where(
                attendee.c.registration_id.in_(registration_ids),
                attendee.c.member_id == bindparam("b_member"),
            )
            .values(person_ref=bindparam("b_ref")),
            [{"b_member": m, "b_ref": _random_ref()} for m in members],
        )


def anonymise_task_work(household_id: int) -> int:
    """Cut the household's ticks and reading-log entries loose from it (see
    :class:`~readingroom.tasklists.models.AnonymousWork`); returns how many. Flushes."""
    household = db.session.get(Household, household_id)
    members = db.session.scalars(select(Member.id).where(Member.household_id == household_id))
    household_ref = _random_ref()
    rows = [
        {"b_member": m, "b_ref": _random_ref(), "b_household_ref": household_ref} for m in members
    ]
    if household is None or not rows:
        return 0
    connection, changed = db.session.connection(), 0
    for model, emptied in ((TaskTick, {"note": ""}), (ReadingLogEntry, {"title": ""})):
        table = model.__table__
        changed += connection.execute(
            update(table)
            .where(table.c.household_id == household_id, table.c.member_id == bindparam("b_member"))
            .values(
                member_id=None,
                household_id=None,
                person_ref=bindparam("b_ref"),
                household_ref=bindparam("b_household_ref"),
                home_community_id=household.community_id,
                **emptied,
            ),
            rows,
        ).rowcount
    db.session.flush()
    return changed


def purge_before(cutoff: datetime) -> dict[str, int]:
    """Registrations of sessions that ended before ``cutoff`` keep only what the figures need
    (status, seats, each person's kind and age); notices and number look-ups go. Flushes."""
    old_sessions = select(ReadingSession.id).where(ReadingSession.ends_at < cutoff)
    old_registrations = select(Registration.id).where(Registration.session_id.in_(old_sessions))
    registrations, attendees = anonymise_registrations(old_registrations, now=utcnow())
    # Walk-ins have no household, but staff may have typed a name for them.
    db.session.execute(
        update(Registration)
        .where(
            Registration.id.in_(old_registrations),
            Registration.household_id.is_(None),
            Registration.walk_in_name != "",
        )
        .values(walk_in_name="")
    )
    notices = db.session.execute(delete(Notice).where(Notice.created_at < cutoff)).rowcount
    reveals = db.session.execute(
        delete(PhoneReveal).where(PhoneReveal.revealed_at < cutoff)
    ).rowcount
    db.session.flush()
    return {
        "registrations": registrations,
        "attendees": attendees,
        "notices": notices,
        "number look-ups": reveals,
    }


@dataclass(frozen=True)
class Deletion:
    """What deleting an account did (for the tests and the log; the family sees a sentence)."""

    cancelled: int
    promoted: int
    anonymised: int


def delete_household(household_id: int, *, now: datetime | None = None) -> Deletion:
    """Delete a family account and its personal data; keep the anonymous counts.

    Takes the locks of :func:`operations.cancel_upcoming_of_household`, so it
    must be the first change of the transaction. Flushes.
    """
    now = now or utcnow()
    cancelled, promoted = ops.cancel_upcoming_of_household(household_id, now=now)
    own = select(Registration.id).where(Registration.household_id == household_id)
    anonymised, _attendees = anonymise_registrations(own, now=now)
    anonymise_task_work(household_id)
    # The rest goes with the row (ON DELETE CASCADE; see the module docstring).
    db.session.execute(delete(Household).where(Household.id == household_id))
    db.session.flush()
    return Deletion(cancelled=len(cancelled), promoted=len(promoted), anonymised=anonymised)


def upcoming_registrations(household_id: int, now: datetime | None = None) -> list[Registration]:
    """The live registrations that deleting the account would cancel (soonest first)."""
    now = now or utcnow()
    stmt = (
        select(Registration)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(
            Registration.household_id == household_id,
            Registration.status.in_(LIVE_STATUSES),
            ReadingSession.starts_at > now,
        )
        .order_by(ReadingSession.starts_at, Registration.id)
    )
    return list(db.session.scalars(stmt))


# --- everything kept about a household -------------------------------------------------------


@dataclass
class HouseholdData:
    """All rows that belong to one household (what "download our data" gives)."""

    household: Household
    members: list[Member]  # removed members included: they are still kept
    registrations: list[Registration]
    notices: list[Notice]
    ticks: list[TaskTick]
    reading_log: list[ReadingLogEntry]
    number_views: list[PhoneReveal]
    reset_links: list[PasswordReset]


def household_data(household: Household) -> HouseholdData:
    hid = household.id

    def own(model: Any, *order: Any, join: Any = None) -> list[Any]:
        stmt = select(model).where(model.household_id == hid)
        if join is not None:
            stmt = stmt.join(*join)
        return list(db.session.scalars(stmt.order_by(*order)))

    return HouseholdData(
        household=household,
        members=own(Member, Member.id),
        registrations=own(
            Registration,
            ReadingSession.starts_at.desc(),
            Registration.id,
            join=(ReadingSession, ReadingSession.id == Registration.session_id),
        ),
        notices=own(Notice, Notice.created_at.desc(), Notice.id.desc()),
        ticks=own(
            TaskTick,
            Task.task_list_id,
            TaskTick.member_id,
            Task.week,
            Task.position,
            join=(Task, Task.id == TaskTick.task_id),
        ),
        reading_log=own(ReadingLogEntry, ReadingLogEntry.read_on.desc(), ReadingLogEntry.id.desc()),
        number_views=own(PhoneReveal, PhoneReveal.revealed_at.desc()),
        reset_links=own(PasswordReset, PasswordReset.created_at.desc()),
    )


def _time(value: datetime | None) -> str | None:
    """An instant as people see it: Beijing time, ISO 8601 with its offset."""
    return to_beijing(value).isoformat(timespec="minutes") if value is not None else None


def _enum(value: Any) -> str | None:
    return value.value if value is not None else None


def _session(s: ReadingSession | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "id": s.id,
        "title": s.title,
        "strand": s.program.name,
        "book_room": s.room.name,
        "community": s.room.community.name,
        "starts_at": _time(s.starts_at),
        "ends_at": _time(s.ends_at),
        "status": s.status.value,
    }


def as_json(data: HouseholdData, *, now: datetime | None = None) -> dict[str, Any]:
    """The household's data as plain JSON values (Beijing times; secrets left out)."""
    h = data.household
    names = {m.id: m.given_name for m in data.members}
    return {
        "exported_at": _time(now or utcnow()),
        "about": "Binhe Reading Rooms: everything kept about this family account. "
        "Left out: the password (only a scrambled form is kept) and the secret links.",
        "household": {
            "guardian_name": h.guardian_name,
            "mobile": h.mobile,
            "community": h.community.name,
            "created_at": _time(h.created_at),
            "consent_given_at": _time(h.consent_at),
            "consent_version": h.consent_version or None,
        },
        "members": [
            {
                "id": m.id,
                "kind": m.kind.value,
                "given_name": m.given_name,
                "birth_year": m.birth_year,
                "birth_month": m.birth_month,
                "role": _enum(m.role),
                "added_at": _time(m.created_at),
                "removed_at": _time(m.removed_at),
            }
            for m in data.members
        ],
        "registrations": [
            {
                "id": r.id,
                "session": _session(r.session),
                "status": r.status.value,
                "seats": r.seats,
                "signed_up_at": _time(r.created_at),
                "confirmed_at": _time(r.confirmed_at),
                "promoted_at": _time(r.promoted_at),
                "cancelled_at": _time(r.cancelled_at),
                "cancelled_by": _enum(r.cancelled_by),
                "cancel_reason": r.cancel_reason or None,
                "no_show_at": _time(r.no_show_at),
                "people": [
                    {
                        "member_id": a.member_id,
                        "given_name": names.get(a.member_id) if a.member_id else None,
                        "kind": a.kind.value,
                        "age_on_the_day": a.age,
                        "checked_in_at": _time(a.checked_in_at),
                    }
                    for a in r.attendees
                ],
            }
            for r in data.registrations
        ],
        "notices": [
            {
                "kind": n.kind.value,
                "text": notice_text(n),
                "session_id": n.session_id,
                "created_at": _time(n.created_at),
                "read_at": _time(n.read_at),
            }
            for n in data.notices
        ],
        "task_ticks": [
            {
                "task_list": t.task.task_list.title,
                "week": t.task.week,
                "task": t.task.title,
                "child": names.get(t.member_id),
                "member_id": t.member_id,
                "ticked_at": _time(t.ticked_at),
                "note": t.note or None,
                "minutes": t.minutes,
                "ticked_by": t.source.value,
                "session_id": t.session_id,
            }
            for t in data.ticks
        ],
        "reading_log": [
            {
                "task_list": e.task_list.title,
                "child": names.get(e.member_id),
                "member_id": e.member_id,
                "title": e.title,
                "minutes": e.minutes,
                "read_on": e.read_on.isoformat(),
                "added_at": _time(e.created_at),
            }
            for e in data.reading_log
        ],
        "number_shown_to_staff": [
            {"at": _time(v.revealed_at), "session_id": v.session_id} for v in data.number_views
        ],
        "password_reset_links": [
            {
                "created_at": _time(p.created_at),
                "expires_at": _time(p.expires_at),
                "used_at": _time(p.used_at),
            }
            for p in data.reset_links
        ],
    }


# --- staff: which families they see; the full number, on request, logged ----------------------


def households_visible_to(community_ids: set[int] | None) -> Select:
    """The households staff of these communities see (``None``: all, the administrator):
    those of their communities, and any that signed up for a session of theirs."""
    stmt = select(Household)
    if community_ids is None:
        return stmt
    registered = (
        select(Registration.household_id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .join(Room, Room.id == ReadingSession.room_id)
        .where(Room.community_id.in_(community_ids))
    )
    return stmt.where(or_(Household.community_id.in_(community_ids), Household.id.in_(registered)))


def reveal_phone(household: Household, staff_id: int, *, session_id: int | None = None) -> str:
    """The full mobile number, after logging who looked and when."""
    db.session.add(
        PhoneReveal(
            staff_id=staff_id,
            household_id=household.id,
            session_id=session_id,
            revealed_at=utcnow(),
        )
    )
    db.session.flush()
    return household.mobile
