"""The demo data set: the Binhe communities, their book rooms, strands and a
season of sessions placed around the day it is loaded, so the calendar is
never empty. Running it again adds nothing that is already there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..places.models import Community, Room
from ..places.operations import RoomData, save_room
from ..schedule.models import Program, ReadingSession, Series
from ..schedule.operations import (
    SeriesData,
    cancel_session,
    create_series,
    series_data,
    update_session,
)
from ..staff.models import Role, StaffUser
from ..staff.operations import create_staff
from ..timeutil import beijing_today, from_beijing, to_beijing
from .courses import seed_course
from .families import seed_household_activity, seed_households
from .tasklists import seed_tasklists

DEMO_PASSWORD = "binhe-demo-2026"

COMMUNITIES = [
    ("yaozhuang", "姚庄社区", "Yaozhuang Community"),
    ("sunzhuang", "孙庄社区", "Sunzhuang Community"),
    ("donghe", "董河社区", "Donghe Community"),
]

_WEEKDAY = ((time(9, 0), time(12, 0)), (time(14, 30), time(17, 30)), (time(19, 0), time(21, 0)))
_WEEKEND = ((time(9, 0), time(17, 30)),)
_ACADEMY_HOURS = ((), _WEEKDAY, _WEEKDAY, _WEEKDAY, _WEEKDAY, _WEEKEND, _WEEKEND)  # closed Mon
_SHOP_HOURS = (((time(9, 0), time(21, 30)),),) * 7

ROOMS = [
    dict(
        community="yaozhuang",
        slug="yaozhuang-peony",
        name="牡丹书房",
        name_en="Peony Book Room",
        seats=24,
        hours=_ACADEMY_HOURS,
        address="定陶区滨河街道姚庄社区文化书院一楼",
        accessibility="一楼，无台阶，可推婴儿车和轮椅进入；有儿童地垫和绘本架。",
        notes="姚庄社区文化书院的书房。",
    ),
    dict(
        community="sunzhuang",
        slug="sunzhuang-academy",
        name="孙庄文化书院书房",
        name_en="Sunzhuang Culture Academy Book Room",
        seats=20,
        hours=_ACADEMY_HOURS,
        address="定陶区滨河街道孙庄社区文化书院二楼",
        accessibility="二楼，有电梯；电梯在书院东门。",
        notes="",
    ),
    dict(
        community="donghe",
        slug="donghe-academy",
        name="董河文化书院书房",
        name_en="Donghe Culture Academy Book Room",
        seats=18,
        hours=_ACADEMY_HOURS,
        address="定陶区滨河街道董河社区文化书院一楼",
        accessibility="一楼，门口有一级台阶，备有坡道板。",
        notes="",
    ),
    dict(
        community="yaozhuang",
        slug="xinhua-bookstore",
        name="新华书店阅读空间",
        name_en="Xinhua Bookstore Reading Space",
        seats=40,
        hours=_SHOP_HOURS,
        address="定陶区新华书店二楼（合作书房）",
        accessibility="二楼，有电梯。",
        notes="合作单位新华书店提供的阅读空间。",
    ),
]

PROGRAMS = [
    dict(
        slug="parent-child",
        name="亲子阅读",
        name_en="Parent–child reading",
        colour="#c0392b",
        min_age=3,
        max_age=12,
        adult_required=True,
        description="3–12岁的孩子和家长一起读绘本、讲故事。每个孩子需有一位大人陪同。",
        description_en="Children aged 3–12 read picture books together with a parent. "
        "Each child comes with an adult.",
    ),
    dict(
        slug="senior",
        name="长者悦读",
        name_en="Senior reading",
        colour="#1f5f8b",
        min_age=60,
        max_age=None,
        adult_required=False,
        description="60岁以上的长者读报、读书、分享，大字本和老花镜现场提供。",
        description_en="Reading and sharing for people aged 60 and over; large-print "
        "books and reading glasses available.",
    ),
    dict(
        slug="youth-night",
        name="青年夜读",
        name_en="Youth night reading",
        colour="#6c3483",
        min_age=16,
        max_age=35,
        adult_required=False,
        description="16–35岁的年轻人下班后一起读书、讨论。",
        description_en="Reading and discussion after work for people aged 16–35.",
    ),
]

STAFF = [
    ("admin", "街道管理员", Role.ADMIN, []),
    ("yaozhuang", "姚庄社区 刘老师", Role.STAFF, ["yaozhuang"]),
    ("sunzhuang", "孙庄社区 陈老师", Role.STAFF, ["sunzhuang"]),
    ("donghe", "董河社区 赵老师", Role.STAFF, ["donghe"]),
]

PICTURE_BOOKS = "《猜猜我有多爱你》\n《好饿的毛毛虫》\n《团圆》"
SENIOR_BOOKS = "《城南旧事》\n《平凡的世界》"
YOUTH_BOOKS = "《活着》\n《额尔古纳河右岸》"


def _upsert_communities() -> dict[str, Community]:
    found = {c.slug: c for c in db.session.scalars(select(Community))}
    for slug, name, name_en in COMMUNITIES:
        if slug not in found:
            found[slug] = Community(slug=slug, name=name, name_en=name_en)
            db.session.add(found[slug])
    db.session.flush()
    return found


def _upsert_rooms(communities: dict[str, Community]) -> dict[str, Room]:
    found = {r.slug: r for r in db.session.scalars(select(Room))}
    for spec in ROOMS:
        if spec["slug"] in found:
            continue
        data = RoomData(**{**spec, "community": communities[spec["community"]]})
        found[spec["slug"]] = save_room(data)
    return found


def _upsert_programs() -> dict[str, Program]:
    found = {p.slug: p for p in db.session.scalars(select(Program))}
    for spec in PROGRAMS:
        if spec["slug"] not in found:
            found[spec["slug"]] = Program(**spec)
            db.session.add(found[spec["slug"]])
    db.session.flush()
    return found


def _upsert_staff(communities: dict[str, Community]) -> None:
    logins = set(db.session.scalars(select(StaffUser.login)))
    for login, name, role, slugs in STAFF:
        if login not in logins:
            create_staff(
                login, name, DEMO_PASSWORD, role=role, communities=[communities[s] for s in slugs]
            )


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _series_specs(today: date, rooms: dict[str, Room], programs: dict[str, Program]):
    past_start = today - timedelta(weeks=4)
    for slug, host in (("yaozhuang-peony", "李秀兰老师"), ("sunzhuang-academy", "孙建国老师")):
        yield SeriesData(
            program=programs["senior"],
            room=rooms[slug],
            title="长者悦读会：读报与好书分享",
            weekdays=(2,),
            start_time=time(9, 30),
            end_time=time(11, 0),
            first_date=past_start,
            count=12,
            capacity=16,
            host=host,
            suggested_books=SENIOR_BOOKS,
            description="读一读当天的报纸，聊一聊好书；大字本和老花镜现场提供。",
        )
    yield SeriesData(
        program=programs["youth-night"],
        room=rooms["xinhua-bookstore"],
        title="青年夜读：一本书，一座城",
        weekdays=(4,),
        start_time=time(19, 30),
        end_time=time(21, 0),
        first_date=past_start,
        count=12,
        capacity=30,
        host="新华书店 张帆",
        suggested_books=YOUTH_BOOKS,
        description="下班后来书店读书、聊书。每次一个话题，带上你正在读的书。",
    )


def seed_demo(today: date | None = None) -> str:
    """Load the demo data; returns a one-line summary."""
    today = today or beijing_today()
    communities = _upsert_communities()
    rooms = _upsert_rooms(communities)
    programs = _upsert_programs()
    _upsert_staff(communities)

    if db.session.scalars(select(Series).limit(1)).first() is not None:
        # The sessions are there (from an earlier load): still add what is missing, e.g.
        # the families and ticks a database from before they existed lacks.
        added = [seed_households(today), seed_tasklists(today), seed_household_activity(today)]
        added = [a for a in added if a]
        if not added:
            return "Demo data already loaded; nothing added."
        return "Demo sessions already loaded; added what was missing. " + " ".join(added)

    created: list[ReadingSession] = []
    # The summer course (one course, three runs) comes first, then the other series.
    _course, series_list = seed_course(
        _next_weekday(today, 5), rooms, communities, programs["parent-child"]
    )
    created.extend(s for series in series_list for s in series.sessions)
    for spec in _series_specs(today, rooms, programs):
        series, sessions = create_series(spec)
        series_list.append(series)
        created.extend(sessions)

    # One cancelled and one moved occurrence, as real life has them.
    senior_sun = series_list[4]
    upcoming = [s for s in senior_sun.sessions if to_beijing(s.starts_at).date() > today]
    if len(upcoming) > 1:
        cancel_session(upcoming[1], "书院设备检修，暂停一次。")
    youth = series_list[5]
    upcoming = [s for s in youth.sessions if to_beijing(s.starts_at).date() > today]
    if len(upcoming) > 2:
        moved = upcoming[2]
        data = series_data(youth).occurrence(to_beijing(moved.starts_at).date())
        peony = rooms["yaozhuang-peony"]
        update_session(
            moved,
            replace(
                data,
                room=peony,
                capacity=min(data.capacity, peony.seats),
                title=data.title + "（本周移至牡丹书房）",
            ),
        )

    # A few single sessions in the past weeks.
    for weeks_ago, slug in ((3, "donghe-academy"), (2, "sunzhuang-academy")):
        day = _next_weekday(today - timedelta(weeks=weeks_ago), 6)
        reading_session = ReadingSession(
            program=programs["parent-child"],
            room=rooms[slug],
            title="周日故事会",
            starts_at=from_beijing(day, time(15, 0)),
            ends_at=from_beijing(day, time(16, 0)),
            capacity=15,
            host="志愿者 周老师",
            suggested_books=PICTURE_BOOKS,
            description="志愿者讲故事，孩子们一起听、一起演。",
        )
        db.session.add(reading_session)
        created.append(reading_session)
    db.session.flush()
    families = seed_households(today)  # demo families and their sign-ups (commits)
    seed_tasklists(today)  # family reading task lists (with ticks when households exist)
    seed_household_activity(today)  # a check-in ticks a "visit" task; needs the lists
    return (
        f"Demo data loaded: {len(communities)} communities, {len(rooms)} book rooms, "
        f"{len(series_list)} series (3 of them the summer course), {len(created)} sessions. "
        f"{families} "
        f"Staff logins admin / yaozhuang / sunzhuang / donghe; family logins "
        f"13800000001-13800000006; password {DEMO_PASSWORD}."
    )
