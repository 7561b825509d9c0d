"""Offset conversions at the exchange edge (REFI-QDA, NVivo, ATLAS.ti, MAXQDA).

Inside qcode an offset counts code points of NFC text with ``\\n`` line ends
(:mod:`qcode.core.text`). Other tools count UTF-16 code units, sometimes over
text with ``\\r\\n`` line ends. These helpers convert in both directions for
many offsets at once (``O(n + k log k)``), so an export of thousands of codings
over a 200,000-character transcript stays fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence


def _astral_positions(text: str) -> list[int]:
    """Code-point indices of characters outside the BMP (2 UTF-16 units each)."""
    return [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]


def _newline_positions(text: str) -> list[int]:
    out: list[int] = []
    i = text.find("\n")
    while i != -1:
        out.append(i)
        i = text.find("\n", i + 1)
    return out


def to_external(text: str, offsets: Sequence[int], *, utf16: bool = True, crlf: bool = False) -> list[int]:
    """Convert code-point offsets over *text* to UTF-16 units (and/or CRLF counting)."""
    astral = _astral_positions(text) if utf16 else []
    newlines = _newline_positions(text) if crlf else []
    out: list[int] = []
    for off in offsets:
        if not 0 <= off <= len(text):
            raise ValueError(f"offset {off} outside text of length {len(text)}")
        out.append(off + bisect_left(astral, off) + bisect_left(newlines, off))
    return out


def from_external(text: str, offsets: Sequence[int], *, utf16: bool = True, crlf: bool = False) -> list[int]:
    """Convert UTF-16 (and/or CRLF-counted) offsets back to code points over *text*.

    *text* is qcode's normalised text (``\\n`` line ends). An external offset that
    falls inside a surrogate pair or between ``\\r`` and ``\\n`` is rounded down
    to the start of that character.
    """
    # External position of each code point boundary is monotonic; build the
    # list of "extra units" breakpoints and invert with bisect.
    breaks: list[int] = []  # external offset at which each extra unit starts
    astral = set(_astral_positions(text)) if utf16 else set()
    newlines = set(_newline_positions(text)) if crlf else set()
    extra = 0
    for i in sorted(astral | newlines):
        # the character at i occupies two external units: i+extra and i+extra+1
        breaks.append(i + extra + 1)
        extra += 1
    n_ext = len(text) + extra
    out: list[int] = []
    for off in offsets:
        if not 0 <= off <= n_ext:
            raise ValueError(f"external offset {off} outside text of length {n_ext}")
        # k = double-width characters whose second unit is at or before off;
        # when off is that second unit itself, off - k rounds down to the
        # character's start, as documented.
        k = bisect_right(breaks, off)
        out.append(off - k)
    return out


def utf16_length(text: str) -> int:
    return len(text) + len(_astral_positions(text))
