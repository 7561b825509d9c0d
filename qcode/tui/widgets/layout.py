"""Pure layout of a transcript into screen rows, and cursor movement targets.

Kept free of Textual so it can be tested and timed on its own. A row is one
screen line: a turn header (speaker and time), a wrapped piece of turn text,
or a blank line between turns. Text rows cover contiguous offsets of the
transcript, so every character belongs to exactly one row.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from qcode.core.transcript import Turn
from qcode.core.transcript import fmt_time as fmt_time  # the screens read it here

HEAD, TEXT, BLANK = 0, 1, 2

_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?…]+[\"»”’)\]]*(?=\s|$)")


@dataclass
class Layout:
    """Rows of a transcript wrapped at a given text width."""

    width: int
    kinds: list[int] = field(default_factory=list)
    turn_of: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    text_starts: list[int] = field(default_factory=list)
    """Start offset of each TEXT row (sorted), for offset -> row lookups."""
    text_rows: list[int] = field(default_factory=list)
    """Row index of each TEXT row, parallel to ``text_starts``."""

    def __len__(self) -> int:
        return len(self.kinds)

    def row_of(self, offset: int) -> int:
        """The TEXT row showing *offset* (or the nearest one before it)."""
        i = bisect_right(self.text_starts, offset) - 1
        return self.text_rows[max(0, i)] if self.text_rows else 0

    def turn_row(self, turn_index: int) -> int:
        """The header row of turn *turn_index*."""
        i = bisect_left(self.turn_of, turn_index)
        return min(i, len(self.kinds) - 1)


def build_layout(text: str, turns: list[Turn], width: int) -> Layout:
    """Wrap every turn at *width* cells (words are not split unless longer than a row)."""
    from rich.cells import cell_len

    width = max(8, width)
    lay = Layout(width)
    kinds, turn_of, starts, ends = lay.kinds, lay.turn_of, lay.starts, lay.ends
    ts, tr = lay.text_starts, lay.text_rows
    rfind = text.rfind
    for ti, turn in enumerate(turns):
        if ti:
            kinds.append(BLANK)
            turn_of.append(ti)
            starts.append(turn.start)
            ends.append(turn.start)
        kinds.append(HEAD)
        turn_of.append(ti)
        starts.append(turn.start)
        ends.append(turn.start)
        p = turn.start
        while p <= turn.end:
            nl = text.find("\n", p, turn.end)
            pe = turn.end if nl < 0 else nl
            pos = p
            while True:
                if pe - pos <= width:
                    end = pe
                else:
                    br = rfind(" ", pos + 1, pos + width)
                    end = br + 1 if br > pos else pos + width
                piece = text[pos:end]
                if not piece.isascii():
                    # Wide characters (CJK, emoji) take two cells: shorten the row.
                    while end > pos + 1 and cell_len(text[pos:end]) > width:
                        end -= 1
                ts.append(pos)
                tr.append(len(kinds))
                kinds.append(TEXT)
                turn_of.append(ti)
                starts.append(pos)
                ends.append(end)
                if end >= pe:
                    break
                pos = end
            if nl < 0:
                break
            p = nl + 1
    return lay


@dataclass
class Units:
    """Word and sentence spans of a transcript (for keyboard movement)."""

    word_starts: list[int]
    word_ends: list[int]
    sent_starts: list[int]
    sent_ends: list[int]


def build_units(text: str, turns: list[Turn]) -> Units:
    ws: list[int] = []
    we: list[int] = []
    for m in _WORD.finditer(text):
        ws.append(m.start())
        we.append(m.end())
    ss: list[int] = []
    se: list[int] = []
    for turn in turns:
        for para in re.finditer(r"[^\n]+", text[turn.start : turn.end]):
            base = turn.start + para.start()
            body = para.group()
            pos = 0
            for m in _SENTENCE_END.finditer(body):
                _add_sentence(body, base, pos, m.end(), ss, se)
                pos = m.end()
            _add_sentence(body, base, pos, len(body), ss, se)
    return Units(ws, we, ss, se)


def _add_sentence(body: str, base: int, a: int, b: int, ss: list[int], se: list[int]) -> None:
    seg = body[a:b]
    stripped = seg.strip()
    if not stripped:
        return
    lead = len(seg) - len(seg.lstrip())
    ss.append(base + a + lead)
    se.append(base + a + lead + len(stripped))


def next_start(starts: list[int], pos: int) -> int | None:
    """The first start after *pos*."""
    i = bisect_right(starts, pos)
    return starts[i] if i < len(starts) else None


def prev_start(starts: list[int], pos: int) -> int | None:
    """The last start before *pos*."""
    i = bisect_left(starts, pos) - 1
    return starts[i] if i >= 0 else None


def prev_end(ends: list[int], pos: int) -> int | None:
    """The last character of the last unit that ends before *pos* (shrinks a selection)."""
    i = bisect_right(ends, pos) - 1
    return ends[i] - 1 if i >= 0 else None


def next_end(ends: list[int], pos: int) -> int | None:
    """The last character of the first unit ending after *pos* (ends are exclusive)."""
    i = bisect_right(ends, pos + 1)
    return ends[i] - 1 if i < len(ends) else None


def unit_at(starts: list[int], ends: list[int], pos: int) -> tuple[int, int] | None:
    """The (start, end) of the unit containing *pos*, or the next one."""
    i = bisect_right(starts, pos) - 1
    if i >= 0 and ends[i] > pos:
        return starts[i], ends[i]
    if i + 1 < len(starts):
        return starts[i + 1], ends[i + 1]
    return None
