"""The project screen: transcripts with words, speakers, attributes and progress."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import Reactive, var
from textual.widgets import DataTable, Footer, Header, Input, Static

from qcode.tui.safe import label as safe_label
from qcode.tui.screens.base import QcodeScreen
from qcode.usecases import blind
from qcode.usecases.progress import coding_progress
from qcode.usecases.project import participant_text, transcript_summaries

SORTS = ("title", "words", "progress", "kind")
"""The orders of the transcript list: by the title it shows (the name when there is none), words, progress, kind."""


class ProjectScreen(QcodeScreen):
    """Pick a transcript to code; import more."""

    BINDINGS = [
        Binding("enter", "open_selected", "Open", show=False),
        Binding("i", "import_files", "Import"),
        Binding("f,ctrl+f", "focus_filter", "Filter"),
        Binding("o", "cycle_sort", "Sort"),
        Binding("x,delete", "remove_transcript", "Remove"),
        Binding("M", "project_memo", "Project memo", show=False),
    ]

    sort_key: Reactive[str] = var("title", init=False)
    """The column the transcripts are sorted by (one of :data:`SORTS`); setting it re-sorts the table."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: name, speaker or attribute value (esc returns to the list)", id="filter")
        yield DataTable(id="transcripts", cursor_type="row", zebra_stripes=True)
        yield Static(id="project-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = safe_label(self.project.settings.name, 40)
        self.sub_title = "Transcripts"
        table = self.query_one(DataTable)
        table.add_column("Transcript", key="name")
        table.add_column("Words", key="words")
        table.add_column("Turns coded me/others", key="progress")
        table.add_column("Speakers", key="speakers")
        table.add_column("Kind", key="kind")
        table.add_column("Attributes", key="attributes")
        self.refresh_from_store()
        table.focus()

    def refresh_from_store(self) -> None:
        progress = coding_progress(self.project)
        people = participant_text(self.project)
        rows = []
        for s in transcript_summaries(self.project):
            p = progress.get(s["id"])
            s = dict(s)
            s["progress"] = p
            s["people"] = people.get(s["id"], "")
            s["kind_text"] = (s["kind"] or "").replace("_", " ")  # focus_group reads "focus group", as in reports
            rows.append(s)
        self._rows = rows
        self._fill()

    def on_screen_resume(self) -> None:
        if getattr(self, "_resumed", False):
            self.refresh_from_store()
        self._resumed = True

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        query = self.query_one("#filter", Input).value.strip().casefold()
        rows = [r for r in self._rows if not query or query in _haystack(r)]
        key = {
            "title": lambda r: ((r["title"] or r["name"]).casefold(), r["name"]),
            "words": lambda r: -r["words"],
            "progress": lambda r: -(r["progress"].share_me if r["progress"] else 0),
            "kind": lambda r: (r["kind"] or "", (r["title"] or r["name"]).casefold()),
        }[self.sort_key]
        rows.sort(key=key)
        table.clear()
        for r in rows:
            p = r["progress"]
            prog = Text(f"{p.share_me:4.0%} / {p.share_others:4.0%}" if p and p.turns else "—")
            # the title and the kind have their own columns
            attrs = ", ".join(f"{k}={v}" for k, v in (r["attributes"] or {}).items()
                              if not (k in ("title", "kind") and v == r[k]))
            table.add_row(
                Text(safe_label(r["title"] or r["name"], 30)),
                Text(f"{r['words']:,}", justify="right"),
                prog,
                Text(safe_label(", ".join(r["speakers"]), 28)),
                Text(safe_label(r["kind_text"], 12)),
                Text(safe_label(attrs, 40)),
                key=str(r["id"]),
            )
        total = sum(r["words"] for r in rows)  # of the transcripts shown
        msg = Text()
        if blind.is_blind(self.project):  # the "others" column then shows 0%: say why
            msg.append("blind: only your codings (b to compare) · ", style="bold magenta")
        msg.append(f"{len(rows)} of {len(self._rows)} transcripts · {total:,} words · sorted by {self.sort_key} · "
                   f"you code as {safe_label(self.project.coder, 20)}")
        if not self._rows:
            msg = Text("No transcripts yet. Press i to import files (.txt, .docx, .vtt, .srt, .trs, TEI .xml...).", style="bold")
        self.query_one("#project-status", Static).update(msg)

    @on(Input.Changed, "#filter")
    def _filter(self) -> None:
        self._fill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_cycle_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]

    def watch_sort_key(self) -> None:
        self._fill()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.qcode_app.open_transcript(int(event.row_key.value))

    def _selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_open_selected(self) -> None:
        tid = self._selected_id()
        if tid is not None:
            self.qcode_app.open_transcript(tid)

    def action_remove_transcript(self) -> None:
        """Ask, saying what goes with it (codings, memos, decisions), then remove the highlighted transcript."""
        from qcode.tui.screens.dialogs import ConfirmDialog
        from qcode.usecases.transcripts import removal_preview

        tid = self._selected_id()
        if tid is None:
            self.notify("No transcript to remove.", markup=False)
            return
        ok, rep = self.qcode_app.attempt(removal_preview, self.project, tid)
        if not ok:
            return
        title = next((r["title"] for r in self._rows if r["id"] == tid), "") or rep.name
        lost = (f"Deleted with it: {rep.work_summary()}." if rep.has_work
                else "It has no codings, memos or decisions.")
        if rep.suggestions_pending:
            lost += f" Its {rep.suggestions_pending} pending suggestion{'' if rep.suggestions_pending == 1 else 's'} go too."
        undo = ("A backup is taken first: `qcode restore` brings it back." if self.project.server is None
                else "The project is on a team server: restoring it needs the server's backups.")
        about = f"{rep.name}, {rep.words:,} words" if title != rep.name else f"{rep.words:,} words"
        self.app.push_screen(
            ConfirmDialog(f"Remove the transcript “{title}” ({about}) from the project?\n\n{lost}\n{undo}",
                          yes="Remove", danger=rep.has_work),
            lambda yes: self._remove(tid, rep.has_work, title) if yes else None,
        )

    def _remove(self, tid: int, force: bool, title: str) -> None:
        from qcode.usecases.transcripts import remove_transcript

        ok, rep = self.qcode_app.attempt(remove_transcript, self.project, tid, force=force)
        if not ok:
            return
        self.qcode_app.history.forget_transcript(tid)
        self.refresh_from_store()
        done = f"✓ removed “{safe_label(title, 40)}” with {safe_label(rep.work_summary())}."
        if rep.backup:
            done += f" To undo: qcode restore {rep.backup.name}"
        self.notify(done, markup=False, timeout=10)

    def action_import_files(self) -> None:
        from qcode.tui.screens.importer import ImportScreen

        self.app.push_screen(ImportScreen(), lambda _r: self.refresh_from_store())

    def action_project_memo(self) -> None:
        self.qcode_app.open_memos(kind="project", target_id="project")

    def key_escape(self) -> None:
        if self.query_one("#filter", Input).has_focus:
            self.query_one(DataTable).focus()


def _haystack(r: dict[str, Any]) -> str:
    parts = [r["name"], r["title"] or "", r["kind"] or "", r["kind_text"], *r["speakers"]]
    parts += [f"{k}={v}" for k, v in (r["attributes"] or {}).items()]
    parts += [str(v) for v in (r["attributes"] or {}).values()]
    parts.append(r.get("people", ""))
    return " ".join(parts).casefold()
