"""CSV that Excel opens correctly on a Chinese Windows PC (task lists and figures use it).

UTF-8 with a byte order mark (without it Excel reads the file as GBK and the
Chinese turns into mojibake), CRLF line ends. Cells that a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) are prefixed with an
apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell as written: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class ExcelCsv:
    """Rows in, one CSV text out (:meth:`text`, with the BOM)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def row(self, *cells: object) -> None:
        self._writer.writerow([safe_cell(c) for c in cells])

    def rows(self, rows: Iterable[Iterable[object]]) -> None:
        for cells in rows:
            self.row(*cells)

    def text(self) -> str:
        return BOM + self._buffer.getvalue()
