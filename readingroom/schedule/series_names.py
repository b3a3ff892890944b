"""How staff lists name a series split by "edit this and following".

The split keeps the title, so the two parts would read the same; the later part
is shown as a continuation: "绘本共读（自 12月19日 起）"."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..timeutil import format_day
from .models import Series


def continues_earlier(series: Series) -> bool:
    """Whether an earlier series of the same strand and title ends before this one starts
    (a split may move the rest to another room; a new title needs no label)."""
    return (
        db.session.scalar(
            select(Series.id)
            .where(
                Series.id != series.id,
                Series.program_id == series.program_id,
                Series.title == series.title,
                Series.last_date.is_not(None),
                Series.last_date < series.first_date,
            )
            .limit(1)
        )
        is not None
    )


def series_label(series: Series) -> str:
    """The series' title, with "(from <day>)" when it continues an earlier part."""
    if continues_earlier(series):
        return _("%(title)s (from %(day)s)", title=series.title, day=format_day(series.first_date))
    return series.title
