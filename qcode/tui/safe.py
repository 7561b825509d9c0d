"""Showing untrusted text literally in the app so that markup or terminal escapes in
transcripts, labels and file names can neither restyle the screen nor hide text.

The character mapping lives in :mod:`qcode.core.safe_text`, shared with the
command line. Nothing here builds markup: callers wrap the result in
:class:`rich.text.Text`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcode.core.safe_text import label, visible

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["label", "text", "transcript", "visible"]


def transcript(title: str, name: str, limit: int | None = None, *, with_name: bool = False) -> str:
    """How the app names a transcript to people: its title (its name when it has none), then
    ``(name)`` when *with_name* and the two differ; shown literally, cut with "…" to *limit*."""
    shown = title.strip() or name
    if with_name and shown != name:
        shown = f"{shown} ({name})"
    return label(shown, limit)


def text(value: str, style: str = "", limit: int | None = None) -> Text:
    """A :class:`rich.text.Text` of *value* shown literally (never parsed as markup)."""
    from rich.text import Text

    return Text(label(value, limit), style=style)
