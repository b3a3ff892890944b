"""gunicorn settings for readingroom (``gunicorn -c deploy/gunicorn.conf.py``).

One instance per port: ``PORT`` (default 8001) from the environment, so that systemd's
``readingroom@8001`` and ``readingroom@8002`` run two instances behind nginx. ``WORKERS``
and ``THREADS`` size it (default 2 x 4 per instance on a small server).
"""

import os

wsgi_app = "readingroom:create_app()"
bind = f"127.0.0.1:{os.environ.get('PORT', '8001')}"
workers = int(os.environ.get("WORKERS", "2"))
threads = int(os.environ.get("THREADS", "4"))
timeout = 60
graceful_timeout = 30  # SIGTERM: requests in flight finish, then the workers exit
keepalive = 5  # nginx keeps connections to the upstream open (keepalive 16)
forwarded_allow_ips = "127.0.0.1"  # nginx on this machine
max_requests = 2000  # recycle workers now and then (a slow leak never grows for years)
max_requests_jitter = 200
accesslog = "-"  # to the journal
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

# Each worker warms the calendar's code up before it serves (readingroom/calendars/warmup.py),
# also every worker that max_requests recycles: the first feed it renders is not charged
# for configuring the mappers and compiling statements and templates.
from readingroom.gunicorn_conf import post_worker_init  # noqa: E402, F401
