"""Model signals: similarity over lemmas, and the learned per-code model.

Both work on unit *terms* (lemma hashes of content words), so they run after
the parsed documents are gone. Their evidence names the words that carried
the weight (with their offsets) and, for similarity, the nearest coded
passage; removing those words lowers the contribution.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from qcode.suggest import learn
from qcode.suggest.base import CodeProfile, Hit, Passage, Signal, Training, register
from qcode.suggest.units import Unit

SIM_FLOOR = 0.12
"""Cosines below this contribute nothing (unrelated texts share a few words)."""
SIM_SCALE = 1.2
SIM_CAP = 0.7
MIN_CONTRIBUTION = 0.05
"""Smaller similarity contributions are not reported (they cannot change a suggestion)."""
LEARNED_FLOOR = 0.15
LEARNED_CAP = 0.95
EVIDENCE_WORDS = 6


def _spans_of(unit: Unit, words: set[int]) -> list[tuple[int, int]]:
    """Offsets of the unit's tokens whose term is in *words*."""
    return sorted({s for t, s in zip(unit.terms, unit.spans, strict=True) if t in words})


def _tf(terms: list[int]) -> dict[int, float]:
    tf: dict[int, float] = {}
    for t in terms:
        tf[t] = tf.get(t, 0.0) + 1.0
    return tf


@register
class Similarity(Signal):
    """TF-IDF cosine to the code's description and to its nearest coded passage."""

    name = "qcode.similarity.v1"
    kind = "unit"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from qcode.suggest.pipeline import fix_lemmas
        from qcode.suggest.units import doc_terms

        self.def_terms: dict[str, list[int]] = {}
        texts = [(p.id, t) for p in profiles for t in p.texts]
        for (pid, _), doc in zip(texts, info.nlp.pipe(t for _, t in texts), strict=True):
            fix_lemmas(doc, info)
            self.def_terms.setdefault(pid, []).extend(doc_terms(doc)[0].tolist())
        self.idf: dict[int, float] = {}
        self.unseen_idf = 1.0
        self.vectors: list[tuple[str, dict[int, float], Passage | None]] = []
        self.col: dict[int, int] = {}
        self.matrix: Any = None
        self.groups: dict[str, Any] = {}
        self.fit(Training())

    def fit(self, training: Training) -> None:
        df: dict[int, int] = {}
        docs = [u.terms for u in training.units] + list(self.def_terms.values())
        for terms in docs:
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        n = len(docs)
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.unseen_idf = math.log(n + 1) + 1.0
        known = {p.id for p in self.profiles}
        self.vectors = [(pid, self.vec(terms), None) for pid, terms in self.def_terms.items() if terms]
        self.vectors += [(p.code, self.vec(p.terms), p) for p in training.passages if p.code in known and p.terms]
        import numpy as np

        self.col = {}
        for _, vec, _ in self.vectors:
            for t in vec:
                self.col.setdefault(t, len(self.col))
        self.matrix = np.zeros((len(self.col), len(self.vectors)), dtype=np.float32)
        groups: dict[str, list[int]] = {}
        for k, (pid, vec, _) in enumerate(self.vectors):
            groups.setdefault(pid, []).append(k)
            for t, w in vec.items():
                self.matrix[self.col[t], k] = w
        self.groups = {pid: np.array(rows) for pid, rows in groups.items()}

    def vec(self, terms: list[int]) -> dict[int, float]:
        """L2-normalised TF-IDF vector of *terms* (sublinear tf)."""
        v = {t: (1.0 + math.log(c)) * self.idf.get(t, self.unseen_idf) for t, c in _tf(terms).items()}
        norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
        return {t: w / norm for t, w in v.items()}

    def batch_hits(self, units: list[Unit]) -> list[list[Hit]]:
        import numpy as np

        out: list[list[Hit]] = [[] for _ in units]
        if not self.vectors or not units:
            return out
        U = np.zeros((len(units), len(self.col)), dtype=np.float32)
        vecs = []
        for i, u in enumerate(units):
            v = self.vec(u.terms)
            vecs.append(v)
            for t, w in v.items():
                j = self.col.get(t)
                if j is not None:
                    U[i, j] = w
        D = U @ self.matrix
        rows = np.arange(len(units))
        for pid, cols in self.groups.items():
            sub = D[:, cols]
            arg = sub.argmax(axis=1)
            best = sub[rows, arg]
            for i in np.nonzero(best >= SIM_FLOOR + MIN_CONTRIBUTION / SIM_SCALE)[0].tolist():
                sim, k = float(best[i]), int(cols[arg[i]])
                contribution = min(SIM_CAP, (sim - SIM_FLOOR) * SIM_SCALE)
                explain = partial(self._explain, units[i], vecs[i], sim, k)
                out[i].append(Hit(pid, self.name, contribution, "", [], None, explain))
        return out

    def _explain(self, unit: Unit, v: dict[int, float], sim: float, k: int) -> tuple[str, list[tuple[int, int]], dict[str, Any] | None]:
        strings = self.info.nlp.vocab.strings
        _, other, passage = self.vectors[k]
        shared = sorted(((v[t] * other[t], t) for t in v if t in other), reverse=True)[:EVIDENCE_WORDS]
        spans = _spans_of(unit, {t for _, t in shared})
        listed = ", ".join(f'"{strings[t]}"' for _, t in shared)
        if passage is None:
            return f"close to the code's description (cosine {sim:.2f}), sharing {listed}", spans, None
        where = f"coding {passage.coding_id}" if passage.coding_id is not None else "a coded passage"
        similar = {"coding_id": passage.coding_id, "quote": passage.quote, "similarity": round(sim, 4)}
        return f"close to {where} (cosine {sim:.2f}), sharing {listed}", spans, similar


@register
class Learned(Signal):
    """A per-code linear model, switched on per code by the held-out gate."""

    name = "qcode.learned.v1"
    kind = "unit"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        self.model: learn.LinearModel | None = None
        self.positives: dict[str, int] = {}

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
        rows = [u.terms for u in units] + [p.terms for p in training.rejected if p.code in col]
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
        rejected = [p for p in training.rejected if p.code in col]
        for k, p in enumerate(rejected, start=len(units)):
            M[k, col[p.code]] = 1.0
        self.positives = {code: int(Y[:, j].sum()) for code, j in col.items()}
        if not any(v >= learn.MIN_POSITIVES for v in self.positives.values()):
            return
        report = learn.cross_validate(rows, Y, M, R, codes)
        model = learn.fit(rows, Y, M, codes)
        model.heldout = report
        model.enabled = learn.gate(report)
        self.model = model

    def batch_hits(self, units: list[Unit]) -> list[list[Hit]]:
        import numpy as np

        out: list[list[Hit]] = [[] for _ in units]
        m = self.model
        if m is None or not units:
            return out
        on = [j for j, code in enumerate(m.codes) if m.enabled.get(code)]
        if not on:
            return out
        X = np.zeros((len(units), len(m.vocab)), dtype=np.float32)
        for i, u in enumerate(units):
            X[i], _ = m.row(u.terms)
        P = 1.0 / (1.0 + np.exp(-(X @ m.weights[:, on] + m.bias[on])))
        for jj, j in enumerate(on):
            code = m.codes[j]
            for i in np.nonzero(P[:, jj] >= LEARNED_FLOOR)[0].tolist():
                p = float(P[i, jj])
                explain = partial(self._explain, units[i], X[i], j, p)
                out[i].append(Hit(code, self.name, min(LEARNED_CAP, p), "", [], None, explain))
        return out

    def _explain(self, u: Unit, x: Any, j: int, p: float) -> tuple[str, list[tuple[int, int]], None]:
        m = self.model
        assert m is not None
        code = m.codes[j]
        r = m.heldout.get(code, {})
        strings = self.info.nlp.vocab.strings
        weights = {t: float(x[m.vocab[t]] * m.weights[m.vocab[t], j]) for t in set(u.terms) if t in m.vocab}
        top = sorted(((w, t) for t, w in weights.items() if w > 0), reverse=True)[:EVIDENCE_WORDS]
        detail = (
            f"learned from {self.positives.get(code, 0)} coded units "
            f"(held-out F1 {r.get('f1', 0):.2f} vs keywords {r.get('keyword_f1', 0):.2f}); "
            f"p={p:.2f}; words: " + ", ".join(f'"{strings[t]}"' for _, t in top)
        )
        return detail, _spans_of(u, {t for _, t in top}), None

    def leads(self, code: str) -> bool:
        return self.model is not None and bool(self.model.enabled.get(code))

    def describe(self) -> list[str]:
        if self.model is None:
            return ["learned model: off (fewer than 3 coded units for every code)"]
        on = sorted(c for c, ok in self.model.enabled.items() if ok)
        off = len(self.model.enabled) - len(on)
        return [f"learned model on for {len(on)} codes ({', '.join(on[:8])}{'...' if len(on) > 8 else ''}); "
                f"off for {off} (not better than chance or keywords on held-out units)"]
