"""Search screen: keywords in context across transcripts; code all results after review."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, Static

from qcode.tui.messages import CodingsChanged
from qcode.tui.safe import label as safe_label
from qcode.tui.safe import transcript as transcript_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.screens.dialogs import ChoiceDialog, CodePicker, ConfirmDialog
from qcode.tui.widgets.layout import fmt_time
from qcode.usecases import search as uc

UNIT_CHOICES = [
    ("sentence", "the sentence"),
    ("match", "only the matched words"),
    ("turn", "the whole turn"),
]
"""What "code all" codes around each result (first = default)."""


class OnOffBox(Checkbox):
    """A check-box whose mark is empty when off (Textual's draws a dim X, which reads as checked)."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # Textual's name
        return "X" if self.value else " "


class SearchScreen(QcodeScreen):
    """Type a word or phrase; review the hits (space excludes one); C codes them all."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("space", "toggle_hit", "Include/exclude"),
        Binding("C", "code_all", "Code all included"),
        Binding("enter", "open_hit", "Open in transcript", show=False),
        Binding("ctrl+f", "focus_query", "Edit search", show=False),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query
        self.hits: list[uc.Hit] = []
        self.excluded: set[int] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="toolbar"):
            yield Input(self.initial, placeholder="search the transcripts (Enter)", id="search-query")
            yield OnOffBox("words", id="whole")
            yield OnOffBox("case", id="case")
            yield OnOffBox("regex", id="regex")
        yield DataTable(id="search-hits", cursor_type="row", classes="tool-list")
        yield Static("Type a word or phrase and press Enter.", classes="screen-status", id="search-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Search"
        table = self.query_one(DataTable)
        table.add_column("✓", key="inc")
        table.add_column("Transcript", key="t")
        table.add_column("Speaker", key="sp")
        table.add_column("Time", key="time")
        table.add_column("In context", key="kwic")
        self.query_one(Input).focus()
        if self.initial:
            self.run_search()

    def action_focus_query(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#search-query")
    def run_search(self) -> None:
        query = self.query_one("#search-query", Input).value
        ok, hits = self.qcode_app.attempt(
            uc.search,
            self.project,
            query,
            whole_words=self.query_one("#whole", Checkbox).value,
            case_sensitive=self.query_one("#case", Checkbox).value,
            regex=self.query_one("#regex", Checkbox).value,
        )
        if not ok:
            return
        self.hits = hits
        self.excluded = set()
        self._fill()
        if hits:
            self.query_one(DataTable).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        title = 24 if self.size.width >= 100 else 18  # at 80 columns the context comes first
        width = max(20, self.size.width - 22 - title)
        side = max(8, (width - 10) // 2)
        for i, h in enumerate(self.hits):
            kwic = Text(no_wrap=True, overflow="ellipsis")
            kwic.append(safe_label(h.before)[-side:].rjust(side), style="dim")
            kwic.append(safe_label(h.match), style="bold reverse")
            kwic.append(safe_label(h.after)[:side], style="dim")
            table.add_row(
                "·" if i in self.excluded else "✓",
                Text(transcript_label(h.transcript_title, h.transcript, title)),
                Text(safe_label(h.speaker or "", 12)),
                fmt_time(h.time),
                kwic,
                key=str(i),
            )
        n = len(self.hits) - len(self.excluded)
        self.query_one("#search-status", Static).update(
            Text(f"{len(self.hits)} hits in {len({h.transcript_id for h in self.hits})} transcripts · {n} included · "
                 "space excludes · C codes all included · Enter opens")
        )

    def _row(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.cursor_row

    def action_toggle_hit(self) -> None:
        i = self._row()
        if i is None:
            return
        self.excluded ^= {i}
        table = self.query_one(DataTable)
        table.update_cell(str(i), "inc", "·" if i in self.excluded else "✓")
        self._fill_status_only()
        table.move_cursor(row=min(i + 1, table.row_count - 1))

    def _fill_status_only(self) -> None:
        n = len(self.hits) - len(self.excluded)
        self.query_one("#search-status", Static).update(Text(f"{len(self.hits)} hits · {n} included · C codes all included"))

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open_hit()

    def action_open_hit(self) -> None:
        i = self._row()
        if i is not None:
            h = self.hits[i]
            self.qcode_app.open_transcript(h.transcript_id, (h.start, h.end))

    def action_code_all(self) -> None:
        chosen = [h for i, h in enumerate(self.hits) if i not in self.excluded]
        if not chosen:
            self.notify("No results to code: search first, or include some results (space).", markup=False)
            return

        def picked(code_id: str | None) -> None:
            if not code_id or code_id.startswith("new:"):
                return
            code = self.project.codebook.find(code_id)
            name = code.display(self.project.settings.language) if code else code_id

            def unit_chosen(index: int | None) -> None:
                if index is None:
                    return
                unit, what = UNIT_CHOICES[index]

                def confirmed(yes: bool | None) -> None:
                    if not yes:
                        return
                    ok, report = self.qcode_app.attempt(
                        uc.code_all, self.project, chosen, code_id, history=self.qcode_app.history, unit=unit
                    )
                    if ok:
                        self.qcode_app.post_message(CodingsChanged())
                        extra = f" ({report.already} were already coded)" if report.already else ""
                        self.notify(f"Saved: coded {len(report.coded)} passages “{safe_label(name)}”{extra}. u undoes.", markup=False)

                self.app.push_screen(
                    ConfirmDialog(f"Code {what} of {len(chosen)} search results with “{name}”?", yes=f"Code {len(chosen)}"), confirmed
                )

            self.app.push_screen(
                ChoiceDialog(f"Code what around each result with “{safe_label(name)}”?", [Text(what.capitalize()) for _, what in UNIT_CHOICES]),
                unit_chosen,
            )

        self.app.push_screen(
            CodePicker(self.project.codebook, self.project.settings.language, title="Code all included results with…", allow_new=False),
            picked,
        )
