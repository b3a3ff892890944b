"""Strict reading of query parameters for feeds and the API (pages use forms instead)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..formutil import MAX_WHOLE_NUMBER, SLUG
from ..places.models import Community, Room
from ..schedule.courses import Course
from ..schedule.models import Program
from .cache import LRUCache
from .queries import FeedState, Scope, scope_checks

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


def parse_course_id(value: str | None) -> int | None:
    """A course's number as the address gives it (``course=7``); ParamError (400) when it
    is not one, before the database sees it."""
    if value is None or value == "":
        return None
    digits = value.isascii() and value.isdigit() and value[0] != "0" and len(value) <= 10
    if not digits or int(value) > MAX_WHOLE_NUMBER:
        raise ParamError("course", _("Give the course by its number, e.g. course=3."))
    return int(value)


def _course(value: str | None) -> Course | None:
    number = parse_course_id(value)
    if number is None:
        return None
    found = db.session.get(Course, number)
    if found is None:
        raise ParamError("course", _("No course with this number."), 404)
    return found


def parse_age(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_AGE:
        raise ParamError("age", _("The age must be a whole number from 0 to %(max)d.", max=MAX_AGE))
    return int(text)


def scope_from_args(args: MultiDict[str, str], *, with_age: bool = True) -> Scope:
    """community/room/program slugs, the course's number (and age) from the query string;
    ParamError when bad."""
    community = _by_slug(Community, "community", single(args, "community"))
    room = _by_slug(Room, "room", single(args, "room"))
    program = _by_slug(Program, "program", single(args, "program"))
    course = _course(single(args, "course"))
    age = parse_age(single(args, "age")) if with_age else None
    return Scope(community=community, room=room, program=program, course=course, age=age)


# --- the same, from a per-process memory of slugs ---------------------------------------------


@dataclass(frozen=True)
class Ref:
    """What feeds, pages and the API need of a community, book room, strand or course: a
    stand-in for the row that outlives the database session (``community``: a room's; a
    course's ``slug`` is its number, its ``name`` its title)."""

    kind: str
    id: int
    slug: str
    name: str
    community: Ref | None = None

    @property
    def check(self) -> str:
        """What the validators' query reads back to prove this is still current."""
        if self.community is not None:
            return f"{self.slug}|{self.name}|{self.community.name}"
        return f"{self.slug}|{self.name}"

    @property
    def title(self) -> str:
        """A course's title (what :class:`Course` calls its name)."""
        return self.name


_refs: LRUCache[Ref] = LRUCache(max_size=20_000, ttl=600)


_KINDS = ("community", "room", "program", "course")


def _ref(row: Community | Room | Program | Course | None) -> Ref | None:
    if row is None:
        return None
    if isinstance(row, Course):
        return Ref("course", row.id, str(row.id), row.title)
    kind = {Community: "community", Room: "room", Program: "program"}[type(row)]
    community = _ref(row.community) if isinstance(row, Room) else None
    return Ref(kind, row.id, row.slug, row.name, community)


def cached_scope(args: MultiDict[str, str], *, with_age: bool = True) -> Scope:
    """:func:`scope_from_args` with :class:`Ref` stand-ins remembered by slug, so that a
    304 or a cached answer needs no query to find them. The validators' query reads
    their slugs and names back (``Scope.checks``): :func:`forget_scope` when they differ."""
    names = _KINDS
    values = [single(args, name) for name in names]
    age = parse_age(single(args, "age")) if with_age else None
    refs = [_refs.get(f"{n}:{v}") if v else None for n, v in zip(names, values, strict=True)]
    if any(v and r is None for v, r in zip(values, refs, strict=True)):
        found = scope_from_args(args, with_age=with_age)
        refs = [_ref(found.community), _ref(found.room), _ref(found.program), _ref(found.course)]
        for name, ref in zip(names, refs, strict=True):
            if ref is not None:
                _refs.put(f"{name}:{ref.slug}", ref)
    community, room, program, course = refs
    return Scope(
        community=community,  # type: ignore[arg-type]
        room=room,  # type: ignore[arg-type]
        program=program,  # type: ignore[arg-type]
        course=course,  # type: ignore[arg-type]
        age=age,
    )


def forget_scope(scope: Scope) -> None:
    for ref in (scope.community, scope.room, scope.program, scope.course):
        if isinstance(ref, Ref):
            _refs.discard(f"{ref.kind}:{ref.slug}")


def current_scope(
    args: MultiDict[str, str], state_of: Callable[[Scope], FeedState], *, with_age: bool = True
) -> tuple[Scope, FeedState]:
    """The scope the args name and its validators (``state_of``), from remembered slugs
    while the validators' query confirms them, else looked up afresh (ParamError)."""
    scope = cached_scope(args, with_age=with_age)
    state = state_of(scope)
    if state.checks != scope_checks(scope):  # renamed, or gone: ask the database
        forget_scope(scope)
        scope = cached_scope(args, with_age=with_age)
        state = state_of(scope)
    return scope, state
