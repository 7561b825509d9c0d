"""Units of suggestion: speaker turns, or sentences when a turn is long.

A :class:`Unit` keeps only what scoring needs once the parsed document is
gone: its absolute span in the transcript text and its *terms* (the lemma
hashes of its content words, with the absolute offsets of each token), so
that documents can be streamed and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

UnitMode = Literal["auto", "turn", "sentence"]
LONG_TURN_TOKENS = 120
"""In ``auto`` mode, a turn with more tokens than this is split into sentences."""
MIN_SENTENCE_TOKENS = 6
"""In ``auto`` mode, shorter sentences are joined to the next one."""


@dataclass(slots=True)
class Unit:
    transcript_id: int
    start: int
    end: int
    terms: list[int] = field(default_factory=list)
    """Lemma hashes of the content words (no stop words, punctuation or numbers)."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Absolute offsets of the token behind each term (parallel to ``terms``)."""
    turn: int = 0
    tok_start: int = 0
    tok_end: int = 0


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs of *text* (used when a transcript has no turns)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for block in text.split("\n\n"):
        stripped = block.strip()
        if stripped:
            s = pos + block.index(stripped)
            out.append((s, s + len(stripped)))
        pos += len(block) + 2
    return out


def doc_terms(doc: Any) -> tuple[Any, Any, Any, Any]:
    """Arrays (lemma hash, start char, end char, token index) of the content tokens of *doc*."""
    import numpy as np
    from spacy.attrs import IDX, IS_ALPHA, IS_STOP, LEMMA, LENGTH, LOWER

    if len(doc) == 0:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty.astype(np.int64), empty.astype(np.int64), empty.astype(np.int64)
    arr = doc.to_array([LEMMA, IS_ALPHA, IS_STOP, IDX, LENGTH, LOWER])
    keep = (arr[:, 1] == 1) & (arr[:, 2] == 0)
    idx = np.nonzero(keep)[0]
    lemmas = arr[idx, 0]
    starts = arr[idx, 3].astype(np.int64)
    ends = starts + arr[idx, 4].astype(np.int64)
    return lemmas, starts, ends, idx


def make_units(transcript_id: int, turn_spans: list[tuple[int, int]], docs: list[Any], mode: UnitMode) -> list[Unit]:
    """Cut each parsed turn into units and attach their terms."""
    import numpy as np

    units: list[Unit] = []
    for k, ((t0, _t1), doc) in enumerate(zip(turn_spans, docs, strict=True)):
        if len(doc) == 0:
            continue
        lemmas, starts, ends, tok_idx = doc_terms(doc)
        for a, b in _pieces(doc, mode):
            lo, hi = np.searchsorted(tok_idx, [a, b])
            span_doc = doc[a:b]
            u = Unit(
                transcript_id,
                t0 + span_doc.start_char,
                t0 + span_doc.end_char,
                lemmas[lo:hi].tolist(),
                list(zip((starts[lo:hi] + t0).tolist(), (ends[lo:hi] + t0).tolist(), strict=True)),
                k,
                a,
                b,
            )
            if u.end > u.start:
                units.append(u)
    return units


def _pieces(doc: Any, mode: UnitMode) -> list[tuple[int, int]]:
    """Token ranges of the units of one turn."""
    if mode == "turn" or (mode == "auto" and len(doc) <= LONG_TURN_TOKENS):
        return [(0, len(doc))]
    sents = [(s.start, s.end) for s in doc.sents] if doc.has_annotation("SENT_START") else [(0, len(doc))]
    if mode == "sentence":
        return sents
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for a, b in sents:
        start = a if pending is None else pending
        if b - start < MIN_SENTENCE_TOKENS:
            pending = start
            continue
        merged.append((start, b))
        pending = None
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], len(doc))
        else:
            merged.append((pending, len(doc)))
    return merged
