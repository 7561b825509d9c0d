"""The review queue: the passages where coders differ, decided one by one into a consensus coder.

Each item shows the passage in its context, who coded what, and the code's
definition with its include/exclude rules and examples. k keeps one coder's
version, a keeps all versions, n keeps neither, m writes a memo on the
decision, u takes the last decision back. Decisions go to the consensus
coder (:mod:`qcode.usecases.review`); the original codings are never changed.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import Reactive, var
from textual.widgets import DataTable, Footer, Header, Static

from qcode.core.transcript import Timeline, Transcript
from qcode.tui.messages import CodingsChanged
from qcode.tui.safe import label as safe_label
from qcode.tui.safe import transcript as transcript_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.screens.dialogs import ChoiceDialog, CodePicker, TextDialog
from qcode.tui.widgets.layout import fmt_time
from qcode.usecases import review as uc

CONTEXT = 160
"""Characters of context shown before and after the passage."""


class ReviewScreen(QcodeScreen):
    """Disagreements of one code or all, with keep one / both / neither."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("k", "keep", "Keep one"),
        Binding("a", "both", "Keep both"),
        Binding("n", "neither", "Neither"),
        Binding("m", "memo", "Memo"),
        Binding("u", "undo", "Undo decision"),
        Binding("c", "choose_code", "Code…"),
        Binding("A", "all_codes", "All codes", show=False),
        Binding("enter", "open_passage", "Open", show=False),
    ]

    code_id: Reactive[str | None] = var(None, init=False)
    """The code whose disagreements are listed (None: every code); setting it reloads the list."""

    def __init__(self, code_id: str | None = None) -> None:
        super().__init__()
        self.set_reactive(ReviewScreen.code_id, code_id)  # on_mount loads the first list
        self.items: list[uc.Item] = []
        self.consensus = uc.agreement.CONSENSUS
        self._undo: list[uc.Item] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="rev-items", cursor_type="row", classes="tool-list")
        yield Static(id="rev-detail", classes="tool-detail")
        yield Static(classes="screen-status", id="rev-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in ("Transcript", "Code", "Where", "Coded by", "Not by", "Decision"):
            table.add_column(name)
        self.refresh_from_store()
        table.focus()

    def refresh_from_store(self) -> None:
        ok, items = self.qcode_app.attempt(uc.items, self.project, self.code_id, consensus=self.consensus)
        if not ok:
            items = []
        self.items = items
        self._fill()

    def _label(self, code_id: str) -> str:
        code = self.project.codebook.find(code_id)
        return safe_label(code.display(self.project.settings.language) if code else code_id, 30)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row if table.row_count else 0
        table.clear()
        timelines: dict[int, Timeline] = {}  # one per transcript: each sorts its sync points
        for i, it in enumerate(self.items):
            d = it.disagreement
            t = self.project.transcript(d.transcript_id)
            if d.transcript_id not in timelines:
                timelines[d.transcript_id] = Timeline(t)
            table.add_row(
                transcript_label(t.title, t.name, 24), self._label(d.code_id), _where(t, timelines[d.transcript_id], d.start),
                safe_label(", ".join(d.coded_by), 30), safe_label(", ".join(d.not_coded_by) or "—", 30),
                it.decision["decision"] if it.decision else "", key=str(i),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        self.sub_title = f"Review disagreements: {self._label(self.code_id) if self.code_id else 'all codes'}"
        self._show()

    def current(self) -> uc.Item | None:
        table = self.query_one(DataTable)
        i = table.cursor_row if table.row_count else None
        return self.items[i] if i is not None and i < len(self.items) else None

    def _show(self) -> None:
        panel = self.query_one("#rev-detail", Static)
        status = self.query_one("#rev-status", Static)
        done = sum(1 for it in self.items if it.decision)
        status.update(Text(f"{done}/{len(self.items)} decided · to coder “{self.consensus}” · k keep one · a both · "
                           "n neither · m memo · u undo · c code", no_wrap=True, overflow="ellipsis"))
        it = self.current()
        if it is None:
            panel.update(Text("No disagreements: the coders coded the compared passages alike."
                              " (Bring a colleague's work in with `qcode merge`.)", style="dim"))
            return
        d = it.disagreement
        text = self.project.transcript(d.transcript_id).text
        t = Text()
        t.append("…" + safe_label(text[max(0, d.start - CONTEXT) : d.start]).replace("\n", " "), style="dim")
        t.append(safe_label(text[d.start : d.end]).replace("\n", " "), style="bold reverse")
        t.append(safe_label(text[d.end : d.end + CONTEXT]).replace("\n", " ") + "…\n\n", style="dim")
        for c in d.codings:
            t.append(f"{safe_label(c.coder)}: ", style="bold")
            t.append(f"{c.start}-{c.end} “{safe_label(' '.join(text[c.start : c.end].split()), 200)}”")
            t.append(f" memo: {safe_label(c.memo)}\n" if c.memo else "\n", style="italic")
        for name in d.not_coded_by:
            t.append(f"{safe_label(name)}: ", style="bold")
            t.append("did not code this passage with the code\n", style="italic")
        code = self.project.codebook.find(d.code_id)
        if code is not None:
            t.append(f"\n{safe_label(code.display(self.project.settings.language))}", style="bold underline")
            t.append(f"  ({safe_label(code.id)})\n", style="dim")
            for title, value in (("Definition", code.definition), ("Include", code.include), ("Exclude", code.exclude)):
                if value:
                    t.append(f"{title}: ", style="bold")
                    t.append(safe_label(value) + "\n")
            for ex in code.examples[:3]:
                t.append(f" • {safe_label(str(ex))}\n", style="italic")
        if it.decision:
            t.append(f"\nDecided: {it.decision['decision']}", style="green")
            if it.decision.get("memo"):
                t.append(f" · memo: {safe_label(it.decision['memo'])}", style="italic")
        panel.update(t)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show()

    # ---------------------------------------------------------------- decisions
    def _decide(self, decision: str, coder: str | None = None) -> None:
        it = self.current()
        if it is None:
            return
        if it.decision:
            self.notify("Already decided: u takes the decision back first.", severity="warning", markup=False)
            return
        ok, _ = self.qcode_app.attempt(
            uc.decide, self.project, it, decision, coder=coder, consensus=self.consensus, history=self.qcode_app.history
        )
        if ok:
            self._undo.append(it)
            self.qcode_app.post_message(CodingsChanged())
            self._fill()
            self._next_open()

    def _next_open(self) -> None:
        table = self.query_one(DataTable)
        for i in range(table.cursor_row, len(self.items)):
            if not self.items[i].decision:
                table.move_cursor(row=i, animate=False)
                return

    def action_keep(self) -> None:
        it = self.current()
        if it is None:
            return
        coders = list(it.disagreement.coded_by)
        if len(coders) == 1:
            self._decide("keep", coders[0])
            return

        def picked(i: int | None) -> None:
            if i is not None:
                self._decide("keep", coders[i])

        self.app.push_screen(ChoiceDialog("Keep whose version?", [Text(safe_label(c)) for c in coders]), picked)

    def action_both(self) -> None:
        self._decide("both")

    def action_neither(self) -> None:
        self._decide("neither")

    def action_memo(self) -> None:
        it = self.current()
        if it is None:
            return
        if not it.decision:
            self.notify("Decide first (k, a or n), then write the memo.", severity="warning", markup=False)
            return

        def written(text: str | None) -> None:
            if text is not None:
                ok, _ = self.qcode_app.attempt(uc.set_decision_memo, self.project, it, text, self.qcode_app.history)
                if ok:
                    self._show()

        self.app.push_screen(TextDialog("Memo on this decision", it.decision.get("memo", ""), multiline=True), written)

    def action_undo(self) -> None:
        """Take back the last decision made here (app-wide undo elsewhere)."""
        if not self._undo:
            self.qcode_app.action_undo()
            return
        it = self._undo.pop()
        ok, _ = self.qcode_app.attempt(uc.undo, self.project, it, self.qcode_app.history)
        if ok:
            self.qcode_app.post_message(CodingsChanged())
            self.notify("Decision taken back (saved).", markup=False, timeout=3)
            self._fill()
            if it in self.items:  # back on the item whose decision was taken back
                self.query_one(DataTable).move_cursor(row=self.items.index(it), animate=False)

    def action_choose_code(self) -> None:
        def chosen(code_id: str | None) -> None:
            if code_id:
                self.code_id = code_id

        self.app.push_screen(
            CodePicker(self.project.codebook, self.project.settings.language, title="Review the disagreements on…", allow_new=False),
            chosen,
        )

    def action_all_codes(self) -> None:
        self.code_id = None

    def watch_code_id(self) -> None:
        self.refresh_from_store()

    def action_open_passage(self) -> None:
        it = self.current()
        if it is not None:
            d = it.disagreement
            self.qcode_app.open_transcript(d.transcript_id, (d.start, d.end))

    @on(DataTable.RowSelected)
    def _chosen(self) -> None:
        self.action_open_passage()


def _where(t: Transcript, timeline: Timeline, offset: int) -> str:
    """Where a passage is, as a researcher finds it again: its turn and the time in the recording (offsets mean
    nothing to a reader; they are in ``qcode agreement --disagreements --json``)."""
    turn = t.turn_at(offset)
    if turn is None:
        return f"@{offset}"
    time = fmt_time(timeline.at(offset))
    return f"turn {turn + 1}" + (f", {time}" if time else "")
