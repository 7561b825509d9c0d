"""Reports screen: choose format, codes, transcripts, coders and grouping; generate in a worker.

Leaving the screen (Esc) cancels a report being generated: the worker stops at
its next progress step. No partial file is left behind, because the report writers
build the document in memory and write it to a temporary file that is renamed into
place (:mod:`qcode.formats.atomic`), and no progress step falls inside that write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from qcode.core.codebook import Codebook
from qcode.core.errors import QcodeError
from qcode.tui.messages import WorkFailed, WorkProgress
from qcode.tui.safe import label as safe_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.workers import WorkCancelled, stop_if_cancelled
from qcode.usecases import reporting
from qcode.usecases.attributes import attribute_names
from qcode.usecases.project import transcript_names


def _split(value: str) -> list[str] | None:
    items = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return items or None


class ListItemSuggester(Suggester):
    """Completes the last item of a comma-separated list from known words (→ accepts)."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.words = words

    async def get_suggestion(self, value: str) -> str | None:
        last = value.replace(";", ",").rpartition(",")[2].lstrip()
        if not last:
            return None
        folded = last.casefold()
        for word in self.words:
            if word.casefold().startswith(folded) and len(word) > len(last):
                return value + word[len(last):]
        return None


def resolve_codes(codebook: Codebook, items: list[str] | None, lang: str | None) -> list[str] | None:
    """Code ids for what the user typed: ids, or labels (any case); unknown items are kept for the use case to report."""
    if not items:
        return None
    by_key: dict[str, str] = {}
    for code in codebook.codes:
        by_key.setdefault(code.display(lang).casefold(), code.id)
        by_key.setdefault(code.id.casefold(), code.id)
    return [codebook.find(i).id if codebook.find(i) else by_key.get(i.casefold(), i) for i in items]  # type: ignore[union-attr]


class ReportsScreen(QcodeScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("ctrl+g", "generate", "Generate")]

    @dataclass
    class ReportWritten(Message):
        """The report was written to *path*."""

        path: Path

    def compose(self) -> ComposeResult:
        formats = reporting.FORMATS
        codes = [c.id for c in self.project.codebook.codes]
        names = list(transcript_names(self.project).values())
        attrs = attribute_names(self.project)
        yield Header()
        # One compact row per field, so the whole form and the result fit in 80x24.
        with VerticalScroll(id="report-form"):
            with Horizontal(classes="form-row"):
                yield Label("Format")
                yield Select([(f, f) for f in formats], value=formats[0], allow_blank=False, id="rep-format", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Output file")
                yield Input(str(self.project.root / "reports" / "report"), id="rep-output", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Codes")
                yield Input(placeholder="all; or ids/labels, comma-separated (→ completes)", id="rep-codes",
                            suggester=ListItemSuggester(codes), compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Transcripts")
                yield Input(placeholder="all; or names, comma-separated", id="rep-transcripts",
                            suggester=ListItemSuggester(names), compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Coders")
                yield Input(placeholder="all", id="rep-coders", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Group by")
                yield Input(placeholder=("attributes, e.g. " + ", ".join(attrs[:3])) if attrs else "no attributes yet",
                            id="rep-by", suggester=ListItemSuggester(attrs), compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Language")
                langs = list(reporting.report_languages())
                yield Select([("the project's", "")] + [(lang, lang) for lang in langs], value="", allow_blank=False,
                             id="rep-lang", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Quotes")
                yield Select([("coded passage", "span"), ("whole turn", "turn")], value="span", allow_blank=False,
                             id="rep-quotes", compact=True)
                yield Input(placeholder="longest, in words (blank: whole)", id="rep-max-words", compact=True,
                            restrict=r"\d*")
            with Horizontal(classes="form-row"):
                yield Label("")
                yield Button("Generate (ctrl+g)", variant="primary", id="rep-go", compact=True)
        yield Static(id="report-log")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Reports"
        self.query_one("#rep-format", Select).focus()
        log = self.query_one("#report-log", Static)
        log.update(Text("Empty fields mean everything. → completes a code, transcript or attribute name. "
                        "ctrl+g writes the report (nothing in the project changes).", style="dim"))

    @on(Button.Pressed, "#rep-go")
    def action_generate(self) -> None:
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
            request = reporting.ReportRequest(
                format=fmt,
                output=out,
                codes=resolve_codes(self.project.codebook, _split(self.query_one("#rep-codes", Input).value), self.project.settings.language),
                transcripts=_split(self.query_one("#rep-transcripts", Input).value),
                coders=_split(self.query_one("#rep-coders", Input).value),
                by=_split(self.query_one("#rep-by", Input).value) or [],
                lang=str(self.query_one("#rep-lang", Select).value) or None,
                quote_mode=str(self.query_one("#rep-quotes", Select).value),
                max_words=int(self.query_one("#rep-max-words", Input).value or 0) or None,
            )
        except (TypeError, ValueError) as exc:
            self.notify(safe_label(str(exc)), title="Report settings", severity="error", markup=False)
            return
        self.query_one("#rep-go", Button).disabled = True
        self.query_one("#report-log", Static).update("Generating…")
        self._generate(request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _generate(self, request: reporting.ReportRequest) -> None:
        def progress(done: int, total: int, label: str) -> None:
            if done < total:  # the last step comes once the file is written: keep it
                stop_if_cancelled()
            self.post_message(WorkProgress(done, total, label))

        try:
            path = reporting.generate_report(self.project, request, progress=progress)
        except WorkCancelled:
            return  # the screen was left: nothing written, nothing to show
        except QcodeError as exc:
            self.post_message(WorkFailed("report", exc))
            return
        self.post_message(self.ReportWritten(path))

    @on(WorkProgress)
    def _progress(self, msg: WorkProgress) -> None:
        self.query_one("#report-log", Static).update(Text(f"Generating… {msg.done}/{msg.total} {safe_label(msg.label, 50)}"))

    def on_reports_screen_report_written(self, msg: ReportWritten) -> None:
        self.query_one("#rep-go", Button).disabled = False
        self.query_one("#report-log", Static).update(Text(f"Report written: {safe_label(str(msg.path))}", style="bold green"))
        self.notify(f"Report written to {safe_label(str(msg.path))}", markup=False)

    @on(WorkFailed)
    def _failed(self, msg: WorkFailed) -> None:
        self.query_one("#rep-go", Button).disabled = False
        self.query_one("#report-log", Static).update(Text(safe_label(str(msg.error)), style="red"))
        if isinstance(msg.error, QcodeError):
            self.qcode_app.show_error(msg.error)
