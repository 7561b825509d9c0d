"""Memos screen: project, transcript and code memos (one per target and coder), and the memos
written on single codings (Enter opens the coding in its transcript)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Label, TextArea

from qcode.tui.safe import label as safe_label
from qcode.tui.safe import transcript as transcript_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.screens.dialogs import ChoiceDialog, CodePicker
from qcode.usecases import memos as uc
from qcode.usecases.coding import get_coding
from qcode.usecases.project import transcript_summaries

CHOOSE_HINT = (
    "Choose what to write about: ctrl+o the project, ctrl+n a transcript, ctrl+k a code; "
    "or Enter on a memo in the list (a memo on a coding opens the coding in its transcript, where m edits it). "
    "Memos are saved with ctrl+s and when you leave."
)


ABOUT_MIN, ABOUT_MAX = 36, 72
"""Width bounds of the memo list's "About" column (a longer target is cut with "…"; shown whole above the memo)."""


class MemosScreen(QcodeScreen):
    """All memos in a list; the editor below writes the selected target's memo."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save memo"),
        Binding("ctrl+o", "edit('project')", "Project memo"),
        Binding("ctrl+n", "edit('transcript')", "Transcript memo"),
        Binding("ctrl+k", "edit('code')", "Code memo"),
    ]

    def __init__(self, kind: str | None = None, target_id: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.target_id = target_id
        self.memos: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="memo-list", cursor_type="row", classes="tool-list")
        with Vertical(classes="tool-detail"):
            yield Label(id="memo-target")
            yield TextArea(id="memo-text", soft_wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Memos"
        table = self.query_one(DataTable)
        table.add_column("About")
        table.add_column("Memo")  # before who and when: at 80 columns the text must still show
        table.add_column("By")
        table.add_column("Modified")
        self.refresh_from_store()
        if self.kind:
            self._load(self.kind, self.target_id or "")
        else:
            self.query_one("#memo-target", Label).update(Text(CHOOSE_HINT, style="italic"))
            table.focus()

    def refresh_from_store(self) -> None:
        ok, memos = self.qcode_app.attempt(uc.list_memos, self.project)
        if not ok:
            return
        self.memos = memos
        self._fill()

    def on_resize(self) -> None:
        if self.memos:
            self._fill()  # (what a memo is about gets the room a wider terminal gives)

    def _about_width(self) -> int:
        """Characters for what a memo is about: what the screen leaves once the memo text (40), who (12), when
        (16) and the cells' padding have theirs, at least 36 (at 80 columns, the memo text still shows)."""
        return max(ABOUT_MIN, min(ABOUT_MAX, self.size.width - 76))

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        width = self._about_width()
        for i, m in enumerate(self.memos):
            table.add_row(
                Text(safe_label(uc.target_label(self.project, m), width)),
                Text(safe_label(" ".join(m.text.split()), 40), no_wrap=True, overflow="ellipsis"),
                Text(safe_label(m.coder, 12)),
                m.modified.strftime("%Y-%m-%d %H:%M"),
                key=str(i),
            )
        if self.memos:
            table.move_cursor(row=min(row, len(self.memos) - 1))

    def _load(self, kind: str, target_id: str) -> None:
        ok, memo = self.qcode_app.attempt(uc.my_memo, self.project, kind, target_id)
        if not ok:
            return
        self.kind, self.target_id = kind, target_id
        from qcode.core.coding import Memo

        probe = Memo(kind, uc.PROJECT_TARGET if kind == "project" else target_id, "", self.project.coder)  # type: ignore[arg-type]
        if kind == "transcript":
            probe = Memo(kind, str(self.project.find_transcript(target_id)), "", self.project.coder)  # type: ignore[arg-type]
        self.query_one("#memo-target", Label).update(
            Text(f"Your memo on {safe_label(uc.target_label(self.project, probe))} (ctrl+s saves)", style="bold")
        )
        area = self.query_one(TextArea)
        area.text = memo.text if memo else ""
        area.focus()

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        m = self.memos[int(event.row_key.value or 0)]
        if m.target_kind == "coding":  # written with m on the coding: shown there, in its transcript
            ok, c = self.qcode_app.attempt(get_coding, self.project, int(m.target_id))
            if ok:
                self.qcode_app.open_transcript(c.transcript_id, (c.start, c.end))
            return
        if m.coder != self.project.coder:
            self.notify(f"This memo is by {safe_label(m.coder)}; you can read it here but edit only yours.", markup=False)
            self.query_one("#memo-target", Label).update(Text(f"{safe_label(m.coder)}'s memo (read only)", style="bold"))
            self.query_one(TextArea).text = m.text
            self.kind = None
            return
        self._load(m.target_kind, m.target_id)

    def action_save(self) -> None:
        if self.kind is None:
            self.notify("Choose what the memo is about first (ctrl+o project, ctrl+n transcript, ctrl+k code).", markup=False)
            return
        text = self.query_one(TextArea).text
        ok, _ = self.qcode_app.attempt(uc.write_memo, self.project, self.kind, self.target_id or "", text)
        if ok:
            self.notify("Saved: memo.", timeout=2, markup=False)
            self.refresh_from_store()

    def action_edit(self, kind: str) -> None:
        if kind == "project":
            self._load("project", "project")
        elif kind == "transcript":
            rows = transcript_summaries(self.project)
            if not rows:
                self.notify("No transcripts yet.", markup=False)
                return

            def chosen(i: int | None) -> None:
                if i is not None:
                    self._load("transcript", str(rows[i]["id"]))

            self.app.push_screen(ChoiceDialog("Memo on which transcript?", [Text(transcript_label(r["title"], r["name"], with_name=True)) for r in rows]), chosen)
        else:

            def picked(code_id: str | None) -> None:
                if code_id and not code_id.startswith("new:"):
                    self._load("code", code_id)

            self.app.push_screen(CodePicker(self.project.codebook, self.project.settings.language, title="Memo on which code?", allow_new=False), picked)

    def action_back(self) -> None:
        area = self.query_one(TextArea)
        if self.kind is not None and area.text.strip():
            ok, memo = self.qcode_app.attempt(uc.my_memo, self.project, self.kind, self.target_id or "")
            if ok and (memo is None or memo.text != area.text):
                self.action_save()  # never lose a memo by leaving the screen
        self.app.pop_screen()
