"""The figures under gunicorn, measured with wrk: ratios to a trivial endpoint of the same run.

    apt-get install -y wrk
    .venv/bin/python benchmarks/reports_load.py --sizes 1600,16000 --seconds 5

Seeds the data set of benchmarks/reports.py (a year of a busy programme) into a SQLite
file, serves it with gunicorn (``--workers`` x ``--threads``, benchmarks/wsgi.py with its
trivial endpoint ``/_bench/ok``), logs in as the administrator and runs wrk against the
trivial endpoint, the figures page (this month, the year) and the workbook of the year, as
served: the first request renders, the process's figures cache serves the rest while the
data stays the same ("x trivial": the trivial endpoint's requests per second over the
request's, the same run). Then single requests, each after a registration has changed (so
the figures are computed again: what a busy day costs), with the median of ``--edits``,
and one community's year after a registration changed in another (the result stays in use).
A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time as clock
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.load import free_port, wrk  # noqa: E402
from benchmarks.reports import PASSWORD, build  # noqa: E402

CASES = [
    ("trivial endpoint", "/_bench/ok"),
    ("figures page, this month", "/staff/figures/"),
    ("figures page, the year", "/staff/figures/?period=year"),
    ("XLSX, the year", "/staff/figures/figures.xlsx?period=year"),
]
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def _after_a_change(client: requests.Session, url: str, uri: str, edits: int) -> float:
    """The median milliseconds of ``url``, each request right after a registration changed."""
    times = []
    for _ in range(edits):
        _touch_a_registration(uri)
        started = clock.perf_counter()
        assert client.get(url, timeout=120).status_code == 200
        times.append((clock.perf_counter() - started) * 1000)
    return statistics.median(times)


def _another_community(uri: str) -> str:
    """A community other than the one of the registration :func:`_touch_a_registration`
    changes (the slug)."""
    engine = create_engine(uri)
    with engine.connect() as conn:
        slug = conn.execute(
            text(
                "SELECT c.slug FROM community c WHERE c.id <> ("
                "SELECT r.community_id FROM registration g "
                "JOIN reading_session s ON s.id = g.session_id JOIN room r ON r.id = s.room_id "
                "WHERE g.id = (SELECT max(id) FROM registration)) ORDER BY c.id LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    return slug


def _touch_a_registration(uri: str) -> None:
    """A change the figures count (a registration's update, stamped as the app stamps it), as
    a sign-up or a check-in would make: the next figures request computes them again."""
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE registration SET updated_at = :now "
                "WHERE id = (SELECT max(id) FROM registration)"
            ),
            {"now": datetime.now(UTC).replace(tzinfo=None)},
        )
    engine.dispose()


def measure(total: int, args, workdir: Path) -> None:
    app, (sessions, registrations) = build(None, workdir, total)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "BENCH_DATABASE_URL": uri,
        "BENCH_PUBLIC_BASE_URL": base,
        "BENCH_LISTEN": "0",
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", str(args.workers), "--threads", str(args.threads)]
    command += ["-b", f"127.0.0.1:{port}", "--timeout", "120", "benchmarks.wsgi:app"]
    log = (workdir / f"gunicorn-{total}.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/_bench/ok", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                clock.sleep(0.1)
        client = requests.Session()
        page = client.get(base + "/staff/login", timeout=30)
        token = CSRF.search(page.text).group(1)
        response = client.post(
            base + "/staff/login",
            data={"login": "admin", "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.status_code
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        print(
            f"\n## {sessions:,} sessions, {registrations:,} registrations (SQLite, gunicorn "
            f"{args.workers}x{args.threads}, wrk {args.connections} connections)"
        )
        print(f"{'request':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x trivial':>10}")
        unit = None
        for label, path in CASES:
            client.get(base + path, timeout=120)  # the first render, in one worker at least
            result = wrk(base + path, args.seconds, args.connections, [f"Cookie: {cookie}"])
            unit = unit or result["rps"]
            bad = f"  non-2xx {result['bad']}" if result["bad"] else ""
            # Fewer requests than seconds: wrk says 0 req/s; the ratio then comes from p50.
            rps = result["rps"] or 1000 / result["p50_ms"]
            print(
                f"{label:40} {rps:8.1f} {result['p50_ms']:8.2f} "
                f"{result['p99_ms']:8.2f} {unit / rps:10.1f}{bad}"
            )
        print(f"single requests after a registration changed (median of {args.edits}):")
        other = _another_community(uri)
        cases = [
            *CASES,
            (
                "the year of a community, changed elsewhere",
                f"/staff/figures/?period=year&community={other}",
            ),
        ]
        for label, path in cases:
            client.get(base + path, timeout=120)  # rendered once: what a change then costs
            median = _after_a_change(client, base + path, uri, args.edits)
            if path == "/_bench/ok":  # CASES begin with it: the unit of the single requests
                single_unit = median
            print(f"  {label:38} {median:9.2f} ms {median / single_unit:8.1f}x")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1600,16000")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--edits", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            measure(size, args, Path(tmp))


if __name__ == "__main__":
    main()
