"""Evidence of the engine's scores: the compact stored form of many (unit, code) pairs at once, and readable forms.

:class:`Explaining` is the part of :class:`~qcode.suggest.engine.Engine` that
explains a :class:`~qcode.suggest.engine.Table`: :meth:`Explaining.compact_many`
writes the compact evidence (:mod:`qcode.suggest.evidence`) of the kept
suggestions of a transcript with array operations; a suggestion read from the
store renders it readable (:func:`qcode.suggest.evidence.render`): there is one
scoring path (:meth:`~qcode.suggest.engine.Engine.table`) and one evidence form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qcode.suggest.arrays import decimal_strings, four_digit_strings
from qcode.suggest.learned import Learned
from qcode.suggest.model_signals import _ranges, join_groups, word_span_arrays
from qcode.suggest.rules import LemmaKeywords, Patterns
from qcode.suggest.ruleset import RuleSet
from qcode.suggest.similarity import Similarity
from qcode.suggest.units import Features
from qcode.suggest.vectors import Vectors

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from qcode.suggest.base import CodeProfile, Signal
    from qcode.suggest.engine import Table

ORDER = (LemmaKeywords.name, Patterns.name, Similarity.name, Vectors.name, Learned.name)
"""Order of the signals in the evidence (then by contribution, highest first)."""


class Explaining:
    """Mixin of :class:`~qcode.suggest.engine.Engine`: the evidence of its scores (module docstring)."""

    profiles: list[CodeProfile]
    codes: list[str]
    signals: list[Signal]
    unit_signals: list[Signal]
    ruleset: RuleSet

    def _combine(self, feats: Features, parts: dict[str, Any], cols: Any = None) -> Table:
        raise NotImplementedError

    def compact_many(self, t: Table, units: Any, profs: Any) -> list[str]:
        """The compact stored evidence (:mod:`qcode.suggest.evidence`) of each (unit, profile) pair, as JSON text.

        A run keeps tens of thousands of suggestions, so this is done for all
        the pairs of a transcript at once: the model signals' words, every
        pair's evidence offsets (their tokens, and the rule matches) and the
        first match of each keyword or pattern are found with array
        operations, and the JSON text is assembled from ready-made pieces.
        The readable strings are only made when a suggestion is read.
        """
        import numpy as np

        from qcode.suggest.evidence import SHORT_OF, VERSION

        units = np.asarray(units, dtype=np.int64)
        profs = np.asarray(profs, dtype=np.int64)
        n, P = len(units), len(self.profiles)
        if not n:
            return []
        base = t.feats.start[units]
        data: dict[str, tuple[Any, list[str]]] = {}
        """Signal name -> (pairs, their data as JSON text)."""
        w_owner, w_terms = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.uint64)]
        for sig in self.unit_signals:
            C = t.parts.get(sig.name)
            if C is None:
                continue
            on = np.nonzero(C[units, profs] > 0)[0]
            if len(on):
                frags, found = sig.explain_json_many(t.feats, units[on], profs[on], t.ctx[sig.name])  # type: ignore[attr-defined]
                data[sig.name] = (on, frags)
                w_owner.append(on[found[0]])  # the words in flat form (pair, term)
                w_terms.append(np.asarray(found[1], dtype=np.uint64))
        owners: list[NDArray[np.int64]] = []
        starts: list[NDArray[np.int64]] = []
        ends: list[NDArray[np.int64]] = []
        o, a, b = word_span_arrays(t.feats, units, (np.concatenate(w_owner), np.concatenate(w_terms)))
        owners.append(o)
        starts.append(a)
        ends.append(b)
        m = t.matches
        if m is not None and len(m):
            key = m.unit * P + self.ruleset.profile[m.rule]
            lo_a, hi_a = np.searchsorted(key, units * P + profs), np.searchsorted(key, units * P + profs, side="right")
            o, idx = _ranges(lo_a, hi_a)
            owners.append(o)
            starts.append(m.start[idx])
            ends.append(m.end[idx])
            for name, col in self.ruleset.explain_json(m, o, idx, base, n).items():
                on = np.array([k for k, d in enumerate(col) if d is not None], dtype=np.int64)
                data[name] = (on, [str(col[k]) for k in on.tolist()])
        o, a, b = np.concatenate(owners), np.concatenate(starts), np.concatenate(ends)
        order = np.lexsort((b, a, o))
        o, a, b = o[order], a[order], b[order]
        distinct = np.r_[True, (o[1:] != o[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(o) else o.astype(bool)
        o = o[distinct]
        rel = np.empty(2 * len(o), dtype=np.int64)  # start, end, start, end... relative to the unit
        rel[0::2], rel[1::2] = a[distinct] - base[o], b[distinct] - base[o]
        spans = join_groups(np.repeat(o, 2), decimal_strings(rel), n)
        # The signals of each pair, strongest first (ties: in ORDER), as ["short",contribution,data].
        s_owner: list[NDArray[np.int64]] = []
        s_c: list[NDArray[np.float64]] = []
        s_rank: list[NDArray[np.int64]] = []
        s_frag: list[str] = []
        for rank, name in enumerate(ORDER):
            if name not in data:
                continue
            on, frags = data[name]
            C = t.parts[name][units[on], profs[on]]
            pos = np.nonzero(C > 0)[0]
            c = np.round(C[pos], 4)
            short = SHORT_OF.get(name, name)
            s_owner.append(on[pos])
            s_c.append(c)
            s_rank.append(np.full(len(pos), rank, dtype=np.int64))
            picked = frags if len(pos) == len(frags) else list(map(frags.__getitem__, pos.tolist()))
            s_frag.extend(map(f'["{short}",{{}},{{}}]'.format, four_digit_strings(c), picked))
        if s_owner:
            so, sc, sr = np.concatenate(s_owner), np.concatenate(s_c), np.concatenate(s_rank)
            order = np.lexsort((sr, -sc, so))
            sgs = join_groups(so[order], [s_frag[k] for k in order.tolist()], n)
        else:
            sgs = [""] * n
        return list(map(f'{{{{"q":{VERSION},"sp":[{{}}],"sg":[{{}}]}}}}'.format, spans, sgs))
