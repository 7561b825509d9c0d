"""The qcode Textual app (foundation placeholder; the coding-app issue replaces it)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from qcode.usecases.project import Project


class QcodeApp(App[None]):
    TITLE = "qcode"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="transcripts")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.project.settings.name
        table = self.query_one(DataTable)
        table.add_columns("id", "name", "words", "turns", "speakers")
        for r in self.project.store.transcript_summaries():
            table.add_row(r["id"], r["name"], r["words"], r["turns"], ", ".join(r["speakers"]))

    def on_unmount(self) -> None:
        self.project.close()


def make_app(project_dir: Path | None = None) -> QcodeApp:
    return QcodeApp(Project.open(project_dir))
