"""A virtualised transcript view: only the visible rows are rendered.

Built on Textual's line API (:class:`~textual.scroll_view.ScrollView` with
``render_line``), so a 50,000-word focus group costs the same to draw as a
short interview. The view shows turns (speaker, time, wrapped text), coded
passages in their code's colour, a margin of code stripes (one per coding on
that row, so overlaps are visible), the keyboard/mouse selection, and a
"flash" span (the passage a search, retrieval or suggestion jumped to).

Three layers: :mod:`transcript_base` (state, layout, queries),
:mod:`transcript_render` (drawing) and this module (keys, mouse, messages).
Attributes down: the screen calls :meth:`load`, :meth:`set_codings` and
:meth:`set_code_colors`. Messages up: :class:`SelectionChanged`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message

from qcode.tui.widgets import layout as L
from qcode.tui.widgets.transcript_base import MARGIN
from qcode.tui.widgets.transcript_render import TranscriptRendering

__all__ = ["MARGIN", "TranscriptView"]


class TranscriptView(TranscriptRendering, can_focus=True):
    """The transcript, selectable by keyboard and mouse."""

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
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))


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
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def action_clear_selection(self) -> None:
        if self.mark is None and not self.extend_mode and self.flash is None and not self.evidence:
            from textual.actions import SkipAction

            raise SkipAction()  # nothing to clear: escape goes on to the screen (e.g. Back)
        self.extend_mode = False
        self.mark = None
        self.flash = None
        self.evidence = []
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
        self.post_message(self.SelectionChanged(self, self.cursor, self.selection))

    def reveal(self, start: int, end: int) -> None:
        """Scroll ``text[start:end]`` into view with its turn's header (speaker, time) above it
        when both fit (a third of the free rows above them, so the passage does not sit on the bottom
        lines); else as much of the passage as fits from its first row.

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
            # A third of the free rows above the turn's header, two thirds below the passage (the same place
            # for every suggestion, wherever the cursor's move left the view).
            want = head - (height - (last - head + 1)) // 3
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
