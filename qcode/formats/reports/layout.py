"""Table layout rules for the Word report: every header word fits its column, on the page.

Text width is measured with matplotlib's bundled DejaVu Sans (bold for
headers), wider than Calibri or Carlito, so a column wide enough here is wide
enough in Word and LibreOffice; :data:`CELL_PADDING` adds the cell margins.
:func:`plan_table` decides, for a table of a label column and N data
columns (or groups of columns), in this order: all on a portrait page; all
on a landscape page; numbered columns with a key above the table (portrait,
then landscape); and, when even that is too wide, several tables of
consecutive columns on landscape pages. Column widths never drop below what
the longest header word needs, so a header never breaks inside a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from qcode.formats.safexml import xml_text

if TYPE_CHECKING:
    from matplotlib.ft2font import FT2Font

TABLE_PT = 9.0
"""Font size of table text (the legible minimum the report uses)."""
CELL_PADDING = 0.19
"""Inches: Word's default cell margins (0.075 in each side) plus a little slack."""
NUMBER_SAMPLE = "00 000"
"""The widest number cell expected (counts and ``100 %``)."""
LABEL_MIN = 1.6
"""Inches: the label (theme) column is at least this wide; its words wrap at spaces."""


@cache
def _font(bold: bool) -> FT2Font:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"))
    return FT2Font(path)


@cache
def text_width(text: str, size: float = TABLE_PT, bold: bool = False) -> float:
    """Inches *text* takes on one line at *size* points (DejaVu Sans: an upper bound for usual fonts)."""
    if not text:
        return 0.0
    font = _font(bold)
    font.set_size(size, 72)
    font.set_text(xml_text(text), 0.0)  # as the writers will write it
    width, _ = font.get_width_height()
    return float(width) / 64 / 72


def word_need(text: str, size: float = TABLE_PT, bold: bool = True) -> float:
    """Inches a cell needs so that no word of *text* breaks: its longest word plus the padding. Words are
    parted by ordinary spaces only: text joined by no-break spaces ("95\u00a0%") is one word, as Word and
    LibreOffice lay it out."""
    return max((text_width(w, size, bold) for w in _BREAKS.split(text) if w), default=0.0) + CELL_PADDING


_BREAKS = re.compile(r"[ \t\r\n\u2000-\u2006\u2008-\u200a]+")
"""Where a line may break: ordinary spaces (not U+00A0, U+2007 or U+202F, the no-break ones)."""


@dataclass(frozen=True)
class TablePlan:
    landscape: bool
    keyed: bool
    """Data column headers are numbers; the key above the table names them."""
    parts: tuple[tuple[int, ...], ...]
    """Data columns (or groups) of each table, in order."""
    label_width: float
    widths: tuple[float, ...]
    """Width of each data column (or group), in inches, by index."""

    def total(self, part: tuple[int, ...]) -> float:
        return self.label_width + sum(self.widths[i] for i in part)


def plan_table(label_header: str, labels: list[str], headers: list[str], *, portrait: float, landscape: float,
               group: int = 1, keys: bool = True, size: float = TABLE_PT, cells: list[str] | None = None) -> TablePlan:
    """Where and how to lay out a table (see the module docstring). *group*: cells per header (crosstab: n, %);
    *cells*: the data cells' texts (the widest sets the narrowest column; default :data:`NUMBER_SAMPLE`)."""
    number = max((text_width(c, size) for c in cells or [NUMBER_SAMPLE]), default=0.0) + CELL_PADDING
    label_w = max(LABEL_MIN, word_need(label_header, size), *(word_need(x, size, bold=False) for x in labels))
    n = len(headers)

    def widths(names: list[str]) -> tuple[float, ...]:
        return tuple(max(word_need(h, size), group * number) for h in names)

    plain = widths(headers)
    keyed = widths([str(i + 1) for i in range(n)])
    everything = (tuple(range(n)),)
    tries = [(portrait, plain, False), (portrait, keyed, True), (landscape, plain, False), (landscape, keyed, True)]
    for page, ws, is_keyed in tries:
        if (keys or not is_keyed) and label_w + sum(ws) <= page:
            return TablePlan(page == landscape and page != portrait, is_keyed, everything, page - sum(ws), ws)
    chosen = keyed if keys else plain
    # As few tables as fit a landscape page, of about equal size (7 groups: 4 + 3, not 6 + 1).
    count = 1
    while True:
        size_each = -(-n // count)
        parts = [tuple(range(i, min(i + size_each, n))) for i in range(0, n, size_each)]
        if all(label_w + sum(chosen[j] for j in p) <= landscape for p in parts) or size_each == 1:
            break
        count += 1
    widest = max(sum(chosen[j] for j in p) for p in parts)
    return TablePlan(True, keys, tuple(parts), max(label_w, landscape - widest), chosen)


def fixed_widths(headers: list[str], usable: float, *, size: float = TABLE_PT, numeric_from: int = 1,
                 rows: list[list[str]] | None = None) -> list[float]:
    """Widths for a table with few, fixed columns: each column what its header, its longest word in
    *rows* (and a number) needs; the first column the rest of the page."""
    number = text_width(NUMBER_SAMPLE, size) + CELL_PADDING
    cells = [[r[j] for r in rows or () if j < len(r)] for j in range(len(headers))]
    rest = [max(word_need(h, size), number if j + 1 >= numeric_from else 0.0,
                *(word_need(c, size, bold=False) for c in cells[j + 1]))
            for j, h in enumerate(headers[1:])]
    return [max(usable - sum(rest), word_need(headers[0], size)), *rest]
