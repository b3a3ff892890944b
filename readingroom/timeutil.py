"""Beijing time at the edges, UTC inside.

Every instant is stored as UTC (a naive ``DATETIME`` column holding UTC, see
:class:`readingroom.database.UTCDateTime`) and handled in Python as an aware
``datetime``. People only ever see Beijing time (Asia/Shanghai, UTC+8, no
daylight saving), so local dates and times entered in forms are converted here
and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime

from .i18n import current_language

BEIJING = ZoneInfo("Asia/Shanghai")

# Babel patterns per UI language. Chinese: 7月14日 周一 09:30; English: Mon 14 Jul 09:30.
_PATTERNS = {
    "zh": {
        "date": "M月d日 EEE",
        "date_year": "y年M月d日 EEE",
        "month": "y年M月",
        "time": "HH:mm",
    },
    "en": {
        "date": "EEE d MMM",
        "date_year": "EEE d MMM y",
        "month": "MMMM y",
        "time": "HH:mm",
    },
}


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def to_beijing(moment: datetime) -> datetime:
    """An aware instant seen on a Beijing clock."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: cannot tell which time zone it is in")
    return moment.astimezone(BEIJING)


def beijing_today() -> date:
    return utcnow().astimezone(BEIJING).date()


def from_beijing(day: date, clock: time) -> datetime:
    """The UTC instant of a Beijing wall-clock date and time."""
    return datetime.combine(day, clock, tzinfo=BEIJING).astimezone(UTC)


def local_naive_to_utc(moment: datetime) -> datetime:
    """A naive datetime typed by a person (Beijing wall clock) as an aware UTC instant."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=BEIJING).astimezone(UTC)


def beijing_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a Beijing calendar day starts and ends."""
    start = from_beijing(day, time(0, 0))
    return start, start + timedelta(days=1)


def week_start(day: date) -> date:
    """The Monday of the week that contains ``day``."""
    return day - timedelta(days=day.weekday())


def babel_locale() -> str:
    """The Babel locale for dates and numbers in the served language."""
    return "en" if current_language() == "en" else "zh_Hans_CN"


def format_day(value: date | datetime, *, with_year: bool | None = None) -> str:
    """7月14日 周一 / Mon 14 Jul; the year is added when it is not this year."""
    if isinstance(value, datetime):
        value = to_beijing(value).date()
    if with_year is None:
        with_year = value.year != beijing_today().year
    pattern = _PATTERNS[current_language()]["date_year" if with_year else "date"]
    return babel_format_date(value, pattern, locale=babel_locale())


def format_clock(value: datetime | time) -> str:
    """09:30 (24-hour clock in both languages)."""
    if isinstance(value, datetime):
        value = to_beijing(value).time()
    return value.strftime("%H:%M")


def format_moment(value: datetime, *, with_year: bool | None = None) -> str:
    """7月14日 周一 09:30 / Mon 14 Jul 09:30."""
    return f"{format_day(value, with_year=with_year)} {format_clock(value)}"


def format_span(start: datetime, end: datetime) -> str:
    """7月14日 周一 09:30–10:30; the end date is repeated only when it differs."""
    local_start, local_end = to_beijing(start), to_beijing(end)
    if local_start.date() == local_end.date():
        return f"{format_moment(start)}–{format_clock(end)}"
    return f"{format_moment(start)} – {format_moment(end)}"


def format_month(value: date) -> str:
    """2026年7月 / July 2026."""
    return babel_format_datetime(
        datetime.combine(value, time(12, 0)),
        _PATTERNS[current_language()]["month"],
        locale=babel_locale(),
    )


def weekday_name(weekday: int, *, short: bool = False) -> str:
    """周一 / Monday for 0 (Monday) … 6 (Sunday)."""
    monday = date(2024, 1, 1)  # a Monday
    pattern = "EEE" if short else "EEEE"
    return babel_format_date(monday + timedelta(days=weekday), pattern, locale=babel_locale())


def age_on(birth_year: int, birth_month: int, day: date) -> int:
    """Age in whole years on ``day`` for someone born in the given year and month.

    Only year and month are kept (least data); the birthday is taken as the
    first of the month.
    """
    years = day.year - birth_year
    if day.month < birth_month:
        years -= 1
    return years
