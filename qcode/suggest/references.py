"""What the similarity and vectors signals share: each unit scored by its nearest reference of each code.

A *reference* is one of a code's texts in the codebook or one passage coded
with it; a signal keeps its references sorted by code (profile), so a code's
references are one segment. :class:`NearestReference` turns a (units x
references) matrix of cosines into contributions, ``min(cap, (best - offset)
* scale)`` of each code's best reference (nothing below ``offset +
MIN_CONTRIBUTION / scale``), and writes the evidence of a kept pair: the
cosine to that reference, the unit's words that carried it and the
reference itself (:meth:`NearestReference.tail`), as the compact JSON text
of :mod:`qcode.suggest.evidence`. numpy is imported inside functions only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qcode.suggest.base import Signal, digest
from qcode.suggest.model_signals import MIN_CONTRIBUTION, ROW_CHUNK, word_json_groups
from qcode.suggest.units import Features

if TYPE_CHECKING:
    from qcode.suggest.model_signals import Flat, Ints


class NearestReference(Signal):
    """A unit signal whose contribution for a code is the cosine to the code's nearest reference."""

    kind = "unit"
    offset = 0.0
    scale = 1.0
    cap = 1.0
    row_chunk = ROW_CHUNK
    n_refs = 0

    def set_references(self, prof: Ints) -> None:
        """The profile of each reference, sorted (the references' order from now on)."""
        import numpy as np

        prof = np.asarray(prof, dtype=np.int64)
        self.n_refs = len(prof)
        self.seg_start = np.nonzero(np.r_[True, prof[1:] != prof[:-1]])[0] if len(prof) else prof
        self.seg_prof = prof[self.seg_start]
        self.seg_end = np.r_[self.seg_start[1:], len(prof)].astype(np.int64) if len(prof) else prof
        self.seg_of = {int(p): (int(a), int(b)) for p, a, b in zip(self.seg_prof, self.seg_start, self.seg_end, strict=True)}
        self._bounds: tuple[Any, Any] | None = None
        self._tails: list[str] | None = None

    def segments(self, cols: Any) -> tuple[Any, Any, Any]:
        """For the profiles *cols*, the references of their segments: (reference columns, each segment's
        start among them, the segments' profiles)."""
        import numpy as np

        want = [int(j) for j in cols if int(j) in self.seg_of]
        ranges = [self.seg_of[j] for j in want]
        if not ranges:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        idx = np.concatenate([np.arange(a, b) for a, b in ranges]).astype(np.int64)
        starts = np.cumsum([0] + [b - a for a, b in ranges[:-1]]).astype(np.int64)
        return idx, starts, np.array(want, dtype=np.int64)

    def nearest_contributions(self, n: int, cols: Any, product: Callable[[int, int, Any], Any],
                              floor: Any = None) -> tuple[Any, Any, Any]:
        """(contributions (n x profiles), cosines D (n x references), D minus the references' *floor*).

        ``product(a, b, idx)`` gives the cosines of units ``a:b`` to the
        references *idx* (None: all). With *cols*, only the references of those
        profiles are computed (the other columns of D are 0) and only their
        columns of the contributions are filled.
        """
        import numpy as np

        C = np.zeros((n, len(self.profiles)))
        if cols is None:
            idx, starts, profs = None, self.seg_start, self.seg_prof
            D = np.empty((n, self.n_refs), dtype=np.float32)
        else:
            idx, starts, profs = self.segments(cols)
            D = np.zeros((n, self.n_refs), dtype=np.float32)
            if not len(idx):
                return C, D, D if floor is None else D - floor
        S = D if idx is None else np.empty((n, len(idx)), dtype=np.float32)
        for a in range(0, n, self.row_chunk):
            S[a:a + self.row_chunk] = product(a, a + self.row_chunk, idx)
        if idx is not None:
            D[:, idx] = S
        E = D if floor is None else D - floor
        best = np.maximum.reduceat(S if floor is None else E if idx is None else E[:, idx], starts, axis=1)
        contrib = np.minimum(self.cap, (best - self.offset) * self.scale)
        contrib[best < self.offset + MIN_CONTRIBUTION / self.scale] = 0.0
        C[:, profs] = contrib
        return C, D, E

    def reference_states(self, head: str, state: Callable[[int, int], tuple[Any, ...]]) -> list[str]:
        """:meth:`Signal.column_states`: per profile, the digest of *head* and ``state(start, end)`` of its
        references (None when it has none)."""
        return [digest(head, *state(*self.seg_of[j])) if j in self.seg_of else digest(head, None)
                for j in range(len(self.profiles))]

    def tail(self, k: int) -> str:
        """What follows the words in the evidence data of reference *k* (JSON text)."""
        raise NotImplementedError

    def tails(self) -> list[str]:
        if self._tails is None:
            self._tails = [self.tail(k) for k in range(self.n_refs)]
        return self._tails

    def evidence_words(self, feats: Features, units: Ints, best: Ints, rows: Any) -> Flat:
        """The words of unit ``units[k]`` that carried its cosine to reference ``best[k]``, in the flat
        form (pair, term) of :func:`~qcode.suggest.model_signals.word_span_arrays`."""
        raise NotImplementedError

    def explain_json_many(self, feats: Features, units: Ints, profs: Ints, ctx: tuple[Any, Any, Any]) -> tuple[list[str], Flat]:
        """(data as JSON text, words) of each (unit, profile) pair: ``[cosine, [lemmas]`` and the nearest
        reference's :meth:`tail` ``]`` (:mod:`qcode.suggest.evidence`), written as text directly because a run
        keeps tens of thousands of them."""
        import numpy as np

        rows, D, E = ctx
        units, profs = np.asarray(units, dtype=np.int64), np.asarray(profs, dtype=np.int64)
        if self._bounds is None:
            lo, hi = np.zeros(len(self.profiles), dtype=np.int64), np.zeros(len(self.profiles), dtype=np.int64)
            lo[self.seg_prof], hi[self.seg_prof] = self.seg_start, self.seg_end
            self._bounds = (lo, hi)
        best = nearest(E, units, profs, self._bounds)
        sims = np.round(D[units, best].astype(np.float64), 6).tolist()
        words = self.evidence_words(feats, units, best, rows)
        listed = word_json_groups(self.info.nlp.vocab.strings, words, len(units))
        tails = self.tails()
        return list(map("[{!r},[{}]{}]".format, sims, listed, map(tails.__getitem__, best.tolist()))), words


def nearest(D: Any, units: Any, profs: Any, bounds: tuple[Any, Any]) -> Any:
    """For each (unit, profile) pair, the column of ``D[unit]`` with the largest value among the profile's
    references (*bounds*: per profile, the (start, end) of its references; each pair's profile has some);
    the first of equal values, as ``argmax``. All the pairs' references as one flat array, then its
    maximum per pair."""
    import numpy as np

    from qcode.suggest.arrays import ranges

    lo, hi = bounds[0][profs], bounds[1][profs]
    pair, col = ranges(lo, hi)
    vals = D[units[pair], col]
    if not len(vals):
        return col
    top = np.maximum.reduceat(vals, np.r_[0, np.cumsum(hi - lo)[:-1]])
    hit = np.flatnonzero(vals == top[pair])
    return col[hit[np.r_[True, pair[hit][1:] != pair[hit][:-1]]]]
