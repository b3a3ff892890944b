from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..formutil import SLUG, Form, IdSelectField, WholeNumberField
from ..timeutil import weekday_name
from .operations import HoursError, parse_hours, slug_taken


class RoomForm(Form):
    community = IdSelectField(_l("Community"))
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the room's name.")), Length(max=80)]
    )
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=80)])
    slug = StringField(
        _l("Short name for links"),
        validators=[DataRequired(_l("Enter a short name for links.")), Length(max=60), SLUG],
    )
    address = StringField(
        _l("Address"), validators=[DataRequired(_l("Enter the address.")), Length(max=200)]
    )
    seats = WholeNumberField(
        _l("Seats"),
        validators=[
            InputRequired(_l("Enter the number of seats.")),
            NumberRange(min=1, max=500, message=_l("Seats must be between 1 and 500.")),
        ],
    )
    accessibility = TextAreaField(_l("Accessibility"), validators=[Length(max=1000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])

    def __init__(self, *args, room_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._room_id = room_id

    def validate_slug(self, field: StringField) -> None:
        if field.data and slug_taken(field.data, self._room_id):
            raise ValidationError(_l("Another room already uses this short name."))

    def hours_fields(self) -> list[StringField]:
        return [getattr(self, f"hours_{d}") for d in range(7)]

    def hours(self) -> tuple[tuple, ...]:
        return tuple(tuple(parse_hours(f.data or "")) for f in self.hours_fields())


def _validate_hours(form: RoomForm, field: StringField) -> None:
    try:
        parse_hours(field.data or "")
    except HoursError as exc:
        raise ValidationError(
            _l(
                "Cannot read “%(part)s”. Write opening hours like 09:00-12:00, 14:00-17:30.",
                part=exc.args[0],
            )
        ) from None


def _weekday_label(day: int) -> LazyString:
    return LazyString(lambda: weekday_name(day))


for _day in range(7):
    setattr(
        RoomForm,
        f"hours_{_day}",
        StringField(_weekday_label(_day), validators=[Length(max=100), _validate_hours]),
    )
