"""Anchors: finding a coded passage again after the transcript text changes.

An anchor is the quoted text plus up to :data:`CONTEXT` characters before and
after it. :func:`reanchor` places an anchor in a new version of the text:

* ``exact``: the quote is found unchanged with its context (or is unique);
* ``moved``: the quote is found unchanged but elsewhere (text before it changed);
* ``fuzzy``: the quote itself was edited; the best approximate match is used
  and the coding is flagged for review;
* ``lost``: nothing similar enough was found; the caller must keep the coding
  at a safe place and flag it, never drop it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

CONTEXT = 32
FUZZY_THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class Anchor:
    quote: str
    prefix: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Placement:
    start: int
    end: int
    status: Literal["exact", "moved", "fuzzy", "lost"]
    score: float


def make_anchor(text: str, start: int, end: int, context: int = CONTEXT) -> Anchor:
    return Anchor(text[start:end], text[max(0, start - context) : start], text[end : end + context])


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> float:
    before = text[max(0, start - len(anchor.prefix)) : start]
    after = text[end : end + len(anchor.suffix)]
    score = 0.0
    if anchor.prefix:
        score += difflib.SequenceMatcher(None, before, anchor.prefix, autojunk=False).ratio()
    else:
        score += 1.0 if start == 0 else 0.5
    if anchor.suffix:
        score += difflib.SequenceMatcher(None, after, anchor.suffix, autojunk=False).ratio()
    else:
        score += 1.0 if end == len(text) else 0.5
    return score / 2


def find_quote(text: str, quote: str, near: int | None = None, anchor: Anchor | None = None) -> list[int]:
    """All start offsets of *quote* in *text*, best candidates first."""
    if not quote:
        return []
    hits: list[int] = []
    i = text.find(quote)
    while i != -1:
        hits.append(i)
        i = text.find(quote, i + 1)

    def rank(pos: int) -> tuple[float, int]:
        ctx = _context_score(text, pos, pos + len(quote), anchor) if anchor else 0.0
        dist = abs(pos - near) if near is not None else 0
        return (-ctx, dist)

    return sorted(hits, key=rank)


def reanchor(anchor: Anchor, old_start: int, new_text: str, old_text: str | None = None) -> Placement:
    """Place *anchor* (which was at *old_start*) in *new_text*."""
    q = anchor.quote
    n = len(q)
    # 1. Unchanged at the same place, with the same context.
    if new_text[old_start : old_start + n] == q and _context_score(new_text, old_start, old_start + n, anchor) >= 0.999:
        return Placement(old_start, old_start + n, "exact", 1.0)
    # 2. Unchanged quote elsewhere: pick by context, then distance.
    hits = find_quote(new_text, q, near=old_start, anchor=anchor)
    if hits:
        best = hits[0]
        ctx = _context_score(new_text, best, best + n, anchor)
        status: Literal["exact", "moved"] = "exact" if (best == old_start or (len(hits) == 1 and ctx > 0.9)) else "moved"
        if best != old_start:
            status = "moved"
        return Placement(best, best + n, status, ctx)
    # 3. The quote was edited: search a window around the expected place.
    return _fuzzy(anchor, old_start, new_text, old_text)


def _fuzzy(anchor: Anchor, old_start: int, new_text: str, old_text: str | None) -> Placement:
    q = anchor.quote
    n = len(q)
    # Map the old position through a diff of the texts when we have the old text.
    if old_text is not None:
        start_guess = _map_offset(old_text, new_text, old_start)
        end_guess = _map_offset(old_text, new_text, old_start + n)
        if end_guess > start_guess:
            cand = new_text[start_guess:end_guess]
            ratio = difflib.SequenceMatcher(None, cand, q, autojunk=False).ratio()
            if ratio >= FUZZY_THRESHOLD:
                return Placement(start_guess, end_guess, "fuzzy", ratio)
    # Otherwise slide a window of similar length over a region of the text.
    lo = max(0, old_start - 5 * n - 200)
    hi = min(len(new_text), old_start + 6 * n + 200)
    region = new_text[lo:hi]
    best = (0.0, 0, 0)
    step = max(1, n // 8)
    for s in range(0, max(1, len(region) - n // 2), step):
        for length in (n, int(n * 0.85), int(n * 1.15)):
            if length <= 0:
                continue
            cand = region[s : s + length]
            r = difflib.SequenceMatcher(None, cand, q, autojunk=False).ratio()
            if r > best[0]:
                best = (r, s, s + length)
    ratio, s, e = best
    if ratio >= FUZZY_THRESHOLD:
        # Refine the edges to whole characters that match.
        return Placement(lo + s, lo + min(e, len(region)), "fuzzy", ratio)
    keep = min(old_start, max(0, len(new_text) - 1))
    return Placement(keep, min(len(new_text), keep + max(1, n)), "lost", ratio)


def _map_offset(old: str, new: str, pos: int) -> int:
    """Where offset *pos* of *old* lands in *new*, following their diff."""
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if i1 <= pos < i2 or (pos == i2 and tag == "equal" and i2 == len(old)):
            if tag == "equal":
                return j1 + (pos - i1)
            return j1 if pos == i1 else min(j2, j1 + (pos - i1))
    return len(new)
