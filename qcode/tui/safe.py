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

__all__ = ["label", "text", "visible"]


def text(value: str, style: str = "", limit: int | None = None) -> Text:
    """A :class:`rich.text.Text` of *value* shown literally (never parsed as markup)."""
    from rich.text import Text

    return Text(label(value, limit), style=style)
