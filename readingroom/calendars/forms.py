"""The calendar's filter form (a GET form: filters live in the URL, no CSRF needed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField, StringField, ValidationError
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import MonthInput, Select

from ..formutil import CHOOSE_FROM_LIST, Form, SlugSelectField, WholeNumberField
from ..i18n import current_language, localized
from ..places.models import Community, Room
from ..schedule.courses import Course, course_labels
from ..schedule.models import Program
from ..timeutil import beijing_today
from .grid import parse_month
from .params import MAX_AGE
from .queries import Scope

UNKNOWN_SLUG = _l("This choice does not exist (any more); showing all.")


class LongSelect(Select):
    """WTForms' select, each plain option written directly: a city lists hundreds of
    communities and book rooms, and WTForms' general attribute writer made them most
    of a calendar page's rendering. The markup is the same (attributes in name order)."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


class FilterForm(Form):
    class Meta:
        csrf = False

    community = SlugSelectField(_l("Community"), unknown_message=UNKNOWN_SLUG, widget=LongSelect())
    room = SlugSelectField(_l("Book room"), unknown_message=UNKNOWN_SLUG, widget=LongSelect())
    program = SlugSelectField(_l("Strand"), unknown_message=UNKNOWN_SLUG)
    # A course has no slug: its number stands in the address (course=7).
    course = SlugSelectField(
        _l("Course"),
        unknown_message=UNKNOWN_SLUG,
        description=_l("All its sessions, in every community it runs in."),
    )
    age = WholeNumberField(
        _l("Age of the participant"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_AGE, message=_l("Enter an age from 0 to %(max)d.")),
        ],
        description=_l("Shows the strands open to this age."),
    )
    seats = BooleanField(_l("Only sessions with seats left"))

    def set_choices(
        self,
        communities: list[Any],  # Community or a row with its slug, name and name_en
        rooms: list[Room],
        programs: list[Program],
        courses: list[Course],
    ) -> None:
        english = current_language() == "en"  # once, not once per row of a city's lists
        self.community.choices = [("", _l("All communities"))] + [
            (c.slug, _name(c, english)) for c in communities
        ]
        self.room.choices = [("", _l("All book rooms"))] + [
            (r.slug, f"{_name(r, english)} · {_name(r.community, english)}") for r in rooms
        ]
        self.program.choices = [("", _l("All strands"))] + [
            (p.slug, localized(p)) for p in programs
        ]
        self.course.choices = [("", _l("All courses")), *course_choices(courses)]

    def scope(
        self,
        communities: list[Community],
        rooms: list[Room],
        programs: list[Program],
        courses: list[Course],
    ) -> Scope:
        """The valid part of the filters (a field with an error counts as "any")."""
        community = _pick(communities, self.community)
        room = _pick(rooms, self.room)
        if room is not None and community is not None and room.community_id != community.id:
            self.room.errors = [
                *self.room.errors,
                str(_l("This book room belongs to another community.")),
            ]
            room = None
        age = self.age.data if not self.age.errors else None
        return Scope(
            community=community,
            room=room,
            program=_pick(programs, self.program),
            course=_pick(courses, self.course, key="id"),
            age=age,
            seats_left=bool(self.seats.data),
        )


def _name(row: Any, english: bool) -> str:
    """:func:`~readingroom.i18n.localized` with the language already known."""
    return (row.name_en or row.name) if english else row.name


def _pick(items: list[Any], field: SlugSelectField, key: str = "slug") -> Any:
    """The item whose ``key`` (as text) the field holds, if the field is valid."""
    if field.errors or not field.data:
        return None
    return next((item for item in items if str(getattr(item, key)) == field.data), None)


def course_choices(courses: list[Course]) -> list[tuple[str, str]]:
    """(number, name) of each course, named as :func:`course_labels` names it."""
    labels = course_labels(courses)
    return [(str(c.id), labels[c.id]) for c in courses]


def _this_month_if_empty(value: str | None) -> str:
    return value or beijing_today().strftime("%Y-%m")


class PosterForm(Form):
    """Which community's month the poster shows, optionally one course's sessions only (a
    GET form: the choice lives in the URL)."""

    class Meta:
        csrf = False

    community = SelectField(_l("Community"), id="poster-community", validate_choice=False)
    month = StringField(
        _l("Month"), id="poster-month", widget=MonthInput(), filters=[_this_month_if_empty]
    )
    course = SlugSelectField(
        _l("Course"),
        id="poster-course",
        unknown_message=CHOOSE_FROM_LIST,
        description=_l("Only this course's sessions in the community, e.g. for its own poster."),
    )

    def set_choices(self, communities: list[Community], courses: list[Course]) -> None:
        self.community.choices = [(c.slug, localized(c)) for c in communities]
        self.course.choices = [("", _l("All sessions")), *course_choices(courses)]

    def validate_month(self, field: StringField) -> None:
        if parse_month(field.data) is None:
            raise ValidationError(_l("Enter the month as YYYY-MM, e.g. 2026-07."))

    @property
    def first_day(self) -> date | None:
        """The first of the chosen month (None while the month is not valid)."""
        return parse_month(self.month.data)
