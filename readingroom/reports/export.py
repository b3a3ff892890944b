"""The figures as files for Excel on a Chinese Windows PC: one workbook (XlsxWriter) with a
sheet per breakdown and a native chart, or one CSV per table (:mod:`readingroom.csvutil`).

Figures only: no names, no phone numbers.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from xlsxwriter import Workbook

from ..csvutil import ExcelCsv
from ..i18n import localized
from ..timeutil import beijing_today
from .figures import Figures
from .tables import Kind, Table, display


def scope_text(f: Figures) -> str:
    names = "、".join(localized(c) for c in f.labels.communities.values())
    return names or _("No community")


def strand_text(f: Figures) -> str:
    program = f.labels.programs.get(f.scope.program_id) if f.scope.program_id else None
    return localized(program) if program else _("All strands")


def course_text(f: Figures) -> str:
    return f.labels.course.title if f.labels.course else _("All courses")


def table_csv(table: Table) -> str:
    out = ExcelCsv()
    out.row(*[str(c.label) for c in table.columns])
    for cells in [*table.rows, *([table.total] if table.total else [])]:
        out.row(*[_csv_value(v, c.kind) for v, c in zip(cells, table.columns, strict=True)])
    return out.text()


def _csv_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return ""
    if kind in (Kind.INT, Kind.TEXT) and not isinstance(value, str):
        return value if kind is Kind.INT else str(value)
    return display(value, kind)


#: Sheet names (at most 31 characters, none of []:*?/\) by table key.
def _sheet_names() -> dict[str, str]:
    return {
        "community": _("By community"),
        "strand": _("By strand"),
        "month": _("By month"),
        "week": _("By week"),
        "age": _("By age group"),
        "community_strand": _("Community × strand"),
        "room": _("By book room"),
        "tasks": _("Task lists"),
        "sessions": _("Sessions"),
    }


def workbook(f: Figures, tables: dict[str, Table], *, today: date | None = None) -> bytes:
    """The workbook: a summary sheet with the headline figures and a column chart of the
    visits per month, then a sheet per table (frozen header row, widths set, numbers as
    numbers, dates as dates, a bold total row)."""
    buffer = io.BytesIO()
    book = Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    font = {"font_name": "Microsoft YaHei", "font_size": 11}
    fmt = {
        "title": book.add_format({**font, "bold": True, "font_size": 14}),
        "header": book.add_format(
            {**font, "bold": True, "bg_color": "#E5F1EC", "border": 1, "text_wrap": True}
        ),
        Kind.TEXT: book.add_format(font),
        Kind.INT: book.add_format({**font, "num_format": "0"}),
        Kind.RATE: book.add_format({**font, "num_format": "0.0%"}),
        Kind.DATE: book.add_format({**font, "num_format": "yyyy-mm-dd"}),
        Kind.MOMENT: book.add_format({**font, "num_format": "yyyy-mm-dd hh:mm"}),
    }
    bold = {
        kind: book.add_format({**font, "bold": True, "num_format": n})
        for kind, n in (
            (Kind.TEXT, "@"),
            (Kind.INT, "0"),
            (Kind.RATE, "0.0%"),
            (Kind.DATE, "yyyy-mm-dd"),
            (Kind.MOMENT, "yyyy-mm-dd hh:mm"),
        )
    }

    summary = book.add_worksheet(_("Summary"))
    summary.set_column(0, 0, 26)
    summary.set_column(1, 1, 14)
    summary.write(0, 0, _("Binhe subdistrict reading programme: figures"), fmt["title"])
    summary.write(1, 0, _("Range"), fmt[Kind.TEXT])
    summary.write_datetime(1, 1, _as_datetime(f.scope.start), fmt[Kind.DATE])
    summary.write_datetime(1, 2, _as_datetime(f.scope.end), fmt[Kind.DATE])
    filters = [
        (_("Communities"), scope_text(f)),
        (_("Strand"), strand_text(f)),
        (_("Course"), course_text(f)),
    ]
    for row, (label, text) in enumerate(filters, start=2):
        summary.write(row, 0, label, fmt[Kind.TEXT])
        summary.write(row, 1, text, fmt[Kind.TEXT])
    exported = 2 + len(filters)
    summary.write(exported, 0, _("Exported on"), fmt[Kind.TEXT])
    summary.write_datetime(exported, 1, _as_datetime(today or beijing_today()), fmt[Kind.DATE])
    header_row = exported + 2
    summary.write_row(header_row, 0, [_("Figure"), _("Value")], fmt["header"])
    t = f.total
    headline = [
        (_("Sessions held"), t.sessions_held, Kind.INT),
        (_("Cancelled sessions"), t.sessions_cancelled, Kind.INT),
        (_("Visits"), t.visits, Kind.INT),
        (_("People reached"), t.people or 0, Kind.INT),
        (_("Households reached"), t.households or 0, Kind.INT),
        (_("New households"), t.new_households, Kind.INT),
        (_("Fill rate"), t.fill_rate, Kind.RATE),
        (_("Attendance rate"), t.attendance_rate, Kind.RATE),
        (_("No-show rate"), t.no_show_rate, Kind.RATE),
        (_("Waiting households"), t.waiting_households, Kind.INT),
        (_("Seats asked by waiting households"), t.waiting_seats, Kind.INT),
    ]
    for i, (label, value, kind) in enumerate(headline, start=header_row + 1):
        summary.write(i, 0, label, fmt[Kind.TEXT])
        if value is None:
            summary.write_blank(i, 1, None, fmt[kind])
        else:
            summary.write_number(i, 1, value, fmt[kind])
    summary.freeze_panes(header_row + 1, 0)

    names = _sheet_names()
    for key, table in tables.items():
        sheet = book.add_worksheet(names[key])
        for col, column in enumerate(table.columns):
            sheet.set_column(col, col, column.width)
        sheet.write_row(0, 0, [str(c.label) for c in table.columns], fmt["header"])
        sheet.freeze_panes(1, 0)
        rows = [(cells, fmt) for cells in table.rows]
        if table.total:
            rows.append((table.total, bold))
        for r, (cells, formats) in enumerate(rows, start=1):
            for col, (value, column) in enumerate(zip(cells, table.columns, strict=True)):
                kind = column.kind
                if value is None or value == "":
                    sheet.write_blank(r, col, None, formats[kind])
                elif isinstance(value, str) or kind is Kind.TEXT:
                    sheet.write_string(r, col, str(value), formats[Kind.TEXT])
                elif kind in (Kind.DATE, Kind.MOMENT):
                    sheet.write_datetime(r, col, _as_datetime(value), formats[kind])
                else:
                    sheet.write_number(r, col, value, formats[kind])
        if key == "month" and table.rows:
            chart = book.add_chart({"type": "column"})
            last = len(table.rows)
            chart.add_series(
                {
                    "name": str(table.columns[3].label),
                    "categories": [names[key], 1, 0, last, 0],
                    "values": [names[key], 1, 3, last, 3],
                    "fill": {"color": "#1E6B52"},
                    "data_labels": {"value": True},
                }
            )
            chart.set_title({"name": _("Visits per month")})
            chart.set_legend({"none": True})
            chart.set_x_axis({"name": _("Month")})
            chart.set_y_axis({"name": _("Visits"), "min": 0})
            summary.insert_chart(header_row, 3, chart, {"x_scale": 1.3, "y_scale": 1.2})
    book.close()
    return buffer.getvalue()


def _as_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())
