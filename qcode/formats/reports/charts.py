"""Report charts as PNG bytes: theme frequencies and a co-occurrence heatmap.

matplotlib is imported lazily and used through its object API with the Agg
canvas (no pyplot, no global state, no display needed). PNG metadata is
emptied so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from qcode.core.analysis import CodeFrequency, Cooccurrence

DEFAULT_COLOR = "#4472c4"


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def frequency_chart(rows: Sequence[CodeFrequency], colors: dict[str, str] | None = None) -> bytes:
    """Horizontal bars: codings per theme (with sub-themes), sub-themes indented and lighter."""
    colors = colors or {}
    rows = list(rows)
    fig = _figure(6.3, max(1.6, 0.6 + 0.26 * len(rows)))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    values = [r.total_codings for r in rows]
    bar_colors = [colors.get(r.code_id) or DEFAULT_COLOR for r in rows]
    bars = ax.barh(ys, values, color=bar_colors, alpha=1.0, height=0.7)
    for bar, r in zip(bars, rows, strict=True):
        if r.depth:
            bar.set_alpha(0.55)
    ax.set_yticks(ys, ["    " * r.depth + _short(r.label, 34 - 2 * r.depth) for r in rows], fontsize=8)
    top = max(values, default=0)
    for y, v in zip(ys, values, strict=True):
        ax.text(v + top * 0.01, y, f"{v:,}", va="center", fontsize=7)
    ax.set_xlim(0, top * 1.12 + 1)
    ax.set_xlabel("Codings (a theme includes its sub-themes)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def cooccurrence_heatmap(m: Cooccurrence) -> bytes:
    """Heatmap of the off-diagonal counts; numbers written in cells when there is room."""
    n = len(m.codes)
    size = min(9.0, max(3.5, 1.8 + 0.24 * n))
    fig = _figure(size + 1.2, size)
    ax = fig.add_subplot()
    grid = [[(v if i != j else 0) for j, v in enumerate(row)] for i, row in enumerate(m.values)]
    top = max((v for row in grid for v in row), default=0)
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(1, top), aspect="equal")
    labels = [_short(label, 28) for label in m.labels]
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
                    ax.text(j, i, str(grid[i][j]), ha="center", va="center", fontsize=font, color="white" if dark else "black")
    from matplotlib.ticker import MaxNLocator

    bar = fig.colorbar(image, ax=ax, shrink=0.6, ticks=MaxNLocator(integer=True))
    bar.ax.tick_params(labelsize=7)
    bar.set_label("overlapping codings" if m.mode == "overlap" else "turns with both codes", fontsize=8)
    return _png(fig)
