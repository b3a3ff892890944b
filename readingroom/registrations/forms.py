"""Forms of sign-up and the roster. Messages sit next to the field they are about."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..formutil import CheckboxesField, Form, WholeNumberField
from ..schedule.forms import capacity_field


class SignupForm(Form):
    members = CheckboxesField(_l("Who is coming?"), coerce=int)

    def validate_members(self, field):
        if not field.data:
            raise ValidationError(str(_l("Choose at least one person.")))


class StaffCancelForm(Form):
    reason = StringField(
        _l("Reason (the family is told)"),
        validators=[
            DataRequired(_l("Say why the registration is cancelled.")),
            Length(max=300, message=_l("Keep the reason under %(max)d characters.")),
        ],
    )


class WalkInForm(Form):
    name = StringField(
        _l("Name (optional)"),
        validators=[Length(max=40, message=_l("Keep the name under %(max)d characters."))],
    )
    # No defaults: a single tap on "Add walk-ins" must not save one adult; staff give counts.
    adults = WholeNumberField(
        _l("Number of adults"),
        validators=[
            InputRequired(_l("Enter a number (0 if none).")),
            NumberRange(min=0, max=20, message=_l("Between %(min)d and %(max)d.")),
        ],
    )
    children = WholeNumberField(
        _l("Number of children"),
        validators=[
            InputRequired(_l("Enter a number (0 if none).")),
            NumberRange(min=0, max=20, message=_l("Between %(min)d and %(max)d.")),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and (self.adults.data or 0) + (self.children.data or 0) < 1:
            self.adults.errors.append(_l("Add at least one person."))
            ok = False
        return ok


class CapacityForm(Form):
    capacity = capacity_field()
