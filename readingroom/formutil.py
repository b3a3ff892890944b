"""Form pieces shared by the domains.

Every form of the app derives from :class:`Form` (a test checks it), which
refuses what no field should take: a NUL byte in any text (PostgreSQL refuses
to store one, SQLite would keep it; both must answer the same, with a message
by the field). Whole numbers go through :class:`WholeNumberField`, which keeps
a number of any length within the range the database and WTForms' validators
can handle.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    ValidationError,
    widgets,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import Regexp

#: The largest whole number a form takes (the database's ``integer``).
MAX_WHOLE_NUMBER = 2**31 - 1

NUL_MESSAGE = _l("This text contains a character that cannot be saved (NUL). Remove it.")


class Form(FlaskForm):
    """The base of every form: what :class:`FlaskForm` does, no NUL bytes anywhere, and a
    field missing from a POST is taken as sent empty (as a browser sends an empty input),
    never as the object's or the default's value: a partly posted form gets the fields'
    own messages, and no check compares a typed value with one the form never received.
    A form whose buttons post only some of its fields on purpose sets
    ``absent_fields_are_empty = False``."""

    absent_fields_are_empty = True

    def process(
        self, formdata: Any = None, obj: Any = None, data: Any = None, **kwargs: Any
    ) -> None:
        super().process(formdata, obj, data=data, **kwargs)
        if not (self.absent_fields_are_empty and has_request_context()):
            return
        if request.method != "POST":
            return
        for field in self:
            if field.raw_data == [] and not isinstance(field, _ABSENT_MEANS_EMPTY):
                field.process(MultiDict({field.name: ""}))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if any(isinstance(raw, str) and "\x00" in raw for raw in field.raw_data or ()):
                field.errors = [str(NUL_MESSAGE)]
                valid = False
        return valid


#: Fields for which a browser sends nothing at all when nothing is chosen.
_ABSENT_MEANS_EMPTY = (BooleanField, SelectMultipleField, CSRFTokenField)

#: The message for an id that is not among a field's choices (unknown, or not the user's).
CHOOSE_FROM_LIST = _l("Choose one of the options in the list.")

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    message=_l("Use lower-case letters, digits and hyphens, e.g. yaozhuang-peony."),
)


class IdSelectField(SelectField):
    """A select of database ids whose choices are set per request.

    An id that is not among the choices (unknown, or not the user's) gets our
    own translated message instead of WTForms' generic one.
    """

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("coerce", _int_or_none)
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data is None or self.data not in _choice_values(self):
            raise ValidationError(str(CHOOSE_FROM_LIST))


class OptionalIdSelectField(IdSelectField):
    """An id select whose first choice, "none" (:func:`with_none`), leaves it empty."""

    def pre_validate(self, form: Any) -> None:
        if self.data is None and not any(self.raw_data or []):  # nothing chosen
            return
        super().pre_validate(form)  # an id, or something that is none (a forged value)


def with_none(choices: list[Any], label: Any = None) -> list[Any]:
    return [SelectChoice("", label or _l("(none)")), *choices]


def _choice_values(field: SelectField | SelectMultipleField) -> set[Any]:
    """The values of a field's choices, given as ``SelectChoice`` or ``(value, label)``."""
    return {getattr(c, "value", c[0] if isinstance(c, tuple) else c) for c in field.choices or []}


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= MAX_WHOLE_NUMBER else None


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (big enough to tap)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
    #: The ``field`` macro draws fields with this flag as a fieldset of check boxes.
    as_checkboxes = True


class IdCheckboxesField(CheckboxesField):
    """Check boxes of database ids whose choices are set per request (see IdSelectField)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("coerce", _int_or_none)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form: Any) -> None:
        valid = _choice_values(self)
        if any(value not in valid for value in self.data or []):
            raise ValidationError(str(CHOOSE_FROM_LIST))


class PlausibleDate:
    """A date (or date and time) between 2000 and 2100: anything else is a typo."""

    message = _l("Enter a date between 2000 and 2100.")

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(str(self.message))


class WholeNumberField(IntegerField):
    """An integer input with our own translated message for text that is not a number.

    A number beyond the database's range (say 400 digits) is kept as the nearest
    out-of-range value the validators can compare (WTForms' ``NumberRange``
    converts to float and overflows on huge ints), so the field's own range
    message is shown; a field without a range gets :data:`MAX_WHOLE_NUMBER`'s.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if raw == "":
            self.data = None
            return
        if raw.lstrip("+-").isascii() and raw.lstrip("+-").isdigit() and len(raw) > 20:
            number = (MAX_WHOLE_NUMBER + 1) * (-1 if raw.startswith("-") else 1)
        else:
            try:
                number = int(raw)
            except ValueError:
                self.data = None
                raise ValueError(str(_l("Enter a whole number, e.g. 12."))) from None
        if abs(number) > MAX_WHOLE_NUMBER:
            number = (MAX_WHOLE_NUMBER + 1) * (-1 if number < 0 else 1)
        self.data = number

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if not self.errors and self.data is not None and abs(self.data) > MAX_WHOLE_NUMBER:
            self.errors.append(
                str(_l("Enter a number between %(min)d and %(max)d.", min=0, max=MAX_WHOLE_NUMBER))
            )


class ActionForm(Form):
    """A POST-only action: CSRF token, nothing else."""


class SlugSelectField(SelectField):
    """A select of slugs (filters in an address); "" means "all". A slug that is not among
    the choices (stale, mistyped) gets ``unknown_message`` by the field."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, unknown_message: Any, **kwargs: Any
    ):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)
        self.unknown_message = unknown_message

    def pre_validate(self, form: Any) -> None:
        if self.data in (None, ""):
            return
        if self.data not in _choice_values(self):
            raise ValidationError(str(self.unknown_message))
