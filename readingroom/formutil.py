"""Form pieces shared by the domains."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SelectMultipleField, ValidationError, widgets
from wtforms.validators import Regexp

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
        valid = {choice.value for choice in (self.choices or [])}
        if self.data is None or self.data not in valid:
            raise ValidationError(str(self.invalid_message))

    invalid_message = _l("Choose one of the options in the list.")


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
