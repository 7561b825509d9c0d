"""The coding screen: read a transcript, select passages, apply codes.

No business logic here: every change goes through :mod:`qcode.usecases.coding`
(one transaction each) and is shown only after it has been committed.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive, var
from textual.widgets import Footer, Header, Static

from qcode.core.coding import Coding
from qcode.core.errors import QcodeError
from qcode.core.text import label_from_quote
from qcode.tui.colors import code_colors
from qcode.tui.messages import CodingsChanged
from qcode.tui.safe import label as safe_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.screens.dialogs import NEW_PREFIX, ChoiceDialog, CodePicker, TextDialog
from qcode.tui.screens.help import HELP_WHILE_TYPING
from qcode.tui.widgets.code_tree import CodeTree, number_keys
from qcode.tui.widgets.status import StatusLine
from qcode.tui.widgets.transcript_view import TranscriptView
from qcode.usecases import blind
from qcode.usecases import coding as uc


class CodingScreen(QcodeScreen):
    """One transcript with the codebook beside it."""

    BINDINGS = [
        Binding("1", "apply_key('1')", "Code", key_display="1-9"),
        *[Binding(str(n), f"apply_key('{n}')", f"Apply code {n}", show=False) for n in range(2, 10)],
        Binding("c,space", "pick_code", "Any code…"),
        Binding("x,delete", "uncode", "Uncode"),
        Binding("r", "recode", "Recode"),
        Binding("m", "memo", "Memo"),
        # Help early in the footer, so it is visible in an 80-column terminal.
        Binding("question_mark,f1", "app.help", "Help", tooltip=HELP_WHILE_TYPING),
        Binding("n", "new_code", "In-vivo"),
        Binding("d", "toggle_definition", "Define"),
        Binding("f", "toggle_tree", "Show/hide the codes panel", show=False),
        Binding("T", "transcript_memo", "Transcript memo", show=False),
        Binding("g", "suggestions_here", "Suggestions for this transcript", show=False),
    ]

    last_saved: Reactive[str] = var("", always_update=True, init=False)
    """The last action done and committed, shown first in the status line ("" when none)."""

    tid: Reactive[int] = var(0, init=False)
    """The id of the transcript shown: setting it shows that transcript (title, text, codings, status)."""

    blind_coding: Reactive[bool] = var(False, init=False)
    """Whether the current coder codes blind (only their own codings shown), as the store says
    on the last reload; the status line starts with a reminder while it is on."""

    def __init__(self, transcript_id: int, jump: tuple[int, int] | None = None) -> None:
        super().__init__()
        # The watcher needs the mounted view: on_mount shows the first transcript.
        self.set_reactive(CodingScreen.tid, transcript_id)
        self._jump = jump
        self._keys: dict[str, str] = {}
        self._stale = False
        """Codings changed while another screen was in front: reload on return."""

    # ---------------------------------------------------------------- layout
    @property
    def view(self) -> TranscriptView:
        return self.query_one(TranscriptView)

    @property
    def code_tree(self) -> CodeTree:
        return self.query_one(CodeTree)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="coding-body"):
            with Vertical(id="coding-main"):
                yield TranscriptView(id="transcript")
                yield StatusLine(id="status")
            with Vertical(id="coding-side"):
                yield CodeTree(id="codes")
                yield Static(id="definition")
        yield Footer()

    def on_mount(self) -> None:
        self.title = safe_label(self.project.settings.name, 40)
        # Without its watcher: the status line is drawn once the transcript is shown.
        self.set_reactive(CodingScreen.blind_coding, blind.is_blind(self.project))
        self._load_codebook()
        self._show_transcript()
        self.view.focus()
        if self._jump:
            self.call_after_refresh(self.view.jump_to, *self._jump)

    def watch_tid(self) -> None:
        self._show_transcript()

    def watch_blind_coding(self) -> None:
        self._update_status()

    def _show_transcript(self) -> None:
        t = self.project.transcript(self.tid)
        self.sub_title = safe_label(t.title or t.name, 60)
        self.view.load(t, blind.visible_codings(self.project, transcript_id=self.tid))
        self._update_status()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    def _load_codebook(self) -> None:
        cb = self.project.codebook
        colors = code_colors(cb)
        self._keys = number_keys(cb)
        self.code_tree.show_codebook(cb, colors, blind.visible_counts(self.project), self.project.settings.language)
        self.view.set_code_colors(colors)

    def refresh_from_store(self) -> None:
        """Reload what the store holds (after undo/redo or work on another screen)."""
        self.project.invalidate(codebook=True)
        self._load_codebook()
        self.view.set_codings(blind.visible_codings(self.project, transcript_id=self.tid))
        self.blind_coding = blind.is_blind(self.project)
        self._update_status()

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        # A dialog of this screen (picker, memo) keeps the status; another screen makes it stale.
        self._left_for_screen = not isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        if getattr(self, "_left_for_screen", False):
            self._left_for_screen = False
            self.last_saved = ""
        if self._stale:
            self._stale = False
            self.refresh_from_store()

    def on_codings_changed(self, message: CodingsChanged) -> None:
        if self.is_current:
            self.refresh_from_store()
        else:
            self._stale = True

    def jump_to(self, start: int, end: int) -> None:
        self.view.jump_to(start, end)
        self.view.focus()

    # ---------------------------------------------------------------- status
    def _update_status(self) -> None:
        view = self.view
        cb = self.project.codebook
        lang = self.project.settings.language
        t = Text(no_wrap=True, overflow="ellipsis")
        if self.blind_coding:
            t.append("blind: only your codings (b to compare) · ", style="bold magenta")
        if self.last_saved:
            t.append(f"✓ {self.last_saved} · ", style="green")
        sel = view.selection
        if sel:
            t.append(f"{sel[1] - sel[0]} chars selected", style="bold")
            if view.extend_mode:
                t.append(" (select mode)", style="italic")
        else:
            turn = view.turn_index_at(view.cursor)
            t.append(f"turn {turn + 1}/{len(view.turns)}")
        sync = self.qcode_app.sync_label()
        if sync:  # before the codes here, which may fill the line
            t.append(f" · {sync}", style="dim")
        here = view.codings_at()
        if here:
            t.append(" · here (* = memo, m opens it): " if any(c.memo for c in here) else " · here: ")
            names = []
            for c in here:
                code = cb.find(c.code_id)
                names.append(safe_label(code.display(lang) if code else c.code_id, 24) + ("*" if c.memo else ""))
            t.append(", ".join(names))
        self.query_one("#status", StatusLine).update(t)
        self._update_definition()

    @on(TranscriptView.SelectionChanged)
    def _selection_changed(self) -> None:
        self._update_status()

    def saved(self, what: str, hint: str = "") -> None:
        """Say in the status bar that *what* was done and committed ("coded “Pay”, saved")."""
        self.last_saved = f"{what}, saved" + (f" · {hint}" if hint else "")

    def watch_last_saved(self) -> None:
        self._update_status()

    # ---------------------------------------------------------------- definition
    def _update_definition(self) -> None:
        panel = self.query_one("#definition", Static)
        if not panel.display:
            return
        code_id = None
        if self.code_tree.has_focus:
            code_id = self.code_tree.highlighted_code
        else:
            here = self.view.codings_at()
            code_id = here[0].code_id if here else self.code_tree.highlighted_code
        code = self.project.codebook.find(code_id) if code_id else None
        if code is None:
            panel.update("Highlight a code in the tree (tab) to see its definition.")
            return
        t = Text()
        t.append(safe_label(code.display(self.project.settings.language)), style="bold")
        t.append(f"  ({safe_label(code.id)})\n", style="dim")
        for title, value in (("Definition", code.definition), ("Include", code.include), ("Exclude", code.exclude)):
            if value:
                t.append(f"{title}: ", style="bold")
                t.append(safe_label(value) + "\n")
        if code.examples:
            t.append("Examples:\n", style="bold")
            for ex in code.examples[:5]:
                t.append(f" • {safe_label(str(ex))}\n", style="italic")
        if not (code.definition or code.include or code.exclude or code.examples):
            t.append("No definition yet in the codebook.", style="dim")
        panel.update(t)

    def action_toggle_definition(self) -> None:
        panel = self.query_one("#definition", Static)
        panel.display = not panel.display
        self._update_definition()

    def action_toggle_tree(self) -> None:
        side = self.query_one("#coding-side")
        side.display = not side.display

    @on(CodeTree.CodeHighlighted)
    def _code_highlighted(self) -> None:
        self._update_definition()

    # ---------------------------------------------------------------- coding actions
    def _attempt(self, fn, *args, **kwargs):
        return self.qcode_app.attempt(fn, *args, **kwargs)

    def palette_description(self, binding: Binding) -> str | None:
        """The command palette's name for *binding*: number keys name their code ("" hides a key
        without one); None keeps the binding's description."""
        if not binding.action.startswith("apply_key('"):
            return None
        key = binding.action[len("apply_key('"):-2]
        code_id = self._keys.get(key)
        return f"Apply code “{self._code_name(code_id)}” to the selection" if code_id else ""

    def _code_name(self, code_id: str) -> str:
        code = self.project.codebook.find(code_id)
        return safe_label(code.display(self.project.settings.language) if code else code_id, 30)

    def apply(self, code_id: str) -> Coding | None:
        """Code the selection with *code_id* (committed before it is shown)."""
        sel = self.view.selection
        if sel is None:
            self.notify(
                "Select a passage first: shift+arrows or v then move; s = sentence, t = turn, w = word; or drag with the mouse.",
                title="Nothing selected",
                severity="warning",
                markup=False,
            )
            return None
        ok, coding = self._attempt(
            uc.apply_code, self.project, self.tid, sel[0], sel[1], code_id, history=self.qcode_app.history
        )
        if not ok:
            return None
        self.view.add_coding(coding)
        self.view.action_clear_selection()
        self.code_tree.set_counts(blind.visible_counts(self.project))
        self.saved(f"coded “{self._code_name(code_id)}”")
        return coding

    def action_apply_key(self, key: str) -> None:
        code_id = self._keys.get(key)
        if code_id is None:
            self.notify(
                f"No code on key {key}: only {len(self._keys)} codes have number keys. "
                "Press c (or space) and type part of a code's name to apply any code.",
                markup=False,
            )
            return
        self.apply(code_id)

    @on(CodeTree.CodeChosen)
    def _tree_chosen(self, event: CodeTree.CodeChosen) -> None:
        if self.view.selection is None:
            self.query_one("#definition", Static).display = True
            self._update_definition()
            return
        if self.apply(event.code_id):
            self.view.focus()

    def action_pick_code(self) -> None:
        def chosen(result: str | None) -> None:
            if not result:
                return
            if result.startswith(NEW_PREFIX):
                self._create_code(result[len(NEW_PREFIX) :], apply=True)
            else:
                self.apply(result)

        self.app.push_screen(CodePicker(self.project.codebook, self.project.settings.language), chosen)

    def action_new_code(self) -> None:
        sel = self.view.selection
        quote = self.view.transcript.text[sel[0] : sel[1]] if sel and self.view.transcript else ""
        default = label_from_quote(quote)

        def named(label: str | None) -> None:
            if label and label.strip():
                self._create_code(label.strip(), apply=sel is not None)

        self.app.push_screen(TextDialog("New code (in-vivo): label", default, placeholder="label of the new code"), named)

    def _create_code(self, label: str, *, apply: bool) -> None:
        from qcode.usecases.codebook import add_code

        ok, code = self._attempt(add_code, self.project, label)
        if not ok:
            return
        code_id = getattr(code, "id", code)
        self.project.invalidate(codebook=True)
        self._load_codebook()
        self.saved(f"new code “{safe_label(label, 30)}” in the codebook")
        if apply and self.view.selection is not None and self.apply(str(code_id)) is not None:
            self.saved(f"new code “{safe_label(label, 30)}” in the codebook and coded")

    def _choose_coding(self, verb: str, then: Callable[[Coding], None]) -> None:
        """Pick the coding under the cursor (asks when there are several) and call *then*."""
        here = self.view.codings_at()
        if not here:
            self.notify(f"No coding under the cursor to {verb}.", severity="warning", markup=False)
            return
        if len(here) == 1:
            then(here[0])
            return
        items = []
        for c in here:
            t = Text(self._code_name(c.code_id), style="bold")
            t.append(f"  {c.coder}  ", style="dim")
            t.append(safe_label(c.quote, 50), style="italic")
            items.append(t)

        def picked(i: int | None) -> None:
            if i is not None:
                then(here[i])

        self.app.push_screen(ChoiceDialog(f"Which coding do you want to {verb}?", items), picked)

    def action_uncode(self) -> None:
        def remove(c: Coding) -> None:
            ok, _ = self._attempt(uc.remove_coding, self.project, c.id, history=self.qcode_app.history)
            if ok:
                self.view.remove_coding(c.id)
                self.code_tree.set_counts(blind.visible_counts(self.project))
                self.saved(f"removed “{self._code_name(c.code_id)}”", hint="u undoes")

        self._choose_coding("remove", remove)

    def action_recode(self) -> None:
        def recode(c: Coding) -> None:
            def chosen(code_id: str | None) -> None:
                if not code_id or code_id.startswith(NEW_PREFIX) or code_id == c.code_id:
                    return
                ok, new = self._attempt(uc.recode, self.project, c.id, code_id, history=self.qcode_app.history)
                if ok:
                    self.view.replace_coding(new)
                    self.code_tree.set_counts(blind.visible_counts(self.project))
                    self.saved(f"recoded as “{self._code_name(code_id)}”")

            self.app.push_screen(
                CodePicker(
                    self.project.codebook, self.project.settings.language,
                    title=f"Recode “{self._code_name(c.code_id)}” ({safe_label(c.quote, 40)}) as…", allow_new=False,
                ),
                chosen,
            )

        self._choose_coding("recode", recode)

    def action_memo(self) -> None:
        def memo(c: Coding) -> None:
            def written(text: str | None) -> None:
                if text is None or text == c.memo:
                    return
                ok, new = self._attempt(uc.set_memo, self.project, c.id, text, history=self.qcode_app.history)
                if ok:
                    self.view.replace_coding(new)
                    self.saved("memo removed" if not text.strip() else "memo written" if not c.memo else "memo changed")

            self.app.push_screen(TextDialog(f"Memo on “{self._code_name(c.code_id)}”: {c.quote[:60]}", c.memo, multiline=True), written)

        self._choose_coding("write a memo on", memo)

    def action_transcript_memo(self) -> None:
        self.qcode_app.open_memos(kind="transcript", target_id=str(self.tid))

    def action_suggestions_here(self) -> None:
        self.qcode_app.open_suggestions(transcript_id=self.tid)


__all__ = ["CodingScreen", "QcodeError"]
