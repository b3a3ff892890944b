"""Public pages that belong to no single domain."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .schedule.models import ReadingSession
from .timeutil import utcnow

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The public list of upcoming sessions (the calendar pages replace this)."""
    sessions = db.session.scalars(
        select(ReadingSession)
        .where(ReadingSession.ends_at >= utcnow())
        .options(selectinload(ReadingSession.room), selectinload(ReadingSession.program))
        .order_by(ReadingSession.starts_at)
        .limit(50)
    ).all()
    return render_template("pages/index.html", sessions=sessions)


@bp.get("/strands.css")
def strand_styles():
    """One CSS class per strand colour, so templates need no inline styles."""
    from flask import make_response

    from .schedule.models import Program

    programs = db.session.scalars(select(Program).order_by(Program.id)).all()
    body = "".join(
        f".strand-{p.slug}{{--strand:{p.colour}}}\n" for p in programs if _is_colour(p.colour)
    )
    response = make_response(body)
    response.mimetype = "text/css"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _is_colour(value: str) -> bool:
    return (
        len(value) == 7
        and value.startswith("#")
        and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    )
