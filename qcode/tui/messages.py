"""Messages shared by several screens.

A worker's result is a message nested in the screen that runs it
(``ImportScreen.ImportFinished``, ``SuggestionsScreen.SuggestionsReady``,
``ReportsScreen.ReportWritten``); progress and user-facing failures look the
same on every screen, so they live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class WorkProgress(Message):
    """A slow use case reported progress (done of total, current item)."""

    done: int
    total: int
    label: str


@dataclass
class WorkFailed(Message):
    """A slow use case raised a user-facing error (already translated)."""

    kind: str
    error: Exception


class CodingsChanged(Message, bubble=False):
    """Codings were saved elsewhere (a tool screen, another coder): screens showing codings reload.

    Screens post it to the app, which hands it to every screen on the stack;
    it does not bubble, so a screen's copy never comes back to the app.
    """
