"""The figures' filters: a GET form (filters live in the address, to bookmark and send)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import Optional

from ..formutil import Form, SlugSelectField
from ..i18n import localized
from ..places.models import Community
from ..schedule.courses import Course, course_labels
from ..schedule.models import Program
from ..timeutil import beijing_today

#: The longest range the figures are computed for (three years).
MAX_DAYS = 3 * 366

PERIODS = ("month", "last-month", "year", "summer", "custom")


def preset_range(period: str, today: date) -> tuple[date, date]:
    """The dates of a preset: this month, last month, this year, the summer holiday (7–8月:
    this year's once July has begun, else last year's)."""
    first = today.replace(day=1)
    if period == "last-month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if period == "year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if period == "summer":
        year = today.year if today.month >= 7 else today.year - 1
        return date(year, 7, 1), date(year, 8, 31)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return first, next_month - timedelta(days=1)


UNKNOWN_FILTER = _l("This choice does not exist. Choose one from the list.")


def course_choices(courses: list[Course]) -> list[SelectChoice]:
    """The course filter's choices: "all", then each course by its id (as the address has
    it), named as :func:`course_labels` names it."""
    labels = course_labels(courses)
    return [SelectChoice("", _l("All courses"))] + [
        SelectChoice(str(c.id), labels[c.id]) for c in courses
    ]


class CourseFilter:
    """The course field of a filter form: the id of one of the courses the user may see
    (anything else, e.g. ``abc``, a huge number, an unknown id or another community's own
    course, gets :data:`UNKNOWN_FILTER` by the field)."""

    course = SlugSelectField(_l("Course"), unknown_message=UNKNOWN_FILTER)

    def course_id(self) -> int | None:
        """The chosen course's id (after validation), None for all courses."""
        return int(self.course.data) if self.course.data else None


class BeijingDateField(DateField):
    """A date (YYYY-MM-DD) whose parse error is our own, translated message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Enter a date such as 2026-07-01."))) from error


class FigureFilterForm(CourseFilter, Form):
    class Meta:
        csrf = False

    period = SelectField(
        _l("Period"),
        choices=[
            SelectChoice("month", _l("This month")),
            SelectChoice("last-month", _l("Last month")),
            SelectChoice("year", _l("This year")),
            SelectChoice("summer", _l("Summer holiday (July–August)")),
            SelectChoice("custom", _l("From … to …")),
        ],
        default="month",
        validate_choice=False,
    )
    start = BeijingDateField(_l("From"), validators=[Optional()])
    end = BeijingDateField(_l("To"), validators=[Optional()])
    community = SlugSelectField(_l("Community"), unknown_message=UNKNOWN_FILTER)
    program = SlugSelectField(_l("Strand"), unknown_message=UNKNOWN_FILTER)

    def set_choices(
        self, communities: list[Community], programs: list[Program], courses: list[Course]
    ) -> None:
        self.course.choices = course_choices(courses)
        self.community.choices = [SelectChoice("", _l("All my communities"))] + [
            SelectChoice(c.slug, localized(c)) for c in communities
        ]
        self.program.choices = [SelectChoice("", _l("All strands"))] + [
            SelectChoice(p.slug, localized(p)) for p in programs
        ]

    def validate_period(self, field: Any) -> None:
        if field.data not in PERIODS:
            raise ValidationError(str(_l("Choose one of the periods in the list.")))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not ok or (self.period.data != "custom" and not (self.start.data or self.end.data)):
            return ok
        # Dates given: they decide the range (whatever the preset says), and the preset
        # shown says so.
        self.period.data = "custom"
        for field in (self.start, self.end):
            if field.data is None:
                field.errors.append(_l("Enter both dates of the range."))
                return False
        if self.end.data < self.start.data:
            self.end.errors.append(_l("The end of the range is before its start."))
            return False
        if (self.end.data - self.start.data).days + 1 > MAX_DAYS:
            self.end.errors.append(_l("Choose a range of at most three years."))
            return False
        return True

    def date_range(self, today: date | None = None) -> tuple[date, date]:
        """The range asked for (after :meth:`validate`)."""
        if self.start.data and self.end.data:
            return self.start.data, self.end.data
        return preset_range(self.period.data or "month", today or beijing_today())


class MonthForm(CourseFilter, Form):
    """The monthly report's month (YYYY-MM), and maybe one course."""

    class Meta:
        csrf = False

    month = StringField(_l("Month of the report"))

    def validate_month(self, field: Any) -> None:
        if not field.data:
            return
        try:
            year, month = (int(part) for part in field.data.split("-"))
            date(year, month, 1)
        except ValueError as error:
            raise ValidationError(str(_l("Enter a month such as 2026-07."))) from error
        if not 2000 <= year <= 2100:
            raise ValidationError(str(_l("Enter a month such as 2026-07.")))

    def first_day(self, today: date | None = None) -> date:
        if not self.month.data:
            return (today or beijing_today()).replace(day=1)
        year, month = (int(part) for part in self.month.data.split("-"))
        return date(year, month, 1)
