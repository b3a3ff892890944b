"""A crowd of families, for the tests and benchmarks that sign many up at the same moment
(no pytest here: benchmarks/load.py imports it too)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import requests
from sqlalchemy import create_engine, text

from readingroom import create_app
from readingroom.extensions import db
from readingroom.families.models import AdultRole, Household, Member, MemberKind
from readingroom.families.operations import CONSENT_VERSION
from readingroom.places.models import Community, Room
from readingroom.schedule.models import Program


@contextmanager
def burst_place(uri: str, slug: str) -> Iterator[tuple[Community, Room, Program]]:
    """The schema on ``uri`` and the place of a burst: a community ``slug``, its 40-seat book
    room and a strand open to everyone, in an app context of their own for the test to seed
    the rest; the database is let go afterwards (commit inside the block)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "seed", "TESTING": True})
    with app.app_context():
        db.create_all()
        community = Community(slug=slug, name="并发社区")
        room = Room(community=community, slug=f"{slug}-room", name="书房", address="1号", seats=40)
        program = Program(slug="everyone", name="大家读", min_age=0, adult_required=False)
        db.session.add_all([community, room, program])
        try:
            yield community, room, program
        finally:
            db.session.remove()
            db.engine.dispose()


def one_adult_households(
    community: Community,
    count: int,
    *,
    mobile_prefix: str,
    password_hash: str,
    consent_at: datetime | None = None,
) -> list[tuple[str, int]]:
    """``count`` households of one adult each (mobile ``<prefix>0000`` on); their mobile
    numbers and member ids. Flushed, not committed."""
    families = []
    for i in range(count):
        household = Household(
            guardian_name=f"家长{i}",
            mobile=f"{mobile_prefix}{i:04d}",
            password_hash=password_hash,
            community=community,
            consent_at=consent_at,
            consent_version=CONSENT_VERSION if consent_at else "",
        )
        db.session.add(household)
        db.session.flush()
        member = Member(
            household_id=household.id,
            kind=MemberKind.ADULT,
            given_name=f"成人{i}",
            role=AdultRole.SELF,
        )
        db.session.add(member)
        db.session.flush()
        families.append((household.mobile, member.id))
    return families


# --- the crowd over HTTP (a live server: tests/servers.py) --------------------------------

#: A gunicorn hook (``SIGNUP_LOCKING_OFF=1`` in the burst tests) that switches the sessions'
#: locks off, so that the tests can show they fail without them.
UNLOCKED_HOOK = '''
def post_fork(server, worker):
    """Switch the sessions' locks off: read, count, insert without any lock (to show it fails)."""
    from sqlalchemy import select

    from readingroom.database import begin_write
    from readingroom.extensions import db
    from readingroom.registrations import operations
    from readingroom.schedule.models import ReadingSession

    def read_without_lock(model, ident, **_options):
        return db.session.get(model, ident, populate_existing=True)

    def read_many_without_lock(session_ids, **_options):
        begin_write()
        stmt = select(ReadingSession).where(ReadingSession.id.in_(set(session_ids)))
        return {s.id: s for s in db.session.scalars(stmt.execution_options(populate_existing=True))}

    operations.lock_row = read_without_lock
    operations._lock_sessions = read_many_without_lock
'''

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client: requests.Session, base: str, path: str, data: dict) -> requests.Response:
    """Open the form at ``path`` and post ``data`` with its CSRF token (no redirect followed)."""
    page = client.get(f"{base}{path}", timeout=30)
    return client.post(
        f"{base}{path}",
        data={**data, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        timeout=30,
    )


def family_login(base: str, mobile: str, password: str) -> requests.Session:
    """A logged-in family's HTTP session."""
    client = requests.Session()
    response = post_form(client, base, "/family/login", {"mobile": mobile, "password": password})
    assert response.status_code == 302, response.text[-500:]
    return client


def all_at_once(jobs) -> list:
    """Run ``(prepare, act)`` pairs in threads: every ``prepare()`` first, then all the
    ``act(prepared)`` released together by a barrier; the results (or exceptions) in order."""
    barrier = threading.Barrier(len(jobs), timeout=120)
    results: list = [None] * len(jobs)

    def run(i, job):
        try:
            prepared = job[0]()
        except Exception as exc:
            results[i] = exc
            barrier.abort()  # release the others: the run is void
            return
        try:
            barrier.wait()
            results[i] = job[1](prepared)
        except Exception as exc:  # recorded, asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def status_codes(results) -> list:
    """The status code of each response, or the name of the exception instead."""
    return [type(r).__name__ if isinstance(r, Exception) else r.status_code for r in results]


def tally(codes: list) -> dict:
    return {str(c): codes.count(c) for c in sorted(set(codes), key=str)}


# --- what the crowd left (read from the database, after the burst) ------------------------


def session_state(uri: str, session_id: int) -> dict:
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            capacity = conn.execute(
                text("SELECT capacity FROM reading_session WHERE id = :s"), {"s": session_id}
            ).scalar_one()
            rows = conn.execute(
                text(
                    "SELECT id, household_id, status, seats, promoted_at FROM registration "
                    "WHERE session_id = :s ORDER BY id"
                ),
                {"s": session_id},
            ).all()
    finally:
        engine.dispose()
    live = [r for r in rows if r.status in ("confirmed", "waitlisted")]
    return {
        "capacity": capacity,
        "rows": rows,
        "confirmed": [r for r in rows if r.status == "confirmed"],
        "waiting": [r for r in rows if r.status == "waitlisted"],
        "taken": sum(r.seats for r in rows if r.status == "confirmed"),
        "live_households": [r.household_id for r in live],
    }


def check_seat_invariants(state: dict) -> None:
    assert state["taken"] <= state["capacity"], f"overbooked: {state['taken']} seats taken"
    households = state["live_households"]
    assert len(households) == len(set(households)), "a family holds two live registrations"
    free = state["capacity"] - state["taken"]
    assert all(r.seats > free for r in state["waiting"]), "a waiting family fits a free seat"
