"""deploy/nginx/readingroom.conf, run for real: nginx (Debian's) in front of two gunicorn
instances (deploy/gunicorn.conf.py) on PostgreSQL.

The site file is used as it is, rewritten only for ports and paths (each rewrite must
apply, so a change to the file that would escape this test breaks it). Checked through
nginx: pages over TLS, http -> https, static files from nginx, gzip for feeds, a family
signs up; a forged Host gets nothing and a forged X-Forwarded-Host changes no link; one
instance is killed and the site keeps answering without a 5xx.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from readingroom import create_app
from readingroom.extensions import db
from readingroom.places.models import Community, Room
from readingroom.schedule.models import Program, ReadingSession
from readingroom.timeutil import utcnow
from tests.conftest import PASSWORD, PASSWORD_HASH, TEST_DATABASE_URL
from tests.crowd import csrf_token, one_adult_households
from tests.servers import free_port, scratch_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

ROOT = Path(__file__).parents[1]
SITE = "reading.binhe.example"
GUNICORN = Path(sys.executable).with_name("gunicorn")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def database():
    if not TEST_DATABASE_URL:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("TEST_DATABASE_URL is required")
        pytest.skip("TEST_DATABASE_URL not set")
    if not Path(NGINX).exists():
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail("nginx is required (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    with scratch_postgres("rr_ops_nginx") as url:
        yield url


def seed(url: str) -> tuple[int, list[tuple[str, int]]]:
    """Migrated to head (so /readyz is ready); sessions and two families."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        community = Community(slug="binhe", name="滨河社区", name_en="Binhe")
        room = Room(community=community, slug="peony", name="牡丹书房", address="1号", seats=30)
        program = Program(slug="all", name="大家读", min_age=0, adult_required=False)
        sessions = []
        for day in range(2, 8):
            start = utcnow().replace(microsecond=0) + timedelta(days=day)
            sessions.append(
                ReadingSession(
                    program=program,
                    room=room,
                    title=f"绘本共读第{day}场",
                    description="和孩子一起读一本好书。" * 10,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    capacity=10,
                )
            )
        db.session.add_all(sessions)
        families = one_adult_households(
            community, 2, mobile_prefix="1370000", password_hash=PASSWORD_HASH, consent_at=utcnow()
        )
        db.session.commit()
        session_id = sessions[0].id
        db.session.remove()
        db.engine.dispose()
    return session_id, families


def start_gunicorn(url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PORT": str(port),
        "WORKERS": "1",
        "THREADS": "4",
        "DATABASE_URL": url,
        "SECRET_KEY": "nginx-test-secret",
        "PUBLIC_BASE_URL": f"https://{SITE}",
        "PROXY_FIX_COUNT": "1",
        "TRUSTED_HOSTS": SITE,
    }
    env.pop("TEST_DATABASE_URL", None)
    with log_path.open("w") as log:
        return subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its workers
        )


def wait_ready(port: int, proc: subprocess.Popen, log_path: Path, seconds: int = 60) -> int:
    """deploy/wait-ready, as systemd's ExecStartPost runs it; its exit status."""
    env = {**os.environ, "PUBLIC_BASE_URL": f"https://{SITE}"}
    result = subprocess.run(
        [str(ROOT / "deploy" / "wait-ready"), str(port), str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    if result.returncode != 0 and proc.poll() is not None:
        pytest.fail(log_path.read_text()[-3000:])
    return result.returncode


def site_config(tmp_path: Path, app_ports: tuple[int, int], http: int, https: int) -> Path:
    """deploy/nginx/readingroom.conf with only ports and paths rewritten, in a test nginx."""
    site = (ROOT / "deploy" / "nginx" / "readingroom.conf").read_text()
    rewrites = {
        "127.0.0.1:8001": f"127.0.0.1:{app_ports[0]}",
        "127.0.0.1:8002": f"127.0.0.1:{app_ports[1]}",
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https} ssl default_server;",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/ssl/readingroom/": f"{tmp_path}/ssl/",
        "/opt/readingroom/static/": f"{ROOT}/readingroom/static/",
    }
    for old, new in rewrites.items():
        assert old in site, f"deploy/nginx/readingroom.conf no longer has {old!r}"
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "ssl").mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={SITE}",
            "-keyout",
            str(tmp_path / "ssl" / "privkey.pem"),
            "-out",
            str(tmp_path / "ssl" / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"""{user}worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
"""
    )
    return main


def stop(proc: subprocess.Popen | None, *, group: bool = False) -> None:
    if proc is None or proc.poll() is not None:
        return
    if group:
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait()


def test_nginx_in_front_of_two_instances(database, tmp_path):
    session_id, families = seed(database)
    ports = (free_port(), free_port())
    http, https = free_port(), free_port()
    apps: list[subprocess.Popen] = []
    nginx = None
    try:
        for n, port in enumerate(ports):
            apps.append(start_gunicorn(database, port, tmp_path / f"gunicorn{n}.log"))
        for n, (port, proc) in enumerate(zip(ports, apps, strict=True)):
            assert wait_ready(port, proc, tmp_path / f"gunicorn{n}.log") == 0

        main = site_config(tmp_path, ports, http, https)
        checked = subprocess.run(
            [NGINX, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        with (tmp_path / "nginx.out").open("w") as out:
            nginx = subprocess.Popen(
                [NGINX, "-p", str(tmp_path), "-c", str(main), "-g", "daemon off;"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"https://127.0.0.1:{https}"
        site = {"Host": SITE}

        def get(path: str, **kw) -> requests.Response:
            headers = {**site, **kw.pop("headers", {})}
            return requests.get(base + path, headers=headers, verify=False, timeout=30, **kw)

        deadline = time.monotonic() + 20
        while True:
            try:
                if get("/healthz").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert nginx.poll() is None and time.monotonic() < deadline, (
                tmp_path / "nginx.out"
            ).read_text()
            time.sleep(0.1)

        # Pages over TLS; plain http is sent to https on the site's name.
        assert get("/").status_code == 200
        redirect = requests.get(
            f"http://127.0.0.1:{http}/subscribe", headers=site, allow_redirects=False, timeout=10
        )
        assert redirect.status_code == 301
        assert redirect.headers["Location"] == f"https://{SITE}/subscribe"

        # Static files from nginx (its expires header), feeds and JSON compressed.
        static = get("/static/style.css")
        assert static.status_code == 200 and "max-age=604800" in static.headers["Cache-Control"]
        feed = get("/feeds/all.ics", headers={"Accept-Encoding": "gzip"})
        assert feed.status_code == 200 and feed.headers.get("Content-Encoding") == "gzip"
        assert "BEGIN:VCALENDAR" in feed.text
        api = get("/api/v1/sessions", headers={"Accept-Encoding": "gzip"})
        assert api.status_code == 200 and api.headers.get("Content-Encoding") == "gzip"

        # A family signs up through nginx.
        def sign_up(mobile: str, member_id: int) -> requests.Response:
            client = requests.Session()
            client.headers.update(site)
            # verify per request: a session's own verify loses to REQUESTS_CA_BUNDLE
            page = client.get(f"{base}/family/login", timeout=30, verify=False)
            login = client.post(
                f"{base}/family/login",
                data={"mobile": mobile, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
                # over https Flask-WTF wants the same-site Referer a browser sends
                headers={"Referer": f"https://{SITE}/family/login"},
                allow_redirects=False,
                timeout=30,
                verify=False,
            )
            assert login.status_code == 302, login.text[:3000]
            assert login.headers["Location"].startswith(("/", f"https://{SITE}/"))
            form = client.get(f"{base}/sessions/{session_id}/signup", timeout=30, verify=False)
            assert form.status_code == 200
            return client.post(
                f"{base}/sessions/{session_id}/signup",
                data={"members": str(member_id), "csrf_token": csrf_token(form.text)},
                headers={"Referer": f"https://{SITE}/sessions/{session_id}/signup"},
                allow_redirects=False,
                timeout=30,
                verify=False,
            )

        first = sign_up(*families[0])
        assert first.status_code == 302, first.text[-500:]

        # A forged Host gets nothing; a forged X-Forwarded-Host changes no link.
        with pytest.raises(requests.ConnectionError):
            requests.get(base + "/", headers={"Host": "evil.example"}, verify=False, timeout=10)
        forged = get(f"/sessions/{session_id}", headers={"X-Forwarded-Host": "evil.example"})
        assert forged.status_code == 200
        assert "evil.example" not in forged.text
        assert f"//{SITE}/" in forged.text or 'href="/' in forged.text

        # One instance dies; the proxy notices, and nobody sees a 5xx.
        os.killpg(apps[0].pid, signal.SIGKILL)
        apps[0].wait(timeout=10)
        assert wait_ready(ports[0], apps[1], tmp_path / "gunicorn1.log", seconds=1) == 1
        statuses = [get(path).status_code for path in ("/", "/subscribe", "/readyz") * 15]
        assert set(statuses) == {200}, statuses
        second = sign_up(*families[1])
        assert second.status_code == 302, second.text[-500:]
    finally:
        stop(nginx)
        for proc in apps:
            stop(proc, group=True)

    engine = create_engine(database)
    with engine.connect() as conn:
        confirmed = conn.scalar(
            text(
                "SELECT count(*) FROM registration WHERE status = 'confirmed' AND session_id = :s"
            ),
            {"s": session_id},
        )
    engine.dispose()
    assert confirmed == 2
    assert (
        " 5"
        not in " ".join(  # no 5xx in nginx's access log either
            line.split('"')[2][:4] for line in (tmp_path / "access.log").read_text().splitlines()
        )
    )
