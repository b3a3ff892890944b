"""Strict reading of query parameters for feeds and the API (pages use forms instead)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..formutil import SLUG
from ..places.models import Community, Room
from ..schedule.models import Program
from .queries import Scope

MAX_AGE = 120


class ParamError(ValueError):
    """A query parameter that cannot be used; ``status`` 400 (malformed) or 404 (unknown)."""

    def __init__(self, parameter: str, message: str, status: int = 400):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status


def single(args: MultiDict[str, str], name: str) -> str | None:
    """The one value of ``name`` (None when absent); a repeated parameter is an error."""
    values = args.getlist(name)
    if len(values) > 1:
        raise ParamError(name, _("Give the parameter %(name)s only once.", name=name))
    return values[0] if values else None


def refuse_unknown(args: MultiDict[str, str], allowed: Iterable[str]) -> None:
    unknown = sorted(set(args.keys()) - set(allowed))
    if unknown:
        raise ParamError(
            unknown[0],
            _(
                "Unknown parameter %(name)s. Allowed: %(allowed)s.",
                name=unknown[0],
                allowed=", ".join(allowed),
            ),
        )


def _by_slug(model: type, name: str, value: str | None):
    if value is None or value == "":
        return None
    if len(value) > 80 or not SLUG.regex.fullmatch(value):  # before the database sees it
        raise ParamError(name, _("No %(name)s with this name.", name=name), 404)
    found = db.session.scalar(select(model).where(model.slug == value))
    if found is None:
        raise ParamError(name, _("No %(name)s with this name.", name=name), 404)
    return found


def parse_age(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_AGE:
        raise ParamError("age", _("The age must be a whole number from 0 to %(max)d.", max=MAX_AGE))
    return int(text)


def scope_from_args(args: MultiDict[str, str], *, with_age: bool = True) -> Scope:
    """community/room/program slugs (and age) from the query string; ParamError when bad."""
    community = _by_slug(Community, "community", single(args, "community"))
    room = _by_slug(Room, "room", single(args, "room"))
    program = _by_slug(Program, "program", single(args, "program"))
    age = parse_age(single(args, "age")) if with_age else None
    return Scope(community=community, room=room, program=program, age=age)
