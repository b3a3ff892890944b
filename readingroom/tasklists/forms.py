"""Forms for task lists, tasks, copies, ticks and the reading log.

Choices that depend on the person (communities, strands, weeks) are set by the
view; checks that need the list (its period, its weeks) read attributes the
view sets (``min_weeks``, ``period``, ``today``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..formutil import (
    CHOOSE_FROM_LIST,
    Form,
    IdCheckboxesField,
    IdSelectField,
    PlausibleDate,
    WholeNumberField,
)
from .isbn import InvalidIsbn, normalise_isbn
from .models import KIND_LABELS, TaskKind, weeks_in_period
from .operations import TickDetails

MAX_PERIOD_DAYS = 366
MAX_MINUTES = 600  # ten hours of reading in one entry is already a lot


def _kind_or_none(value: Any) -> TaskKind | None:
    if isinstance(value, TaskKind):
        return value
    try:
        return TaskKind(value)
    except ValueError:
        return None


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]


class _PeriodForm(Form):
    """A first and last day (week 1 starts on the first), checked together."""

    starts_on = DateField(
        _l("First day"),
        validators=[InputRequired(_l("Enter the first day of the period.")), PlausibleDate()],
    )
    ends_on = DateField(
        _l("Last day"),
        validators=[InputRequired(_l("Enter the last day of the period.")), PlausibleDate()],
    )

    min_weeks = 0  # set by the view: the weeks the list's tasks already run over

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self._check_period() and ok

    def _check_period(self) -> bool:
        """Order, length, sensible years, long enough for the tasks."""
        ok = not (self.starts_on.errors or self.ends_on.errors)  # e.g. not a plausible year
        first, last = self.starts_on.data, self.ends_on.data
        if ok and first and last:
            if last < first:
                self.ends_on.errors.append(_l("The last day must not be before the first."))
                ok = False
            elif (last - first).days + 1 > MAX_PERIOD_DAYS:
                self.ends_on.errors.append(_l("A task list can run for one year at most."))
                ok = False
            elif weeks_in_period(first, last) < self.min_weeks:
                self.ends_on.errors.append(
                    _l(
                        "The tasks run over %(weeks)d weeks; the period must cover at least "
                        "%(weeks)d weeks.",
                        weeks=self.min_weeks,
                    )
                )
                ok = False
        return ok


class TaskListForm(_PeriodForm):
    title = StringField(
        _l("Name of the list"),
        validators=[
            DataRequired(_l("Enter a name for the list.")),
            Length(max=120, message=_l("Keep it under %(max)d characters.")),
        ],
    )
    program = IdSelectField(_l("Strand"))
    all_communities = BooleanField(_l("For all communities"))
    communities = IdCheckboxesField(_l("For communities"))
    description = TextAreaField(
        _l("A word to families"),
        description=_l("Shown at the top of the list and on the printed copy."),
        validators=[Length(max=2000, message=_l("Keep it under %(max)d characters."))],
    )
    ticks_ahead = BooleanField(_l("Families may tick the tasks of weeks that have not started"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        everyone = "all_communities" in self._fields and self.all_communities.data
        if not everyone and not self.communities.data and not self.communities.errors:
            self.communities.errors.append(_l("Choose at least one community."))
            ok = False
        return ok


class TaskForm(Form):
    title = StringField(
        _l("Task"),
        validators=[
            DataRequired(_l("Say what to do, e.g. read a picture book together.")),
            Length(max=120, message=_l("Keep it under %(max)d characters.")),
        ],
    )
    kind = SelectField(
        _l("Kind"),
        choices=kind_choices,
        coerce=_kind_or_none,
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    week = IdSelectField(_l("Week"))
    description = TextAreaField(
        _l("Short description"),
        validators=[Length(max=500, message=_l("Keep it under %(max)d characters."))],
    )
    book_title = StringField(
        _l("Suggested book: title"),
        validators=[Length(max=120, message=_l("Keep it under %(max)d characters."))],
    )
    book_author = StringField(
        _l("Author"),
        validators=[Length(max=80, message=_l("Keep it under %(max)d characters."))],
    )
    book_isbn = StringField(
        _l("ISBN"),
        description=_l("Optional. 10 or 13 digits, as printed on the back of the book."),
        validators=[Length(max=30, message=_l("An ISBN has 10 or 13 digits."))],
    )

    def validate_book_isbn(self, field: StringField) -> None:
        try:
            normalise_isbn(field.data or "")
        except InvalidIsbn:
            raise ValidationError(
                str(_l("This ISBN is not valid: check the digits (ISBN-10 or ISBN-13)."))
            ) from None

    @property
    def isbn(self) -> str:
        return normalise_isbn(self.book_isbn.data or "")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        has_details = (self.book_author.data or "").strip() or (self.book_isbn.data or "").strip()
        if has_details and not (self.book_title.data or "").strip():
            self.book_title.errors.append(_l("Give the book's title too."))
            ok = False
        return ok


class CopyForm(_PeriodForm):
    title = StringField(
        _l("Title of the copy"),
        validators=[
            DataRequired(_l("Enter a name for the list.")),
            Length(max=120, message=_l("Keep it under %(max)d characters.")),
        ],
    )

    def fill_from(self, source: Any) -> None:
        """Propose the same list a year on (same weekdays), under the same title."""
        self.title.data = source.title
        self.starts_on.data = next_year(source.starts_on)
        self.ends_on.data = next_year(source.ends_on)


class TickForm(Form):
    """Tick (done=1) or untick (done=0) a task for a child: a state, not a toggle."""

    absent_fields_are_empty = False  # the one-tap button sends neither note nor minutes

    done = HiddenField(default="1")
    note = StringField(
        _l("Note"),
        description=_l("Optional, e.g. what the child said or drew."),
        validators=[Length(max=300, message=_l("Keep it under %(max)d characters."))],
    )
    minutes = WholeNumberField(
        _l("Minutes read"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_MINUTES,
                message=_l("Enter between %(min)d and %(max)d minutes."),
            ),
        ],
    )

    @property
    def wants_done(self) -> bool:
        return self.done.data != "0"

    @property
    def has_details(self) -> bool:
        """Whether the note/minutes fields were sent (the one-tap button sends neither)."""
        return bool(self.note.raw_data) or bool(self.minutes.raw_data)

    def details(self) -> TickDetails | None:
        """The note and minutes to keep with the tick (``None``: leave them as they are)."""
        if not self.has_details:
            return None
        return TickDetails(note=(self.note.data or "").strip(), minutes=self.minutes.data)


class LogForm(Form):
    """A book in a child's reading log."""

    title = StringField(
        _l("Book"),
        validators=[
            DataRequired(_l("Enter the book's title.")),
            Length(max=120, message=_l("Keep it under %(max)d characters.")),
        ],
    )
    minutes = WholeNumberField(
        _l("Minutes read"),
        validators=[
            InputRequired(_l("Enter how many minutes were read.")),
            NumberRange(
                min=1,
                max=MAX_MINUTES,
                message=_l("Enter between %(min)d and %(max)d minutes."),
            ),
        ],
    )
    read_on = DateField(_l("Date"), validators=[InputRequired(_l("Enter the day of reading."))])

    period: tuple[date, date] | None = None  # set by the view: the list's period
    today: date | None = None

    def validate_title(self, field: StringField) -> None:
        if not clean_book_title(field.data):
            raise ValidationError(str(_l("Enter the book's title.")))

    def validate_read_on(self, field: DateField) -> None:
        if field.data is None:
            return
        if self.today is not None and field.data > self.today:
            raise ValidationError(str(_l("The day cannot be in the future.")))
        if self.period is not None and not self.period[0] <= field.data <= self.period[1]:
            raise ValidationError(
                str(
                    _l(
                        "Choose a day within the list's period (%(first)s to %(last)s).",
                        first=self.period[0].isoformat(),
                        last=self.period[1].isoformat(),
                    )
                )
            )


def clean_book_title(value: str | None) -> str:
    """A book title without the 《》 that people often type around it (the pages add them)."""
    return (value or "").strip().removeprefix("《").removesuffix("》").strip()


def next_year(day: date) -> date:
    """The same weekday 52 weeks later: a copied list keeps its rhythm."""
    return day + timedelta(weeks=52)


class FollowCourseForm(Form):
    """Link a task list to a course: its weekly tasks follow the lessons."""

    course = IdSelectField(_l("Course"))
