"""What the model signals share (:mod:`qcode.suggest.similarity`, :mod:`qcode.suggest.learned`,
:mod:`qcode.suggest.vectors`): the words of their evidence.

They work on unit *terms* (lemma hashes of content words, :class:`Features`),
so they run after the parsed documents are gone, on whole transcripts at once
with sparse matrices. Their evidence names the words that carried the weight
(with their offsets) and, for similarity, the nearest coded passage; removing
those words lowers the contribution. Evidence is only computed for the
suggestions that are kept. The helpers below find those words and write them
into the compact evidence with array operations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qcode.suggest.arrays import ranges as _ranges
from qcode.suggest.arrays import unique
from qcode.suggest.base import Passage
from qcode.suggest.units import Features

__all__ = ["EVIDENCE_WORDS", "MIN_CONTRIBUTION", "ROW_CHUNK", "_ranges", "_top_word_arrays", "_word_json",
           "join_groups", "passage_json", "unique", "word_json_groups", "word_span_arrays"]

if TYPE_CHECKING:  # numpy and SciPy are imported inside functions only
    import numpy as np
    from numpy.typing import ArrayLike, NDArray
    from spacy.strings import StringStore

    Ints = NDArray[np.int64]
    Hashes = NDArray[np.uint64]
    Floats = NDArray[np.float64]
    Flat = tuple[Ints, Hashes]
    """Words of some pairs in flat form: (pair, term), pair-ascending."""

MIN_CONTRIBUTION = 0.05
"""Smaller similarity contributions are not reported (they cannot change a suggestion)."""
EVIDENCE_WORDS = 6
ROW_CHUNK = 2048
"""Units scored at once (bounds the units x passages similarity matrix)."""


def _top_word_arrays(owner: Ints, weight: NDArray[np.floating[Any]], term: Hashes) -> Flat:
    """(pair, term) of the EVIDENCE_WORDS largest positive weights of each pair, pair by pair,
    largest first (ties: larger hash first)."""
    import numpy as np

    pos = weight > 0
    owner, weight, term = owner[pos], weight[pos], term[pos]
    if not len(owner):
        return owner.astype(np.int64), term.astype(np.uint64)
    # Largest weight first within each pair: two stable sorts (the pair numbers sort as 16-bit
    # integers, by radix), then the runs of equal weights in a pair put in term order (larger
    # hash first); the same order as np.lexsort((~term, -weight, owner)), at half the cost.
    order = np.argsort(-weight, kind="stable")
    by_pair = owner[order]
    order = order[np.argsort(by_pair.astype(np.int16) if by_pair.max() < 1 << 15 else by_pair, kind="stable")]
    o, w = owner[order], weight[order]
    tied = (o[1:] == o[:-1]) & (w[1:] == w[:-1])
    if tied.any():
        at = np.flatnonzero(np.r_[tied, False] | np.r_[False, tied])
        run = np.cumsum(np.r_[True, ~tied])[at]
        order[at] = order[at][np.lexsort((~term[order[at]].astype(np.uint64), run))]
    owner, term = owner[order], term[order]
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # where each pair's words start
    keep = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)])) < EVIDENCE_WORDS
    return owner[keep].astype(np.int64), term[keep].astype(np.uint64)


def passage_json(passage: Passage) -> str:
    """A coded passage in the compact evidence: its coding id, or ``null`` and its quote when it has none."""
    import json

    if passage.coding_id is None:
        return "null," + json.dumps(passage.quote, ensure_ascii=False)
    return str(int(passage.coding_id))


def join_groups(owner: ArrayLike, strings: list[str], n: int, sep: str = ",") -> list[str]:
    """For each group ``0..n-1``, its *strings* joined with *sep* (*owner*: the group of each string, ascending).

    One C-level join per group over a slice of *strings* (a run writes the
    evidence of tens of thousands of suggestions).
    """
    import numpy as np

    groups = np.asarray(owner, dtype=np.int64)
    if not len(groups):
        return [""] * n
    bounds = np.searchsorted(groups, np.arange(n + 1)).tolist()
    join = sep.join
    return [join(strings[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def word_json_groups(strings: StringStore, flat: Flat, n: int) -> list[str]:
    """Per pair, the lemmas of a (pair, term) flat form as JSON strings joined with commas."""
    wj = _word_json(strings)
    return join_groups(flat[0], list(map(wj.__getitem__, flat[1].tolist())), n)


def word_span_arrays(feats: Features, units: Ints, words: tuple[ArrayLike, ArrayLike]) -> tuple[Ints, Ints, Ints]:
    """(pair, start, end) of the tokens of unit ``units[k]`` whose term is one of pair *k*'s words (text order
    per pair); *words*: the flat form (pair, term) of two arrays, pair-ascending."""
    import numpy as np

    owner, idx = _ranges(feats.ptr[units], feats.ptr[units + 1])
    w_owner, w_terms = np.asarray(words[0], dtype=np.int64), np.asarray(words[1], dtype=np.uint64)
    if not len(w_owner) or not len(idx):
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), z.copy()
    occ = feats.terms[idx]
    # Number the words' distinct terms; an occurrence is evidence when (pair, number) is a word's.
    uniq = unique(w_terms)
    nu = len(uniq)
    rank = np.minimum(np.searchsorted(uniq, occ), nu - 1)
    known = uniq[rank] == occ
    wanted = np.sort(w_owner * nu + np.searchsorted(uniq, w_terms))
    key = owner * nu + rank
    at = np.minimum(np.searchsorted(wanted, key), len(wanted) - 1)
    hit = known & (wanted[at] == key)
    return owner[hit], feats.tstart[idx[hit]], feats.tend[idx[hit]]


class _WordJson(dict[int, str]):
    """Lemma hash -> the lemma as JSON text (filled on demand)."""

    def __init__(self, strings: StringStore) -> None:
        super().__init__()
        self.strings = strings

    def __missing__(self, term: int) -> str:
        import json

        value = self[term] = json.dumps(self.strings[term], ensure_ascii=False)
        return value


_WORD_JSON: dict[int, _WordJson] = {}


def _word_json(strings: StringStore) -> _WordJson:
    """The (cached) lemma-as-JSON table of a string store."""
    key = id(strings)
    table = _WORD_JSON.get(key)
    if table is None or table.strings is not strings:
        table = _WORD_JSON[key] = _WordJson(strings)
    return table
