"""Report charts as PNG bytes: theme frequencies, themes by group, co-occurrence.

matplotlib is imported lazily and used through its object API with the Agg
canvas (no pyplot, no global state, no display needed). PNG metadata is
emptied so the same data gives the same bytes. Every chart has a title and
axis labels in the report's language (*m*, a
:class:`~qcode.formats.reports.i18n.Messages`); the report adds a caption
saying what is counted.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qcode.core.analysis_tables import CodeFrequency, Cooccurrence, Crosstab
from qcode.formats.reports.i18n import Messages

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DEFAULT_COLOR = "#4472c4"
GROUP_COLORS = ("#4472c4", "#ed7d31", "#70ad47", "#7f5fa8", "#ffc000", "#5b9bd5", "#a5a5a5", "#c0504d")
LABEL_CHARS = 30
"""Characters per line of a theme label on a chart axis (two lines at most)."""
MAX_GROUPS = 12
"""A theme-by-group chart shows at most this many groups (the table has them all)."""


def _short(label: str, width: int = 34) -> str:
    """*label* cut to *width* characters, with control characters shown as U+FFFD (as in the Word text)."""
    from qcode.formats.safexml import xml_text

    label = xml_text(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _wrap(label: str, width: int = LABEL_CHARS, lines: int = 2, indent: str = "") -> str:
    """*label* on at most *lines* lines of about *width* characters, broken between words (and after the
    hyphens of long words), each line after *indent*; only a label longer than that is cut, with "…"."""
    import textwrap

    from qcode.formats.safexml import xml_text

    parts = textwrap.wrap(xml_text(label), width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(parts) > lines:
        rest = " ".join(parts[lines - 1 :])
        parts = parts[: lines - 1] + [rest[: width - 1] + "…"]
    return "\n".join(indent + part for part in parts)


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _clean(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def frequency_chart(rows: Sequence[CodeFrequency], colors: dict[str, str] | None = None,
                    m: Messages | None = None) -> bytes:
    """Horizontal bars: codings per theme (with sub-themes), sub-themes indented and lighter."""
    return _png(frequency_figure(rows, colors, m))


def frequency_figure(rows: Sequence[CodeFrequency], colors: dict[str, str] | None = None,
                     m: Messages | None = None) -> Figure:
    """The figure of :func:`frequency_chart`."""
    from matplotlib.ticker import MaxNLocator

    m = m or Messages("en")
    colors = colors or {}
    rows = list(rows)
    labels = [_wrap(r.label, LABEL_CHARS - 2 * r.depth, indent="    " * r.depth) for r in rows]
    # The rows are evenly spaced: 0.26 in each for labels of one line of 8-point text, 0.36 in when a label
    # takes two lines (two lines are 0.27 in high), so that two wrapped labels in a row do not touch.
    row = 0.36 if any("\n" in label for label in labels) else 0.26
    fig = _figure(6.3, max(2.0, 1.0 + row * len(rows)))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    values = [r.total_codings for r in rows]
    bars = ax.barh(ys, values, color=[colors.get(r.code_id) or DEFAULT_COLOR for r in rows], height=0.7)
    for bar, r in zip(bars, rows, strict=True):
        if r.depth:
            bar.set_alpha(0.55)
    ax.set_yticks(ys, labels, fontsize=8)
    top = max(values, default=0)
    for y, v in zip(ys, values, strict=True):
        ax.text(v + top * 0.01, y, m.num(v), va="center", fontsize=7)
    ax.set_xlim(0, top * 1.12 + 1)
    ax.set_title(m("fig_frequencies_title"), fontsize=10, loc="left")
    ax.set_xlabel(m("fig_frequencies_x"), fontsize=8)
    ax.set_ylabel(m("fig_frequencies_y"), fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    # counts of codings: a tick at 0.5 codings means nothing
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _clean(ax)
    return fig


def groups_chart(table: Crosstab, m: Messages | None = None) -> bytes | None:
    """Themes (top level) by groups: each cell the share of the group's people who said something coded
    with the theme, written in the cell (None when no group has people or nothing is coded)."""
    m = m or Messages("en")
    rows = [r for r in table.rows if r.depth == 0 and any(r.people)]
    groups = [i for i, n in enumerate(table.sizes) if n][:MAX_GROUPS]
    if not rows or not groups:
        return None
    people = m("word_speakers" if table.unit == "speakers" else "word_participants")
    width = min(9.5, 2.8 + 0.75 * len(groups))
    fig = _figure(width, min(8.0, 1.6 + 0.34 * len(rows)))
    ax = fig.add_subplot()
    grid = [[100 * (r.shares[g] or 0) for g in groups] for r in rows]
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            ax.text(j, i, m.pct(v / 100), ha="center", va="center", fontsize=7, color="white" if v > 60 else "black")
    ax.set_xticks(range(len(groups)), [f"{_short(table.groups[g], 16)}\n({m.num(table.sizes[g])})" for g in groups],
                  fontsize=7)
    ax.set_yticks(range(len(rows)), [_wrap(r.label) for r in rows], fontsize=7)
    ax.set_title(m("fig_groups_title", people=people, attribute=table.attribute), fontsize=10, loc="left")
    ax.set_xlabel(f"{table.attribute} ({people})", fontsize=8)
    ax.set_ylabel(m("fig_frequencies_y"), fontsize=8)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.ax.tick_params(labelsize=7)
    bar.set_label(m("fig_groups_x", people=people), fontsize=8)
    return _png(fig)


def cooccurrence_heatmap(mat: Cooccurrence, m: Messages | None = None) -> bytes:
    """Heatmap of the off-diagonal counts; numbers written in cells when there is room."""
    m = m or Messages("en")
    n = len(mat.codes)
    size = min(9.0, max(3.8, 2.2 + 0.26 * n))
    fig = _figure(size + 1.2, size)
    ax = fig.add_subplot()
    grid = [[(v if i != j else 0) for j, v in enumerate(row)] for i, row in enumerate(mat.values)]
    top = max((v for row in grid for v in row), default=0)
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(1, top), aspect="equal")
    labels = [_short(label, 28) for label in mat.labels]
    font = 8 if n <= 15 else 6 if n <= 30 else 5
    ax.set_xticks(range(n), labels, rotation=60, ha="right", rotation_mode="anchor", fontsize=font)
    ax.set_yticks(range(n), labels, fontsize=font)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if i == j:
                    ax.text(j, i, "–", ha="center", va="center", fontsize=font, color="#999999")
                elif grid[i][j]:
                    dark = grid[i][j] > top * 0.6
                    ax.text(j, i, m.num(grid[i][j]), ha="center", va="center", fontsize=font,
                            color="white" if dark else "black")
    from matplotlib.ticker import MaxNLocator

    ax.set_title(m("fig_cooc_title"), fontsize=10, loc="left")
    ax.set_xlabel(m("fig_frequencies_y"), fontsize=8)
    ax.set_ylabel(m("fig_frequencies_y"), fontsize=8)
    bar = fig.colorbar(image, ax=ax, shrink=0.6, ticks=MaxNLocator(integer=True))
    bar.ax.tick_params(labelsize=7)
    bar.set_label(m("fig_cooc_bar"), fontsize=8)
    return _png(fig)
