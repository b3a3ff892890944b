"""Form pieces shared by the domains."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, ValidationError, widgets
from wtforms.validators import Regexp

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


def _choice_values(field: SelectField | SelectMultipleField) -> set[Any]:
    return {choice.value for choice in (field.choices or [])}


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
    """An integer input with our own translated message for text that is not a number."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if raw == "":
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a whole number, e.g. 12."))) from None


class ActionForm(FlaskForm):
    """A POST-only action: CSRF token, nothing else."""
