"""The sign-up part of benchmarks/load.py alone: the same data, server and burst, in a minute.

    .venv/bin/python benchmarks/signups.py                       # SQLite in a temporary directory
    .venv/bin/python benchmarks/signups.py --redis-url redis://127.0.0.1:6379/7 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/rr_signups_bench
    .venv/bin/python benchmarks/signups.py --show-sql            # the statements of one sign-up

It loads load.py's data set (``--size`` sessions), counts the SQL statements of one
sign-up in-process, starts gunicorn as load.py does (``--workers`` x ``--threads``),
measures the trivial endpoint with wrk (the unit of the same run), then releases the
``--families`` households at once (load.py's ``signups``: each signs up for ten
sessions) and checks that no session is overbooked. ``--rounds`` repeats the burst on
fresh data (the server restarted), to show the spread. A benchmark: it prints figures
and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time as clock
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402


def serve(uri: str, args, workdir: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn on a free loopback port as load.py starts it, once it answers."""
    port = load.free_port()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": uri,
        "BENCH_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "BENCH_LISTEN": "1",
        "PYTHONPATH": str(ROOT),
    }
    if args.redis_url:
        env["BENCH_REDIS_URL"] = args.redis_url
        env["BENCH_CACHE_PREFIX"] = f"rr-bench-{os.getpid()}-{clock.time_ns()}:"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-w", str(args.workers), "--threads", str(args.threads)]
    command += ["-b", f"127.0.0.1:{port}", "--timeout", "120", "benchmarks.wsgi:app"]
    log = (workdir / f"gunicorn-{port}.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            load.Single(port).get("/_bench/ok")
            return server, port
        except OSError:
            clock.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer; see {log.name}")


def _jiffies(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def cpu_split(server: subprocess.Popen, database: str) -> dict[str, int]:
    """CPU ticks so far: of the whole machine ("all"), of this process (the load generator:
    "client"), of each gunicorn worker, and of the PostgreSQL backends of ``database``."""
    database_backends = 0
    if database:
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ") + b" "
                except OSError:
                    continue
                if f" {database} ".encode() in cmdline:
                    database_backends += _jiffies(int(proc.name))
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    total = sum(int(x) for i, x in enumerate(busy) if i not in (3, 4))  # all but idle, iowait
    workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    split = {f"worker {n + 1}": _jiffies(int(pid)) for n, pid in enumerate(sorted(workers))}
    return {
        "all": total,
        "client": _jiffies(os.getpid()),
        "database": database_backends,
        "master": _jiffies(server.pid),
        **split,
    }


def show_sql(uri: str, info: dict) -> None:
    """Print the statements of one sign-up POST (in-process, as load.py counts them)."""
    from sqlalchemy import event

    from benchmarks.common import bench_app
    from readingroom.extensions import db

    app = bench_app(uri, FEED_LISTEN=False, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    client = app.test_client()
    mobile, member = info["families"][0]
    client.post("/family/login", data={"mobile": mobile, "password": load.PASSWORD})
    with app.app_context():
        engine = db.engine

    def show(_conn, _cursor, statement, parameters, _context, _many):
        print("  ", " ".join(statement.split())[:160], "|", str(parameters)[:80])

    event.listen(engine, "before_cursor_execute", show)
    response = client.post(
        f"/sessions/{info['signup_sessions'][0]}/signup", data={"members": str(member)}
    )
    event.remove(engine, "before_cursor_execute", show)
    print("   ->", response.status_code)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL scratch database (emptied!)")
    parser.add_argument("--redis-url", help="share caches through this Redis (e.g. db 7)")
    parser.add_argument("--size", type=int, default=1600)
    parser.add_argument("--per-community", type=int, default=200)
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="rr-signups-"))
    rates = []
    database = args.database_url.rsplit("/", 1)[1] if args.database_url else ""
    try:
        for n in range(args.rounds):
            uri = args.database_url or f"sqlite:///{workdir / f'signups-{n}.sqlite3'}"
            info = load.seed(uri, args.size, args.per_community, args.families)
            if args.show_sql and n == 0:
                show_sql(uri, info)
            server, port = serve(uri, args, workdir)
            try:
                trivial = load.wrk(
                    f"http://127.0.0.1:{port}/_bench/ok", args.seconds, args.connections, []
                )
                s = load.signups(port, info, probe=partial(cpu_split, server, database))
            finally:
                server.terminate()
                server.wait(timeout=30)
            s["overbooked_sessions"] = load.overbooked(uri, info["signup_sessions"])
            if s["other"]:  # what the server said of them
                log = (workdir / f"gunicorn-{port}.log").read_text().splitlines()
                print(*[line for line in log if " 302 " not in line and "INFO" not in line][-20:])
            rates.append(s["per_s"])
            before, after = s.pop("probe")
            tick = os.sysconf("SC_CLK_TCK")
            seconds = {k: (after[k] - before.get(k, 0)) / tick for k in after}
            busy = seconds["all"] / s["seconds"] / (os.cpu_count() or 1)
            workers = [v for k, v in seconds.items() if k.startswith("worker")]
            ours = seconds["client"] + seconds["database"] + seconds["master"] + sum(workers)
            per = 1000 / s["count"]
            print(
                f"round {n + 1}: one sign-up = {info['signup_statements']} statements; "
                f"trivial {trivial['rps']:.0f} req/s; "
                f"sign-ups: {s['count']} in all, {s['per_s']:.0f}/s, p50 {s['p50_ms']:.0f} ms, "
                f"p99 {s['p99_ms']:.0f} ms, 5xx {s['5xx']}, other codes {s['other']}, "
                f"overbooked sessions {s['overbooked_sessions']}; "
                f"during the burst ({s['seconds']:.1f} s) the CPUs were {busy:.0%} busy; "
                f"CPU ms per sign-up: workers {sum(workers) * per:.1f} "
                f"({', '.join(f'{w:.1f}' for w in workers)} s each), "
                f"database {seconds['database'] * per:.1f}, load generator "
                f"{seconds['client'] * per:.1f}, other processes "
                f"{max(seconds['all'] - ours, 0) * per:.1f}",
                flush=True,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if len(rates) > 1:
        print(f"sign-ups/s over {len(rates)} rounds: median {statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
