"""Evidence of a suggestion: the compact form stored, and the readable form shown.

A run can keep tens of thousands of suggestions, and a researcher reads a
few of them. So what is *stored* is only the data behind each signal's
contribution (pure Python, JSON-ready, offsets relative to the unit start)::

    {"q": 1,                                   # compact evidence, version 1
     "sp": [a0, b0, a1, b1, ...],              # evidence token spans, relative to the unit
     "sg": [[signal, contribution, data], ...]}  # strongest first

with ``data`` per signal:

* ``k`` (``qcode.lemma_keywords.v2``): ``[[kind, text, a, b], ...]``, kind 0
  for a keyword or label, 1 for a label word; ``text`` as written in the
  codebook; ``a, b`` the first match in the unit (relative);
* ``p`` (``qcode.patterns.v2``): ``[[pattern id, a, b], ...]``;
* ``s`` (``qcode.similarity.v1``): ``[cosine, [lemmas...]]`` when nearest to
  the code's description, ``[cosine, [lemmas...], coding id]`` when nearest
  to a coded passage (``[cosine, [lemmas...], null, quote]`` for a passage
  without id);
* ``l`` (``qcode.learned.v2``): ``[p, positives, held-out F1, keyword F1, [lemmas...]]``;
* ``v`` (``qcode.vectors.v1``): ``[cosine, [lemmas...], "t", text]`` when
  nearest to a text of the code (definition, note or example; its start),
  ``[cosine, [lemmas...], "c", coding id]`` when nearest to a coded passage
  (``[cosine, [lemmas...], "c", null, quote]`` for a passage without id).

:func:`render` turns it into the readable dict that
:class:`qcode.usecases.suggesting.SuggestionView` exposes (``summary``,
``spans`` absolute, ``signals`` with name, contribution and detail, optional
``similar`` with the coded passage's quote). The detail strings are made by
the same functions whether evidence is rendered from the stored form or
built directly (:meth:`qcode.suggest.explain.Explaining.compact_many`), so both read alike.
Any other dict (evidence stored by an older version) is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

VERSION = 1
LONG = {
    "k": "qcode.lemma_keywords.v2",
    "p": "qcode.patterns.v2",
    "s": "qcode.similarity.v1",
    "l": "qcode.learned.v2",
    "v": "qcode.vectors.v1",
}
SHORT_OF = {v: k for k, v in LONG.items()}
SUMMARY_NAMES = {
    "qcode.lemma_keywords.v2": "keywords",
    "qcode.lemma_keywords.v1": "keywords",
    "qcode.patterns.v1": "patterns",
    "qcode.patterns.v2": "patterns",
    "qcode.similarity.v1": "similar",
    "qcode.learned.v2": "learned",
    "qcode.learned.v1": "learned",
    "qcode.vectors.v1": "vectors",
}
KEYWORD_KINDS = ("keyword", "label word")


# ------------------------------------------------------------------ details
def keyword_detail(items: Sequence[tuple[int, str, str]]) -> str:
    """*items*: (kind, text as in the codebook, text found). Keywords first, then label words."""
    ordered = [x for x in items if x[0] == 0] + [x for x in items if x[0] != 0]
    return "; ".join(f'{KEYWORD_KINDS[min(kind, 1)]} "{k}"{_found(k, f)}' for kind, k, f in ordered)


def _found(written: str, found: str) -> str:
    """The form found in the text, when it is not the codebook's own (a case difference is not one)."""
    if " ".join(found.split()).casefold() == " ".join(written.split()).casefold():
        return ""
    return f' (found "{found}")'


def pattern_detail(items: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f'pattern {k} matched "{v}"' for k, v in items)


def _listed(words: Sequence[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


QUOTE_SHOWN = 120
"""Characters of a similar coded passage shown in the evidence."""


def passage_text(quote: str | None) -> str:
    """How a similar coded passage is named in the evidence: its text (the start of it), quoted."""
    q = " ".join((quote or "").split())
    if not q:
        return "a passage once coded with this code (since deleted)"
    return f'a passage coded with this code: "{q if len(q) <= QUOTE_SHOWN else q[:QUOTE_SHOWN - 1] + "…"}"'


def similarity_detail(sim: float, words: Sequence[str], quote: str | None, passage: bool) -> str:
    if not passage:
        return f"similar to the code's description (cosine {sim:.2f}), sharing {_listed(words)}"
    return f"similar to {passage_text(quote)} (cosine {sim:.2f}), sharing {_listed(words)}"


def learned_detail(p: float, positives: int, f1: float, kw_f1: float, words: Sequence[str]) -> str:
    return (
        f"learned from {positives} coded units (held-out F1 {f1:.2f} vs keywords {kw_f1:.2f}); "
        f"p={p:.2f}; words: " + _listed(words)
    )


def vectors_evidence(data: Sequence[Any], coding_quote: Callable[[int], str | None]) -> tuple[str, dict[str, Any] | None]:
    """(detail, similar) of the compact data of ``qcode.vectors.v1`` (see the module docstring)."""
    sim, words, kind = float(data[0]), data[1], data[2]
    nearest = f"words {_listed(words)}" if words else "no single word"
    if kind == "t":
        return f'word vectors close to the code\'s text "{data[3]}" (cosine {sim:.2f}); nearest: {nearest}', None
    cid = data[3]
    quote = data[4] if len(data) >= 5 else ((coding_quote(cid) or "") if cid is not None else "")
    similar = {"coding_id": cid, "quote": quote, "similarity": round(sim, 4)}
    return f"word vectors close to {passage_text(quote)} (cosine {sim:.2f}); nearest: {nearest}", similar


def line(name: str, detail: str) -> str:
    """A signal's detail as one line: the detail says which signal it is, an unknown signal is named."""
    return detail if name in SUMMARY_NAMES else f"{name}: {detail}"


def short_detail(name: str, detail: str, width: int = 90) -> str:
    return line(name, detail if len(detail) <= width else detail[: width - 1] + "…")


def readable(hits: list[tuple[float, str, str, Any]], spans: list[Any]) -> dict[str, Any]:
    """``summary``, ``spans`` (sorted (start, end) pairs), ``signals`` and the optional ``similar``.

    *hits* are (contribution, signal name, detail, similar or None), strongest first.
    """
    out: dict[str, Any] = {
        "summary": " | ".join(short_detail(name, d) for _, name, d, _ in hits),
        "spans": spans,
        "signals": [{"name": name, "contribution": round(c, 4), "detail": d} for c, name, d, _ in hits],
    }
    similar = next((sim for _, _, _, sim in hits if sim), None)
    if similar:
        out["similar"] = similar
    return out


# ------------------------------------------------------------------ compact
def is_compact(ev: Any) -> bool:
    return isinstance(ev, dict) and ev.get("q") == VERSION and "sg" in ev


def coding_ids(ev: Any) -> set[int]:
    """Ids of the codings a compact evidence refers to (their quotes are shown when read)."""
    out: set[int] = set()
    if not is_compact(ev):
        return out
    for sig in ev["sg"]:
        if sig[0] == "s" and len(sig[2]) >= 3 and isinstance(sig[2][2], int):
            out.add(sig[2][2])
        elif sig[0] == "v" and len(sig[2]) >= 4 and sig[2][2] == "c" and isinstance(sig[2][3], int):
            out.add(sig[2][3])
    return out


def render(
    ev: Any,
    quote: str,
    start: int,
    coding_quote: Callable[[int], str | None] = lambda _id: "",
) -> dict[str, Any]:
    """The readable evidence of a stored *ev* for the unit ``quote`` starting at *start*.

    *coding_quote* gives the quote of a coding by id (a deleted coding: "" or None).
    """
    if not is_compact(ev):
        return ev if isinstance(ev, dict) else {}
    flat = ev.get("sp", [])
    spans = [[start + flat[k], start + flat[k + 1]] for k in range(0, len(flat) - 1, 2)]
    hits: list[tuple[float, str, str, Any]] = []
    for short, c, data in ev["sg"]:
        name = LONG.get(short, short)
        similar = None
        if short == "k":
            detail = keyword_detail([(kind, text, quote[a:b]) for kind, text, a, b in data])
        elif short == "p":
            detail = pattern_detail([(pid, quote[a:b]) for pid, a, b in data])
        elif short == "s":
            sim, words = float(data[0]), data[1]
            passage = len(data) >= 3
            cid = data[2] if passage else None
            text = ""
            if passage:
                text = data[3] if len(data) >= 4 else ((coding_quote(cid) or "") if cid is not None else "")
                similar = {"coding_id": cid, "quote": text, "similarity": round(sim, 4)}
            detail = similarity_detail(sim, words, text, passage)
        elif short == "v" and len(data) >= 4:
            detail, similar = vectors_evidence(data, coding_quote)
        elif short == "l":
            p, positives, f1, kw_f1, words = data
            detail = learned_detail(float(p), int(positives), float(f1), float(kw_f1), words)
        else:
            detail = str(data)
        hits.append((float(c), name, detail, similar))
    return readable(hits, spans)
