"""Forms for courses, lessons, hosts and scheduling a course in several rooms."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formutil import (
    CHOOSE_FROM_LIST,
    IdSelectField,
    OptionalIdSelectField,
    PlausibleDate,
)
from ..formutil import Form as AppForm
from .forms import _SessionFields, _weekday_choices, capacity_field


class CourseForm(AppForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter the course's title.")),
            Length(max=100, message=_l("Keep the title under %(max)d characters.")),
        ],
    )
    program = IdSelectField(_l("Strand"))
    # Whose course it is: the subdistrict's (administrator only, empty) or a community's.
    owner = OptionalIdSelectField(_l("Course of"))
    partner = OptionalIdSelectField(_l("Partner"))
    first_date = DateField(
        _l("First day of the course"),
        validators=[InputRequired(_l("Enter the course's first day.")), PlausibleDate()],
    )
    last_date = DateField(
        _l("Last day of the course"),
        validators=[InputRequired(_l("Enter the last date.")), PlausibleDate()],
    )
    description = _SessionFields.description

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        first, last = self.first_date.data, self.last_date.data
        if first and last and last < first:
            self.last_date.errors.append(_l("The last date must not be before the first."))
            ok = False
        elif first and last and (last - first).days > 366:
            self.last_date.errors.append(_l("A course can run for a year at most."))
            ok = False
        return ok


class LessonForm(AppForm):
    topic = StringField(
        _l("Topic"),
        validators=[
            DataRequired(_l("Enter the lesson's topic.")),
            Length(max=100, message=_l("Keep the topic under %(max)d characters.")),
        ],
    )
    # The same fields as a session's: a lesson's content becomes its sessions' content.
    description = _SessionFields.description
    suggested_books = _SessionFields.suggested_books
    materials = StringField(
        _l("Materials to bring"),
        validators=[Length(max=300, message=_l("Keep this under %(max)d characters."))],
    )
    host = OptionalIdSelectField(
        _l("Guest host for this lesson"),
        description=_l("Leave empty: each room's own host leads it."),
    )


class HostForm(AppForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Enter the host's name.")),
            Length(max=80, message=_l("Keep the host's name under %(max)d characters.")),
        ],
    )
    # "p:<id>" for a partner, "c:<id>" for a community.
    belongs_to = SelectField(_l("Belongs to"), validate_choice=False)

    def validate_belongs_to(self, field: SelectField) -> None:
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(str(CHOOSE_FROM_LIST))

    def owner(self) -> tuple[str, int]:
        kind, _sep, ident = (self.belongs_to.data or "").partition(":")
        return kind, int(ident)


class PartnerForm(AppForm):
    name = StringField(
        _l("Partner's name"),
        validators=[
            DataRequired(_l("Enter the partner's name.")),
            Length(max=80, message=_l("Keep the name under %(max)d characters.")),
        ],
    )
    contact = StringField(
        _l("Contact"),
        validators=[Length(max=120, message=_l("Keep this under %(max)d characters."))],
    )


class RunForm(Form):
    """One room's line of the scheduling form (no CSRF of its own: the outer form has it)."""

    room_id = HiddenField()
    chosen = BooleanField(_l("Schedule here"))
    weekday = SelectField(
        _l("Weekday"),
        coerce=lambda v: None if v in (None, "", "None") else int(v),
        validate_choice=False,
    )
    start_time = TimeField(_l("Starts at"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    capacity = capacity_field(_l("Seats"), required=False)
    host = OptionalIdSelectField(_l("Host"))


_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def parse_holidays(text: str) -> tuple[list[date], list[str]]:
    """Dates like 2026-08-01, separated by spaces, commas or lines; returns (dates, bad bits)."""
    found, bad = [], []
    for bit in re.split(r"[\s,，、;；]+", text or ""):
        if not bit:
            continue
        try:
            if not _DATE.fullmatch(bit):
                raise ValueError(bit)
            found.append(date(*(int(x) for x in bit.split("-"))))
        except ValueError:
            bad.append(bit)
    return sorted(set(found)), bad


class ScheduleCourseForm(AppForm):
    """Per room: weekday, times, seats and host; empty ones take the first chosen room's."""

    runs = FieldList(FormField(RunForm))
    holidays = TextAreaField(
        _l("Holidays (no lesson that week)"),
        description=_l(
            "Dates such as 2026-08-01, one per line; the lesson moves to the next week."
        ),
    )
    accept_warnings = _SessionFields.accept_warnings
    warnings_digest = _SessionFields.warnings_digest
    may_save = _SessionFields.may_save

    def set_rooms(self, rooms: list[Any], host_choices: list[Any], capacity: int) -> None:
        """One line per room the user manages; a posted line of another room gets no room."""
        by_id = {str(room.id): room for room in rooms}
        if not self.is_submitted():
            for room in rooms:
                entry = self.runs.append_entry()
                entry.form.room_id.data = str(room.id)
                entry.form.capacity.data = min(capacity, room.seats)
        for entry in self.runs:
            entry.form.weekday.choices = [
                SelectChoice("", _l("as the first room")),
                *_weekday_choices(),
            ]
            entry.form.host.choices = host_choices
            entry.room = by_id.get(entry.form.room_id.data or "")

    def chosen(self) -> list[Any]:
        return [entry for entry in self.runs if entry.form.chosen.data]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if any(entry.room is None for entry in self.runs):
            self.form_errors.append(_l("Choose one of the options in the list."))
            return False
        chosen = self.chosen()
        if not chosen:
            self.form_errors.append(_l("Choose at least one book room."))
            return False
        first = chosen[0].form
        for name, message in (
            ("weekday", _l("Choose the weekday of the first room.")),
            ("start_time", _l("Enter the time it starts.")),
            ("end_time", _l("Enter the time it ends.")),
        ):
            if getattr(first, name).data is None:
                getattr(first, name).errors = [*getattr(first, name).errors, message]
                ok = False
        for entry in chosen:
            start = entry.form.start_time.data or first.start_time.data
            end = entry.form.end_time.data or first.end_time.data
            if start and end and end <= start:
                entry.form.end_time.errors = [
                    *entry.form.end_time.errors,
                    _l("The end must be after the start."),
                ]
                ok = False
        _dates, bad = parse_holidays(self.holidays.data)
        if bad:
            self.holidays.errors = [
                *self.holidays.errors,
                _l("Not a date: %(bits)s. Write dates as 2026-08-01.", bits="、".join(bad)),
            ]
            ok = False
        return ok
