"""The app as benchmarks/load.py serves it under gunicorn: ``benchmarks.wsgi:app``.

Configured from BENCH_* variables (so that nothing in instance/ is read), with a
trivial endpoint ``/_bench/ok`` that returns "ok": the cost of Flask and gunicorn
themselves, the unit of every figure.
"""

from __future__ import annotations

import os

from benchmarks.common import bench_app

config: dict[str, object] = {
    "RATELIMIT_ENABLED": False,  # 50 families logging in from one address is the point
    "FEED_LISTEN": os.environ.get("BENCH_LISTEN", "1") == "1",
    "NOTICE_DELIVER_INLINE": os.environ.get("BENCH_INLINE_NOTICES", "0") == "1",
}
if os.environ.get("BENCH_REDIS_URL"):
    config["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    config["CACHE_KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "rr-bench:")

app = bench_app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_PUBLIC_BASE_URL"], **config)


@app.get("/_bench/ok")
def ok() -> str:
    return "ok"
