"""Drawing the transcript view's rows: speaker headers, and text rows with code
colours, a margin of code stripes (one per code on the row, so overlaps show),
the selection, the cursor, the flash and the evidence of a suggestion.

Only the visible rows are drawn (Textual's line API, ``render_line``).
"""

from __future__ import annotations

import zlib

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from qcode.tui.safe import label as safe_label
from qcode.tui.widgets import layout as L
from qcode.tui.widgets.transcript_base import MARGIN, TranscriptBase

SPEAKER_COLORS = ["#4e9a06", "#3465a4", "#c4a000", "#75507b", "#06989a", "#cc0000", "#ce5c00", "#8f5902"]


CURSOR_IN_SELECTION = Style(bold=True, underline=True)


class TranscriptRendering(TranscriptBase):
    """The transcript's rows as strips, styled from the component classes and the code colours."""

    COMPONENT_CLASSES = {
        "transcript--selection",
        "transcript--cursor",
        "transcript--speaker",
        "transcript--time",
        "transcript--flash",
        "transcript--evidence",
    }

    def __init__(self, *, id: str | None = None) -> None:  # Textual's name
        super().__init__(id=id)
        self._qstyles: dict[str, Style] | None = None
        self._code_colors: dict[str, Color] = {}
        self._code_styles: dict[str, Style] = {}
        self._stripe_styles: dict[str, Style] = {}

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._qstyles = None

    def _styles(self) -> dict[str, Style]:
        """The widget's base style and component styles, computed once per style change."""
        cache = getattr(self, "_qstyles", None)
        if cache is None:
            cache = {name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES}
            cache["base"] = self.rich_style
            self._qstyles = cache
        return cache

    def set_code_colors(self, colors: dict[str, Color]) -> None:
        self._code_colors = dict(colors)
        self._update_styles()
        self.refresh()

    def _update_styles(self) -> None:
        self._qstyles = None
        base = self._styles()["base"]
        bg = Color.from_rich_color(base.bgcolor) if base.bgcolor else Color(0, 0, 0)
        self._code_styles = {}
        self._stripe_styles = {}
        for cid, col in self._code_colors.items():
            self._code_styles[cid] = Style(bgcolor=bg.blend(col, 0.45).rich_color)
            self._stripe_styles[cid] = Style(color=col.rich_color, bgcolor=base.bgcolor)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._on_theme, init=False)

    def _on_theme(self, _theme: str) -> None:
        self.call_after_refresh(self._theme_changed)

    def _theme_changed(self) -> None:
        self._update_styles()
        self.refresh()

    # ------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        styles = self._styles()
        base = styles["base"]
        lay = self._layout
        row = self.scroll_offset.y + y
        if lay is None or row >= len(lay):
            return Strip.blank(width, base)
        kind = lay.kinds[row]
        if kind == L.BLANK:
            return Strip.blank(width, base)
        if kind == L.HEAD:
            turn = self.turns[lay.turn_of[row]]
            name = safe_label(turn.speaker or "—", 40)
            col = SPEAKER_COLORS[zlib.crc32((turn.speaker or "").encode()) % len(SPEAKER_COLORS)]
            segs = [
                Segment(" " * MARGIN, base),
                Segment(name, base + styles["transcript--speaker"] + Style(color=col)),
            ]
            when = L.fmt_time(turn.time_start)
            if when:
                segs.append(Segment("  " + when, base + styles["transcript--time"]))
            if turn.overlap:
                segs.append(Segment("  (overlapping speech)", base + styles["transcript--time"]))
            return Strip(segs).adjust_cell_length(width, base)
        return self._render_text_row(row, width, base)

    def _render_text_row(self, row: int, width: int, base: Style) -> Strip:
        lay = self._layout
        assert lay is not None
        s, e = lay.starts[row], lay.ends[row]
        covering = self._row_codings.get(row, ())
        # Margin: one stripe per distinct code on this row (innermost first), '+' when more.
        codes: list[str] = []
        for c in sorted(covering, key=lambda c: c.end - c.start):
            if c.code_id not in codes:
                codes.append(c.code_id)
        segs: list[Segment] = []
        for slot in range(MARGIN - 1):
            if slot < len(codes):
                if slot == MARGIN - 2 and len(codes) > MARGIN - 1:
                    segs.append(Segment("+", base))
                else:
                    segs.append(Segment("▌", self._stripe_styles.get(codes[slot], base)))
            else:
                segs.append(Segment(" ", base))
        segs.append(Segment(" ", base))
        # Text: cut at every point where the style may change.
        points = {s, e}
        for c in covering:
            points.add(min(max(c.start, s), e))
            points.add(min(max(c.end, s), e))
        sel = self.selection
        extra = [sel, self.flash, (self.cursor, self.cursor + 1), *self.evidence]
        for span in extra:
            if span is not None:
                points.add(min(max(span[0], s), e))
                points.add(min(max(span[1], s), e))
        cuts = sorted(points)
        styles = self._styles()
        sel_style = styles["transcript--selection"]
        cur_style = styles["transcript--cursor"]
        flash_style = styles["transcript--flash"]
        ev_style = styles["transcript--evidence"]
        focused = self.has_focus
        text = self._visible_text
        for a, b in zip(cuts, cuts[1:], strict=False):
            if a >= b:
                continue
            style = base
            inside = [c for c in covering if c.start <= a < c.end]
            if inside:
                inner = min(inside, key=lambda c: c.end - c.start)
                style = style + self._code_styles.get(inner.code_id, Style())
                if len({c.code_id for c in inside}) > 1:
                    style = style + Style(underline=True)
            if self.flash and self.flash[0] <= a < self.flash[1]:
                style = style + flash_style
            selected = bool(sel and sel[0] <= a < sel[1])
            if selected:
                style = style + sel_style
            if any(ev[0] <= a < ev[1] for ev in self.evidence):
                # after the selection: a suggestion's passage is selected, its evidence must show
                style = style + ev_style
            if a == self.cursor and focused:
                # Inside the selection the cursor keeps the selection's background (reverse video
                # would draw it as if it were outside) and is marked bold and underlined.
                style = style + (CURSOR_IN_SELECTION if selected else cur_style)
            segs.append(Segment(text[a:b], style))
        if self.cursor == e and focused and e == s:
            segs.append(Segment(" ", base + cur_style))
        return Strip(segs).adjust_cell_length(width, base)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
