"""Real servers for tests: the app under gunicorn, and a scratch PostgreSQL database.

``scratch_postgres(prefix)`` creates (and afterwards drops) a database of its
own next to TEST_DATABASE_URL, so that the truncating fixture of the other
tests is never in the way. ``gunicorn(config, tmp_path, ...)`` serves
``create_app(config)`` on a free local port until the block ends; ``hook`` is
the source of a gunicorn config module (server hooks such as ``post_fork``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database named ``<prefix>_<pid>`` (dropped afterwards)."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def gunicorn(
    config: dict[str, object],
    tmp_path: Path,
    *,
    workers: int,
    threads: int,
    ready: str = "/",
    hook: str | None = None,
) -> Iterator[str]:
    """Serve the app with ``config``; yields the base URL once ``ready`` answers 200."""
    import requests

    port = free_port()
    # Links (and the trusted Host) follow the address this server answers on. The workers'
    # warm-up (gunicorn.conf.py) only costs start-up time here; tests/test_calendars_warmup.py
    # tests it, and a test may ask for it.
    config = {"WARM_UP": False, **config, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    args = [str(GUNICORN), "--workers", str(workers), "--threads", str(threads)]
    args += ["--bind", f"127.0.0.1:{port}", "--timeout", "60"]
    # Clients prepare (log in, open the form) and then act all at once: with gunicorn's
    # 2-second default, an idle connection may be closed just as it is reused (a
    # ConnectionError in one of 64 sign-ups, seen once in a full run).
    args += ["--keep-alive", "75"]
    if hook is not None:
        (tmp_path / "gunicorn_hook.py").write_text(hook)
        args += ["--config", "python:gunicorn_hook"]
    args.append(f"readingroom:create_app({config!r})")
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1], env=env
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(base + ready, timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    pass  # not listening yet, or the workers are still starting
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-3000:])
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
