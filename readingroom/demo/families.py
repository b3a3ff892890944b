"""Demo families for ``flask seed-demo`` (called from :mod:`readingroom.demo`).

Six households in the three communities, so that a person trying the app can
log in as a parent at once (mobile ``1380000000N``, the demo password): young
families with children of the parent–child age, a senior couple (60+) and a
young adult for youth night. Everything goes through the real operations:
accounts, members, sign-ups (under the session's lock, inside the
registration window), a capacity change that fills one session so that a
family waits, and a check-in at a past session, which ticks the family's
"visit the book room" task through the ``member_checked_in`` signal.

Sign-ups and capacity changes take the session's write lock, which starts a
transaction of its own and refuses one with pending changes; so these
functions **commit** after every step (like the CLI would), and the caller's
earlier work is committed first. Running them again adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..families import operations as accounts
from ..families.models import AdultRole, Household, Member, MemberKind
from ..places.models import Community, Room
from ..registrations import attendance, queries
from ..registrations import operations as ops
from ..registrations.models import Registration
from ..schedule.models import Program, ReadingSession, SessionStatus
from ..timeutil import from_beijing, to_beijing

# (given name, kind, age in years, birth month, role)
_Person = tuple[str, MemberKind, int, int, AdultRole | None]
CHILD, ADULT = MemberKind.CHILD, MemberKind.ADULT


@dataclass(frozen=True)
class DemoFamily:
    mobile: str
    guardian_name: str
    community: str  # slug
    people: tuple[_Person, ...]


# The order matters a little: the task lists' demo ticks the first children most.
FAMILIES = (
    DemoFamily(
        "13800000001",
        "王芳",
        "yaozhuang",
        (
            ("王芳", ADULT, 36, 4, AdultRole.SELF),
            ("乐乐", CHILD, 6, 5, None),
            ("朵朵", CHILD, 9, 10, None),
            ("姥爷", ADULT, 64, 8, AdultRole.GRANDPARENT),
        ),
    ),
    DemoFamily(
        "13800000002",
        "赵丽",
        "donghe",
        (
            ("赵丽", ADULT, 34, 2, AdultRole.SELF),
            ("张伟", ADULT, 36, 11, AdultRole.SPOUSE),
            ("甜甜", CHILD, 7, 3, None),
        ),
    ),
    DemoFamily(
        "13800000003",
        "孙敏",
        "donghe",
        (
            ("孙敏", ADULT, 31, 6, AdultRole.SELF),
            ("豆豆", CHILD, 4, 9, None),
        ),
    ),
    DemoFamily(
        "13800000004",
        "李强",
        "sunzhuang",
        (
            ("李强", ADULT, 38, 1, AdultRole.SELF),
            ("小宇", CHILD, 5, 7, None),
        ),
    ),
    DemoFamily(
        "13800000005",
        "张秀英",
        "sunzhuang",
        (
            ("张秀英", ADULT, 67, 3, AdultRole.SELF),
            ("孙建华", ADULT, 70, 12, AdultRole.SPOUSE),
        ),
    ),
    DemoFamily(
        "13800000006",
        "刘洋",
        "yaozhuang",
        (("刘洋", ADULT, 26, 5, AdultRole.SELF),),
    ),
)
DEMO_MOBILES = tuple(f.mobile for f in FAMILIES)

# Who goes where: (mobile, strand slug, book room slug, given names attending).
UPCOMING = (
    ("13800000001", "parent-child", "yaozhuang-peony", ("乐乐", "朵朵", "王芳")),
    ("13800000004", "parent-child", "sunzhuang-academy", ("小宇", "李强")),
    ("13800000005", "senior", "sunzhuang-academy", ("张秀英", "孙建华")),
    ("13800000006", "youth-night", "xinhua-bookstore", ("刘洋",)),
)
# This session is made full (the staff lower its seats to those taken: the room is
# shared that week), then the second family joins its waiting list.
FULL = ("parent-child", "donghe-academy", ("13800000002", ("甜甜", "赵丽", "张伟")))
WAITING = ("13800000003", ("豆豆", "孙敏"))
# Came to last week's story hour and was checked in by the staff.
PAST = ("13800000004", "parent-child", "sunzhuang-academy", ("小宇", "李强"))


def seed_now(today: date) -> datetime:
    """The seed's clock: the start of ``today`` (Beijing) whatever the hour, so that loading
    at 08:00 or at 23:00 makes the same accounts and finds the same past sessions."""
    return from_beijing(today, time(0, 0))


def signup_clock(today: date) -> datetime:
    """When the demo families sign up: late on ``today``, the same at any hour of loading.
    Every weekly session from tomorrow to a week ahead is then open (a window opens 7 days
    before the start), so each family finds one whatever the weekday."""
    return from_beijing(today, time(23, 0))


def _birth(today: date, age: int, month: int) -> tuple[int, int]:
    """Birth year and month of someone who is ``age`` on ``today``."""
    return today.year - age - (1 if month > today.month else 0), month


def _household(
    family: DemoFamily, today: date, now: datetime, password: str
) -> tuple[Household, int]:
    """The family's account (made when missing) and how many members were added."""
    household = accounts.household_by_mobile(family.mobile)
    if household is None:
        community = db.session.scalars(
            select(Community).where(Community.slug == family.community)
        ).one()
        household = accounts.register_household(
            guardian_name=family.guardian_name,
            mobile=family.mobile,
            password=password,
            community=community,
            consent=True,
            now=now,
        )
    present = {m.given_name for m in household.members}
    added = 0
    for name, kind, age, month, role in family.people:
        if name in present:
            continue
        year, month = _birth(today, age, month)
        accounts.add_member(
            household,
            accounts.MemberData(
                kind=kind, given_name=name, birth_year=year, birth_month=month, role=role
            ),
        )
        added += 1
    db.session.commit()
    return household, added


def _members(household_id: int, names: Sequence[str]) -> list[int]:
    return list(
        db.session.scalars(
            select(Member.id).where(
                Member.household_id == household_id,
                Member.given_name.in_(names),
                Member.removed_at.is_(None),
            )
        )
    )


def _sessions(program: str, room: str):
    return (
        select(ReadingSession)
        .join(Program, Program.id == ReadingSession.program_id)
        .join(Room, Room.id == ReadingSession.room_id)
        .where(
            Program.slug == program,
            Room.slug == room,
            ReadingSession.status == SessionStatus.SCHEDULED,
        )
    )


def _open_session(program: str, room: str, now: datetime) -> ReadingSession | None:
    """The next session of this strand in this room from tomorrow on (never one that is over
    by the time someone looks), whose registration is open at ``now``."""
    tomorrow = from_beijing(to_beijing(now).date() + timedelta(days=1), time(0, 0))
    stmt = _sessions(program, room).where(ReadingSession.starts_at >= tomorrow)
    for s in db.session.scalars(stmt.order_by(ReadingSession.starts_at).limit(3)):
        if queries.window_of(s).is_open(now):
            return s
    return None


def _past_session(program: str, room: str, now: datetime) -> ReadingSession | None:
    stmt = _sessions(program, room).where(ReadingSession.ends_at < now)
    return db.session.scalars(stmt.order_by(ReadingSession.starts_at.desc()).limit(1)).first()


def _signed_up(session_id: int, household_id: int) -> bool:
    """Whether the household has any registration for the session (once is enough)."""
    stmt = select(Registration.id).where(
        Registration.session_id == session_id, Registration.household_id == household_id
    )
    return db.session.scalars(stmt).first() is not None


def _sign_up(
    s: ReadingSession | None, household: Household, names: Sequence[str], now: datetime
) -> Registration | None:
    if s is None or _signed_up(s.id, household.id):
        return None
    session_id, household_id = s.id, household.id
    members = _members(household_id, names)
    db.session.commit()  # the lock below starts a transaction of its own
    outcome = ops.sign_up(session_id, household_id, members, now=now)
    db.session.commit()
    return outcome.registration


def seed_households(today: date) -> str:
    """The demo families, their upcoming sign-ups and a waiting list; returns a summary."""
    from . import DEMO_PASSWORD

    now = seed_now(today)
    signing = signup_clock(today)
    db.session.commit()  # sign-ups below lock sessions in transactions of their own
    before = set(db.session.scalars(select(Household.mobile)))
    households: dict[str, Household] = {}
    members = 0
    for family in FAMILIES:
        households[family.mobile], added_members = _household(family, today, now, DEMO_PASSWORD)
        members += added_members
    added = len(set(households) - before)

    made = 0
    for mobile, program, room, names in UPCOMING:
        made += (
            _sign_up(_open_session(program, room, signing), households[mobile], names, signing)
            is not None
        )

    program, room, (first, names) = FULL
    full = _open_session(program, room, signing)
    if _sign_up(full, households[first], names, signing) is not None:
        made += 1
        session_id = full.id
        ops.change_capacity(session_id, queries.seats_taken(session_id))
        db.session.commit()
        waiting_mobile, waiting_names = WAITING
        made += _sign_up(full, households[waiting_mobile], waiting_names, signing) is not None

    mobile, program, room, names = PAST
    past = _past_session(program, room, now)
    if past is not None:
        # Signed up the day before, inside the window.
        made += (
            _sign_up(past, households[mobile], names, past.starts_at - timedelta(days=1))
            is not None
        )

    if not (added or members or made):
        return ""
    return f"Families: {added} households, {members} members, {made} registrations."


def seed_household_activity(today: date) -> str:
    """What the families did: a check-in at a past session (ticking a "visit" task by the
    signal), a task ticked with a note and a reading-log entry, through the operations.

    Runs after the task lists exist (a check-in before would tick nothing). Once only.
    """
    from ..tasklists.models import TaskKind, TaskList
    from ..tasklists.operations import TickDetails, add_log_entry, tick_task
    from .tasklists import WINTER_TITLE

    now = seed_now(today)
    mobile, program, room, _names = PAST
    household = accounts.household_by_mobile(mobile)
    past = _past_session(program, room, now)
    if household is None or past is None:
        return ""
    registration = queries.live_registration(past.id, household.id)
    if registration is None or any(a.checked_in_at for a in registration.attendees):
        return ""
    for attendee in registration.attendees:
        attendance.check_in(attendee, now=past.starts_at + timedelta(minutes=5))

    winter = db.session.scalars(select(TaskList).where(TaskList.title == WINTER_TITLE)).first()
    ticks = logs = 0
    if winter is not None:
        by_name = {
            m.given_name: m
            for h in db.session.scalars(select(Household).where(Household.mobile.in_(DEMO_MOBILES)))
            for m in h.members
        }
        week_two = [
            t for t in winter.counting_tasks if t.week == 2 and t.kind is TaskKind.READ_TOGETHER
        ]
        child = by_name.get("甜甜")
        if week_two and child is not None:
            _tick, created = tick_task(
                week_two[0], child, TickDetails(note="读了两遍，她最喜欢贴窗花那一页。", minutes=20)
            )
            ticks += created
        child = by_name.get("豆豆")
        if child is not None:
            _entry, created = add_log_entry(
                winter,
                child,
                title="好饿的毛毛虫",
                minutes=15,
                read_on=max(winter.starts_on, today - timedelta(days=2)),
            )
            logs += created
    db.session.commit()
    return f"Family activity: 1 check-in, {ticks} tick, {logs} reading-log entry."
