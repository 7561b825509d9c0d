"""Anchors: finding a coded passage again after the transcript text changes.

An anchor is the quoted text plus up to :data:`CONTEXT` characters before and
after it. :func:`reanchor` places an anchor in a new version of the text:

* ``exact``: the quote is found unchanged with its full context (its offset
  may have shifted because text before it was edited);
* ``moved``: the quote is found unchanged but its context differs (text next
  to it changed, or it was found elsewhere); ``candidates`` > 1 says the
  choice among several equal occurrences was uncertain;
* ``fuzzy``: the quote itself was edited; the best approximate match is used
  and the caller flags the coding for review;
* ``lost``: nothing similar enough was found; the caller must keep the coding
  at a safe place and flag it, never drop it.

Cost: string searches are linear; the approximate matching only runs
difflib on short windows near the expected place, never on whole texts, so
re-anchoring hundreds of codings in a 200,000-character transcript takes
well under a second.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

CONTEXT = 32
FUZZY_THRESHOLD = 0.6
MAX_HITS = 200


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
    candidates: int = 1
    """How many equally good places were found (more than one: uncertain)."""


def make_anchor(text: str, start: int, end: int, context: int = CONTEXT) -> Anchor:
    return Anchor(text[start:end], text[max(0, start - context) : start], text[end : end + context])


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search over C-speed slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> float:
    """1.0 when the characters around ``text[start:end]`` equal the anchor's context.

    Counts how many context characters agree from the quote outwards (cheap and
    monotonic: an edit far from the quote costs less than one next to it).
    """
    if anchor.prefix:
        before = text[max(0, start - len(anchor.prefix)) : start]
        p = _common_suffix(before, anchor.prefix) / len(anchor.prefix)
    else:
        p = 1.0 if start == 0 else 0.5
    if anchor.suffix:
        after = text[end : end + len(anchor.suffix)]
        s = _common_prefix(after, anchor.suffix) / len(anchor.suffix)
    else:
        s = 1.0 if end == len(text) else 0.5
    return (p + s) / 2


def _find_all(text: str, needle: str, limit: int = MAX_HITS) -> list[int]:
    hits: list[int] = []
    i = text.find(needle)
    while i != -1 and len(hits) < limit:
        hits.append(i)
        i = text.find(needle, i + 1)
    return hits


def find_quote(text: str, quote: str, near: int | None = None, anchor: Anchor | None = None) -> list[int]:
    """Start offsets of *quote* in *text*, best candidates first (context, then distance)."""
    if not quote:
        return []
    hits = _find_all(text, quote)

    def rank(pos: int) -> tuple[float, int]:
        ctx = _context_score(text, pos, pos + len(quote), anchor) if anchor else 0.0
        dist = abs(pos - near) if near is not None else 0
        return (-ctx, dist)

    return sorted(hits, key=rank)


_SPLIT_CACHE: dict[tuple[int, int, int, int], tuple[int, int]] = {}


def _split(old_text: str, new_text: str) -> tuple[int, int]:
    """Common prefix and suffix lengths of two versions (cached per pair)."""
    key = (id(old_text), len(old_text), id(new_text), len(new_text))
    hit = _SPLIT_CACHE.get(key)
    if hit is None:
        pre = _common_prefix(old_text, new_text)
        limit = min(len(old_text), len(new_text)) - pre
        suf = min(_common_suffix(old_text, new_text), limit)
        hit = (pre, suf)
        _SPLIT_CACHE.clear()
        _SPLIT_CACHE[key] = hit
    return hit


def _expected(old_start: int, old_text: str | None, new_text: str) -> int:
    """Where *old_start* probably is in *new_text* (common prefix/suffix, then interpolation)."""
    if old_text is None:
        return min(old_start, len(new_text))
    pre, suf = _split(old_text, new_text)
    if old_start <= pre:
        return old_start
    if old_start >= len(old_text) - suf:
        return old_start + len(new_text) - len(old_text)
    # Inside the changed middle: interpolate.
    old_mid = len(old_text) - suf - pre
    new_mid = len(new_text) - suf - pre
    return pre + round((old_start - pre) * new_mid / max(1, old_mid))


def reanchor(anchor: Anchor, old_start: int, new_text: str, old_text: str | None = None) -> Placement:
    """Place *anchor* (which was at *old_start*) in *new_text*."""
    q = anchor.quote
    n = len(q)
    if not q:
        keep = min(old_start, max(0, len(new_text) - 1))
        return Placement(keep, min(len(new_text), keep + 1), "lost", 0.0)
    guess = _expected(old_start, old_text, new_text)
    # 1. Unchanged quote: pick by context, then by distance to the expected place.
    for pos in (guess, old_start):
        if new_text[pos : pos + n] == q and _context_score(new_text, pos, pos + n, anchor) >= 0.999:
            return Placement(pos, pos + n, "exact", 1.0)
    hits = _find_all(new_text, q)
    if hits:
        scored = sorted(((_context_score(new_text, h, h + n, anchor), -abs(h - guess), h) for h in hits), reverse=True)
        ctx, _dist, best = scored[0]
        ties = sum(1 for s in scored if s[0] >= ctx - 1e-9)
        if ctx >= 0.999 and ties == 1:
            return Placement(best, best + n, "exact", 1.0)
        return Placement(best, best + n, "moved", ctx, candidates=ties)
    # 2. The quote was edited.
    return _fuzzy(anchor, guess, new_text)


def _ratio(a: str, b: str) -> float:
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if sm.real_quick_ratio() < FUZZY_THRESHOLD or sm.quick_ratio() < FUZZY_THRESHOLD:
        return 0.0
    return sm.ratio()


def _fuzzy(anchor: Anchor, guess: int, new_text: str) -> Placement:
    q = anchor.quote
    n = len(q)
    slack = 3 * n + 400
    lo, hi = max(0, guess - slack), min(len(new_text), guess + n + slack)
    # a. The context survived: the quote is what lies between prefix and suffix.
    start = end = None
    if len(anchor.prefix) >= 8:
        hits = _find_all(new_text[lo:hi], anchor.prefix)
        if hits:
            start = lo + min(hits, key=lambda h: abs(lo + h + len(anchor.prefix) - guess)) + len(anchor.prefix)
    if len(anchor.suffix) >= 8:
        base = start if start is not None else lo
        hits = _find_all(new_text[base:hi], anchor.suffix)
        if hits:
            end = base + hits[0]
    if start is not None and end is not None and start < end <= start + 3 * n + 50:
        r = _ratio(new_text[start:end], q)
        return Placement(start, end, "fuzzy", max(r, FUZZY_THRESHOLD) if r else FUZZY_THRESHOLD * 0.99)
    # b. One edge survived: try lengths from that edge.
    if (start is None) != (end is None):
        best_edge = (0.0, 0, 0)
        step = max(1, n // 20)
        for length in range(max(1, int(n * 0.6)), int(n * 1.4) + 2, step):
            a, b = (start, start + length) if start is not None else ((end or 0) - length, end or 0)
            if a < 0 or b > len(new_text):
                continue
            r = _ratio(new_text[a:b], q)
            if r > best_edge[0]:
                best_edge = (r, a, b)
        if best_edge[0] >= FUZZY_THRESHOLD:
            return Placement(best_edge[1], best_edge[2], "fuzzy", best_edge[0])
    # c. Slide windows of similar length over the region near the expected place.
    region = new_text[lo:hi]
    best = (0.0, 0, 0)
    step = max(1, n // 8)
    lengths = sorted({n, max(1, int(n * 0.85)), int(n * 1.15) + 1})
    for s in range(0, max(1, len(region) - n // 2), step):
        for length in lengths:
            r = _ratio(region[s : s + length], q)
            if r > best[0]:
                best = (r, s, min(len(region), s + length))
    ratio, s, e = best
    if ratio >= FUZZY_THRESHOLD:
        return Placement(lo + s, lo + e, "fuzzy", ratio)
    if start is not None or end is not None:
        a = start if start is not None else max(0, (end or 0) - n)
        b = end if end is not None and end > a else min(len(new_text), a + n)
        if a < b:
            return Placement(a, b, "fuzzy", FUZZY_THRESHOLD * 0.99)
    keep = min(guess, max(0, len(new_text) - 1))
    return Placement(keep, min(len(new_text), keep + max(1, n)), "lost", ratio)


# ---------------------------------------------------------------- tolerant search
@dataclass(frozen=True, slots=True)
class QuoteMatch:
    start: int
    end: int
    adjusted: tuple[str, ...] = ()
    """What had to be tolerated: ``line ends``, ``NFC``, ``whitespace``; empty when exact."""


def squash(text: str) -> str:
    """*text* as compared tolerantly: NFC, whitespace runs as one space, no outer spaces."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", text).split())


def find_quote_tolerant(text: str, quote: str, near: int | None = None) -> QuoteMatch | None:
    """*quote* in *text*, exactly or up to qcode's normalisation (whitespace runs, line ends, NFC).

    Among several places, the one nearest to *near* is taken.
    """
    import re
    import unicodedata

    if not quote.strip():
        return None
    hits = find_quote(text, quote, near=near)
    if hits:
        return QuoteMatch(hits[0], hits[0] + len(quote))
    adjusted: list[str] = []
    if "\r" in quote:
        adjusted.append("line ends")
    if unicodedata.normalize("NFC", quote) != quote:
        adjusted.append("NFC")
    words = squash(quote).split(" ")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    found = [(m.start(), m.end()) for _, m in zip(range(MAX_HITS), pattern.finditer(text), strict=False)]
    if not found:
        return None
    start, end = min(found, key=lambda se: abs(se[0] - near)) if near is not None else found[0]
    if text[start:end] != unicodedata.normalize("NFC", quote.replace("\r\n", "\n").replace("\r", "\n")).strip():
        adjusted.append("whitespace")
    return QuoteMatch(start, end, tuple(adjusted))
