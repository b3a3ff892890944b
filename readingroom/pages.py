"""Public pages that belong to no single domain."""

from __future__ import annotations

from flask import Blueprint, make_response
from sqlalchemy import select

from .extensions import db
from .schedule.models import COLOUR_PATTERN, Program

bp = Blueprint("pages", __name__)


@bp.get("/strands.css")
def strand_styles():
    """One CSS class per strand colour, so templates need no inline styles."""
    programs = db.session.scalars(select(Program).order_by(Program.id)).all()
    body = "".join(
        f".strand-{p.slug}{{--strand:{p.colour}}}\n"
        for p in programs
        if COLOUR_PATTERN.fullmatch(p.colour)
    )
    response = make_response(body)
    response.mimetype = "text/css"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
