"""Benchmark of the figures: the figures page and the workbook, relative to a trivial endpoint.

    python benchmarks/reports.py                       # SQLite, 1,600 and 16,000 sessions
    python benchmarks/reports.py --database-url postgresql+psycopg://postgres@127.0.0.1/rr_bench
    python benchmarks/reports.py --sizes 1600 --repeat 30

Seeds a year of a busy programme (sessions over the last 365 days in six book
rooms of three communities; about 12.5 registrations per session, so 20,000
for 1,600 sessions, with one to three people each; most checked in, some
no-shows, waiting lists, cancelled sessions) and times, logged in as the
administrator and through Flask's test client in one process, taking turns:
a trivial endpoint (``/_bench/ping``), the figures page for this month (the
default), three months and the whole year, and the workbook, each as served
(the process's figures cache checked against the data) and "uncached" (the
cache emptied before each request: the first request after a change).
Medians of ``--repeat`` requests; statements per request counted with a
SQLAlchemy event.
A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, text
from werkzeug.security import generate_password_hash

from benchmarks.common import bench_app, with_ping
from readingroom.extensions import db
from readingroom.families.models import Household, Member, MemberKind
from readingroom.places.models import Community, Room
from readingroom.registrations.models import Attendee, Registration, RegistrationStatus
from readingroom.reports.figures import _CACHE as figures_cache
from readingroom.schedule.models import Program, ReadingSession, SessionStatus
from readingroom.staff.models import Role, StaffUser
from readingroom.timeutil import utcnow

PASSWORD = "benchmark-password"
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
COMMUNITIES = [("yaozhuang", "姚庄社区"), ("sunzhuang", "孙庄社区"), ("donghe", "董河社区")]
PROGRAMS = [
    ("parent-child", "亲子阅读", "#c0392b"),
    ("senior", "长者悦读", "#1f5f8b"),
    ("youth-night", "青年夜读", "#6c3483"),
]


def seed(total: int) -> tuple[int, int]:
    """``total`` sessions over the past year and 12.5 registrations per session."""
    programs = [Program(slug=s, name=n, colour=c, min_age=0) for s, n, c in PROGRAMS]
    communities, rooms = [], []
    for slug, name in COMMUNITIES:
        community = Community(slug=slug, name=name)
        communities.append(community)
        for k in (1, 2):
            rooms.append(
                Room(
                    community=community,
                    slug=f"{slug}-{k}",
                    name=f"{name}书房{k}",
                    address="-",
                    seats=30,
                )
            )
    admin = StaffUser(login="admin", name="管理员", password_hash=PASSWORD_HASH, role=Role.ADMIN)
    db.session.add_all([*programs, *rooms, admin])
    db.session.flush()
    now = utcnow()
    households = max(total * 2, 100)
    db.session.execute(
        insert(Household),
        [
            {
                "guardian_name": "家长",
                "mobile": f"139{n:08d}",
                "password_hash": PASSWORD_HASH,
                "community_id": communities[n % 3].id,
                "consent_at": now,
                "consent_version": "2026-07",
            }
            for n in range(households)
        ],
    )
    first_household = db.session.scalar(text("SELECT min(id) FROM household"))
    db.session.execute(
        insert(Member),
        [
            {
                "household_id": first_household + n // 2,
                "kind": MemberKind.CHILD if n % 2 == 0 else MemberKind.ADULT,
                "given_name": "孩子" if n % 2 == 0 else "家长",
                "birth_year": 2018 + n % 7 if n % 2 == 0 else None,
                "birth_month": 3 if n % 2 == 0 else None,
            }
            for n in range(households * 2)
        ],
    )
    first_member = db.session.scalar(text("SELECT min(id) FROM household_member"))
    start = now - timedelta(days=365)
    sessions = []
    for n in range(total):
        begins = start + timedelta(minutes=(n * 365 * 24 * 60) // total)
        sessions.append(
            {
                "program_id": programs[n % 3].id,
                "room_id": rooms[n % 6].id,
                "title": "绘本共读",
                "starts_at": begins,
                "ends_at": begins + timedelta(hours=1),
                "capacity": 20,
                "status": SessionStatus.CANCELLED if n % 50 == 7 else SessionStatus.SCHEDULED,
            }
        )
    db.session.execute(insert(ReadingSession), sessions)
    first_session = db.session.scalar(text("SELECT min(id) FROM reading_session"))
    registrations, attendees = [], []
    seen: set[int] = set()
    for n in range(total * 25 // 2):
        session_index = n * 2 // 25
        household = (n * 7919) % households
        status = RegistrationStatus.WAITLISTED if n % 12 == 11 else RegistrationStatus.CONFIRMED
        registrations.append(
            {
                "session_id": first_session + session_index,
                "household_id": first_household + household,
                "status": status,
                "seats": 2,
                "confirmed_at": now if status is RegistrationStatus.CONFIRMED else None,
                "no_show_at": now if n % 17 == 3 else None,
                "first_of_household": household not in seen,
            }
        )
        seen.add(household)
    db.session.execute(insert(Registration), registrations)
    first_registration = db.session.scalar(text("SELECT min(id) FROM registration"))
    for n, r in enumerate(registrations):
        member = first_member + ((r["household_id"] - first_household) * 2)
        checked = r["status"] is RegistrationStatus.CONFIRMED and r["no_show_at"] is None
        for offset, kind, age in ((0, MemberKind.CHILD, 3 + n % 9), (1, MemberKind.ADULT, None)):
            attendees.append(
                {
                    "registration_id": first_registration + n,
                    "member_id": member + offset,
                    "kind": kind,
                    "age": age,
                    "checked_in_at": r["confirmed_at"]
                    if checked and (offset == 0 or n % 3)
                    else None,
                }
            )
    db.session.execute(insert(Attendee), attendees)
    db.session.commit()
    return total, len(registrations)


def build(database_url: str | None, workdir: Path, total: int):
    uri = database_url or f"sqlite:///{workdir / f'bench-{total}.sqlite3'}"
    app = with_ping(
        bench_app(uri, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False, FEED_LISTEN=False)
    )
    with app.app_context():
        if database_url:
            db.drop_all()
        db.create_all()
        counts = seed(total)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    return app, counts


#: (label, address, whether the figures' cache is emptied before each request)
CASES = [
    ("trivial endpoint", "/_bench/ping", False),
    ("figures page, this month", "/staff/figures/", False),
    ("figures page, the year", "/staff/figures/?period=year", False),
    ("figures page, 3 months (weeks too)", "/staff/figures/?start={m3}&end={today}", False),
    ("XLSX, this month", "/staff/figures/figures.xlsx", False),
    ("XLSX, the year", "/staff/figures/figures.xlsx?period=year", False),
    ("figures page, this month, uncached", "/staff/figures/", True),
    ("figures page, the year, uncached", "/staff/figures/?period=year", True),
    ("XLSX, the year, uncached", "/staff/figures/figures.xlsx?period=year", True),
]


def run(app, repeat: int) -> list[tuple[str, float, int, int, int]]:
    client = app.test_client()
    response = client.post("/staff/login", data={"login": "admin", "password": PASSWORD})
    assert response.status_code == 302, "the administrator could not log in"
    today = datetime.now(UTC).date()
    cases = [
        (label, url.format(today=today, m3=today - timedelta(days=90)), cold)
        for label, url, cold in CASES
    ]
    samples: dict[str, list[float]] = {label: [] for label, *_ in cases}
    seen: dict[str, tuple[int, int]] = {}
    with app.app_context():
        engine = db.engine

    def statements_of(url: str) -> int:
        statements: list[int] = []

        def listener(*args) -> None:
            statements.append(1)

        event.listen(engine, "before_cursor_execute", listener)
        client.get(url).get_data()
        event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    # Served (warm) cases take turns first; then the uncached ones, which empty the cache.
    out = []
    for group in ([c for c in cases if not c[2]], [c for c in cases if c[2]]):
        for round_ in range(repeat + 1):
            for label, url, cold in group:
                if cold:
                    figures_cache.clear()
                started = clock.perf_counter()
                r = client.get(url)
                data = r.get_data()
                elapsed = clock.perf_counter() - started
                seen[label] = (r.status_code, len(data))
                if round_:
                    samples[label].append(elapsed)
        for label, url, cold in group:
            if cold:
                figures_cache.clear()
            n = statements_of(url)
            out.append((label, statistics.median(samples[label]), *seen[label], n))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="1600,16000")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rr-bench-reports-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            started = clock.perf_counter()
            app, (sessions, registrations) = build(args.database_url, Path(tmp), size)
            seeded = clock.perf_counter() - started
            rows = run(app, args.repeat if size <= 2000 else max(args.repeat // 3, 5))
            trivial = rows[0][1]
            engine = "PostgreSQL" if args.database_url else "SQLite"
            print(
                f"\n{engine}: {sessions} sessions, {registrations} registrations "
                f"(seeded in {seeded:.0f} s)"
            )
            print(f"{'request':38} {'ms':>8} {'× trivial':>10} {'status':>6} {'KB':>6} {'SQL':>4}")
            for label, seconds, status, size_bytes, statements in rows:
                print(
                    f"{label:38} {seconds * 1000:8.2f} {seconds / trivial:10.1f} "
                    f"{status:6d} {size_bytes / 1024:6.0f} {statements:4d}"
                )


if __name__ == "__main__":
    main()
