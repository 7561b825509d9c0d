"""Text normalisation and the one offset unit used everywhere inside qcode.

**Offsets.** Every character offset stored or computed by qcode counts Python
code points (``str`` indices) over the *normalised* text of a transcript:

* Unicode NFC (so "é" typed as e + combining accent counts 1, as on Windows);
* line ends ``\\n`` only (``\\r\\n`` and lone ``\\r`` are converted at import);
* no byte-order mark.

``start`` is inclusive and ``end`` exclusive, as in ``text[start:end]``.
Other tools count differently (NVivo: UTF-16 code units over CRLF text). The
conversions live in ``qcode.formats.offsets`` at the import/export edge, never
here and never in the store.
"""

from __future__ import annotations

import unicodedata

BOM = "\ufeff"


def normalize_text(raw: str) -> str:
    """Return *raw* in qcode's canonical form: NFC, ``\\n`` line ends, no BOM."""
    if raw.startswith(BOM):
        raw = raw[1:]
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    # U+2028/2029 are line/paragraph separators some exporters emit.
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return unicodedata.normalize("NFC", text)


def is_normalized(text: str) -> bool:
    """True when *text* is already in canonical form."""
    return normalize_text(text) == text


def count_words(text: str) -> int:
    """Whitespace-separated words, the unit reported to users."""
    return len(text.split())


def fold(text: str) -> str:
    """*text* as people type it when searching: case, accents, apostrophe variants and spacing folded."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").strip().casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def label_from_quote(quote: str, limit: int = 60) -> str:
    """An in-vivo code label from a quote: one line, without the punctuation around it
    ("outsourcing firm." -> "outsourcing firm", "« pas de contrat »" -> "pas de contrat")."""
    words = " ".join(quote.split())[:limit]
    start, end = 0, len(words)
    while start < end and _edge(words[start]):
        start += 1
    while end > start and _edge(words[end - 1]):
        end -= 1
    return words[start:end]


def _edge(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def snippet(text: str, start: int, end: int, width: int = 40) -> str:
    """A one-line excerpt around ``text[start:end]`` for messages and lists."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    out = text[left:right].replace("\n", " ")
    return ("…" if left else "") + out + ("…" if right < len(text) else "")


def _in_word(ch: str) -> bool:
    """A letter or digit, or a combining mark (the accent of a decomposed "é")."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def word_edges(text: str, start: int | None, end: int | None) -> tuple[int | None, int | None]:
    """*start* moved back and *end* forward to the edges of the words they cut (None stays None)."""
    if start is not None and 0 < start < len(text):
        while start > 0 and _in_word(text[start - 1]) and _in_word(text[start]):
            start -= 1
    if end is not None and 0 < end < len(text):
        while end < len(text) and _in_word(text[end - 1]) and _in_word(text[end]):
            end += 1
    return start, end
