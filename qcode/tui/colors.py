"""Colours of codes: the codebook's own, or a fixed palette by position."""

from __future__ import annotations

from textual.color import Color

from qcode.core.codebook import Codebook

PALETTE = [
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
    "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#800000", "#aaffc3",
    "#808000", "#ffd8b1", "#000075", "#808080",
]


def code_colors(codebook: Codebook) -> dict[str, Color]:
    """code id -> colour; an unparsable colour in the codebook falls back to the palette."""
    out: dict[str, Color] = {}
    for i, code in enumerate(codebook.codes):
        col: Color | None = None
        if code.color:
            try:
                col = Color.parse(code.color)
            except Exception:  # any bad colour string falls back
                col = None
        out[code.id] = col or Color.parse(PALETTE[i % len(PALETTE)])
    return out
