"""The project's gunicorn settings: ``gunicorn -c python:readingroom.gunicorn_conf …``
(the checkout's ``gunicorn.conf.py``, read by gunicorn by default, imports this).

* The access log goes to stderr with the tokens of secret links cut out
  (``/cancel/…``, ``/family/reset/…``, ``/feeds/household/…``), in the request
  line, the path and the referrer.
* Each worker warms its code up before it serves (``WARM_UP``, on by default;
  :mod:`readingroom.calendars.warmup`): the first feed after a start is not
  charged for configuring the mappers and compiling statements and templates.
  Nothing rendered during the warm-up is kept.
* Several workers without shared storage for the rate limits (``REDIS_URL``)
  is a warning at start-up: each worker would count on its own, letting
  through as many more tries as there are workers.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from readingroom.security import redact_tokens

accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss "%(f)s" "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger, with secret tokens cut from every access-log line."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "q"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_tokens(atoms[key])
        return atoms


logger_class = RedactingLogger


def post_worker_init(worker: Any) -> None:
    app = worker.wsgi
    config = getattr(app, "config", None)
    if config is None:
        return
    if config.get("WARM_UP", True):
        from readingroom.calendars.warmup import warm_up

        worker.log.info("worker %s warmed up in %.0f ms", worker.pid, warm_up(app))
    if worker.age != 1 or worker.cfg.workers < 2:
        return
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory"):
        worker.log.warning(
            "%s workers but the rate limits are kept in each worker's memory: set REDIS_URL "
            "(or RATELIMIT_STORAGE_URI) so that login limits hold across workers",
            worker.cfg.workers,
        )
