"""The transcript view's state: the transcript, its line layout, the codings indexed by row,
the cursor and the selection; the queries the screens ask of them.

Rendering is :mod:`transcript_render`, keys and mouse :mod:`transcript_view`.
"""

from __future__ import annotations

from bisect import bisect_left

from textual import events
from textual.geometry import Size
from textual.reactive import Reactive, reactive
from textual.scroll_view import ScrollView

from qcode.core.coding import Coding
from qcode.core.transcript import Transcript, Turn, effective_turns
from qcode.tui.safe import visible
from qcode.tui.widgets import layout as L

MARGIN = 4
"""Cells left of the text: up to three code stripes and a space."""


class TranscriptBase(ScrollView):
    """A transcript laid out in rows at the widget's width, with its codings and selection.

    The cursor, the selection and the highlights are reactives: setting one repaints the view.
    """

    cursor: Reactive[int] = reactive(0, init=False)
    """Offset of the character under the cursor."""
    mark: Reactive[int | None] = reactive(None, init=False)
    """Other end of the selection (inclusive), or None when nothing is selected."""
    extend_mode: Reactive[bool] = reactive(False, init=False)
    """When on (``v``), every movement extends the selection."""
    flash: Reactive[tuple[int, int] | None] = reactive(None, init=False)
    """The passage a search, a quote or a suggestion jumped to, marked until Esc or the next jump."""
    evidence: Reactive[list[tuple[int, int]]] = reactive(list, init=False)
    """The spans a suggestion's evidence points at (its keywords, its similar passages)."""

    def __init__(self, *, id: str | None = None) -> None:  # Textual's name
        super().__init__(id=id)
        self.transcript: Transcript | None = None
        self.turns: list[Turn] = []
        self._layout: L.Layout | None = None
        self._units: L.Units | None = None
        self._visible_text = ""
        self.codings: list[Coding] = []
        self._row_codings: dict[int, list[Coding]] = {}

    # ------------------------------------------------------------ attributes down
    def load(self, transcript: Transcript, codings: list[Coding]) -> None:
        """Show *transcript* with *codings*; the cursor goes to the start."""
        self.transcript = transcript
        self.turns = effective_turns(transcript)
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
