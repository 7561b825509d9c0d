"""A virtualised transcript view: only the visible rows are rendered.

Built on Textual's line API (:class:`~textual.scroll_view.ScrollView` with
``render_line``), so a 50,000-word focus group costs the same to draw as a
short interview. The view shows turns (speaker, time, wrapped text), coded
passages in their code's colour, a margin of code stripes (one per coding on
that row, so overlaps are visible), the keyboard/mouse selection, and a
"flash" span (the passage a search, retrieval or suggestion jumped to).

Attributes down: the screen calls :meth:`load`, :meth:`set_codings` and
:meth:`set_code_colors`. Messages up: :class:`SelectionChanged`.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from qcode.core.coding import Coding
from qcode.core.transcript import Transcript, Turn
from qcode.tui.safe import label as safe_label
from qcode.tui.safe import visible
from qcode.tui.widgets import layout as L

MARGIN = 4
"""Cells left of the text: up to three code stripes and a space."""

SPEAKER_COLORS = ["#4e9a06", "#3465a4", "#c4a000", "#75507b", "#06989a", "#cc0000", "#ce5c00", "#8f5902"]


CURSOR_IN_SELECTION = Style(bold=True, underline=True)


class TranscriptView(ScrollView, can_focus=True):
    """The transcript, selectable by keyboard and mouse."""

    COMPONENT_CLASSES = {
        "transcript--selection",
        "transcript--cursor",
        "transcript--speaker",
        "transcript--time",
        "transcript--flash",
        "transcript--evidence",
    }

    BINDINGS = [
        Binding("right,l", "move('word', 1)", "Next word", show=False),
        Binding("left,h", "move('word', -1)", "Previous word", show=False),
        Binding("shift+right,L", "move('word', 1, True)", "Extend by word", show=False),
        Binding("shift+left,H", "move('word', -1, True)", "Shrink/extend back by word", show=False),
        Binding("down,j", "move('line', 1)", "Line down", show=False),
        Binding("up,k", "move('line', -1)", "Line up", show=False),
        Binding("shift+down,J", "move('line', 1, True)", "Extend a line down", show=False),
        Binding("shift+up,K", "move('line', -1, True)", "Extend a line up", show=False),
        Binding(")", "move('sentence', 1)", "Next sentence", show=False),
        Binding("(", "move('sentence', -1)", "Previous sentence", show=False),
        Binding("}", "move('sentence', 1, True)", "Extend by sentence", show=False),
        Binding("{", "move('sentence', -1, True)", "Extend back by sentence", show=False),
        Binding("]", "move('turn', 1)", "Next turn", show=False),
        Binding("[", "move('turn', -1)", "Previous turn", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "edge(-1)", "Start of transcript", show=False),
        Binding("end", "edge(1)", "End of transcript", show=False),
        Binding("v", "toggle_extend", "Select mode", show=False),
        Binding("w", "select_unit('word')", "Select word", show=False),
        Binding("s", "select_unit('sentence')", "Select sentence", show=False),
        Binding("t,enter", "select_unit('turn')", "Select turn", show=False),
        Binding("escape", "clear_selection", "Clear selection", show=False),
    ]

    @dataclass
    class SelectionChanged(Message):
        """The cursor or the selection moved."""

        view: TranscriptView
        cursor: int
        selection: tuple[int, int] | None

        @property
        def control(self) -> TranscriptView:
            return self.view

    def __init__(self, *, id: str | None = None) -> None:  # Textual's name
        super().__init__(id=id)
        self.transcript: Transcript | None = None
        self.turns: list[Turn] = []
        self._layout: L.Layout | None = None
        self._units: L.Units | None = None
        self._visible_text = ""
        self.codings: list[Coding] = []
        self._row_codings: dict[int, list[Coding]] = {}
        self._qstyles: dict[str, Style] | None = None
        self._code_colors: dict[str, Color] = {}
        self._code_styles: dict[str, Style] = {}
        self._stripe_styles: dict[str, Style] = {}
        self.cursor = 0
        """Offset of the character under the cursor."""
        self.mark: int | None = None
        """Other end of the selection (inclusive), or None when nothing is selected."""
        self.extend_mode = False
        """When on (``v``), every movement extends the selection."""
        self.flash: tuple[int, int] | None = None
        self.evidence: list[tuple[int, int]] = []

    # ------------------------------------------------------------ attributes down
    def load(self, transcript: Transcript, codings: list[Coding]) -> None:
        """Show *transcript* with *codings*; the cursor goes to the start."""
        self.transcript = transcript
        self.turns = L.effective_turns(transcript)
        self._visible_text = visible(transcript.text)
        self._units = L.build_units(transcript.text, self.turns)
        self.cursor = self.turns[0].start if self.turns else 0
        self.mark = None
        self.flash = None
        self._layout = None
        self.codings = sorted(codings, key=lambda c: (c.start, c.end, c.id or 0))
        self._relayout()  # lays out now when the size is known, else on the first resize
        self.refresh()

    def set_codings(self, codings: list[Coding]) -> None:
        """Replace the codings shown (sorted by start)."""
        self.codings = sorted(codings, key=lambda c: (c.start, c.end, c.id or 0))
        self._index_codings()
        self.refresh()

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

    # ------------------------------------------------------------ layout
    @property
    def text_width(self) -> int:
        return max(8, self.scrollable_content_region.width - MARGIN)

    def _relayout(self) -> None:
        if self.transcript is None or not self.scrollable_content_region.width:
            return
        width = self.text_width
        if self._layout is not None and self._layout.width == width:
            return
        self._layout = L.build_layout(self.transcript.text, self.turns, width)
        self._index_codings()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._layout))
        self._keep_cursor_visible()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def watch_show_vertical_scrollbar(self) -> None:
        # The scrollbar takes a column: wrap again at the narrower width, or
        # the last cell of the longest rows would be cut off.
        self.call_after_refresh(self._relayout)

    def _index_codings(self) -> None:
        """Row -> codings shown on it (only rows that have codings)."""
        self._row_codings = {}
        for c in self.codings:
            self._index_one(c)

    def _rows_of(self, c: Coding) -> range:
        lay = self._layout
        if lay is None:
            return range(0)
        return range(lay.row_of(c.start), lay.row_of(max(c.start, c.end - 1)) + 1)

    def _index_one(self, c: Coding) -> None:
        rows = self._row_codings
        for r in self._rows_of(c):
            rows.setdefault(r, []).append(c)

    def add_coding(self, c: Coding) -> None:
        """Show one more coding (after the store committed it)."""
        self.codings.append(c)
        self._index_one(c)
        self.refresh()

    def remove_coding(self, coding_id: int | None) -> None:
        gone = [c for c in self.codings if c.id == coding_id]
        self.codings = [c for c in self.codings if c.id != coding_id]
        for c in gone:
            for r in self._rows_of(c):
                self._row_codings[r] = [x for x in self._row_codings.get(r, []) if x.id != coding_id]
        self.refresh()

    def replace_coding(self, new: Coding) -> None:
        self.remove_coding(new.id)
        self.add_coding(new)

    # ------------------------------------------------------------ queries
    @property
    def selection(self) -> tuple[int, int] | None:
        """The selected span ``(start, end)`` (end exclusive), or None."""
        if self.mark is None:
            return None
        a, b = sorted((self.mark, self.cursor))
        return a, b + 1

    def codings_at(self, offset: int | None = None) -> list[Coding]:
        """Codings covering *offset* (default: the cursor), innermost first."""
        pos = self.cursor if offset is None else offset
        if self._layout is None:
            return []
        hits = list(self._row_codings.get(self._layout.row_of(pos), ()))
        hits = [c for c in hits if c.start <= pos < c.end]
        return sorted(hits, key=lambda c: c.end - c.start)

    def turn_index_at(self, offset: int) -> int:
        starts = [t.start for t in self.turns]
        return max(0, bisect_left(starts, offset + 1) - 1)

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

    # ------------------------------------------------------------ movement
    def _set_cursor(self, pos: int, extend: bool) -> None:
        if self.transcript is None:
            return
        n = len(self.transcript.text)
        pos = max(0, min(pos, max(0, n - 1)))
        if extend or self.extend_mode:
            if self.mark is None:
                self.mark = self.cursor
        else:
            self.mark = None
        self.cursor = pos
        self._keep_cursor_visible()
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def _keep_cursor_visible(self) -> None:
        lay = self._layout
        if lay is None or not self.size.height:
            return
        row = lay.row_of(self.cursor)
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if row < top + 1:
            # Show the turn header when the cursor is on a turn's first row.
            want = row - 1 if row > 0 and lay.kinds[row - 1] == L.HEAD else row
            self.scroll_to(y=max(0, want), animate=False, immediate=True)
        elif row >= top + height - 1:
            self.scroll_to(y=row - height + 2, animate=False, immediate=True)

    def action_move(self, unit: str, direction: int, extend: bool = False) -> None:
        if self.transcript is None or self._units is None or self._layout is None:
            return
        u = self._units
        pos = self.cursor
        forward = direction > 0
        extending = extend or self.extend_mode
        target: int | None
        starts, ends = self._unit_lists(unit, u)
        if unit != "line":
            # With a selection, the moving end goes to unit ends when it is after
            # the mark (the selection grows or shrinks by whole units).
            if forward:
                after_mark = self.mark is None or self.mark <= pos
            else:
                after_mark = self.mark is not None and self.mark < pos
            if extending and after_mark:
                target = L.next_end(ends, pos) if forward else L.prev_end(ends, pos)
            else:
                target = L.next_start(starts, pos) if forward else L.prev_start(starts, pos)
        else:  # visual line
            target = self._line_target(direction)
        if target is not None:
            self._set_cursor(target, extend)

    def _unit_lists(self, unit: str, u: L.Units) -> tuple[list[int], list[int]]:
        if unit == "word":
            return u.word_starts, u.word_ends
        if unit == "sentence":
            return u.sent_starts, u.sent_ends
        if unit == "turn":
            return [t.start for t in self.turns], [t.end for t in self.turns]
        return [], []

    def _line_target(self, direction: int) -> int | None:
        lay = self._layout
        assert lay is not None
        row = lay.row_of(self.cursor)
        col = self.cursor - lay.starts[row]
        r = row + direction
        while 0 <= r < len(lay) and lay.kinds[r] != L.TEXT:
            r += direction
        if not 0 <= r < len(lay):
            return None
        return lay.starts[r] + min(col, max(0, lay.ends[r] - lay.starts[r] - 1))

    def action_page(self, direction: int) -> None:
        lay = self._layout
        if lay is None:
            return
        height = max(1, self.scrollable_content_region.height - 1)
        row = lay.row_of(self.cursor)
        col = self.cursor - lay.starts[row]
        r = max(0, min(len(lay) - 1, row + direction * height))
        while 0 < r < len(lay) - 1 and lay.kinds[r] != L.TEXT:
            r += direction
        if lay.kinds[r] != L.TEXT:
            r = lay.row_of(lay.starts[r])
        new_top = max(0, min(self.max_scroll_y, self.scroll_offset.y + direction * height))
        self.scroll_to(y=new_top, animate=False, immediate=True)
        self._set_cursor(lay.starts[r] + min(col, max(0, lay.ends[r] - lay.starts[r] - 1)), False)

    def action_edge(self, direction: int) -> None:
        if self.transcript is None:
            return
        self._set_cursor(0 if direction < 0 else len(self.transcript.text) - 1, False)

    def action_toggle_extend(self) -> None:
        self.extend_mode = not self.extend_mode
        if self.extend_mode and self.mark is None:
            self.mark = self.cursor
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def action_clear_selection(self) -> None:
        if self.mark is None and not self.extend_mode and self.flash is None and not self.evidence:
            from textual.actions import SkipAction

            raise SkipAction()  # nothing to clear: escape goes on to the screen (e.g. Back)
        self.extend_mode = False
        self.mark = None
        self.flash = None
        self.evidence = []
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def action_select_unit(self, unit: str) -> None:
        if self._units is None:
            return
        if unit == "word":
            span = L.unit_at(self._units.word_starts, self._units.word_ends, self.cursor)
        elif unit == "sentence":
            span = L.unit_at(self._units.sent_starts, self._units.sent_ends, self.cursor)
        else:
            t = self.turns[self.turn_index_at(self.cursor)]
            span = (t.start, t.end)
        if span:
            self.select(*span)

    def select(self, start: int, end: int, *, flash: bool = False) -> None:
        """Select ``text[start:end]`` and scroll it into view."""
        if end <= start:
            return
        self.extend_mode = False
        self.mark = start
        if flash:
            self.flash = (start, end)
        self.cursor = start
        self._keep_cursor_visible()
        self.cursor = end - 1
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def reveal(self, start: int, end: int) -> None:
        """Scroll ``text[start:end]`` into view with its turn's header (speaker, time) above it
        when both fit; else as much of the passage as fits from its first row.

        Call it once the widget has its final height (e.g. ``call_after_refresh``):
        a panel above that grows after :meth:`select` would push the passage out.
        """
        lay = self._layout
        height = self.scrollable_content_region.height
        if lay is None or not height or end <= start:
            return
        first, last = lay.row_of(start), lay.row_of(end - 1)
        head = lay.turn_row(self.turn_index_at(start))
        if lay.kinds[head] == L.BLANK:
            head += 1
        top = self.scroll_offset.y
        if last - head < height:
            if head >= top and last < top + height:
                return
            want = head if head < top else last - height + 1
        else:
            want = first if first < top or last >= top + height else top
        self.scroll_to(y=max(0, want), animate=False, immediate=True)

    def jump_to(self, start: int, end: int) -> None:
        """Put the cursor on *start* and mark ``start:end`` (a search hit or a quote)."""
        self.mark = None
        self.extend_mode = False
        self.flash = (start, end)
        self.cursor = start
        self._keep_cursor_visible()
        lay = self._layout
        if lay is not None:
            # Centre the passage when there is room.
            row = lay.row_of(start)
            self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 3), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    # ------------------------------------------------------------ mouse
    def _offset_at(self, event: events.MouseEvent) -> int | None:
        lay = self._layout
        off = event.get_content_offset(self)
        if lay is None or off is None:
            return None
        row = self.scroll_offset.y + off.y
        if not 0 <= row < len(lay):
            return None
        if lay.kinds[row] != L.TEXT:
            nxt = row + 1
            while nxt < len(lay) and lay.kinds[nxt] != L.TEXT:
                nxt += 1
            if nxt >= len(lay):
                return None
            row = nxt
        col = max(0, off.x - MARGIN)
        from rich.cells import cell_len

        s, e = lay.starts[row], lay.ends[row]
        pos = s
        while pos < e - 1 and cell_len(self._visible_text[s : pos + 1]) <= col:
            pos += 1
        return pos

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        pos = self._offset_at(event)
        if pos is None:
            return
        self.focus()
        self.extend_mode = False
        if event.shift and self.mark is None:
            self.mark = self.cursor
        elif not event.shift:
            self.mark = None
        self._dragging = True
        self.capture_mouse()
        self.cursor = pos
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not getattr(self, "_dragging", False) or not event.button:
            return
        pos = self._offset_at(event)
        if pos is None or pos == self.cursor:
            return
        if self.mark is None:
            self.mark = self.cursor
        self.cursor = pos
        self.refresh()
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if getattr(self, "_dragging", False):
            self._dragging = False
            self.release_mouse()

    def on_click(self, event: events.Click) -> None:
        """Double-click selects the word under the mouse, triple-click the whole turn."""
        if event.button != 1 or event.chain < 2 or event.shift:
            return
        pos = self._offset_at(event)
        if pos is None:
            return
        self.cursor = pos
        self.action_select_unit("word" if event.chain == 2 else "turn")

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
