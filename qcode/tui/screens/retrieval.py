"""Code retrieval: every quote of a code (or of two co-occurring codes), filterable by attributes.

The quote list has fixed column widths computed from the screen width (and
recomputed on resize): a DataTable with auto-width columns measures new rows
only when idle, and a frame drawn before that kept the header-label widths
("Many…") until the next change.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import Reactive, var
from textual.widgets import Button, DataTable, Footer, Header, Input, Static

from qcode.core.errors import QcodeError
from qcode.tui.safe import label as safe_label
from qcode.tui.safe import transcript as transcript_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.screens.dialogs import CodePicker
from qcode.tui.widgets.layout import fmt_time
from qcode.usecases import retrieval as uc


class RetrievalError(QcodeError):
    title = "Filter problem"


def parse_filters(text: str) -> dict[str, list[str]]:
    """``country=FR,BE gender=f`` -> {"country": ["FR", "BE"], "gender": ["f"]}."""
    out: dict[str, list[str]] = {}
    for part in text.split():
        if "=" not in part:
            raise RetrievalError(f"Filter '{part}' has no '='.", hint="Write filters as name=value, e.g. country=FR gender=f.")
        name, values = part.split("=", 1)
        out[name] = [v for v in values.split(",") if v]
    return out


COLUMNS = ("Transcript", "Speaker", "Time", "Coded by", "Quote")
_CAPS = {True: (26, 16, 8, 22), False: (14, 12, 8, 12)}
"""Widest Transcript, Speaker, Time and Coded-by columns on a wide (True) and a narrow screen."""
_CHROME = 2 * len(COLUMNS) + 2
"""Cell padding (one each side) plus the vertical scrollbar."""


def column_widths(total: int, cells: list[tuple[str, ...]]) -> list[int]:
    """Content widths of :data:`COLUMNS` for a table *total* cells wide: each short column as
    wide as its longest cell (capped, narrower caps under 110 cells), the quote the rest."""
    caps = _CAPS[total >= 110]
    widths = []
    for i, (name, cap) in enumerate(zip(COLUMNS, caps, strict=False)):
        longest = max((len(row[i]) for row in cells), default=0)
        widths.append(min(cap, max(len(name), longest)))
    widths.append(max(10, total - sum(widths) - _CHROME))
    return widths


def coders_cell(q: uc.Quote, room: int) -> str:
    """Who coded the passage: the names when they fit in *room*, else ``"2 coders"`` (the
    detail panel names them)."""
    if len(q.coders) < 2:
        return safe_label(q.coder, 60)
    names = safe_label(", ".join(q.coders), 200)
    return names if len(names) <= room else f"{len(q.coders)} coders"


class RetrievalScreen(QcodeScreen):
    """Quotes of one code, or where two codes overlap; Enter jumps into the transcript."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("c", "choose_code", "Code…"),
        Binding("w", "choose_with", "With code…"),
        Binding("W", "clear_with", "Drop 2nd code", show=False),
        Binding("f", "focus_filter", "Filter"),
        Binding("enter", "open_quote", "Open", show=False),
    ]

    code_id: Reactive[str | None] = var(None, init=False)
    """The code whose quotes are listed (None until one is chosen); setting it reloads the quotes."""

    with_code: Reactive[str | None] = var(None, init=False)
    """A second code: only the passages where both overlap are listed (None: all quotes of the first)."""

    def __init__(self, code_id: str | None = None, with_code: str | None = None) -> None:
        super().__init__()
        # on_mount loads the first quotes (or asks for a code)
        self.set_reactive(RetrievalScreen.code_id, code_id)
        self.set_reactive(RetrievalScreen.with_code, with_code)
        self.quotes: list[uc.Quote] = []
        self._applied_filter = ""
        self._width = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="toolbar"):
            yield Button("Code…", id="pick-code")
            yield Button("With…", id="pick-with")
            yield Input(placeholder="attribute filter: country=FR,BE gender=f (Enter)", id="ret-filter")
        yield DataTable(id="ret-quotes", cursor_type="row", classes="tool-list")
        yield Static(id="ret-detail", classes="tool-detail")
        yield Static(classes="screen-status", id="ret-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Quotes of a code"
        table = self.query_one(DataTable)
        self._fill_table()
        if self.code_id is None:
            self.call_after_refresh(self.action_choose_code)
        else:
            self.refresh_from_store()
        table.focus()

    def _code_label(self, code_id: str | None) -> str:
        code = self.project.codebook.find(code_id) if code_id else None
        return safe_label(code.display(self.project.settings.language) if code else str(code_id), 30)

    def refresh_from_store(self) -> bool:
        """Reload the quotes of the chosen code(s) with the filter in the box; False when it
        could not (no code yet, or an error was shown) and the list is left as it was."""
        if self.code_id is None:
            return False
        ok, filters = self.qcode_app.attempt(parse_filters, self.query_one("#ret-filter", Input).value)
        if not ok:
            return False
        ok, quotes = self.qcode_app.attempt(
            uc.quotes, self.project, self.code_id, with_code=self.with_code, filters=filters
        )
        if not ok:
            return False
        self.quotes = quotes
        self._applied_filter = self.query_one("#ret-filter", Input).value
        self._fill_table(cursor=0)
        self.sub_title = f"Quotes of {self._what()}"
        self._update_status()
        self._show_detail()
        return True

    def _what(self) -> str:
        return f"“{self._code_label(self.code_id)}”" + (f" with “{self._code_label(self.with_code)}”" if self.with_code else "")

    def _cells(self, width: int) -> list[tuple[str, ...]]:
        room = _CAPS[width >= 110][3]
        return [
            (transcript_label(q.transcript_title, q.transcript, 30), safe_label(q.speaker or "", 30), fmt_time(q.time),
             coders_cell(q, room), safe_label(" ".join(q.text.split()), 300))
            for q in self.quotes
        ]

    def _fill_table(self, cursor: int | None = None) -> None:
        """(Re)build the table with columns that fit the screen; keep the cursor row unless *cursor*."""
        table = self.query_one(DataTable)
        row = table.cursor_row if cursor is None else cursor
        self._width = self.size.width or self.app.size.width
        cells = self._cells(self._width)
        table.clear(columns=True)
        for name, width in zip(COLUMNS, column_widths(self._width, cells), strict=True):
            table.add_column(name, width=width)
        for i, values in enumerate(cells):
            table.add_row(*(Text(v, no_wrap=True, overflow="ellipsis") for v in values), key=str(i))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def _update_status(self) -> None:
        """Counts, then as many key hints as fit on the one status line."""
        if self.code_id is None:
            return
        n, k = len(self.quotes), len({q.transcript_id for q in self.quotes})
        text = f"{n} quote{'' if n == 1 else 's'} of {self._what()} in {k} transcript{'' if k == 1 else 's'}"
        room = (self._width or self.app.size.width) - 2
        for hint in (" · Enter opens", " · c code", " · w with", " · f filter"):
            if len(text) + len(hint) > room:
                break
            text += hint
        self.query_one("#ret-status", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    def on_resize(self) -> None:
        if self.is_mounted and self.size.width != self._width:
            self._fill_table()
            self._update_status()

    def _row(self) -> int | None:
        table = self.query_one(DataTable)
        return table.cursor_row if table.row_count else None

    def _show_detail(self) -> None:
        i = self._row()
        panel = self.query_one("#ret-detail", Static)
        if i is None or i >= len(self.quotes):
            panel.update(Text("No quotes." if self.code_id else "Choose a code (c).", style="dim"))
            return
        q = self.quotes[i]
        t = Text()
        by = q.coded_by() or f"coded by {q.coder}"
        who = f"{safe_label(q.speaker or '—')} {fmt_time(q.time)}".rstrip()
        t.append(f"{transcript_label(q.transcript_title, q.transcript, with_name=True)} · {who} · {safe_label(by)}\n", style="bold")
        t.append(safe_label(q.text.replace("\n", " ")) + "\n")
        if q.memo:
            t.append("Memo: ", style="bold")
            t.append(safe_label(q.memo) + "\n", style="italic")
        if q.attributes:
            t.append(safe_label(", ".join(f"{k}={v}" for k, v in q.attributes.items())), style="dim")
        panel.update(t)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open_quote()

    def action_open_quote(self) -> None:
        i = self._row()
        if i is not None and i < len(self.quotes):
            q = self.quotes[i]
            self.qcode_app.open_transcript(q.transcript_id, (q.start, q.end))

    def _pick(self, title: str, then: Callable[[str | None], None]) -> None:
        self.app.push_screen(CodePicker(self.project.codebook, self.project.settings.language, title=title, allow_new=False), then)

    def action_choose_code(self) -> None:
        def chosen(code_id: str | None) -> None:
            if code_id:
                self.code_id = code_id

        self._pick("Show the quotes of…", chosen)

    def action_choose_with(self) -> None:
        def chosen(code_id: str | None) -> None:
            if code_id:
                self.with_code = code_id

        self._pick("…where it overlaps with", chosen)

    def action_clear_with(self) -> None:
        self.with_code = None

    def watch_code_id(self) -> None:
        self.refresh_from_store()

    def watch_with_code(self) -> None:
        self.refresh_from_store()

    def action_back(self) -> None:
        """Esc in the filter box leaves the box (its text back to the filter in use); else the screen."""
        box = self.query_one("#ret-filter", Input)
        if box.has_focus:
            box.value = self._applied_filter
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()

    def action_focus_filter(self) -> None:
        self.query_one("#ret-filter", Input).focus()

    @on(Input.Submitted, "#ret-filter")
    def _filter(self) -> None:
        """Apply the filter and go back to the list; a filter in error keeps the box to fix it."""
        if self.refresh_from_store() or self.code_id is None:
            self.query_one(DataTable).focus()

    @on(Button.Pressed, "#pick-code")
    def _b1(self) -> None:
        self.action_choose_code()

    @on(Button.Pressed, "#pick-with")
    def _b2(self) -> None:
        self.action_choose_with()
