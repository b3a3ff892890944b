"""Registration-window fields for the schedule's session and series forms.

The schedule forms inherit these mixins, so staff set the window where they
set the time. Blank fields mean the defaults (a session: its series' offsets,
else ``SIGNUP_OPENS_DAYS_BEFORE`` / ``SIGNUP_CLOSES_HOURS_BEFORE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField
from wtforms.validators import NumberRange, Optional, ValidationError

from ..formutil import Form, WholeNumberField
from ..timeutil import local_naive_to_utc, to_beijing

MAX_OPEN_DAYS = 90
MAX_CLOSE_HOURS = 7 * 24


class SessionWindowFields(Form):
    signup_opens_at = DateTimeLocalField(
        _l("Registration opens"),
        format="%Y-%m-%dT%H:%M",
        description=_l("Leave blank for the default: 7 days before the start."),
        validators=[Optional()],
    )
    signup_closes_at = DateTimeLocalField(
        _l("Registration closes"),
        format="%Y-%m-%dT%H:%M",
        description=_l("Leave blank for the default: 2 hours before the start."),
        validators=[Optional()],
    )

    def validate_signup_closes_at(self, field: Any) -> None:
        opens, closes = self.signup_opens_at.data, field.data
        start = getattr(self, "starts_at", None)
        if closes and opens and closes <= opens:
            raise ValidationError(str(_l("Registration must close after it opens.")))
        if closes and start is not None and start.data and closes > start.data:
            raise ValidationError(str(_l("Registration must close by the start of the session.")))

    def validate_signup_opens_at(self, field: Any) -> None:
        start = getattr(self, "starts_at", None)
        if field.data and start is not None and start.data and field.data >= start.data:
            raise ValidationError(str(_l("Registration must open before the session starts.")))

    def window_values(self) -> dict[str, datetime | None]:
        """The window as aware UTC instants (``None``: the default)."""
        return {
            "signup_opens_at": _utc(self.signup_opens_at.data),
            "signup_closes_at": _utc(self.signup_closes_at.data),
        }

    def fill_window(self, reading_session: Any) -> None:
        """Show a session's own window (not the defaults) in the form."""
        self.signup_opens_at.data = _local(reading_session.signup_opens_at)
        self.signup_closes_at.data = _local(reading_session.signup_closes_at)


class SeriesWindowFields(Form):
    signup_opens_days = WholeNumberField(
        _l("Registration opens (days before each session)"),
        description=_l("Leave blank for the default: 7."),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_OPEN_DAYS, message=_l("Between %(min)d and %(max)d.")),
        ],
    )
    signup_closes_hours = WholeNumberField(
        _l("Registration closes (hours before each session)"),
        description=_l("Leave blank for the default: 2."),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_CLOSE_HOURS, message=_l("Between %(min)d and %(max)d.")),
        ],
    )

    def validate_signup_closes_hours(self, field: Any) -> None:
        days = self.signup_opens_days.data
        if days is None:
            days = current_app.config["SIGNUP_OPENS_DAYS_BEFORE"]
        if field.data is not None and field.data >= days * 24:
            raise ValidationError(str(_l("Registration must close after it opens.")))

    def window_values(self) -> dict[str, int | None]:
        return {
            "signup_opens_days": self.signup_opens_days.data,
            "signup_closes_hours": self.signup_closes_hours.data,
        }


def _utc(value: datetime | None) -> datetime | None:
    return local_naive_to_utc(value) if value is not None else None


def _local(value: datetime | None) -> datetime | None:
    return to_beijing(value).replace(tzinfo=None) if value is not None else None
