"""Forms for sessions and series. Cross-field checks live in ``validate``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import (
    BooleanField,
    ColorField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectChoice,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from ..formutil import (
    SLUG,
    CheckboxesField,
    Form,
    IdSelectField,
    OptionalIdSelectField,
    PlausibleDate,
    WholeNumberField,
)
from ..timeutil import to_beijing, weekday_name
from .clashes import Clash, ClashKind
from .models import COLOUR_PATTERN
from .recurrence import MAX_OCCURRENCES, RecurrenceError, expand_weekly
from .window import SeriesWindowFields, SessionWindowFields

MAX_CAPACITY = 500


def capacity_field(label: Any = None, *, required: bool = True) -> Any:
    """The seats a session offers (session, series, course run, the roster's form): one
    range and one message everywhere."""
    label = label or _l("Capacity (seats)")
    presence = InputRequired(_l("Enter how many seats to offer.")) if required else Optional()
    return WholeNumberField(
        label,
        validators=[
            presence,
            NumberRange(
                min=1, max=MAX_CAPACITY, message=_l("Capacity must be between %(min)d and %(max)d.")
            ),
        ],
    )


MAX_SESSION_LENGTH = timedelta(days=1)


class _SessionFields(Form):
    """Fields shared by a single session and a series."""

    program = IdSelectField(_l("Strand"))
    room = IdSelectField(_l("Book room"))
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(max=120, message=_l("Keep the title under %(max)d characters.")),
        ],
    )
    host_id = OptionalIdSelectField(
        _l("Host from the list"),
        description=_l("A partner's or the community's host: found busy elsewhere by the person."),
    )
    host = StringField(
        _l("Host"),
        description=_l("Or type a name (when no one from the list is chosen)."),
        validators=[Length(max=80, message=_l("Keep the host's name under %(max)d characters."))],
    )
    capacity = capacity_field()
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=5000, message=_l("Keep the description under %(max)d characters."))],
    )
    suggested_books = TextAreaField(
        _l("Suggested books"),
        description=_l("One book per line."),
        validators=[Length(max=2000, message=_l("Keep the book list under %(max)d characters."))],
    )
    accept_warnings = BooleanField(_l("I have read the warnings; save anyway."))
    warnings_digest = HiddenField()

    def may_save(self, clashes: Sequence[Clash]) -> bool:
        """No blocking clash, and any warnings were shown and accepted as they are now.

        A blocking capacity clash is shown at the capacity field too. The warnings
        are fingerprinted, so that accepting one set does not accept a new one.
        """
        if any(c.blocks for c in clashes):
            for clash in clashes:
                if clash.kind is ClashKind.CAPACITY and clash.message not in self.capacity.errors:
                    self.capacity.errors = [*self.capacity.errors, clash.message]
            return False
        warnings = sorted(c.message for c in clashes if not c.blocks)
        if not warnings:
            return True
        digest = hashlib.sha256("\n".join(warnings).encode()).hexdigest()[:16]
        accepted = self.accept_warnings.data and self.warnings_digest.data == digest
        self.warnings_digest.data = digest
        self.accept_warnings.data = False
        return bool(accepted)


class SessionForm(SessionWindowFields, _SessionFields):
    def fill_from(self, reading_session: Any) -> None:
        """Show a saved session in the form (Beijing wall-clock times)."""
        self.program.data, self.room.data = reading_session.program_id, reading_session.room_id
        self.starts_at.data = to_beijing(reading_session.starts_at).replace(tzinfo=None)
        self.ends_at.data = to_beijing(reading_session.ends_at).replace(tzinfo=None)
        self.fill_window(reading_session)

    starts_at = DateTimeLocalField(
        _l("Starts"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter the date and time it starts.")), PlausibleDate()],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter the date and time it ends.")), PlausibleDate()],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.starts_at.data, self.ends_at.data
        if start and end:
            if end <= start:
                self.ends_at.errors.append(_l("The end must be after the start."))
                ok = False
            elif end - start > MAX_SESSION_LENGTH:
                self.ends_at.errors.append(_l("A session cannot be longer than a day."))
                ok = False
        return ok


def _weekday_choices() -> list[SelectChoice]:
    return [SelectChoice(d, LazyString(lambda d=d: weekday_name(d))) for d in range(7)]


class SeriesForm(SeriesWindowFields, _SessionFields):
    #: What "this and following" shows of the series as it is (operations.SeriesData fields).
    PREFILLED = (
        "title",
        "host",
        "host_id",
        "capacity",
        "description",
        "suggested_books",
        "start_time",
        "end_time",
        "last_date",
        "signup_opens_days",
        "signup_closes_hours",
    )

    def fill_from(self, data: Any, *, last_day: Any) -> None:
        """Show a series (its ``SeriesData``) for "this and following", up to ``last_day``."""
        for name in self.PREFILLED:
            getattr(self, name).data = getattr(data, name)
        self.program.data, self.room.data = data.program.id, data.room.id
        self.weekdays.data = list(data.weekdays)
        self.last_date.data = last_day
        self.count.data = None

    weekdays = CheckboxesField(_l("Weekdays"), coerce=int, choices=_weekday_choices())
    start_time = TimeField(
        _l("Starts at"), validators=[InputRequired(_l("Enter the time it starts."))]
    )
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(_l("Enter the time it ends."))])
    first_date = DateField(
        _l("First date"), validators=[InputRequired(_l("Enter the first date.")), PlausibleDate()]
    )
    last_date = DateField(_l("Last date"), validators=[Optional(), PlausibleDate()])
    count = WholeNumberField(
        _l("or number of sessions"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=MAX_OCCURRENCES, message=_l("Between %(min)d and %(max)d sessions.")
            ),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.weekdays.data:
            self.weekdays.errors.append(_l("Choose at least one weekday."))
            ok = False
        start, end = self.start_time.data, self.end_time.data
        if start and end and end <= start:
            self.end_time.errors.append(_l("The end must be after the start."))
            ok = False
        if self.last_date.data is None and self.count.data is None and not self.count.errors:
            self.last_date.errors.append(_l("Give a last date or a number of sessions."))
            ok = False
        elif self.last_date.data is not None and self.count.data is not None:
            self.count.errors.append(_l("Give a last date or a number of sessions, not both."))
            ok = False
        first, last = self.first_date.data, self.last_date.data
        if first and last:
            if last < first:
                self.last_date.errors.append(_l("The last date must not be before the first."))
                ok = False
            elif (last - first).days > 2 * 366:
                self.last_date.errors.append(_l("A series can run for two years at most."))
                ok = False
        if ok:
            try:
                dates = expand_weekly(
                    self.weekdays.data, first, last_date=last, count=self.count.data
                )
            except RecurrenceError:
                dates = []
            if not dates:
                self.weekdays.errors.append(
                    _l("None of the chosen weekdays falls between the first and last date.")
                )
                ok = False
        return ok


class CancelForm(Form):
    reason = StringField(
        _l("Reason (shown to families and in calendars)"),
        validators=[
            DataRequired(_l("Say why the session is cancelled.")),
            Length(max=300, message=_l("Keep the reason under %(max)d characters.")),
        ],
    )


class ProgramForm(Form):
    """A strand (阅读板块) and its audience rule; the administrator's form."""

    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the strand's name.")), Length(max=60)]
    )
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=60)])
    slug = StringField(
        _l("Short name for links"),
        validators=[DataRequired(_l("Enter a short name for links.")), Length(max=40), SLUG],
    )
    colour = ColorField(
        _l("Colour"),
        validators=[
            DataRequired(_l("Choose a colour.")),
            Regexp(f"^{COLOUR_PATTERN.pattern}$", message=_l("Use a colour like #c0392b.")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    description_en = TextAreaField(_l("English description"), validators=[Length(max=2000)])
    min_age = WholeNumberField(
        _l("Youngest participant (age)"),
        validators=[
            InputRequired(_l("Enter the youngest age.")),
            NumberRange(min=0, max=120, message=_l("Ages are between %(min)d and %(max)d.")),
        ],
    )
    max_age = WholeNumberField(
        _l("Oldest participant (age)"),
        description=_l("Leave empty for no upper limit."),
        validators=[
            Optional(),
            NumberRange(min=0, max=120, message=_l("Ages are between %(min)d and %(max)d.")),
        ],
    )
    adult_required = BooleanField(_l("Children come with an accompanying adult"))
    active = BooleanField(_l("Offered for new sessions"), default=True)

    def __init__(self, *args, program_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._program_id = program_id

    def validate_slug(self, field: StringField) -> None:
        from .programs import program_slug_taken

        if field.data and program_slug_taken(field.data, self._program_id):
            raise ValidationError(_l("Another strand already uses this short name."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        low, high = self.min_age.data, self.max_age.data
        if low is not None and high is not None and high < low:
            self.max_age.errors.append(_l("The oldest age must not be below the youngest."))
            ok = False
        return ok
