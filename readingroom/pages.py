"""Public pages that belong to no single domain."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from .extensions import db

bp = Blueprint("pages", __name__)


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
