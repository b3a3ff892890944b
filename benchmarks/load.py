"""City-scale benchmark: the app under gunicorn, measured with wrk, at several data sizes.

    apt-get install -y wrk redis-server          # the load generator (Debian), Redis optional
    .venv/bin/python benchmarks/load.py --sizes 1600,16000
    .venv/bin/python benchmarks/load.py --redis-url redis://127.0.0.1:6379/7 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/rr_bench --sizes 1600,16000
    # loading apart from measuring (e.g. the loading outside a lock others wait on):
    .venv/bin/python benchmarks/load.py --database-url ... --sizes 100000 --workdir W --seed-only
    .venv/bin/python benchmarks/load.py --database-url ... --sizes 100000 --workdir W --measure-only

For each size it loads a data set into a scratch database (SQLite in a temporary
directory, or the PostgreSQL database named, which it empties first), starts
gunicorn (``--workers`` x ``--threads``) on 127.0.0.1 and measures, in one run:

* with wrk (``--seconds`` each, ``--connections`` connections, gzip accepted):
  the trivial endpoint ``/_bench/ok`` (the unit), one community's month page,
  a session page, one community's feed warm and as a 304, the full feed, and
  the API's month of one community;
* with single requests (median of ``--edits``): one community's feed after an
  edit in another community (must stay a 304) and after an edit in the same one,
  the API month and the month page after an edit in that community (cold), and
  the trivial endpoint the same way for their ratio;
* the first render of one community's feed after the start (once every worker has
  logged its warm-up, see readingroom/gunicorn_conf.py), against the
  plain-icalendar floor for the same number of events (icalendar objects built and
  serialised in this process);
* sign-ups: ``--families`` households, logged in, each signing up for each of
  ten sessions (each family starting at another one) at once (a barrier):
  sign-ups a second, p50/p99, 5xx, and the
  check that no session is overbooked; the SQL statements of one sign-up are
  counted in-process;
* the workers' resident memory at the end.

The data: ``--per-community`` sessions a year in each community (two book
rooms), so that one community's scope stays the same size while the whole
grows: 1,600 sessions are 8 communities, 100,000 are 500. Sessions are written
with one multi-row INSERT per 5,000 (SQLAlchemy's bulk insert, the ORM's
defaults applied), then PostgreSQL's statistics are gathered (ANALYZE); loading
time is printed. ``--seed-only`` loads and keeps the ids the measurements need in
``--workdir`` (with the SQLite files); ``--measure-only`` measures them later (one
size at a time on PostgreSQL: the database holds one). A benchmark, not a test: it
prints figures and never fails on them. Load only ever goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time as clock
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from benchmarks.common import bench_app  # noqa: E402
from readingroom.extensions import db  # noqa: E402
from readingroom.places.models import Community, Room  # noqa: E402
from readingroom.schedule.models import Program, ReadingSession, SessionStatus  # noqa: E402
from readingroom.timeutil import BEIJING, beijing_today, utcnow  # noqa: E402
from tests.crowd import one_adult_households  # noqa: E402

PROGRAMS = [
    ("parent-child", "亲子阅读", "#c0392b", 3, 12, True),
    ("senior", "长者悦读", "#1f5f8b", 60, None, False),
    ("youth-night", "青年夜读", "#6c3483", 16, 35, False),
    ("everyone", "大家读", "#2f6f4e", 0, None, False),
]
SLOTS = [time(9, 30), time(14, 30), time(19, 0)]
SIGNUP_SESSIONS = 10
PASSWORD = "benchmark-password"
WARMED = re.compile(r"worker \d+ warmed up in (\d+) ms")
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


# --- data ---------------------------------------------------------------------------------


def seed(uri: str, total: int, per_community: int, families: int) -> dict:
    """Load the data set; returns what the measurements need (slugs, ids, timings)."""
    from werkzeug.security import generate_password_hash

    app = bench_app(uri, FEED_LISTEN=False)
    started = clock.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()  # on PostgreSQL with the feed triggers (calendars/changes.py)
        programs = [
            Program(slug=s, name=n, colour=c, min_age=lo, max_age=hi, adult_required=a)
            for s, n, c, lo, hi, a in PROGRAMS
        ]
        count = max(1, total // per_community)
        communities = [
            Community(slug=f"c{i}", name=f"社区{i}", name_en=f"Community {i}") for i in range(count)
        ]
        rooms = [
            Room(
                community=c,
                slug=f"{c.slug}-r{k}",
                name=f"{c.name}书房{k}",
                address=f"{c.name}文化书院{k}楼",
                seats=40,
            )
            for c in communities
            for k in (1, 2)
        ]
        db.session.add_all(programs + communities + rooms)
        db.session.commit()
        room_ids = [(r.id, r.community_id) for r in rooms]
        program_ids = [p.id for p in programs[:3]]
        today = beijing_today()
        first = today - timedelta(days=90)
        past = utcnow() - timedelta(days=30)
        rows = []
        for n in range(total):
            community = n % count
            k = n // count  # the k-th session of its community
            day = first + timedelta(days=(k * 365) // per_community)
            room_id = room_ids[2 * community + k % 2][0]
            start = datetime.combine(day, SLOTS[k % len(SLOTS)], tzinfo=BEIJING)
            cancelled = k % 50 == 7
            rows.append(
                {
                    "program_id": program_ids[k % 3],
                    "room_id": room_id,
                    "title": f"第{k + 1}场，一起读书",
                    "description": "孩子和家长一起读绘本，讲一讲、画一画；请带一位家长陪同。",
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=90),
                    "capacity": 20,
                    "host": "王老师",
                    "suggested_books": "《团圆》\n《好饿的毛毛虫》",
                    "status": SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
                    "cancel_reason": "书院设备检修。" if cancelled else "",
                    "sequence": 1 if cancelled else 0,
                    "created_at": past,
                    "updated_at": past,
                }
            )
            if len(rows) == 5000:
                db.session.execute(insert(ReadingSession), rows)
                rows = []
        if rows:
            db.session.execute(insert(ReadingSession), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # the planner's statistics, as a loader does
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        loaded = clock.perf_counter() - started
        # sign-ups: open sessions two days ahead, and the families
        everyone = programs[3]
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        targets = [
            ReadingSession(
                program=everyone,
                room=rooms[0],
                title=f"报名测试{i}",
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i, minutes=50),
                capacity=20,
            )
            for i in range(SIGNUP_SESSIONS + 1)
        ]
        db.session.add_all(targets)
        hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        people = one_adult_households(
            communities[0], families + 1, mobile_prefix="1370000", password_hash=hashed
        )
        db.session.commit()
        a_session = db.session.scalar(
            text(
                "SELECT s.id FROM reading_session s JOIN room r ON r.id = s.room_id "
                "WHERE r.community_id = :c AND s.starts_at > :now ORDER BY s.starts_at LIMIT 1"
            ),
            {"c": communities[0].id, "now": utcnow().replace(tzinfo=None)},
        )
        other = db.session.scalar(
            text(
                "SELECT s.id FROM reading_session s JOIN room r ON r.id = s.room_id "
                "WHERE r.community_id = :c ORDER BY s.starts_at DESC LIMIT 1"
            ),
            {"c": communities[-1].id},
        )
        info = {
            "loaded_s": loaded,
            "extra_s": clock.perf_counter() - started - loaded,
            "communities": count,
            "session_in_a": a_session,
            "session_elsewhere": other,
            "signup_sessions": [t.id for t in targets[:SIGNUP_SESSIONS]],
            "counted_session": targets[-1].id,
            "families": people[:families],
            "counting_family": people[-1],
        }
        db.session.remove()
        db.engine.dispose()
    info["signup_statements"] = count_signup_statements(uri, info)
    return info


def count_signup_statements(uri: str, info: dict) -> int:
    """The SQL statements of one sign-up POST, in-process (the same code path)."""
    from readingroom.calendars.queries import counting_statements

    app = bench_app(
        uri,
        FEED_LISTEN=False,
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
        NOTICE_DELIVER_INLINE=False,
    )
    client = app.test_client()
    mobile, member = info["counting_family"]
    client.post("/family/login", data={"mobile": mobile, "password": PASSWORD})
    sid = info["counted_session"]
    with app.app_context():
        engine = db.engine
    with counting_statements(engine) as counter:
        response = client.post(f"/sessions/{sid}/signup", data={"members": str(member)})
    assert response.status_code == 302, response.status_code
    with app.app_context():
        db.engine.dispose()
    return counter.count


# --- measuring ----------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    assert match, value
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, seconds: int, connections: int, headers: list[str]) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if len(latency) != 2:
        raise RuntimeError(f"wrk {url}: no latency figures in\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    transfer = re.search(r"Transfer/sec:\s+(\S+)", out).group(1)
    return {
        "rps": rps,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "bad": int(bad.group(1)) if bad else 0,
        "transfer": transfer,
    }


class Single:
    """One keep-alive connection for single timed requests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, headers: dict | None = None) -> tuple[float, int, dict, bytes]:
        try:
            return self._get(path, headers)
        except (http.client.RemoteDisconnected, ConnectionError):  # keep-alive ran out
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return self._get(path, headers)

    def _get(self, path: str, headers: dict | None) -> tuple[float, int, dict, bytes]:
        started = clock.perf_counter()
        self.connection.request("GET", path, headers=headers or {})
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (clock.perf_counter() - started) * 1000
        return elapsed, response.status, dict(response.getheaders()), body


def rss_mb(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def icalendar_floor(events: int) -> float:
    """Milliseconds to build and serialise ``events`` plain icalendar events (no app)."""
    from icalendar import Calendar, Event

    now = datetime.now(UTC).replace(microsecond=0)
    started = clock.perf_counter()
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//floor//")
    for n in range(events):
        event = Event()
        event.add("UID", f"session-{n}@floor")
        event.add("DTSTAMP", now)
        event.add("DTSTART", now + timedelta(days=n))
        event.add("DTEND", now + timedelta(days=n, hours=1))
        event.add("SUMMARY", f"第{n}场，一起读书")
        event.add("LOCATION", "社区书房1，社区文化书院1楼")
        event.add("DESCRIPTION", "孩子和家长一起读绘本，讲一讲、画一画；请带一位家长陪同。")
        event.add("URL", f"http://127.0.0.1/sessions/{n}")
        calendar.add_component(event)
    calendar.to_ical()
    return (clock.perf_counter() - started) * 1000


def signups(port: int, info: dict, probe=None) -> dict:
    """The families log in, then all sign up at once (each for the ten sessions, one after
    another on its own keep-alive connection). ``probe``, if given, is called right before
    the burst and right after it; its two results are returned as ``probe``
    (benchmarks/signups.py reads the CPU time of the burst alone).

    The logins use ``requests``; the burst is plain HTTP/1.1 over asyncio streams in this
    one thread, requests prepared beforehand: a load generator that takes little of the
    CPU it measures (about a tenth of a millisecond a request, as wrk), not a browser."""
    import requests

    base = f"http://127.0.0.1:{port}"
    families = []
    for mobile, member in info["families"]:
        client = requests.Session()
        page = client.get(f"{base}/family/login", timeout=30)
        token = CSRF.search(page.text).group(1)
        response = client.post(
            f"{base}/family/login",
            data={"mobile": mobile, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.status_code
        page = client.get(f"{base}/sessions/{info['signup_sessions'][0]}/signup", timeout=30)
        token = CSRF.search(page.text).group(1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
        client.close()
        families.append((cookie, member, token))
    ids = info["signup_sessions"]
    prepared = [
        [
            _post(f"/sessions/{sid}/signup", cookie, f"members={member}&csrf_token={token}")
            for sid in ids[i % len(ids) :] + ids[: i % len(ids)]  # families start apart
        ]
        for i, (cookie, member, token) in enumerate(families)
    ]
    latencies: list[float] = []
    codes: list[int | str] = []
    before = probe() if probe else None
    started = clock.perf_counter()
    asyncio.run(_burst(port, prepared, latencies, codes))
    elapsed = clock.perf_counter() - started
    after = probe() if probe else None
    latencies.sort()
    return {
        "count": len(codes),
        "per_s": len(codes) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "5xx": sum(1 for c in codes if isinstance(c, int) and c >= 500),
        "other": dict(Counter(str(c) for c in codes if c != 302)),
        "probe": (before, after),
        "seconds": elapsed,
    }


def _post(path: str, cookie: str, body: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def _burst(port: int, prepared: list[list[bytes]], latencies: list, codes: list) -> None:
    """Every family at once: a connection each, its requests one after another."""

    async def family(requests: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in requests:
                sent = clock.perf_counter()
                keep = False
                try:
                    writer.write(request)
                    status, keep = await _response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    status = type(exc).__name__
                latencies.append((clock.perf_counter() - sent) * 1000)
                codes.append(status)
                if not keep:  # "Connection: close" (gunicorn's sync workers), or an error
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(family(r) for r in prepared))


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response (status line, headers, a Content-Length body): its status, and
    whether the connection stays open."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
    if length is None:
        raise ValueError("no Content-Length")
    await reader.readexactly(int(length.group(1)))
    return status, re.search(rb"\r\nconnection: *close", head, re.I) is None


def overbooked(uri: str, ids: list[int]) -> int:
    engine = create_engine(uri)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.id, s.capacity, coalesce(sum(g.seats), 0) FROM reading_session s "
                "LEFT JOIN registration g ON g.session_id = s.id AND g.status = 'confirmed' "
                "WHERE s.id IN (" + ",".join(str(i) for i in ids) + ") GROUP BY s.id, s.capacity"
            )
        ).all()
    engine.dispose()
    return sum(1 for _, capacity, taken in rows if taken > capacity)


def edit(engine, session_id: int) -> None:
    """A change made elsewhere (another worker, a script): the title and updated_at."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE reading_session SET title = title || '·', updated_at = :now, "
                "sequence = sequence + 1 WHERE id = :id"
            ),
            {"now": utcnow().replace(tzinfo=None), "id": session_id},
        )


def measure(uri: str, info: dict, args, workdir: Path) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": uri,
        "BENCH_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "BENCH_LISTEN": "1" if args.listen else "0",
        "PYTHONPATH": str(ROOT),
    }
    if args.redis_url:
        env["BENCH_REDIS_URL"] = args.redis_url
        env["BENCH_CACHE_PREFIX"] = f"rr-bench-{os.getpid()}-{clock.time_ns()}:"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path = workdir / f"gunicorn-{port}.log"
    log = log_path.open("w")
    command = [str(gunicorn), "-w", str(args.workers), "--threads", str(args.threads)]
    command += ["-b", f"127.0.0.1:{port}", "--timeout", "120", "benchmarks.wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    out: dict = {}
    try:
        single = None
        for _ in range(300):
            try:
                single = Single(port)
                single.get("/_bench/ok")
                break
            except OSError:
                clock.sleep(0.1)
        assert single is not None
        # every worker warms its code up before it serves (readingroom/gunicorn_conf.py):
        # wait for all of them, so that no worker's warm-up shares the cores with the
        # first render measured below
        warmed: list[float] = []
        for _ in range(600):
            log.flush()
            warmed = [float(m) for m in WARMED.findall(log_path.read_text())]
            if len(warmed) >= args.workers:
                break
            clock.sleep(0.1)
        out["warm_up_ms"] = warmed
        base = f"http://127.0.0.1:{port}"
        gz = {"Accept-Encoding": "gzip"}
        feed_a = "/feeds/community/c0.ics"
        # the first render of a community's feed after the start (nothing cached)
        first = single.get(feed_a, gz)[0]
        _, _, _, raw = single.get(feed_a)
        events = raw.count(b"BEGIN:VEVENT")
        # other communities' feeds, each rendered for the first time by a warm process
        renders = [single.get(f"/feeds/community/c{i}.ics", gz)[0] for i in range(1, 6)]
        out["first_render"] = {
            "ms": first,
            "warm_process_ms": statistics.median(renders),
            "events": events,
            "floor_ms": icalendar_floor(events),
        }
        today = beijing_today()
        month_first = today.replace(day=1)
        month_last = (month_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        api = f"/api/v1/sessions?community=c0&start={month_first}&end={month_last}"
        etag = single.get(feed_a, gz)[2]["ETag"]
        cases = [
            ("trivial", "/_bench/ok", []),
            ("month page, one community", "/?community=c0&view=month", []),
            ("session page", f"/sessions/{info['session_in_a']}", []),
            ("community feed, warm", feed_a, []),
            ("community feed, 304", feed_a, [f"If-None-Match: {etag}"]),
            ("full feed, warm", "/feeds/all.ics", []),
            ("API, month of one community", api, []),
        ]
        for _, path, _ in cases:  # warm every worker's caches
            for _ in range(args.workers * 2):
                single.get(path, gz)
        out["wrk"] = {}
        for label, path, headers in cases:
            out["wrk"][label] = wrk(
                base + path, args.seconds, args.connections, ["Accept-Encoding: gzip", *headers]
            )
            extra = dict(h.split(": ", 1) for h in headers)
            out["wrk"][label]["bytes"] = len(single.get(path, {**gz, **extra})[3])
        # single requests around edits
        engine = create_engine(uri)
        samples: dict[str, list[float]] = {
            "trivial": [],
            "community feed after an edit in another community": [],
            "community feed after an edit in the same": [],
            "API month after an edit in its community (cold)": [],
            "month page after an edit in its community (cold)": [],
        }
        statuses: dict[str, set[int]] = {k: set() for k in samples}
        for _ in range(args.edits):
            t, s, _, _ = single.get("/_bench/ok")
            samples["trivial"].append(t)
            statuses["trivial"].add(s)
            etag = single.get(feed_a, gz)[2]["ETag"]
            edit(engine, info["session_elsewhere"])
            clock.sleep(0.05)  # the notification's way to every worker (PostgreSQL)
            t, s, _, _ = single.get(feed_a, {**gz, "If-None-Match": etag})
            samples["community feed after an edit in another community"].append(t)
            statuses["community feed after an edit in another community"].add(s)
            edit(engine, info["session_in_a"])
            clock.sleep(0.05)
            for label, path in (
                ("community feed after an edit in the same", feed_a),
                ("API month after an edit in its community (cold)", api),
                ("month page after an edit in its community (cold)", "/?community=c0&view=month"),
            ):
                t, s, _, _ = single.get(path, gz)
                samples[label].append(t)
                statuses[label].add(s)
        engine.dispose()
        out["single"] = {
            k: {"ms": statistics.median(v), "status": sorted(statuses[k])}
            for k, v in samples.items()
        }
        out["signups"] = signups(port, info)
        out["signups"]["overbooked_sessions"] = overbooked(uri, info["signup_sessions"])
        out["rss_mb"] = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(size: int, info: dict, out: dict) -> None:
    unit = out["wrk"]["trivial"]
    print(
        f"\n## {size:,} sessions ({info['communities']} communities), loaded in "
        f"{info['loaded_s']:.1f} s; one sign-up = {info['signup_statements']} statements"
    )
    print(f"{'request':45} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'× trivial':>9} {'bytes':>9}")
    for label, r in out["wrk"].items():
        ratio = unit["rps"] / r["rps"]
        print(
            f"{label:45} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {ratio:9.1f} "
            f"{r['bytes']:9,}" + (f"  non-2xx/3xx: {r['bad']}" if r["bad"] else "")
        )
    trivial = out["single"]["trivial"]["ms"]
    print(f"single requests (median of the edits; trivial {trivial:.2f} ms):")
    for label, r in out["single"].items():
        print(f"  {label:60} {r['ms']:8.2f} ms {r['ms'] / trivial:7.1f}×  status {r['status']}")
    fr = out["first_render"]
    print(
        "workers warmed up in "
        + (", ".join(f"{ms:.0f}" for ms in out["warm_up_ms"]) or "(no warm-up logged)")
        + " ms before serving"
    )
    print(
        f"first render of a community feed: {fr['ms']:.1f} ms after the start, "
        f"{fr['warm_process_ms']:.1f} ms in a warm process, for {fr['events']} events "
        f"(plain icalendar floor {fr['floor_ms']:.1f} ms)"
    )
    s = out["signups"]
    print(
        f"sign-ups: {s['count']} in all, {s['per_s']:.0f}/s, p50 {s['p50_ms']:.0f} ms, "
        f"p99 {s['p99_ms']:.0f} ms, 5xx {s['5xx']}, other codes {s['other']}, "
        f"overbooked sessions {s['overbooked_sessions']}"
    )
    print("worker RSS MB:", ", ".join(f"{m:.0f}" for m in out["rss_mb"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL scratch database (emptied!)")
    parser.add_argument("--redis-url", help="share caches through this Redis (e.g. db 7)")
    parser.add_argument("--sizes", default="1600,16000")
    parser.add_argument("--per-community", type=int, default=200)
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--no-listen", dest="listen", action="store_false")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--workdir", help="keep the SQLite files, the seeded data's ids and the logs here"
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="load the data into --workdir, measure nothing"
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="measure what --seed-only loaded (same --workdir and database)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    sizes = [int(s) for s in args.sizes.split(",")]
    if (args.seed_only or args.measure_only) and not args.workdir:
        sys.exit("--seed-only and --measure-only need --workdir (where the seeded data is kept)")
    if args.database_url and args.measure_only and len(sizes) > 1:
        sys.exit("one PostgreSQL database holds one size: seed and measure one size at a time")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="rr-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    figures = {}
    try:
        for size in sizes:
            uri = args.database_url or f"sqlite:///{workdir / f'load-{size}.sqlite3'}"
            saved = workdir / f"seeded-{size}.json"
            if args.measure_only:
                info = json.loads(saved.read_text())
            else:
                info = seed(uri, size, args.per_community, args.families)
                saved.write_text(json.dumps(info, default=str))
                print(
                    f"{size:,} sessions ({info['communities']} communities) loaded in "
                    f"{info['loaded_s']:.1f} s (the families and sign-up sessions in "
                    f"{info['extra_s']:.1f} s more)",
                    flush=True,
                )
            if args.seed_only:
                continue
            out = measure(uri, info, args, workdir)
            report(size, info, out)
            info.pop("families")
            figures[size] = {"info": info, "out": out}
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
