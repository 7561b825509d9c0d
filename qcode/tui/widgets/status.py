"""A one-line status bar that repaints without a layout pass (cheap on every key press)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class StatusLine(Widget):
    DEFAULT_CSS = "StatusLine { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:  # Textual's name
        super().__init__(id=id)
        self._text = Text()

    def update(self, text: Text) -> None:
        """Show *text* (a rich Text built from data with no markup)."""
        self._text = text
        self.refresh()

    def render(self) -> Text:
        return self._text
