"""Position conventions of REFI-QDA tools (see ../shared/refi-qda/README.md).

Inside the exchange model a position counts code points over the source's
plain text as stored in the archive. Tools count otherwise: NVivo in UTF-16
code units, MAXQDA and NVivo for Windows with ``\\r\\n`` line ends counted as two.
A :class:`Convention` converts both ways; :func:`for_origin` picks one from a
project's ``origin`` attribute.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from qcode.formats.offsets import from_external, to_external

NAMES = ("codepoints", "utf16", "crlf", "utf16+crlf")


@dataclass(frozen=True)
class Convention:
    utf16: bool = False
    """Positions count UTF-16 code units (an emoji counts 2)."""
    crlf: bool = False
    """Line ends are written (and counted) as ``\\r\\n``."""

    @classmethod
    def parse(cls, name: str) -> Convention:
        key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        table = {"codepoints": cls(), "utf16": cls(utf16=True), "crlf": cls(crlf=True),
                 "utf16+crlf": cls(True, True), "crlf+utf16": cls(True, True)}
        if key not in table:
            raise ValueError(f"unknown position convention {name!r}; use one of {', '.join(NAMES)}")
        return table[key]

    @property
    def name(self) -> str:
        return "+".join(n for n, on in (("utf16", self.utf16), ("crlf", self.crlf)) if on) or "codepoints"

    def written_text(self, text: str) -> str:
        """The text as written to the archive (lone ``\\n`` become ``\\r\\n`` with :attr:`crlf`)."""
        return re.sub(r"(?<!\r)\n", "\r\n", text) if self.crlf else text

    def export_positions(self, text: str, offsets: Sequence[int]) -> list[int]:
        """Code points over *text* -> positions over :meth:`written_text` in this convention."""
        if self.crlf:
            lone = [m.start() for m in re.finditer(r"(?<!\r)\n", text)]
            offsets = [o + bisect_left(lone, o) for o in offsets]
            text = self.written_text(text)
        return to_external(text, offsets, utf16=True) if self.utf16 else list(offsets)

    def import_positions(self, text: str, positions: Sequence[int]) -> list[int | None]:
        """Positions in this convention -> code points over *text* (the file as read); None when outside.

        A file with ``\\r\\n`` already counts them natively; ``crlf`` adds one
        unit per lone ``\\n`` (a tool that counted CRLF over a LF file).
        """
        n_units = len(text) + (sum(1 for ch in text if ord(ch) > 0xFFFF) if self.utf16 else 0)
        lone = self.crlf and "\n" in text and "\r\n" not in text
        if lone:
            n_units += text.count("\n")
        inside = [p for p in positions if 0 <= p <= n_units]
        if self.utf16 or lone:
            inside = from_external(text, inside, utf16=self.utf16, crlf=lone)
        it = iter(inside)
        return [next(it) if 0 <= p <= n_units else None for p in positions]


def for_origin(origin: str) -> Convention:
    """The convention a tool's export uses, from ``Project@origin`` (code points when unknown)."""
    o = origin.lower()
    m = re.search(r"positions:\s*([\w+]+)", o)
    if m:
        try:
            return Convention.parse(m.group(1))
        except ValueError:
            pass
    if "nvivo" in o:
        return Convention(utf16=True)
    if "maxqda" in o:
        return Convention(crlf=True)
    return Convention()


def origin_name(origin: str) -> str:
    """A short name of the tool that made a project, for reports."""
    o = origin.lower()
    for key, name in (("nvivo", "NVivo"), ("maxqda", "MAXQDA"), ("atlas", "ATLAS.ti"), ("qualcoder", "QualCoder"),
                      ("taguette", "Taguette"), ("quirkos", "Quirkos"), ("qcode", "qcode")):
        if key in o:
            return name
    return origin or "unknown tool"
