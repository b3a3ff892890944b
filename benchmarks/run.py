"""Benchmark of the public calendar: cost of each page relative to a trivial endpoint.

    python benchmarks/run.py                 # SQLite in a temporary directory
    python benchmarks/run.py --database-url postgresql+psycopg://postgres@127.0.0.1/rr_bench
    python benchmarks/run.py --repeat 300 --sizes 400,1600
    python benchmarks/run.py --database-url … --no-listen   # PostgreSQL without the feed listener

It builds the app, seeds a year of sessions (from 90 days ago, about five a
week in each of six book rooms of three communities, a few cancelled) and
times, through Flask's test client in one process, a trivial endpoint
registered for the run (``/_bench/ping``, returns "ok": the cost of Flask
itself), the month page, ``/feeds/all.ics`` cold (rendered) and warm
(validators + cached bytes), a 304 on the feed, and the JSON API for a month.
Each figure is the median of ``--repeat`` requests. The number of SQL
statements per request is counted with a SQLAlchemy event, at two data
sizes, to show it does not grow with the number of sessions.

This is a benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from benchmarks.common import bench_app, with_ping
from readingroom.calendars import changes
from readingroom.calendars.feeds import body_cache, event_cache
from readingroom.calendars.queries import counting_statements
from readingroom.extensions import db
from readingroom.places.models import Community, Room
from readingroom.schedule.models import Program, ReadingSession, SessionStatus
from readingroom.timeutil import BEIJING, beijing_today

COMMUNITIES = [("yaozhuang", "姚庄社区"), ("sunzhuang", "孙庄社区"), ("donghe", "董河社区")]
PROGRAMS = [
    ("parent-child", "亲子阅读", "#c0392b", 3, 12, True),
    ("senior", "长者悦读", "#1f5f8b", 60, None, False),
    ("youth-night", "青年夜读", "#6c3483", 16, 35, False),
]
SLOTS = [time(9, 30), time(14, 30), time(19, 0)]


def seed(total: int, today: date) -> int:
    """About ``total`` sessions over one year from 90 days ago, spread over six rooms."""
    programs = [
        Program(slug=s, name=n, colour=c, min_age=lo, max_age=hi, adult_required=a)
        for s, n, c, lo, hi, a in PROGRAMS
    ]
    rooms = []
    for slug, name in COMMUNITIES:
        community = Community(slug=slug, name=name, name_en=slug.title())
        for k in (1, 2):
            rooms.append(
                Room(
                    community=community,
                    slug=f"{slug}-{k}",
                    name=f"{name}书房{k}",
                    address=f"定陶区滨河街道{name}文化书院{k}楼",
                    seats=30,
                )
            )
    db.session.add_all(programs + rooms)
    first = today - timedelta(days=90)
    sessions = []
    for n in range(total):
        day = first + timedelta(days=(n * 365) // total)
        room = rooms[n % len(rooms)]
        program = programs[n % len(programs)]
        start = datetime.combine(day, SLOTS[(n // len(rooms)) % len(SLOTS)], tzinfo=BEIJING)
        cancelled = n % 50 == 7
        sessions.append(
            ReadingSession(
                program=program,
                room=room,
                title=f"{program.name}：第{n + 1}场，一起读书",
                description="孩子和家长一起读绘本，讲一讲、画一画；请带一位家长陪同。",
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
                capacity=20,
                host="王老师",
                suggested_books="《团圆》\n《好饿的毛毛虫》",
                status=SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
                cancel_reason="书院设备检修。" if cancelled else "",
                sequence=1 if cancelled else 0,
            )
        )
    db.session.add_all(sessions)
    db.session.commit()
    return len(sessions)


def timed_rounds(client, cases, repeat: int, etag: str) -> dict[str, tuple[float, int, int]]:
    """Median seconds, status and size per case. The cases take turns, one request each
    per round, so that a change in the machine's load hits them all alike."""
    samples: dict[str, list[float]] = {label: [] for label, *_ in cases}
    seen: dict[str, tuple[int, int]] = {}
    for round_ in range(repeat + 2):
        for label, url, conditional, before in cases:
            headers = {"If-None-Match": etag} if conditional else {}
            if before is not None:
                before()
            started = clock.perf_counter()
            response = client.get(url, headers=headers)
            data = response.get_data()
            elapsed = clock.perf_counter() - started
            seen[label] = (response.status_code, len(data))
            if round_ >= 2:
                samples[label].append(elapsed)
    return {label: (statistics.median(v), *seen[label]) for label, v in samples.items()}


def queries(app, client, url: str, headers=None, before=None) -> int:
    if before is not None:
        before()
    with app.app_context():
        engine = db.engine
    with counting_statements(engine) as counter:
        client.get(url, headers=headers or {}).get_data()
    return counter.count


def build(database_url: str | None, workdir: Path, total: int, listen: bool = True):
    uri = database_url or f"sqlite:///{workdir / f'bench-{total}.sqlite3'}"
    app = with_ping(bench_app(uri, RATELIMIT_ENABLED=False, FEED_LISTEN=listen))
    with app.app_context():
        if database_url:
            db.drop_all()
        db.create_all()
        count = seed(total, beijing_today())
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    return app, count


def wait_for_listener(app, client) -> bool:
    """On PostgreSQL, let the feed listener (started by the first feed request) connect
    before timing; whether there is one."""
    client.get("/feeds/all.ics")
    with app.app_context():
        listener = changes.listener()
    if listener is None:
        return False
    deadline = clock.monotonic() + 10
    while not listener.trusted and clock.monotonic() < deadline:
        clock.sleep(0.01)
    return listener.trusted


def clear_feed_caches() -> None:
    body_cache.clear()
    event_cache.clear()


def touch_one_session(app):
    """Edit one session (as staff would), so that the next feed request renders anew."""

    def touch() -> None:
        with app.app_context():
            reading_session = db.session.get(ReadingSession, 1)
            ending = "（有变动）"
            if reading_session.title.endswith(ending):
                reading_session.title = reading_session.title.removesuffix(ending)
            else:
                reading_session.title += ending
            db.session.commit()

    return touch


def steady_cases(today: date):
    """Requests whose data does not change while they are timed (taking turns)."""
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    api = f"/api/v1/sessions?start={month_start}&end={month_end}"
    return [
        ("trivial endpoint", "/_bench/ping", None, None),
        ("month page", f"/?view=month&month={month_start:%Y-%m}", None, None),
        ("feed all.ics, warm", "/feeds/all.ics", None, None),
        ("feed all.ics, 304", "/feeds/all.ics", "etag", None),
        ("JSON API, one month", api, None, None),
    ]


def change_cases(app, today: date):
    """Requests after a change (timed one kind at a time: each changes what the others see)."""
    month = f"/?view=month&month={today.replace(day=1):%Y-%m}"
    return [
        ("month page, after a change", month, None, touch_one_session(app)),
        ("feed all.ics, first render", "/feeds/all.ics", None, clear_feed_caches),
        ("feed all.ics, one session changed", "/feeds/all.ics", None, touch_one_session(app)),
    ]


def run(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    today = beijing_today()
    results: dict[int, dict[str, tuple[float, int, int, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for total in sizes:
            clear_feed_caches()
            app, count = build(args.database_url, Path(tmp), total, not args.no_listen)
            client = app.test_client()
            args.listening = wait_for_listener(app, client)
            rows = {}
            etag = client.get("/feeds/all.ics").headers["ETag"]
            timings = timed_rounds(client, steady_cases(today), args.repeat, etag)
            for label, url, conditional, before in steady_cases(today):
                headers = {"If-None-Match": etag} if conditional else None
                rows[label] = (*timings[label], queries(app, client, url, headers, before))
            for case in change_cases(app, today):
                label, url, _, before = case
                repeat = max(3, args.repeat // 10)
                timing = timed_rounds(client, [case], repeat, etag)[label]
                rows[label] = (*timing, queries(app, client, url, None, before))
            results[count] = rows
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    report(results, args)


def report(results: dict[int, dict[str, tuple[float, int, int, int]]], args) -> None:
    counts = sorted(results)
    largest = results[counts[-1]]
    base = largest["trivial endpoint"][0]
    goals = {"feed all.ics, warm": 2, "feed all.ics, 304": 2, "month page": 5}
    print(
        f"\nDatabase: {args.database_url or 'SQLite (temporary file)'}; "
        f"median of {args.repeat} requests through the Flask test client "
        f"({max(3, args.repeat // 10)} for the renders after a change); "
        f"{counts[-1]} sessions (ratios), query counts at {' and '.join(map(str, counts))}; "
        f"feed listener {'on' if args.listening else 'off'}.\n"
    )
    head = "| request | status | bytes | median ms | × trivial | goal |"
    head += "".join(f" queries @{c} |" for c in counts)
    print(head)
    print("|" + "---|" * (6 + len(counts)))
    for label, (seconds, status, size, _) in largest.items():
        ratio = seconds / base
        goal = f"≤ {goals[label]}×" if label in goals else ""
        line = f"| {label} | {status} | {size:,} | {seconds * 1000:.2f} | {ratio:.1f} | {goal} |"
        line += "".join(f" {results[c][label][3]} |" for c in counts)
        print(line)
    grows = [label for label in largest if len({results[c][label][3] for c in counts}) > 1]
    print()
    print("query count grows with the data for: " + (", ".join(grows) if grows else "nothing"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty scratch database (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=200, help="requests per measurement")
    parser.add_argument(
        "--sizes", default="400,1600", help="numbers of sessions to seed (the last gives ratios)"
    )
    parser.add_argument(
        "--no-listen",
        action="store_true",
        help="PostgreSQL: FEED_LISTEN = False, ask for the validators on every request",
    )
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
