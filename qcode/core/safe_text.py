"""Showing untrusted text literally on a terminal.

Transcript text, code labels, memos and file names come from users and from
imported files. They may contain terminal escape sequences (``\\x1b]52;...``
writes the clipboard, ``\\x1b]0;...`` sets the window title), C1 controls
(``\\x9b`` is a one-byte CSI) or bidi overrides that reorder what is shown.
These functions map every such character to a visible placeholder, for the
app (:mod:`qcode.tui.safe`) and the command line (:func:`qcode.cli.common.say`)
alike.
"""

from __future__ import annotations

import unicodedata

# Bidi overrides/isolates and other invisible format characters that can
# reorder or hide text on screen.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _visible_char(ch: str) -> str:
    o = ord(ch)
    if o < 0x20:
        return chr(0x2400 + o)  # Unicode "control pictures": ESC -> ␛
    if o == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= o <= 0x9F or ch in _BIDI:
        return "\ufffd"  # �
    return ch


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for o in list(range(0x20)) + [0x7F] + list(range(0x80, 0xA0)):
        table[o] = _visible_char(chr(o))
    for ch in _BIDI:
        table[ord(ch)] = "\ufffd"
    return table


_TABLE_1TO1 = _build_table()
_TABLE_1TO1[ord("\t")] = " "  # tabs: one cell, so offsets stay aligned with the text


def visible(text: str) -> str:
    """Map control characters one-to-one to visible placeholders.

    The result has exactly the same length as *text* (offsets stay valid),
    which the transcript view relies on. Newlines are mapped too: callers
    split lines before calling this.
    """
    return text.translate(_TABLE_1TO1)


def is_unsafe_char(ch: str) -> bool:
    """A character a terminal may interpret or that hides/reorders text (C0 but TAB/LF, DEL, C1, Cf)."""
    o = ord(ch)
    if ch in "\n\t":
        return False
    return o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F or ch in _BIDI or unicodedata.category(ch) == "Cf"


def label(text: str, limit: int | None = None) -> str:
    """A one-line, descriptive rendering of an untrusted label.

    Control and format characters become ``\\x1b``-style escapes or
    ``<U+202E>`` so a reader can tell exactly what is in the data.
    """
    out: list[str] = []
    for ch in text:
        o = ord(ch)
        if ch in "\n\t":
            out.append(" ")
        elif o < 0x20 or o == 0x7F or 0x80 <= o <= 0x9F:
            out.append(f"\\x{o:02x}")
        elif ch in _BIDI or unicodedata.category(ch) == "Cf":
            out.append(f"<U+{o:04X}>")
        else:
            out.append(ch)
    s = "".join(out)
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)] + "…"
    return s


def lines(text: str) -> str:
    """Like :func:`label`, but keeping line breaks: for multi-line terminal output."""
    if text.isascii() and text.isprintable():
        return text  # the common case, fast
    return "\n".join(label(line) for line in text.split("\n"))


def json_escape(dumped: str) -> str:
    """Escape, in JSON text, the characters ``json.dumps(ensure_ascii=False)`` leaves raw but a terminal may act on.

    JSON already escapes C0; C1 controls, DEL and bidi/format characters
    become ``\\uXXXX`` here, so the data stays exact for a program reading it.
    """
    if dumped.isascii() and "\x7f" not in dumped:
        return dumped
    return "".join(_json_u(ch) if is_unsafe_char(ch) else ch for ch in dumped)


def _json_u(ch: str) -> str:
    o = ord(ch)
    if o <= 0xFFFF:
        return f"\\u{o:04x}"
    o -= 0x10000
    return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"
