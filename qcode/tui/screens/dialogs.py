"""Small modal dialogs: text entry, confirmation, choice, code picker, error."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from qcode.core.codebook import Code, Codebook
from qcode.core.safe_text import lines as safe_lines
from qcode.core.text import fold
from qcode.tui.safe import label as safe_label


class TextDialog(ModalScreen[str | None]):
    """Ask for a text (one line, or several for memos). Returns None on cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, title: str, value: str = "", *, multiline: bool = False, placeholder: str = "", ok: str = "Save") -> None:
        super().__init__(classes="dialog")
        self.ok = ok
        self.title_text = title
        self.value = value
        self.multiline = multiline
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-body"):
            yield Label(Text(safe_label(self.title_text)), id="dialog-title")
            if self.multiline:
                yield TextArea(self.value, id="dialog-text", soft_wrap=True)
                yield Label("ctrl+s saves · esc cancels", classes="dialog-hint")
            else:
                yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _value(self) -> str:
        if self.multiline:
            return self.query_one(TextArea).text
        return self.query_one(Input).value

    def action_save(self) -> None:
        self.dismiss(self._value())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no. Enter/y confirms, escape/n cancels; with *danger* (the answer loses work) Enter
    cancels, and y or the red button confirms."""

    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, message: str, yes: str = "Yes", *, danger: bool = False) -> None:
        super().__init__(classes="dialog")
        self.message = message
        self.yes = yes
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-body"):
            yield Static(Text(safe_lines(self.message)), id="dialog-title")  # line breaks kept
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error" if self.danger else "primary", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ChoiceDialog(ModalScreen[int | None]):
    """Choose one of several items (e.g. which coding under the cursor)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, items: list[Text]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-body"):
            yield Label(Text(safe_label(self.title_text)), id="dialog-title")
            yield OptionList(*[Option(t, id=str(i)) for i, t in enumerate(self.items)], id="choices")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        choices.highlighted = 0  # Enter takes the first choice
        choices.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))


NEW_PREFIX = "new:"


class CodePicker(ModalScreen[str | None]):
    """Fuzzy code picker. Returns a code id, ``"new:<label>"`` to create one, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("down", "focus_list", show=False)]

    def __init__(self, codebook: Codebook, lang: str | None, title: str = "Apply code", allow_new: bool = True) -> None:
        super().__init__(classes="dialog")
        self.codebook = codebook
        self.lang = lang
        self.title_text = title
        self.allow_new = allow_new

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-body"):
            yield Label(Text(safe_label(self.title_text)), id="dialog-title")
            yield Input(placeholder="type to filter codes (fuzzy); Enter picks the first", id="picker-input")
            yield OptionList(id="picker-list")

    def on_mount(self) -> None:
        self._refill("")
        self.query_one(Input).focus()

    def _refill(self, query: str) -> None:
        from textual.fuzzy import Matcher

        ol = self.query_one(OptionList)
        ol.clear_options()
        matcher = Matcher(query) if query else None
        wanted = fold(query)
        entries = []
        for i, (depth, code) in enumerate(self.codebook.walk()):
            if code.retired:
                continue
            name = code.display(self.lang)
            parents = [self.codebook.find(p) for p in self.codebook.path(code.id)[:-1]]
            path = " › ".join(p.display(self.lang) for p in parents if p)
            entries.append((i, depth, code, name, path))
        # What was typed, as typed, inside a code's name, id, parents, labels in the codebook's other
        # languages or keywords: those codes only ("isol": Isolation, not every code with an i, s, o and l in
        # that order); else letters in order (fuzzy) in the name, id and parents.
        def other(code: Code, name: str) -> str:
            """The code's first label in another language, or keyword, that holds what was typed."""
            words = [*code.label.values(), *(k for ks in code.keywords.values() for k in ks)]
            return next((w for w in words if w != name and wanted in fold(w)), "")

        literal = [(*e, "" if wanted in fold(f"{e[3]} {e[2].id} {e[4]}") else other(e[2], e[3]))
                   for e in entries if wanted and (wanted in fold(f"{e[3]} {e[2].id} {e[4]}") or other(e[2], e[3]))]
        scored: list[tuple[float, int, str, Text]] = []
        for i, depth, code, name, path, seen in literal or [(*e, "") for e in entries]:
            score = 1.0 if seen else matcher.match(f"{name} {code.id} {path}") if matcher else 1.0
            if score <= 0:
                continue
            t = Text("  " * (0 if query else depth))
            t.append(safe_label(name, 50), style="bold")
            if seen:
                t.append(f"  “{safe_label(seen, 40)}”", style="italic")
            t.append(f"  {safe_label(code.id, 30)}", style="dim")
            if path and query:
                t.append(f"  in {safe_label(path, 40)}", style="dim italic")
            scored.append((-score if query else 0, i, code.id, t))
        scored.sort()
        opts = [Option(t, id=cid) for _, _, cid, t in scored]
        if self.allow_new and wanted and not any(
                wanted in {fold(c.display(self.lang)), *map(fold, c.label.values())} for c in self.codebook.codes):
            new = Option(Text(f"+ New code “{safe_label(query.strip(), 40)}”", style="italic"), id=NEW_PREFIX + query.strip())
            # Fuzzy letters in order are no match: without a code containing what was typed, Enter creates it.
            opts = [*opts, new] if literal else [new, *opts]
        ol.add_options(opts)
        if opts:
            ol.highlighted = 0

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        ol = self.query_one(OptionList)
        if ol.highlighted is not None and ol.option_count:
            self.dismiss(ol.get_option_at_index(ol.highlighted).id)

    @on(OptionList.OptionSelected)
    def _row_chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ErrorDialog(ModalScreen[None]):
    """A blocking error (the store could not save): title, message, what to do."""

    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, message: str, hint: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text, self.message, self.hint = title, message, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-body", classes="error"):
            yield Label(Text(safe_label(self.title_text), style="bold"), id="dialog-title")
            yield Static(Text(safe_label(self.message)))
            if self.hint:
                yield Static(Text(safe_label(self.hint), style="italic"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="error", id="ok")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _ok(self) -> None:
        self.dismiss(None)
