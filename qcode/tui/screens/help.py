"""The ``?`` screen: the keys of the screen it was opened on, and the keys that work everywhere,
generated from the bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "qcode saves every action when you make it: there is no Save and quitting loses nothing. "
    "u undoes and U redoes coding actions for the whole session, on any screen. "
    "ctrl+p opens the command palette with every action. ? opens this help, and f1 too, also while "
    "you type in a box (where ? is typed). Press esc or q to close it."
)

HELP_WHILE_TYPING = "f1 while typing in a box, where ? is typed"
"""The help key's note: ``?`` opens help except in a text box, which takes it as text (the footer then shows f1)."""


NUMBER_KEYS = (
    "Apply the code with that number (shown in the tree) to the selection. Only the first nine "
    "codes have a number: for any code, press c or space and type part of its name, or press "
    "tab and choose it in the tree with Enter."
)


def _sections() -> list[tuple[str, list[BindingType]]]:
    from qcode.tui.app import QcodeApp
    from qcode.tui.screens.coding import CodingScreen
    from qcode.tui.screens.memos import MemosScreen
    from qcode.tui.screens.project import ProjectScreen
    from qcode.tui.screens.reports import ReportsScreen
    from qcode.tui.screens.retrieval import RetrievalScreen
    from qcode.tui.screens.review import ReviewScreen
    from qcode.tui.screens.search import SearchScreen
    from qcode.tui.screens.suggestions import SuggestionsScreen
    from qcode.tui.widgets.transcript_view import TranscriptView

    return [
        ("Everywhere", QcodeApp.BINDINGS),
        ("Move and select", TranscriptView.BINDINGS),
        ("Coding", CodingScreen.BINDINGS),
        ("Transcripts (project)", ProjectScreen.BINDINGS),
        ("Suggestions", SuggestionsScreen.BINDINGS),
        ("Quotes of a code", RetrievalScreen.BINDINGS),
        ("Search", SearchScreen.BINDINGS),
        ("Memos", MemosScreen.BINDINGS),
        ("Reports", ReportsScreen.BINDINGS),
        ("Review disagreements (F8)", ReviewScreen.BINDINGS),
    ]


def key_text(key: str) -> str:
    """Keys as people write them: ``question_mark,f1`` -> ``? f1``."""
    names = {
        "question_mark": "?", "slash": "/", "space": "space", "delete": "del", "right_parenthesis": ")",
        "left_parenthesis": "(", "right_square_bracket": "]", "left_square_bracket": "[",
        "right_curly_bracket": "}", "left_curly_bracket": "{",
    }
    return " ".join(names.get(k, k) for k in key.split(","))


def screen_sections(screen: object) -> list[tuple[str, list[BindingType]]]:
    """The sections for *screen*: its own keys, moving and selecting when it shows a transcript, then
    the keys that work everywhere."""
    from qcode.tui.app import QcodeApp
    from qcode.tui.widgets.transcript_view import TranscriptView

    own = list(getattr(type(screen), "BINDINGS", []))
    titles = {id(bindings): title for title, bindings in _sections()}
    title = titles.get(id(getattr(type(screen), "BINDINGS", None))) or getattr(screen, "sub_title", "") or "This screen"
    out = [(f"This screen: {title}", own)]
    query = getattr(screen, "query", None)
    if query is not None and query(TranscriptView):
        out.append(("Move and select", TranscriptView.BINDINGS))
    out.append(("Everywhere", QcodeApp.BINDINGS))
    return out


KEY_WIDTH = 22
"""Width of the help's key column (section titles longer than this are split over both columns)."""


def help_table(screen: object | None = None) -> Table:
    """Keys of *screen* (with the global ones), or of every screen when None."""
    table = Table(show_header=False, box=None, expand=True, padding=(0, 1))
    table.add_column("key", style="bold", no_wrap=True, width=KEY_WIDTH)
    table.add_column("action")
    for title, bindings in (_sections() if screen is None else screen_sections(screen)):
        head, sep, rest = title.partition(": ")
        if len(title) > KEY_WIDTH and sep:  # "This screen: Review disagreements" would be cut in the key column
            table.add_row(Text(head, style="bold underline"), Text(rest, style="bold underline"))
        else:
            table.add_row(Text(title, style="bold underline"), "")
        for b in bindings:
            if not isinstance(b, Binding) or not b.description or b.action == "app.help":
                continue  # app.help: a copy of the global key, placed early in a footer
            if b.action == "apply_key('1')":
                table.add_row("1 … 9", NUMBER_KEYS)
            elif not b.action.startswith("apply_key('"):
                table.add_row(key_text(b.key), b.description + (f" ({b.tooltip})" if b.tooltip else ""))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close help")]

    def __init__(self, screen: object | None = None) -> None:
        super().__init__()
        self.for_screen = screen
        """The screen whose keys are listed (None: every screen)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(INTRO), id="help-intro")
            yield Static(help_table(self.for_screen))
            if self.for_screen is not None:
                yield Static(Text("Other screens have keys of their own: press ? there.", style="italic"))

    def action_close(self) -> None:
        self.dismiss(None)
