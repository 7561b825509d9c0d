"""Source texts of transcripts (what other tools show) and placing spans given on them.

:func:`source_of` returns a transcript's stored source text and map; for a
transcript imported before they were stored, it computes them from the stored
original bytes (or renders the turns), so older projects work too.
:func:`place_span` puts a span given by another tool (offsets into the source
text or into qcode's text, with or without its quote) on qcode's text, or
says why it cannot, never guessing a wrong place.
"""

from __future__ import annotations

from dataclasses import dataclass

from qcode.core.anchor import find_quote_tolerant, squash
from qcode.core.errors import ImportFormatError
from qcode.core.sourcemap import SourceMap
from qcode.core.transcript import Transcript
from qcode.formats.source_text import attach_source
from qcode.usecases.project import Project

OFFSET_MODES = ("auto", "text", "source")


def source_of(project: Project, t: Transcript) -> tuple[str, SourceMap]:
    """The source text of *t* and its map to ``t.text``."""
    assert t.id is not None
    stored = project.store.transcripts.source(t.id)
    if stored is not None:
        return stored
    copy = Transcript(t.name, t.title, t.text, t.turns, source=t.source)
    attach_source(copy, project.store.transcripts.source_bytes(t.id))
    assert copy.source_text is not None and copy.source_map is not None
    return copy.source_text, copy.source_map


@dataclass(frozen=True)
class Placed:
    start: int
    end: int
    how: str
    """``text`` (the offsets as given), ``quote`` (found by the quote), ``source`` (source offsets mapped)."""
    adjusted: tuple[str, ...] = ()


def _on_source(src: str, smap: SourceMap, start: int, end: int, where: str) -> Placed:
    if not 0 <= start < end <= len(src):
        raise ImportFormatError(
            f"{where}: source offsets {start}-{end} are outside the source text ({len(src)} characters)."
        )
    span = smap.source_to_text(start, end)
    if span is None:
        raise ImportFormatError(
            f"{where}: source offsets {start}-{end} cover only {src[start:end][:40]!r}, which qcode keeps "
            "out of the coded text (a speaker label, a time or spacing); not placed.",
            hint="Code the spoken words instead.",
        )
    return Placed(span[0], span[1], "source")


def place_span(
    project: Project, t: Transcript, start: int, end: int, quote: str, mode: str, where: str
) -> Placed:
    """Where ``start``-``end`` (and *quote*) lie in ``t.text``; raises :class:`ImportFormatError`."""
    text = t.text
    if mode == "source":
        src, smap = source_of(project, t)
        if quote and squash(src[start:end]) != squash(quote):
            hit = find_quote_tolerant(src, quote, near=start)
            if hit is None:
                raise ImportFormatError(f"{where}: the quote {quote[:40]!r} is not at source offsets {start}-{end} "
                                        f"and was not found in the source text of '{t.name}'.")
            p = _on_source(src, smap, hit.start, hit.end, where)
            return Placed(p.start, p.end, "quote", ("found in the source text",) + hit.adjusted)
        return _on_source(src, smap, start, end, where)
    if not quote:
        t.check_span(start, end)
        return Placed(start, end, "text")
    if text[start:end] == quote:
        return Placed(start, end, "text")
    if 0 <= start < end <= len(text) and squash(text[start:end]) == squash(quote):
        return Placed(start, end, "text", ("whitespace",))
    if mode == "auto":
        src, smap = source_of(project, t)
        if 0 <= start < end <= len(src) and squash(src[start:end]) == squash(quote):
            return _on_source(src, smap, start, end, where)
    hit = find_quote_tolerant(text, quote, near=start)
    if hit is not None:
        return Placed(hit.start, hit.end, "quote", hit.adjusted)
    if mode == "auto":
        hit = find_quote_tolerant(src, quote, near=start)
        if hit is not None:
            p = _on_source(src, smap, hit.start, hit.end, where)
            return Placed(p.start, p.end, "quote", ("found in the source text",) + hit.adjusted)
    raise ImportFormatError(
        f"{where}: the quote {quote[:40]!r} is not at {start}-{end} and was not found in '{t.name}'."
    )
