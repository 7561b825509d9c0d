"""A one-line status bar that repaints without a layout pass (cheap on every key press)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import Reactive, reactive
from textual.widget import Widget


class StatusLine(Widget):
    DEFAULT_CSS = "StatusLine { height: 1; }"

    text: Reactive[Text] = reactive(Text, layout=False)
    """What the line shows (a rich Text built from data with no markup); setting it repaints."""

    def update(self, text: Text) -> None:
        """Show *text*."""
        self.text = text

    def render(self) -> Text:
        return self.text
