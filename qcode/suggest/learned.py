"""The learned signal (``qcode.learned.v2``): per-code logistic regressions (:mod:`qcode.suggest.learn`), switched
on per code by the held-out gate, calibrated per code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcode.suggest import learn
from qcode.suggest.base import CodeProfile, Signal, Training, digest, register
from qcode.suggest.model_signals import (
    _ranges,
    _top_word_arrays,
    unique,
    word_json_groups,
)
from qcode.suggest.units import Features

if TYPE_CHECKING:  # numpy and SciPy are imported inside functions only
    import scipy.sparse as sp

    from qcode.suggest.model_signals import Flat, Floats, Ints
    from qcode.suggest.pipeline import PipelineInfo

    LearnedContext = tuple[sp.csr_matrix, Floats]
    """The units' feature rows and each code's (uncalibrated) probability."""

LEARNED_FLOOR = 0.25
"""Calibrated learned scores below this (half the code's held-out threshold) contribute nothing."""
LEARNED_CAP = 0.95


@register
class Learned(Signal):
    """Per-code logistic regressions (:mod:`qcode.suggest.learn`), switched on per code by the held-out gate.

    Scores are calibrated per code: its held-out threshold becomes 0.5.
    """

    name = "qcode.learned.v2"
    kind = "unit"

    def __init__(self, info: PipelineInfo, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from qcode.suggest.units import text_terms

        self.model: learn.LinearModel | None = None
        self.fit_cache: learn.FitCache | None = None
        """Per-code fits to reuse (set by the engine; None: fit every code)."""
        self.positives: dict[str, int] = {}
        self.index = {p.id: i for i, p in enumerate(profiles)}
        texts = [(p.id, t) for p in profiles for t in p.texts]
        self.def_rows: list[tuple[str, list[int]]] = []
        for (pid, _), found in zip(texts, text_terms(info, [t for _, t in texts]), strict=True):
            terms = found.tolist()
            if terms:
                self.def_rows.append((pid, terms))

    def fit(self, training: Training) -> None:
        import numpy as np

        codes = [p.id for p in self.profiles]
        col = {c: j for j, c in enumerate(codes)}
        self.model = None
        units, labels, rules = training.units, training.labels, training.rule_codes
        if len(units) > learn.MAX_ROWS:
            rng = np.random.default_rng(learn.SEED)
            keep_pos = [i for i, lab in enumerate(labels) if lab & col.keys()]
            rest = [i for i in range(len(units)) if not labels[i] & col.keys()]
            room = max(0, learn.MAX_ROWS - len(keep_pos))
            picked = sorted(keep_pos + rng.choice(rest, size=min(room, len(rest)), replace=False).tolist())
            units = [units[i] for i in picked]
            labels = [labels[i] for i in picked]
            rules = [rules[i] for i in picked]
        rejected = [p for p in training.rejected if p.code in col]
        defs = [(pid, terms) for pid, terms in self.def_rows if pid in col]
        rows = [u.terms + u.stops for u in units] + [p.terms for p in rejected] + [t for _, t in defs]
        n, c = len(rows), len(codes)
        if n == 0 or c == 0:
            return
        Y = np.zeros((n, c), np.float32)
        M = np.zeros((n, c), np.float32)
        R = np.zeros((n, c), np.float32)
        for i, (lab, rule) in enumerate(zip(labels, rules, strict=True)):
            M[i] = 1.0
            for code in lab:
                if code in col:
                    Y[i, col[code]] = 1.0
            for code in rule:
                if code in col:
                    R[i, col[code]] = 1.0
        k = len(units)
        for p in rejected:
            M[k, col[p.code]] = 1.0
            k += 1
        for pid, _ in defs:
            M[k, col[pid]] = Y[k, col[pid]] = 1.0
            k += 1
        groups = np.array([u.transcript_id for u in units] + [p.transcript_id for p in rejected] + [-1] * len(defs))
        fixed = np.r_[np.zeros(len(units) + len(rejected), dtype=bool), np.ones(len(defs), dtype=bool)]
        self.positives = {code: int(Y[:len(units), j].sum()) for code, j in col.items()}
        if not any(v >= learn.MIN_POSITIVES for v in self.positives.values()):
            return
        stops = frozenset(t for u in units for t in u.stops)
        report = learn.cross_validate(rows, Y, M, R, codes, groups=groups, fixed=fixed, stops=stops, cache=self.fit_cache)
        model = learn.fit(rows, Y, M, codes, stops, self.fit_cache, fixed, learn.few_positives(Y, fixed))
        if self.fit_cache is not None:
            self.fit_cache.flush()
        model.evidence_ok = np.array([t not in stops for t in model.terms.tolist()], dtype=bool)
        model.heldout = report
        model.enabled = learn.gate(report)
        self.model = model

    def contributions(self, feats: Features, cols: Ints | None = None) -> tuple[Floats, LearnedContext | None]:
        """(units x profiles) contributions (calibrated probabilities; of the profiles *cols*, None: all) and the
        feature matrix (kept for the evidence)."""
        import numpy as np

        n = len(feats)
        C = np.zeros((n, len(self.profiles)))
        m = self.model
        if m is None or not n:
            return C, None
        wanted = None if cols is None else {self.profiles[int(j)].id for j in cols}
        on = [j for j, code in enumerate(m.codes) if m.enabled.get(code) and (wanted is None or code in wanted)]
        if not on:
            return C, None
        X = m.matrix_of(*feats.words())
        at = [self.index[m.codes[j]] for j in on]
        P = learn.predict(m, X, on)
        S = learn.calibrate(P, [m.heldout[m.codes[j]]["threshold"] for j in on])
        contrib = np.minimum(LEARNED_CAP, S)
        contrib[S < LEARNED_FLOOR] = 0.0
        if m.evidence_ok is not None:
            # no content word of the unit speaks for the code: no contribution (nothing to show as evidence)
            W = np.where(m.evidence_ok[:, None], np.maximum(m.weights[:, on], 0.0), 0.0)
            contrib[np.asarray(X @ W) <= 0] = 0.0
        C[:, at] = contrib
        Pfull = np.zeros_like(C)
        Pfull[:, at] = P
        return C, (X, Pfull)

    def column_states(self) -> list[str]:
        import numpy as np

        m = self.model
        if m is None:
            return [digest(self.name, None)] * len(self.profiles)
        head = digest(self.name, m.base_key)
        terms = m.terms
        out = []
        for p in self.profiles:
            if p.id not in m.codes:
                out.append(digest(head, None))
                continue
            j = m.codes.index(p.id)
            w = m.weights[:, j]
            nz = np.nonzero(w)[0]
            r = m.heldout.get(p.id, {})
            out.append(digest(head, terms[nz], w[nz], float(m.bias[j]), bool(m.enabled.get(p.id)),
                              sorted(r.items()), self.positives.get(p.id, 0)))
        return out

    def explain_json_many(self, feats: Features, units: Ints, profs: Ints, ctx: LearnedContext) -> tuple[list[str], Flat]:
        """(data as JSON text, words) of each (unit, profile) pair: ``[p, positives, held-out F1,
        keyword F1, lemmas]`` with the words of the largest positive weights (flat form (pair, term))."""
        import numpy as np

        X, Pfull = ctx
        m = self.model
        assert m is not None
        mcol = np.array([m.codes.index(p.id) if p.id in m.codes else 0 for p in self.profiles], dtype=np.int64)
        owner, idx = _ranges(X.indptr[units], X.indptr[units + 1])
        cols = X.indices[idx]
        weight = X.data[idx].astype(np.float64) * m.weights[cols, mcol[profs][owner]]
        if m.evidence_ok is not None:
            weight = np.where(m.evidence_ok[cols], weight, 0.0)  # function words are never evidence
        words = _top_word_arrays(owner, weight, m.terms[cols])
        listed = word_json_groups(self.info.nlp.vocab.strings, words, len(units))
        heads: dict[int, str] = {}
        for j in unique(profs).tolist():
            code = self.profiles[j].id
            r = m.heldout.get(code, {})
            heads[j] = f"{self.positives.get(code, 0)},{round(float(r.get('f1', 0)), 6)!r},{round(float(r.get('keyword_f1', 0)), 6)!r}"
        ps = np.round(Pfull[units, profs].astype(np.float64), 6).tolist()
        frags = list(map("[{!r},{},[{}]]".format, ps, map(heads.__getitem__, profs.tolist()), listed))
        return frags, words

    def leads(self, code: str) -> bool:
        return self.model is not None and bool(self.model.enabled.get(code))

    def describe(self) -> list[str]:
        few = sorted(c for c, n in self.positives.items() if n < learn.MIN_POSITIVES)
        if self.model is None:
            return [f"learned model: off (every code has fewer than {learn.MIN_POSITIVES} coded units)"]
        on = sorted(c for c, ok in self.model.enabled.items() if ok)
        weak = sorted(c for c, ok in self.model.enabled.items() if not ok and c not in few)
        out = [f"learned model on for {len(on)} of {len(self.model.enabled)} codes ({_listed(on)})" if on
               else "learned model: off for every code (none beats keywords or chance on held-out units yet)"]
        if few:
            out.append(f"too few examples to learn from (under {learn.MIN_POSITIVES} coded units): {_listed(few)}; "
                       "these are suggested from keywords, patterns and the codebook's texts only")
        if weak:
            out.append(f"learned model off for {_listed(weak)}: not better than keywords or chance on held-out units")
        return out


def _listed(codes: list[str], most: int = 8) -> str:
    return ", ".join(codes[:most]) + (f" and {len(codes) - most} more" if len(codes) > most else "")
