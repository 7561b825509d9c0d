"""Reports screen: choose format, codes, transcripts, coders and grouping; generate in a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from qcode.core.errors import QcodeError
from qcode.tui.messages import WorkDone, WorkFailed, WorkProgress
from qcode.tui.safe import label as safe_label

DEFAULT_FORMATS = ("docx", "html", "md", "xlsx", "csv")


def _engine() -> Any:
    try:
        from qcode.usecases import reporting
    except ImportError:
        return None
    return reporting


def _split(value: str) -> list[str] | None:
    items = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return items or None


class ReportsScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("ctrl+g", "generate", "Generate")]

    @property
    def project(self):  # noqa: ANN201
        return self.app.project  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        eng = _engine()
        formats = tuple(getattr(eng, "FORMATS", DEFAULT_FORMATS)) if eng else DEFAULT_FORMATS
        yield Header()
        with Vertical(id="report-form"):
            yield Label("Format")
            yield Select([(f, f) for f in formats], value=formats[0], allow_blank=False, id="rep-format")
            yield Label("Output file")
            yield Input(str(self.project.root / "reports" / "report"), id="rep-output")
            yield Label("Codes (comma-separated ids; empty = all)")
            yield Input(id="rep-codes")
            yield Label("Transcripts (names; empty = all)")
            yield Input(id="rep-transcripts")
            yield Label("Coders (empty = all)")
            yield Input(id="rep-coders")
            yield Label("Group by attributes (e.g. country, gender)")
            yield Input(id="rep-by")
            yield Button("Generate (ctrl+g)", variant="primary", id="rep-go")
        yield Static(id="report-log")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Reports"
        if _engine() is None:
            self.query_one("#report-log", Static).update("Reports are not available: this qcode has no qcode.usecases.reporting yet.")

    @on(Button.Pressed, "#rep-go")
    def action_generate(self) -> None:
        eng = _engine()
        if eng is None:
            return
        fmt = str(self.query_one("#rep-format", Select).value)
        out = Path(self.query_one("#rep-output", Input).value).expanduser()
        if out.suffix.lower() != f".{fmt}":
            out = out.with_name(out.name + f".{fmt}")
        if not out.is_absolute():
            out = self.project.root / out
        if not out.parent.exists() and out.parent.resolve().is_relative_to(self.project.root.resolve()):
            # The default reports/ folder (or another folder inside the project) is created on demand.
            try:
                out.parent.mkdir(parents=True)
            except OSError as exc:
                self.notify(f"Cannot create {safe_label(str(out.parent))}: {exc.strerror}", severity="error", markup=False)
                return
        try:
            request = eng.ReportRequest(
                format=fmt,
                output=out,
                codes=_split(self.query_one("#rep-codes", Input).value),
                transcripts=_split(self.query_one("#rep-transcripts", Input).value),
                coders=_split(self.query_one("#rep-coders", Input).value),
                by=_split(self.query_one("#rep-by", Input).value) or [],
            )
        except (TypeError, ValueError) as exc:
            self.notify(safe_label(str(exc)), title="Report settings", severity="error", markup=False)
            return
        self.query_one("#rep-go", Button).disabled = True
        self.query_one("#report-log", Static).update("Generating…")
        self._generate(request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _generate(self, request: Any) -> None:
        eng = _engine()

        def progress(done: int, total: int, label: str) -> None:
            self.post_message(WorkProgress(done, total, label))

        try:
            path = eng.generate_report(self.project, request, progress=progress)
        except QcodeError as exc:
            self.post_message(WorkFailed("report", exc))
            return
        self.post_message(WorkDone("report", path))

    @on(WorkProgress)
    def _progress(self, msg: WorkProgress) -> None:
        self.query_one("#report-log", Static).update(Text(f"Generating… {msg.done}/{msg.total} {safe_label(msg.label, 50)}"))

    @on(WorkDone)
    def _done(self, msg: WorkDone) -> None:
        self.query_one("#rep-go", Button).disabled = False
        self.query_one("#report-log", Static).update(Text(f"Report written: {safe_label(str(msg.result))}", style="bold green"))
        self.notify(f"Report written to {safe_label(str(msg.result))}", markup=False)

    @on(WorkFailed)
    def _failed(self, msg: WorkFailed) -> None:
        self.query_one("#rep-go", Button).disabled = False
        self.query_one("#report-log", Static).update(Text(safe_label(str(msg.error)), style="red"))
        if isinstance(msg.error, QcodeError):
            self.app.show_error(msg.error)  # type: ignore[attr-defined]
