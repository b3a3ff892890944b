"""Rules for strands (阅读板块): the administrator creates and changes them.

Functions flush and never commit (the caller commits once).
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Program

PROGRAM_FIELDS = (
    "name",
    "name_en",
    "slug",
    "colour",
    "description",
    "description_en",
    "min_age",
    "max_age",
    "adult_required",
    "active",
)


def save_program(values: dict[str, object], program: Program | None = None) -> Program:
    """Create or change a strand; ``values`` holds the PROGRAM_FIELDS."""
    if program is None:
        program = Program()
        db.session.add(program)
    for name in PROGRAM_FIELDS:
        setattr(program, name, values[name])
    program.name_en = program.name_en or None
    db.session.flush()
    return program


def program_slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    stmt = select(Program.id).where(Program.slug == slug)
    if exclude_id is not None:
        stmt = stmt.where(Program.id != exclude_id)
    return db.session.scalars(stmt).first() is not None
