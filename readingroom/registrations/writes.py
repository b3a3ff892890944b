"""A new registration written without the ORM's unit of work (a sign-up's commit spent most
of its time flushing it): what :func:`.operations.sign_up` writes under the session's lock.
On PostgreSQL the registration and its attendees go in one statement, elsewhere in two
(each round trip costs a few per cent of the sign-ups a second when the workers and the
database share the cores: see the README's benchmark section)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, func, insert, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from .. import tokens
from ..database import inserted_row, on_postgresql
from ..extensions import db
from ..families.models import Member
from ..schedule.models import ReadingSession
from .eligibility import session_day
from .models import Attendee, Registration, RegistrationStatus
from .queries import person_of


def attendee_values(member: Member, day: date) -> dict[str, Any]:
    """An attendee row's own columns: who, adult or child, and the age on the day."""
    return {"member_id": member.id, "kind": member.kind, "age": person_of(member).age_on(day)}


def insert_registration(
    reading_session: ReadingSession,
    household_id: int,
    members: Sequence[Member],
    now: datetime,
    *,
    confirmed: bool,
    first: bool,
) -> int:
    """Write a new registration and its attendees without the ORM's unit of work (most of a
    sign-up's time was the flush): on PostgreSQL in one statement
    (:func:`_registration_with_attendees`), elsewhere two INSERTs (the attendees in one
    executemany). Returns its id."""
    nonce, digest = tokens.issue(tokens.CANCEL)
    row = {
        "session_id": reading_session.id,
        "household_id": household_id,
        "status": RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
        "seats": len(members),
        "walk_in_name": "",
        "confirmed_at": now if confirmed else None,
        "cancel_reason": "",
        "cancel_nonce": nonce,
        "cancel_token_digest": digest,
        "first_of_household": first,
        "created_at": now,
        "updated_at": now,
    }
    day = session_day(reading_session.starts_at)
    attendees = [attendee_values(m, day) for m in members]
    if on_postgresql():
        columns = {f"attendee_{name}": [a[name] for a in attendees] for name in _ATTENDEE_COLUMNS}
        return db.session.execute(_registration_with_attendees(), row | columns).scalars().first()
    registration_id = db.session.execute(
        insert(Registration.__table__).returning(Registration.__table__.c.id), row
    ).scalar_one()
    db.session.execute(
        insert(Attendee.__table__), [{"registration_id": registration_id, **a} for a in attendees]
    )
    return registration_id


_REGISTRATION_COLUMNS = (
    "session_id",
    "household_id",
    "status",
    "seats",
    "walk_in_name",
    "confirmed_at",
    "cancel_reason",
    "cancel_nonce",
    "cancel_token_digest",
    "first_of_household",
    "created_at",
    "updated_at",
)
_ATTENDEE_COLUMNS = ("member_id", "kind", "age")


@cache
def _registration_with_attendees() -> Insert:
    """PostgreSQL: the registration and its attendees in one statement, built once: the
    attendees inserted from the registration's ``RETURNING`` and ``unnest`` of the
    ``attendee_*`` arrays (one element per person); returns the registration's id."""
    registrations, attendees = Registration.__table__, Attendee.__table__
    new = inserted_row(registrations, _REGISTRATION_COLUMNS, "new_registration")
    chosen = (
        func.unnest(
            *(
                bindparam(f"attendee_{name}", type_=ARRAY(attendees.c[name].type))
                for name in _ATTENDEE_COLUMNS
            )
        )
        .table_valued(*_ATTENDEE_COLUMNS)
        .render_derived(name="chosen")
    )
    people = select(new.c.id, *(chosen.c[name] for name in _ATTENDEE_COLUMNS)).select_from(
        new.join(chosen, true())  # one registration row, each person of it
    )
    return (
        insert(attendees)
        .from_select(["registration_id", *_ATTENDEE_COLUMNS], people, include_defaults=False)
        .returning(attendees.c.registration_id)
    )
