"""A small multi-label linear model over lemma features, with a held-out gate.

One logistic regression per code, trained jointly (one weight column per
code) with full-batch Adam on L2-normalised TF-IDF rows. Missing labels are
masked out of the loss, so a rejected suggestion is a negative for its code
only. Positives are up-weighted (balanced, capped) because codes are rare.

The gate (:func:`cross_validate`) decides per code whether the model may
make suggestions at all: it must beat, on held-out rows, both chance (an
always-yes guess, F1 = 2p/(1+p)) and the rule signals (keywords and
patterns) for that code. A code with two examples therefore stays off.
numpy is imported inside functions only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_FEATURES = 4000
MAX_ROWS = 6000
MIN_POSITIVES = 3
EPOCHS = 120
L2 = 1e-3
SEED = 13


@dataclass
class LinearModel:
    vocab: dict[int, int]
    """Lemma hash -> column."""
    idf: Any
    weights: Any
    """(features, codes) float32."""
    bias: Any
    codes: list[str]
    enabled: dict[str, bool] = field(default_factory=dict)
    heldout: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per code: f1 (model), keyword_f1, chance_f1, positives."""

    @property
    def terms(self) -> Any:
        """Lemma hash of each column."""
        import numpy as np

        if getattr(self, "_terms", None) is None:
            inv = np.zeros(len(self.vocab), dtype=np.uint64)
            for t, j in self.vocab.items():
                inv[j] = t
            order = np.argsort(inv)
            self._terms, self._keys, self._cols = inv, inv[order], order.astype(np.int64)
        return self._terms

    def matrix_of(self, ptr: Any, terms: Any) -> Any:
        """CSR feature matrix of the rows ``terms[ptr[i]:ptr[i + 1]]``."""
        _ = self.terms
        return tfidf_rows(ptr, terms, self._keys, self._cols, self.idf[self._cols], None, len(self.vocab), "float32")

    def row(self, terms: list[int]) -> tuple[Any, list[int]]:
        """Feature vector of *terms* and the term positions that were features."""
        import numpy as np

        x = np.zeros(len(self.vocab), dtype=np.float32)
        used: list[int] = []
        for i, t in enumerate(terms):
            j = self.vocab.get(t)
            if j is not None:
                x[j] += 1.0
                used.append(i)
        nz = x > 0
        x[nz] = (1.0 + np.log(x[nz])) * self.idf[nz]
        n = float(np.linalg.norm(x))
        if n > 0:
            x /= n
        return x, used

    def predict(self, terms: list[int]) -> tuple[Any, Any]:
        """Probabilities per code and the feature row."""
        import numpy as np

        x, _ = self.row(terms)
        z = x @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z)), x


def build_vocab(rows: list[list[int]]) -> tuple[dict[int, int], Any]:
    """Terms seen in at least two rows (capped to the most frequent), and their IDF."""
    import math

    import numpy as np

    df: dict[int, int] = {}
    for terms in rows:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    kept = sorted((t for t, n in df.items() if n >= 2), key=lambda t: (-df[t], t))[:MAX_FEATURES]
    vocab = {t: i for i, t in enumerate(kept)}
    n = len(rows)
    idf = np.array([math.log((n + 1) / (df[t] + 1)) + 1.0 for t in kept], dtype=np.float32)
    return vocab, idf


def _matrix(model: LinearModel, rows: list[list[int]]) -> Any:
    """Feature matrix (scipy CSR) of *rows*."""
    import numpy as np

    ptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    terms = np.fromiter((t for r in rows for t in r), dtype=np.uint64, count=int(ptr[-1]))
    return model.matrix_of(ptr, terms)


_CELLS: list[tuple[Any, Any, Any]] = [(None, None, None)]
"""The last (ptr, terms, cells) of :func:`_term_cells` (one tuple, replaced whole: safe across
threads): the signals of one run weigh the same units one after the other."""


def _term_cells(ptr: Any, terms: Any) -> tuple[Any, Any, Any, Any]:
    """(distinct terms, and per (unit, term) cell: its unit, its term's index, its count), by unit then term."""
    import numpy as np

    last = _CELLS[0]
    if last[0] is ptr and last[1] is terms:
        return last[2]
    n = len(ptr) - 1
    unit = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    uniq, inv = np.unique(terms, return_inverse=True)
    cell, cnt = np.unique(unit * len(uniq) + inv, return_counts=True)
    out = (uniq, cell // len(uniq), cell % len(uniq), cnt)
    _CELLS[0] = (ptr, terms, out)
    return out


def tfidf_rows(ptr: Any, terms: Any, keys: Any, key_col: Any, key_idf: Any, unseen_idf: float | None,
               n_cols: int, dtype: str = "float64") -> Any:
    """CSR matrix of L2-normalised sublinear TF-IDF rows, one per ``terms[ptr[i]:ptr[i + 1]]``.

    *keys* are the known term hashes (sorted) with their column (-1: the term
    counts in the norm but is not a column) and idf. Unknown terms weigh
    *unseen_idf* in the norm, or are ignored when it is None.
    """
    import numpy as np
    import scipy.sparse as sp

    n = len(ptr) - 1
    if len(terms) == 0 or n_cols == 0:
        return sp.csr_matrix((n, n_cols), dtype=dtype)
    uniq, u, t, cnt = _term_cells(ptr, terms)
    if len(keys):
        pos = np.minimum(np.searchsorted(keys, uniq), len(keys) - 1)
        found = keys[pos] == uniq
    else:
        pos = np.zeros(len(uniq), dtype=np.int64)
        found = np.zeros(len(uniq), dtype=bool)
    col = np.where(found, key_col[pos] if len(keys) else -1, -1)
    idf = np.where(found, key_idf[pos] if len(keys) else 0.0, unseen_idf or 0.0)
    if unseen_idf is None:
        known = found[t]
        u, t, cnt = u[known], t[known], cnt[known]
    w = (1.0 + np.log(cnt)) * idf[t]
    norm = np.sqrt(np.bincount(u, w * w, minlength=n))
    norm[norm == 0] = 1.0
    w = w / norm[u]
    c = col[t]
    m = c >= 0
    return sp.csr_matrix((w[m].astype(dtype), (u[m], c[m])), shape=(n, n_cols))


def fit(rows: list[list[int]], Y: Any, M: Any, codes: list[str]) -> LinearModel:
    """Train on term rows, labels *Y* (rows x codes, 0/1) and mask *M* (1 = label known)."""
    import numpy as np

    vocab, idf = build_vocab(rows)
    model = LinearModel(vocab, idf, np.zeros((len(vocab), len(codes)), np.float32), np.zeros(len(codes), np.float32), codes)
    if not vocab or not rows:
        return model
    X = _matrix(model, rows)
    model.weights, model.bias = _train(X, Y.astype(np.float32), M.astype(np.float32))
    return model


def _train(X: Any, Y: Any, M: Any) -> tuple[Any, Any]:
    import numpy as np

    n, d = X.shape
    c = Y.shape[1]
    pos = (Y * M).sum(axis=0)
    neg = ((1 - Y) * M).sum(axis=0)
    pos_w = np.clip(neg / np.maximum(pos, 1.0), 1.0, 10.0).astype(np.float32)
    sample_w = M * np.where(Y > 0, pos_w, 1.0)
    norm = np.maximum(sample_w.sum(axis=0), 1.0)
    W = np.zeros((d, c), np.float32)
    b = np.zeros(c, np.float32)
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    for step in range(1, EPOCHS + 1):
        P = 1.0 / (1.0 + np.exp(-(np.asarray(X @ W) + b)))
        G = (P - Y) * sample_w / norm
        gW = np.asarray(X.T @ G) + L2 * W
        gb = np.asarray(G.sum(axis=0)).ravel()
        mW = b1 * mW + (1 - b1) * gW
        vW = b2 * vW + (1 - b2) * gW * gW
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb * gb
        corr1, corr2 = 1 - b1**step, 1 - b2**step
        W -= lr * (mW / corr1) / (np.sqrt(vW / corr2) + eps)
        b -= lr * (mb / corr1) / (np.sqrt(vb / corr2) + eps)
    return W, b


def cross_validate(rows: list[list[int]], Y: Any, M: Any, R: Any, codes: list[str], folds: int = 3) -> dict[str, dict[str, float]]:
    """Held-out F1 per code of the model, of the rule signals (*R*: rows x codes) and of chance."""
    import numpy as np

    n = len(rows)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(n)
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = np.arange(n) % folds
    pred = np.zeros(Y.shape, dtype=bool)
    for f in range(folds):
        train = np.nonzero(fold_of != f)[0]
        test = np.nonzero(fold_of == f)[0]
        if len(test) == 0 or len(train) == 0:
            continue
        m = fit([rows[i] for i in train], Y[train], M[train], codes)
        if m.vocab:
            P = 1.0 / (1.0 + np.exp(-(np.asarray(_matrix(m, [rows[i] for i in test]) @ m.weights) + m.bias)))
            pred[test] = P >= 0.5
    out: dict[str, dict[str, float]] = {}
    for j, code in enumerate(codes):
        known = M[:, j] > 0
        y = Y[known, j] > 0
        p_count = int(y.sum())
        prevalence = p_count / max(1, int(known.sum()))
        out[code] = {
            "f1": _f1(pred[known, j], y),
            "keyword_f1": _f1(R[known, j] > 0, y),
            "chance_f1": 2 * prevalence / (1 + prevalence) if prevalence else 0.0,
            "positives": float(p_count),
        }
    return out


def _f1(pred: Any, gold: Any) -> float:
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def gate(report: dict[str, dict[str, float]]) -> dict[str, bool]:
    """Codes whose model beats chance and the rule signals on held-out rows."""
    return {
        code: r["positives"] >= MIN_POSITIVES and r["f1"] > max(r["chance_f1"], r["keyword_f1"])
        for code, r in report.items()
    }
