"""The figures as tables: one definition for the page, the CSV files and the workbook.

Cells are plain values (int, float rates 0…1, text, datetime); each column says
its kind, so every output formats it its own way. No personal data: figures,
places, strands and session titles only.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import localized
from ..timeutil import to_beijing
from .figures import AgeGroup, Counts, Figures, TaskCounts, session_rows


class Kind(enum.StrEnum):
    TEXT = "text"
    INT = "int"
    RATE = "rate"
    DATE = "date"
    MOMENT = "moment"


@dataclass(frozen=True)
class Column:
    label: Any
    kind: Kind = Kind.INT
    width: int = 10  # in the workbook (characters)


@dataclass
class Table:
    key: str
    title: Any
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None  # the total row, if the table has one

    def __post_init__(self) -> None:
        # Translate the labels once (they are lazy strings, resolved on every use otherwise).
        self.title = str(self.title)
        self.columns = [replace(c, label=str(c.label)) for c in self.columns]

    @property
    def numeric_columns(self) -> list[bool]:
        return [c.kind in (Kind.INT, Kind.RATE) for c in self.columns]

    def shown(self, cells: list[Any]) -> list[str]:
        """A row as the page shows it."""
        return [display(v, c.kind) for v, c in zip(cells, self.columns, strict=True)]

    def shown_rows(self) -> list[list[str]]:
        return [self.shown(cells) for cells in self.rows]


AGE_LABELS = {
    AgeGroup.UNDER_7: _l("0–6"),
    AgeGroup.UNDER_13: _l("7–12"),
    AgeGroup.UNDER_18: _l("13–17"),
    AgeGroup.UNDER_36: _l("18–35"),
    AgeGroup.UNDER_60: _l("36–59"),
    AgeGroup.SENIOR: _l("60 and over"),
    AgeGroup.CHILD: _l("Child, age not recorded"),
    AgeGroup.ADULT: _l("Adult, age not recorded"),
}

#: The full set of columns of a breakdown (name columns come first).
FULL = [
    Column(_l("Sessions held")),
    Column(_l("Cancelled sessions")),
    Column(_l("Visits")),
    Column(_l("People reached")),
    Column(_l("Households reached")),
    Column(_l("New households")),
    Column(_l("Fill rate"), Kind.RATE),
    Column(_l("Attendance rate"), Kind.RATE),
    Column(_l("No-show rate"), Kind.RATE),
    Column(_l("Waiting households"), width=12),
    Column(_l("Seats asked by waiting households"), width=14),
]


def full_cells(c: Counts) -> list[Any]:
    return [
        c.sessions_held,
        c.sessions_cancelled,
        c.visits,
        c.people or 0,
        c.households or 0,
        c.new_households,
        c.fill_rate,
        c.attendance_rate,
        c.no_show_rate,
        c.waiting_households,
        c.waiting_seats,
    ]


SHORT = [
    Column(_l("Sessions held")),
    Column(_l("Visits")),
    Column(_l("Fill rate"), Kind.RATE),
    Column(_l("Waiting households"), width=12),
]


def short_cells(c: Counts) -> list[Any]:
    return [c.sessions_held, c.visits, c.fill_rate, c.waiting_households]


def month_label(month: str) -> str:
    year, number = month.split("-")
    return _("%(year)s-%(month)s", year=year, month=int(number))


def _breakdown(
    key: str,
    title: Any,
    name: Column,
    groups: dict[Any, Counts],
    label: Callable[[Any], Any],
    total: Counts,
) -> Table:
    return Table(
        key=key,
        title=title,
        columns=[name, *FULL],
        rows=[[label(k), *full_cells(c)] for k, c in groups.items()],
        total=[_("Total"), *full_cells(total)],
    )


def tables(f: Figures) -> dict[str, Table]:
    """Every table of the figures page, by key (the CSV file names use the keys)."""
    labels = f.labels
    out = {
        "community": _breakdown(
            "community",
            _l("By community"),
            Column(_l("Community"), Kind.TEXT, 14),
            f.by_community,
            lambda k: localized(labels.communities[k]),
            f.total,
        ),
        "strand": _breakdown(
            "strand",
            _l("By strand"),
            Column(_l("Strand"), Kind.TEXT, 14),
            f.by_strand,
            lambda k: localized(labels.programs[k]),
            f.total,
        ),
        "month": _breakdown(
            "month",
            _l("By month"),
            Column(_l("Month"), Kind.TEXT, 10),
            {m: f.by_month.get(m) or Counts(people=0, households=0) for m in f.months},
            month_label,
            f.total,
        ),
        "age": Table(
            key="age",
            title=_l("By age group (at the session date)"),
            columns=[
                Column(_l("Age group"), Kind.TEXT, 18),
                Column(_l("Visits")),
                Column(_l("People reached")),
            ],
            rows=[[str(AGE_LABELS[g]), c.visits, c.people or 0] for g, c in f.by_age.items()],
            total=[_("Total"), f.total.visits, f.total.people or 0],
        ),
        "community_strand": Table(
            key="community_strand",
            title=_l("By community and strand"),
            columns=[
                Column(_l("Community"), Kind.TEXT, 14),
                Column(_l("Strand"), Kind.TEXT, 14),
                Column(_l("Sessions held")),
                Column(_l("Visits")),
                Column(_l("People reached")),
            ],
            rows=[
                [
                    localized(labels.communities[cid]),
                    localized(labels.programs[pid]),
                    c.sessions_held,
                    c.visits,
                    c.people or 0,
                ]
                for (cid, pid), c in f.by_community_strand.items()
            ],
            total=[_("Total"), "", f.total.sessions_held, f.total.visits, f.total.people or 0],
        ),
        "room": Table(
            key="room",
            title=_l("By book room"),
            columns=[
                Column(_l("Community"), Kind.TEXT, 14),
                Column(_l("Book room"), Kind.TEXT, 16),
                *SHORT,
            ],
            rows=[
                [
                    localized(labels.communities[labels.rooms[rid].community_id]),
                    localized(labels.rooms[rid]),
                    *short_cells(c),
                ]
                for rid, c in f.by_room.items()
            ],
            total=[_("Total"), "", *short_cells(f.total)],
        ),
    }
    if f.by_week:
        out["week"] = Table(
            key="week",
            title=_l("By week"),
            columns=[Column(_l("Week from (Monday)"), Kind.DATE, 14), *SHORT],
            rows=[[date.fromisoformat(w), *short_cells(c)] for w, c in f.by_week.items()],
            total=[_("Total"), *short_cells(f.total)],
        )
    out["tasks"] = tasks_table(f)
    return out


def tasks_table(f: Figures) -> Table:
    def cells(c: TaskCounts) -> list[Any]:
        return [c.households, c.children, c.ticks, c.completed, c.minutes, c.books]

    return Table(
        key="tasks",
        title=_l("Family reading task lists"),
        columns=[
            Column(_l("Community (home)"), Kind.TEXT, 14),
            Column(_l("Households taking part"), width=12),
            Column(_l("Children taking part"), width=12),
            Column(_l("Tasks ticked")),
            Column(_l("Children who completed a list"), width=14),
            Column(_l("Minutes read")),
            Column(_l("Books logged")),
        ],
        rows=[
            [localized(f.labels.communities[cid]), *cells(c)]
            for cid, c in f.tasks_by_community.items()
            if cid in f.labels.communities
        ],
        total=[_("Total"), *cells(f.tasks)],
    )


def sessions_table(f: Figures) -> Table:
    """The sessions of the range with their attendance (one row per session)."""
    labels = f.labels
    # Names and words looked up once, not per session (the year has thousands of rows).
    communities = {cid: localized(c) for cid, c in labels.communities.items()}
    rooms = {rid: (communities[r.community_id], localized(r)) for rid, r in labels.rooms.items()}
    programs = {pid: localized(p) for pid, p in labels.programs.items()}
    status = {"cancelled": _("Cancelled"), "scheduled": _("Scheduled")}
    rows = [
        [
            to_beijing(row.starts_at).replace(tzinfo=None),
            *rooms[row.room_id],
            programs[row.program_id],
            row.title,
            status.get(row.status.value, status["scheduled"]),
            row.capacity,
            row.seats,
            row.visits,
            row.waiting,
        ]
        for row in session_rows(f.scope)
    ]
    return Table(
        key="sessions",
        title=_l("Sessions of the range and their attendance"),
        columns=[
            Column(_l("Starts (Beijing time)"), Kind.MOMENT, 17),
            Column(_l("Community"), Kind.TEXT, 12),
            Column(_l("Book room"), Kind.TEXT, 14),
            Column(_l("Strand"), Kind.TEXT, 12),
            Column(_l("Session"), Kind.TEXT, 24),
            Column(_l("Status"), Kind.TEXT, 8),
            Column(_l("Capacity")),
            Column(_l("Seats booked")),
            Column(_l("Visits")),
            Column(_l("Waiting households"), width=12),
        ],
        rows=rows,
    )


def display(value: Any, kind: Kind) -> str:
    """A cell as the page and the CSV show it."""
    if value is None:
        return "—" if kind is Kind.RATE else ""
    if kind is Kind.RATE:
        return f"{value * 100:.1f}%"
    if kind is Kind.MOMENT and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if kind is Kind.DATE and isinstance(value, date):
        return value.isoformat()
    return str(value)
