"""The qcode coding app: project, coding, suggestions, retrieval, search, memos, reports.

The app holds the open :class:`~qcode.usecases.project.Project` and one
:class:`~qcode.usecases.coding.History` shared by every screen, so undo and
redo work across screens for the whole session. Screens call use cases; the
app turns :class:`~qcode.core.errors.QcodeError` into visible messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from qcode.core.errors import ProjectBusyError, QcodeError, StorageError
from qcode.tui.messages import CodingsChanged
from qcode.tui.safe import label as safe_label
from qcode.tui.screens.help import HELP_WHILE_TYPING, key_text
from qcode.usecases.coding import History
from qcode.usecases.project import Project, read_only_note

DARK, LIGHT = "textual-dark", "textual-light"


class QcodeApp(App[None]):
    """The coding app for one project."""

    TITLE = "qcode"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        # No key_display: the footer shows ?, or f1 while a text box has focus (Textual leaves out the keys it types).
        Binding("question_mark,f1", "help", "Help", tooltip=HELP_WHILE_TYPING),
        Binding("u,ctrl+z", "undo", "Undo"),
        Binding("U,ctrl+y", "redo", "Redo", show=False),
        Binding("f2", "open_screen('project')", "Transcripts", show=False),
        Binding("slash,f3", "open_screen('search')", "Search", key_display="/"),
        Binding("f4", "open_screen('retrieval')", "Quotes of a code", show=False),
        Binding("f5", "open_screen('suggestions')", "Suggestions", show=False),
        Binding("f6", "open_screen('memos')", "Memos", show=False),
        Binding("f7", "open_screen('reports')", "Reports", show=False),
        Binding("ctrl+t", "toggle_theme", "Light/dark theme", show=False),
        Binding("b", "toggle_blind", "Blind coding on/off (hide other coders)", show=False),
        Binding("f8", "open_screen('review')", "Review disagreements", show=False),
        Binding("q", "back_or_quit", "Back/Quit", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, project: Project, *, transcript: str | int | None = None) -> None:
        super().__init__()
        self.project = project
        self.history = History(project)
        self._start_transcript = transcript
        self.theme = DARK
        self.feed: Any = None
        """On a team server: tells when other coders changed the project (LISTEN/NOTIFY)."""

    def on_codings_changed(self, message: CodingsChanged) -> None:
        """Tell every screen on the stack that codings changed (the coding screen reloads)."""
        for screen in self.screen_stack:
            screen.post_message(CodingsChanged())

    # ------------------------------------------------------------------ start
    def on_mount(self) -> None:
        from qcode.tui.screens.project import ProjectScreen

        self.push_screen(ProjectScreen())
        if self._start_transcript is not None:
            ok, tid = self.attempt(self.project.find_transcript, self._start_transcript)
            if ok:
                self.open_transcript(tid)
        if self.project.read_only:
            self.notify(read_only_note(self.project), title="Read-only project", severity="warning", markup=False)
        if self.project.notice:
            self.notify(self.project.notice, title="Demo" if self.project.settings.demo else "Project", markup=False,
                        timeout=12)
        if self.project.seed_report and self.project.seed_report.messages:
            self.notify("\n".join(self.project.seed_report.messages), title="Project created", markup=False)
        if self.project.server is not None:
            from qcode.usecases.server import change_feed

            self.feed = change_feed(self.project)
            self.set_interval(0.1, self._others_changes)  # a look at a set: cheap
        self.call_after_refresh(self._check_coder)

    def _others_changes(self) -> None:
        """Show other coders' committed changes: reload the coding screen when it is in front."""
        if not self.feed.poll():
            return
        self.post_message(CodingsChanged())

    def sync_label(self) -> str:
        """'synced HH:MM:SS' on a team server (when others' changes were last shown), else ''."""
        if self.feed is None:
            return ""
        import time

        if self.feed.error:
            return "live updates off"
        return "synced " + time.strftime("%H:%M:%S", time.localtime(self.feed.last_refresh))

    def _check_coder(self) -> None:
        """Ask for the coder's name when neither qcode.toml nor QCODE_CODER gives one."""
        import os

        from qcode.tui.screens.dialogs import TextDialog
        from qcode.usecases.settings import coder_and_source

        if self.project.read_only:
            return  # nothing can be written: neither the name nor a new codebook version
        server = self.project.server
        on_server = server is not None and server.prefix  # there the coder is the database role connected
        if on_server or self.project.settings.coder or os.environ.get("QCODE_CODER", "").strip():
            self._check_codebook_file()
            return
        guess = coder_and_source(self.project.settings)[0]
        self.push_screen(TextDialog("Your name, shown on your codings and in reports (saved in qcode.toml)", guess,
                                    placeholder="e.g. Amina K."), self._coder_given)

    def _coder_given(self, name: str | None) -> None:
        from qcode.usecases.settings import update_setting

        name = (name or "").strip()
        if name:
            ok, written = self.attempt(update_setting, self.project.root, "project", "coder", name)
            if ok and written:
                self.project.settings.coder = self.project.coder = name
                self.notify(f"✓ saved: you code as {safe_label(name, 40)}", markup=False, timeout=4)
                self._refresh_screen(self.screen)
        else:
            self.notify(f"You code as {safe_label(self.project.coder, 40)} for this session; set `coder` in "
                        "qcode.toml to change it.", markup=False, timeout=8)
        self._check_codebook_file()

    def _check_codebook_file(self) -> None:
        """Offer to take in an edited codebook file; say when it is invalid or missing."""
        from qcode.tui.screens.dialogs import ConfirmDialog
        from qcode.usecases.codebook import codebook_file_status

        ok, status = self.attempt(codebook_file_status, self.project)
        if not ok or not status.needs_attention:
            return
        if status.state != "changed":
            self.notify(status.message(), title="Codebook file", severity="warning", markup=False, timeout=20)
            return
        lines = status.change.lines()
        shown = "\n".join(lines[:8]) + ("\n..." if len(lines) > 8 else "")
        self.push_screen(ConfirmDialog(
            f"The codebook file {status.shown} was edited since the project took it in "
            f"({status.change.diff.summary()}):\n\n{shown}\n\nTake the edit in now? Codings of removed codes are "
            "kept (their codes are retired).", yes="Take it in"), lambda yes: self._take_codebook(status, yes))

    def _take_codebook(self, status: Any, yes: bool | None) -> None:
        from qcode.usecases.codebook import attach_codebook

        if not yes:
            self.notify(f"Still using the stored codebook; `qcode codebook use {status.shown}` takes the edit in.",
                        markup=False, timeout=8)
            return
        ok, change = self.attempt(attach_codebook, self.project, status.path)
        if ok:
            for screen in self.screen_stack:
                self._refresh_screen(screen)
            self.notify(f"✓ saved: codebook updated ({change.diff.summary()})", markup=False, timeout=5)

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.close()
        self.project.close()

    # ------------------------------------------------------------------ errors
    def attempt(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """Run a use case; on a QcodeError show it and return (False, None).

        Callers show an action as done only when the first value is True,
        i.e. after the use case's transaction committed.
        """
        try:
            return True, fn(*args, **kwargs)
        except QcodeError as exc:
            self.show_error(exc)
            return False, None

    def show_error(self, exc: QcodeError) -> None:
        """A notification for ordinary problems, a dialog when the store could not save."""
        if isinstance(exc, (StorageError, ProjectBusyError)):
            from qcode.tui.screens.dialogs import ErrorDialog

            self.push_screen(ErrorDialog(exc.title, exc.message, exc.hint))
        else:
            text = safe_label(exc.message) + (f"\n{safe_label(exc.hint)}" if exc.hint else "")
            self.notify(text, title=safe_label(exc.title), severity="error", timeout=10, markup=False)

    # ------------------------------------------------------------------ navigation
    def _coding_screen(self) -> Any:
        from qcode.tui.screens.coding import CodingScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, CodingScreen):
                return screen
        return None

    def _pop_to_base(self, keep: Callable[[Screen[Any]], bool]) -> None:
        while len(self.screen_stack) > 2 and not keep(self.screen):
            self.pop_screen()

    def open_transcript(self, transcript_id: int, span: tuple[int, int] | None = None) -> None:
        """Show a transcript on the coding screen (reusing it when already open), optionally at *span*."""
        from qcode.tui.screens.coding import CodingScreen
        from qcode.tui.screens.project import ProjectScreen

        current = self._coding_screen()
        if current is not None and current.tid == transcript_id:
            self._pop_to_base(lambda s: s is current)
            current.refresh_from_store()
            if span:
                current.jump_to(*span)
            return
        self._pop_to_base(lambda s: isinstance(s, ProjectScreen))
        if current is not None and self.screen is current:
            self.pop_screen()
        self.push_screen(CodingScreen(transcript_id, jump=span))

    def action_open_screen(self, name: str) -> None:
        if name == "project":
            from qcode.tui.screens.project import ProjectScreen

            self._pop_to_base(lambda s: isinstance(s, ProjectScreen))
            if self._coding_screen() is self.screen and len(self.screen_stack) > 2:
                self.pop_screen()
            return
        opener = {
            "search": self.open_search,
            "retrieval": self.open_retrieval,
            "suggestions": self.open_suggestions,
            "memos": self.open_memos,
            "reports": self.open_reports,
            "review": self.open_review,
        }[name]
        opener()

    def _current_code(self) -> str | None:
        screen = self._coding_screen()
        if screen is None:
            return None
        here = screen.view.codings_at()
        return here[0].code_id if here else screen.code_tree.highlighted_code

    def _current_transcript(self) -> int | None:
        screen = self._coding_screen()
        return screen.tid if screen is not None else None

    def _push_tool(self, screen: Screen[Any]) -> None:
        # One tool screen at a time: replace a tool screen already on top.
        from qcode.tui.screens.coding import CodingScreen
        from qcode.tui.screens.project import ProjectScreen

        if not isinstance(self.screen, (CodingScreen, ProjectScreen)) and len(self.screen_stack) > 2:
            self.pop_screen()
        self.push_screen(screen)

    def open_search(self) -> None:
        from qcode.tui.screens.search import SearchScreen

        self._push_tool(SearchScreen())

    def open_retrieval(self, code_id: str | None = None) -> None:
        from qcode.tui.screens.retrieval import RetrievalScreen

        self._push_tool(RetrievalScreen(code_id or self._current_code()))

    def open_suggestions(self, transcript_id: int | None = None, code_id: str | None = None) -> None:
        from qcode.tui.screens.suggestions import SuggestionsScreen

        self._push_tool(SuggestionsScreen(transcript_id if transcript_id is not None else self._current_transcript(), code_id))

    def open_memos(self, kind: str | None = None, target_id: str | None = None) -> None:
        from qcode.tui.screens.memos import MemosScreen

        self._push_tool(MemosScreen(kind, target_id))

    def open_reports(self) -> None:
        from qcode.tui.screens.reports import ReportsScreen

        self._push_tool(ReportsScreen())

    def open_review(self, code_id: str | None = None) -> None:
        from qcode.tui.screens.review import ReviewScreen

        self._push_tool(ReviewScreen(code_id))

    def action_toggle_blind(self) -> None:
        from qcode.usecases import blind

        on = not blind.is_blind(self.project)
        ok, _ = self.attempt(blind.set_blind, self.project, on)
        if not ok:
            return
        for screen in self.screen_stack:
            self._refresh_screen(screen)
        self.notify(
            "Blind coding on: you see only your own codings (b to compare)." if on
            else "Blind coding off: every coder's codings are shown.",
            markup=False, timeout=4,
        )

    def action_back_or_quit(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()
            self._refresh_screen(self.screen)
        else:
            self.exit()

    # ------------------------------------------------------------------ undo/redo
    def action_undo(self) -> None:
        self._undo_redo(self.history.undo, "Undone", "Nothing to undo in this session.")

    def action_redo(self) -> None:
        self._undo_redo(self.history.redo, "Redone", "Nothing to redo.")

    def _undo_redo(self, fn: Callable[[], Any], verb: str, empty: str) -> None:
        ok, step = self.attempt(fn)
        if not ok:
            return
        if step is None:
            self.notify(empty, markup=False)
            return
        for screen in self.screen_stack:
            self._refresh_screen(screen)
        self.notify(f"{verb}: {safe_label(step.label)} (saved)", markup=False, timeout=3)
        coding = self._coding_screen()
        if coding is not None:
            coding.saved(f"{verb.lower()}: {safe_label(step.label, 60)}")

    @staticmethod
    def _refresh_screen(screen: Screen[Any]) -> None:
        refresh = getattr(screen, "refresh_from_store", None)
        if refresh is not None:
            refresh()

    # ------------------------------------------------------------------ help, theme, palette
    def action_help(self) -> None:
        from qcode.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        sources: list[tuple[Any, list[Any]]] = []
        from qcode.tui.widgets.transcript_view import TranscriptView

        if screen.query(TranscriptView):
            sources.append((screen.query_one(TranscriptView), TranscriptView.BINDINGS))
        sources.append((screen, list(getattr(screen, "BINDINGS", []))))
        sources.append((self, self.BINDINGS))
        for target, bindings in sources:
            describe = getattr(target, "palette_description", None)
            for b in bindings:
                if not isinstance(b, Binding) or not b.description or b.action == "quit":
                    continue
                name = describe(b) if describe is not None else None
                name = b.description if name is None else name
                if not name or name in seen:
                    continue
                seen.add(name)
                key = b.key.split(",")[0] if name != b.description else b.key_display or key_text(b.key.split(",")[0])
                yield SystemCommand(name, f"key: {key}", partial(self.run_action, b.action, target))


    def _fatal_error(self) -> None:
        """Textual's crash screen prints a traceback *with local variables*, which quote interview
        text; ours shows where it happened, and writes the traceback (no locals) to a private file."""
        import sys

        from qcode.usecases import crash

        exc = sys.exc_info()[1]
        if exc is None or crash.debugging():
            super()._fatal_error()
            return
        from rich.text import Text

        self.bell()
        self._exit_renderables.append(Text(crash.summary(exc, crash.write_report(exc))))
        self._close_messages_no_wait()


def make_app(project_dir: Path | None = None, *, transcript: str | int | None = None) -> QcodeApp:
    """Open the project at *project_dir* (default: here) and build the app."""
    return QcodeApp(Project.open(project_dir), transcript=transcript)
