"""Suggestions: review pending suggestions one by one, in context, with their evidence.

Uses :mod:`qcode.usecases.suggesting` (accept / reject / accept_all /
run_suggestions). Running the suggester is slow (spaCy), so it happens in a
thread worker that posts progress and completion messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import Reactive, var
from textual.widgets import Footer, Header, Static

from qcode.core.errors import QcodeError
from qcode.tui.colors import code_colors
from qcode.tui.messages import CodingsChanged, WorkFailed, WorkProgress
from qcode.tui.safe import label as safe_label
from qcode.tui.safe import transcript as transcript_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.screens.dialogs import ConfirmDialog, TextDialog
from qcode.tui.widgets.transcript_view import TranscriptView
from qcode.tui.workers import WorkCancelled, stop_if_cancelled
from qcode.usecases import blind, suggesting


def score_text(score: float) -> str:
    """A score with two decimals, rounded as ``qcode suggestions`` prints it (0.938986 -> "0.94")."""
    return f"{score:.2f}"


def shown_score(score: float) -> float:
    """The score as shown (:func:`score_text`): "accept all at or above 0.8" takes exactly
    the suggestions showing 0.80 or more, 0.7996 included."""
    return float(score_text(score))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class SuggestionsScreen(QcodeScreen):
    """One pending suggestion at a time: a accepts, x rejects, n skips; shift+arrows adjust the span."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", priority=True),
        Binding("a", "accept", "Accept"),
        Binding("x", "reject", "Reject"),
        Binding("n", "skip(1)", "Skip"),
        Binding("p", "skip(-1)", "Previous", show=False),
        Binding("A", "accept_all", "Accept all ≥ score"),
        Binding("R", "run", "Run suggester"),
    ]

    @dataclass
    class SuggestionsReady(Message):
        """The suggester finished: *report* counts what it stored as pending."""

        report: suggesting.SuggestRunReport

    index: Reactive[int] = var(0, always_update=True, init=False)
    """The place in :attr:`items` of the suggestion shown; setting it (even to the same place,
    after the list changed) shows the suggestion there."""

    def __init__(self, transcript_id: int | None = None, code_id: str | None = None) -> None:
        super().__init__()
        self.tid = transcript_id
        self.code_id = code_id
        self.items: list[suggesting.SuggestionView] = []
        self._shown_tid: int | None = None

    @property
    def view(self) -> TranscriptView:
        return self.query_one(TranscriptView)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="sugg-info")
        yield TranscriptView(id="sugg-context")
        yield Static(classes="screen-status", id="sugg-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Suggestions"
        self.view.set_code_colors(code_colors(self.project.codebook))
        self.refresh_from_store()
        self.view.focus()

    def refresh_from_store(self) -> None:
        ok, items = self.qcode_app.attempt(suggesting.pending, self.project, transcript_id=self.tid, code_id=self.code_id)
        if not ok:
            return
        self.items = list(items)
        self.index = min(self.index, max(0, len(self.items) - 1))

    def watch_index(self) -> None:
        self._show()

    def _say(self, message: str) -> None:
        self.query_one("#sugg-info", Static).update(Text(message))

    @property
    def _scope(self) -> str:
        """What the screen lists: one transcript's pending suggestions, or the project's."""
        return "this transcript" if self.tid is not None else "all transcripts"

    def _show(self) -> None:
        status = self.query_one("#sugg-status", Static)
        if not self.items:
            self._say(f"No pending suggestions for {self._scope}. Press R to run the suggester (it can take a while).")
            status.update("")
            return
        s = self.items[self.index]
        if self._shown_tid != s.transcript_id:
            shown = self.project.transcript(s.transcript_id)
            self.view.load(shown, blind.visible_codings(self.project, transcript_id=s.transcript_id))
            self._shown_tid = s.transcript_id
        ev = s.evidence or {}
        self.view.evidence = [(int(a), int(b)) for a, b in ev.get("spans", []) if int(b) > int(a)]
        self.view.select(s.start, s.end, flash=True)
        self.view.flash = (s.start, s.end)
        code = self.project.codebook.find(s.code_id)
        t = Text()
        t.append(f"{self.index + 1}/{len(self.items)}  ", style="bold")
        t.append(safe_label(code.display(self.project.settings.language) if code else s.code_id), style="bold")
        t.append(f"  score {score_text(s.score)}\n", style="dim")
        for line in suggesting.why_lines(ev):
            t.append("Why: ", style="bold")
            t.append(safe_label(line, 1000) + "\n")
        tr = self.project.transcript(s.transcript_id)
        t.append(f"in {transcript_label(tr.title, tr.name, with_name=True)}", style="dim")
        self.query_one("#sugg-info", Static).update(t)
        # the info panel's new height shrinks or grows the view: scroll once it is laid out
        self.call_after_refresh(self.view.reveal, s.start, s.end)
        self._update_status()

    @on(TranscriptView.SelectionChanged)
    def _update_status(self) -> None:
        """The count and keys, and the span that accepting codes once shift+arrows or v changed it."""
        s = self._current()
        if s is None:
            return
        span = self.view.selection
        if span is not None and span != (s.start, s.end) and span[1] > span[0]:
            words = len(self.view.transcript.text[span[0]:span[1]].split()) if self.view.transcript else 0
            what = f"adjusted to {plural(words, 'word')} ({span[0]}-{span[1]})"
        else:
            what = "shift+arrows or v adjust the span"
        # the keys first: a narrow terminal cuts the end of the line
        self.query_one("#sugg-status", Static).update(Text(
            f"{len(self.items)} pending in {self._scope} · a accept · x reject · n skip · {what}", no_wrap=True, overflow="ellipsis"))

    def _current(self) -> suggesting.SuggestionView | None:
        return self.items[self.index] if self.items else None

    def _remove_current(self) -> None:
        del self.items[self.index]
        self.view.evidence = []
        self.index = min(self.index, max(0, len(self.items) - 1))

    def action_accept(self) -> None:
        s = self._current()
        if s is None:
            return
        start, end = self.view.selection or (s.start, s.end)
        kwargs: dict[str, Any] = {"history": self.qcode_app.history}
        if (start, end) != (s.start, s.end):
            kwargs.update(start=start, end=end)
        ok, _ = self.qcode_app.attempt(suggesting.accept, self.project, s.id, **kwargs)
        if ok:
            self.qcode_app.post_message(CodingsChanged())
            self.notify("Saved: suggestion accepted as a coding.", timeout=2, markup=False)
            self.view.set_codings(blind.visible_codings(self.project, transcript_id=s.transcript_id))
            self._remove_current()

    def action_reject(self) -> None:
        s = self._current()
        if s is None:
            return
        ok, _ = self.qcode_app.attempt(suggesting.reject, self.project, s.id)
        if ok:
            self.notify("Saved: suggestion rejected.", timeout=2, markup=False)
            self._remove_current()

    def action_skip(self, step: int) -> None:
        if self.items:
            self.view.evidence = []
            self.index = (self.index + step) % len(self.items)

    def action_accept_all(self) -> None:
        if not self.items:
            return

        def threshold(value: str | None) -> None:
            if value is None:
                return
            try:
                limit = float(value.replace(",", "."))
            except ValueError:
                self.notify(f"'{safe_label(value)}' is not a number (use e.g. 0.8).", severity="error", markup=False)
                return
            ids = [s.id for s in self.items if shown_score(s.score) >= limit]
            if not ids:
                self.notify(f"No pending suggestion has a score of {limit} or more.", markup=False)
                return
            many = plural(len(ids), "suggestion")
            scope = " in this transcript" if self.tid is not None else ""

            def confirmed(yes: bool | None) -> None:
                if not yes:
                    return
                ok, _ = self.qcode_app.attempt(suggesting.accept_all, self.project, ids, history=self.qcode_app.history)
                if ok:
                    self.qcode_app.post_message(CodingsChanged())
                    self.notify(f"Saved: accepted {many} (u undoes them together).", markup=False)
                    self._shown_tid = None
                    self.refresh_from_store()

            self.app.push_screen(
                ConfirmDialog(f"Accept {many}{scope} with a score of {limit} or more?", yes=f"Accept {len(ids)}"), confirmed
            )

        counts = ", ".join(f"{sum(shown_score(x.score) >= t for x in self.items)} at {t} or more" for t in (0.9, 0.8, 0.7, 0.5))
        where = "in this transcript" if self.tid is not None else "in the project"
        self.app.push_screen(
            TextDialog(f"Accept every pending suggestion {where} with a score of at least… ({counts})", "0.8", ok="Next"),
            threshold
        )

    def action_run(self) -> None:
        self._say("Running the suggester… (the language model is loaded once per session, which takes a few seconds)")
        self._run(self.tid, self.code_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="suggest")
    def _run(self, tid: int | None, code_id: str | None) -> None:
        def progress(done: int, total: int, label: str) -> None:
            stop_if_cancelled()
            self.post_message(WorkProgress(done, total, label))

        try:
            report = suggesting.run_suggestions(
                self.project, transcripts=[tid] if tid is not None else None, codes=[code_id] if code_id else None, progress=progress
            )
        except WorkCancelled:
            return  # the screen was left: nothing to show
        except QcodeError as exc:
            self.post_message(WorkFailed("suggest", exc))
            return
        self.post_message(self.SuggestionsReady(report))

    @on(WorkProgress)
    def _progress(self, msg: WorkProgress) -> None:
        self._say(f"Running the suggester… {msg.done}/{msg.total} {safe_label(msg.label, 40)}")

    def on_suggestions_screen_suggestions_ready(self, msg: SuggestionsReady) -> None:
        self.notify(safe_label(msg.report.summary(), 300), title="Suggestions ready", markup=False)
        self._shown_tid = None
        self.refresh_from_store()

    @on(WorkFailed)
    def _failed(self, msg: WorkFailed) -> None:
        if isinstance(msg.error, QcodeError):
            self.qcode_app.show_error(msg.error)
        self._show()
