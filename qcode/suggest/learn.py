"""Per-code logistic regressions over lemma features, with a held-out gate and per-code calibration.

One scikit-learn ``LogisticRegression`` per code (``class_weight="balanced"``:
codes are rare) on L2-normalised sublinear TF-IDF rows of the units' content
lemmas and function words (function words weigh in the model but are never
shown as evidence). Besides the coded units, the code's own texts in the
codebook (label, definition, inclusion note, examples) are training rows
that are positive for that code and unknown for the others. Missing labels
are left out of a code's fit, so a rejected suggestion is a negative for its
code only.

:func:`cross_validate` gives each code's held-out figures, by transcript
(three folds, or by row when there are fewer than three transcripts): the
threshold on the probability that maximises F-beta (:data:`BETA`, below 1:
precision counts more) on held-out rows, the F1 there, and the F1 of the
keyword/pattern signals and of chance. The gate (:func:`gate`) switches a
code's model on only when it has :data:`MIN_POSITIVES` coded units and beats
both. :func:`calibrate` then maps each code's probability so that its own
held-out threshold becomes the score 0.5, the default minimum score: the
default threshold comes from held-out figures on the project's own codings.
numpy, scipy and scikit-learn are imported inside functions only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qcode.suggest.arrays import flat, ranges
from qcode.suggest.base import digest
from qcode.suggest.cache import SUFFIX, as_buffers, evict, from_bytes, write_atomically

if TYPE_CHECKING:  # numpy and SciPy are imported inside functions only
    import numpy as np
    import scipy.sparse as sp
    from numpy.typing import ArrayLike, NDArray

    Floats = NDArray[np.float64]
    Floats32 = NDArray[np.float32]
    Ints = NDArray[np.int64]
    Hashes = NDArray[np.uint64]
    Fit = tuple[NDArray[np.float32], float]
    """One code's regression: (feature weights, bias)."""

MAX_FEATURES = 4000
MAX_ROWS = 6000
MIN_POSITIVES = 5
"""Fewer coded units than this: the code's model stays off and the run notes say so."""
C = 3.0
"""Inverse regularisation strength of the logistic regressions."""
BETA = 0.65
"""The held-out threshold of each code maximises F-beta: below 1, precision weighs more than recall."""
STOP_WEIGHT = 0.25
"""Function words weigh this share of their TF-IDF in the features."""
SHRINK = 20.0
"""How many positives' worth the threshold shared by all codes weighs in each code's own threshold."""
PRIOR_THRESHOLD = 0.5
"""The threshold a code's own held-out threshold is pulled towards (by :data:`SHRINK` positives' worth)."""
SEED = 13


@dataclass
class LinearModel:
    vocab: dict[int, int]
    """Lemma hash -> column: the shared vocabulary, then each code's own terms (:func:`fit`)."""
    idf: Floats32
    weights: Floats32
    """(features, codes) float32."""
    bias: Floats32
    codes: list[str]
    enabled: dict[str, bool] = field(default_factory=dict)
    heldout: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per code: f1 (model), keyword_f1, chance_f1, positives, threshold."""
    evidence_ok: NDArray[np.bool_] | None = None
    """(features,) False for function words: they weigh in the model but are never shown as evidence."""
    base_key: str = ""
    """A key of what every code's features depend on (the units' terms and IDF, not the codebook)."""
    norm: tuple[Hashes, Floats32, float] | None = None
    """(sorted term hashes, their IDF, the IDF of unseen terms): every term of a row counts in its L2 norm,
    columns or not, so that a row's values do not depend on which terms are columns."""

    @property
    def terms(self) -> Hashes:
        """Lemma hash of each column."""
        import numpy as np

        if getattr(self, "_terms", None) is None:
            inv = np.zeros(len(self.vocab), dtype=np.uint64)
            for t, j in self.vocab.items():
                inv[j] = t
            self._terms = inv
            assert self.norm is not None  # set by fit()
            keys, kidf, self._unseen = self.norm
            pos = np.searchsorted(keys, inv)
            cols = np.full(len(keys), -1, dtype=np.int64)
            cols[pos] = np.arange(len(inv), dtype=np.int64)
            self._keys, self._cols, self._kidf = keys, cols, kidf
        return self._terms

    def matrix_of(self, ptr: Ints, terms: Hashes) -> sp.csr_matrix:
        """CSR feature matrix of the rows ``terms[ptr[i]:ptr[i + 1]]``."""
        _ = self.terms
        return tfidf_rows(ptr, terms, self._keys, self._cols, self._kidf, self._unseen, len(self.vocab), "float32")


def document_frequencies(rows: list[list[int]]) -> dict[int, int]:
    df: dict[int, int] = {}
    for terms in rows:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    return df


def _matrix(model: LinearModel, rows: list[list[int]]) -> sp.csr_matrix:
    """Feature matrix (scipy CSR) of *rows*."""
    return model.matrix_of(*flat(rows))


_CELLS: list[tuple[Ints | None, Hashes | None, tuple[Hashes, Ints, Ints, Ints] | None]] = [(None, None, None)]
"""The last (ptr, terms, cells) of :func:`_term_cells` (one tuple, replaced whole: safe across
threads): the signals of one run weigh the same units one after the other."""


def _term_cells(ptr: Ints, terms: Hashes) -> tuple[Hashes, Ints, Ints, Ints]:
    """(distinct terms, and per (unit, term) cell: its unit, its term's index, its count), by unit then term."""
    import numpy as np

    last = _CELLS[0]
    if last[0] is ptr and last[1] is terms and last[2] is not None:
        return last[2]
    n = len(ptr) - 1
    unit = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
    uniq, inv = np.unique(terms, return_inverse=True)
    cell, cnt = np.unique(unit * len(uniq) + inv, return_counts=True)
    out = (uniq, cell // len(uniq), cell % len(uniq), cnt)
    _CELLS[0] = (ptr, terms, out)
    return out


def tfidf_rows(ptr: Ints, terms: Hashes, keys: Hashes, key_col: Ints, key_idf: NDArray[np.floating[Any]],
               unseen_idf: float, n_cols: int, dtype: str = "float64") -> sp.csr_matrix:
    """CSR matrix of L2-normalised sublinear TF-IDF rows, one per ``terms[ptr[i]:ptr[i + 1]]``.

    *keys* are the known term hashes (sorted) with their column (-1: the term
    counts in the norm but is not a column) and idf. Unknown terms weigh
    *unseen_idf* in the norm.
    """
    import numpy as np
    import scipy.sparse as sp

    n = len(ptr) - 1
    if len(terms) == 0 or n_cols == 0:
        empty = (np.zeros(0, dtype=dtype), np.zeros(0, dtype=np.int32), np.zeros(n + 1, dtype=np.int32))
        return sp.csr_matrix(empty, shape=(n, n_cols))
    uniq, u, t, cnt = _term_cells(ptr, terms)
    if len(keys):
        pos = np.minimum(np.searchsorted(keys, uniq), len(keys) - 1)
        found = keys[pos] == uniq
    else:
        pos = np.zeros(len(uniq), dtype=np.int64)
        found = np.zeros(len(uniq), dtype=bool)
    col = np.where(found, key_col[pos] if len(keys) else -1, -1)
    idf = np.where(found, key_idf[pos] if len(keys) else 0.0, unseen_idf)
    w = (1.0 + np.log(cnt)) * idf[t]
    norm = np.sqrt(np.bincount(u, w * w, minlength=n))
    norm[norm == 0] = 1.0
    w = w / norm[u]
    c = col[t]
    m = c >= 0
    return sp.csr_matrix((w[m].astype(dtype), (u[m], c[m])), shape=(n, n_cols))


class FitCache:
    """Fitted per-code regressions, keyed by a hash of exactly what each fit sees.

    A code's regression depends only on the feature matrix (the vocabulary and
    IDF come from every training row) and on its own labels and mask: the key
    is ``sha256(matrix, known rows, their labels, the solver's settings)``, so
    a reused fit is the one that would be computed again (liblinear is
    deterministic for a fixed seed) and suggestions are identical. When only
    the codebook's keywords change, or one code's codings, the other codes'
    models (and those of the held-out folds) are read back instead of refit.

    On disk (*path*), one file per feature matrix (:func:`~qcode.suggest.cache.as_buffers`) holds the fits made
    on it; without a path the cache lives in memory only. :attr:`fits` and
    :attr:`hits` count the regressions fitted and reused (for tests and the
    benchmark). At most :data:`KEEP_FILES` files are kept, the least recently
    used are removed.
    """

    KEEP_FILES = 32

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.fits = 0
        self.hits = 0
        self._mem: dict[str, dict[str, Fit | None]] = {}
        self._dirty: set[str] = set()

    def _file(self, xkey: str) -> Path:
        assert self.path is not None
        return self.path / f"{xkey}{SUFFIX}"

    def _group(self, xkey: str) -> dict[str, Fit | None]:
        if xkey in self._mem:
            return self._mem[xkey]
        group: dict[str, Fit | None] = {}
        if self.path is not None:
            try:
                stored = from_bytes(self._file(xkey).read_bytes())
                for name, value in stored.items():
                    if name.startswith("w_"):
                        group[name[2:]] = (value, float(stored["b_" + name[2:]]))
                    elif name.startswith("n_"):
                        group[name[2:]] = None
                self._file(xkey).touch()
            except (OSError, ValueError, KeyError, TypeError):
                group = {}
        self._mem[xkey] = group
        return group

    def get(self, xkey: str, key: str) -> tuple[bool, Fit | None]:
        group = self._group(xkey)
        if key in group:
            self.hits += 1
            return True, group[key]
        return False, None

    def put(self, xkey: str, key: str, value: Fit | None) -> None:
        self.fits += 1
        self._group(xkey)[key] = value
        self._dirty.add(xkey)

    def flush(self) -> None:
        """Write the groups that got new fits (atomically), and drop the oldest files."""
        if self.path is None or not self._dirty:
            self._dirty.clear()
            return
        import numpy as np

        try:
            for xkey in sorted(self._dirty):
                arrays: dict[str, NDArray[Any]] = {}
                for key, value in self._mem[xkey].items():
                    if value is None:
                        arrays["n_" + key] = np.zeros(0, np.float32)
                    else:
                        arrays["w_" + key], arrays["b_" + key] = value[0], np.array(value[1], dtype=np.float64)
                write_atomically(self._file(xkey), lambda arrays=arrays: as_buffers(arrays))
            evict(self.path, self.KEEP_FILES)
        except OSError:
            pass  # a read-only or full disk costs speed next time, not correctness
        self._dirty.clear()


def fit(rows: list[list[int]], Y: Floats32, M: Floats32, codes: list[str], stops: frozenset[int] = frozenset(),
        cache: FitCache | None = None, fixed: ArrayLike | None = None, skip: ArrayLike | None = None) -> LinearModel:
    """Train on term rows, labels *Y* (rows x codes, 0/1) and mask *M* (1 = label known); the
    function words *stops* weigh :data:`STOP_WEIGHT` of their TF-IDF. Per-code fits already
    in *cache* are reused. The codes *skip* (booleans per code) are not fitted: their model stays off
    (:func:`gate` needs :data:`MIN_POSITIVES` coded units).

    Each code has its own vocabulary: the shared one (terms of at least two of the rows that are not
    *fixed*: the coded units and rejected passages), plus the terms of its own *fixed* rows (its codebook
    texts) that are not in it. The IDF comes from the rows that are not fixed, and a row's L2 norm counts
    all its terms, so a code's texts change that code's fit only: editing one code's definition refits
    that code alone, the other models stay as they were and a re-run rescores that code only
    (:mod:`qcode.usecases.suggesting`).
    """
    import math

    import numpy as np

    free = np.ones(len(rows), dtype=bool) if fixed is None else ~np.asarray(fixed, dtype=bool)
    free_rows = [r for r, f in zip(rows, free.tolist(), strict=True) if f]
    df = document_frequencies(free_rows)
    n_free = len(free_rows)
    shared = sorted((t for t, k in df.items() if k >= 2), key=lambda t: (-df[t], t))[:MAX_FEATURES]
    vocab = {t: i for i, t in enumerate(shared)}
    own: list[list[int]] = []
    """Per code, the columns of its own terms (beyond the shared vocabulary), by term hash."""
    for j in range(len(codes)):
        mine = sorted({t for i in np.nonzero(~free & (M[:, j] > 0))[0].tolist() for t in rows[i]} - vocab.keys())
        own.append(mine)
    for t in sorted({t for mine in own for t in mine}):
        vocab[t] = len(vocab)
    own_cols = [np.array([vocab[t] for t in mine], dtype=np.int64) for mine in own]
    n_shared = len(shared)
    unseen = math.log(n_free + 1) + 1.0
    keys = np.array(sorted(set(df) | vocab.keys()), dtype=np.uint64)
    kidf = np.array([math.log((n_free + 1) / (df.get(t, 0) + 1)) + 1.0 for t in keys.tolist()], dtype=np.float32)
    if stops and STOP_WEIGHT != 1.0:
        kidf[np.isin(keys, np.array(sorted(stops), dtype=np.uint64))] *= STOP_WEIGHT
    idf = kidf[np.searchsorted(keys, np.array(list(vocab), dtype=np.uint64))] if vocab else np.zeros(0, np.float32)
    c = len(codes)
    seen = np.isin(keys, np.array(sorted(df), dtype=np.uint64))
    model = LinearModel(vocab, idf, np.zeros((len(vocab), c), np.float32), np.full(c, -10.0, np.float32), codes,
                        base_key=digest(keys[seen], kidf[seen], np.array([unseen])), norm=(keys, kidf, unseen))
    if not n_shared or not rows:
        return model
    X = _matrix(model, rows)
    xkey = ""
    if cache is not None:
        free_at = np.nonzero(free)[0]
        XF = X[free_at][:, :n_shared]
        xkey = digest(XF.data, XF.indices, XF.indptr, np.array(XF.shape))
        # What else a code's fit sees, read without slicing X per code: its own terms' columns in the units, and
        # its own texts' rows (their terms by hash: the column numbers depend on the other codes' own terms).
        XO = X[free_at][:, n_shared:].tocsc()
        col_term = model.terms
    base = np.arange(n_shared, dtype=np.int64)
    skipped = np.zeros(c, dtype=bool) if skip is None else np.asarray(skip, dtype=bool)
    for j in range(c):
        if skipped[j]:
            continue
        cols = np.r_[base, own_cols[j]]
        if cache is None:
            fitted = _fit_one(X[:, cols], Y[:, j], M[:, j])
        else:
            known = np.nonzero(M[:, j] > 0)[0]
            mine = known[free[known]]
            theirs = known[~free[known]]  # the code's own fixed rows (its codebook texts), wherever they are
            oc = own_cols[j] - n_shared
            e_owner, e_idx = ranges(XO.indptr[oc], XO.indptr[oc + 1])
            t_owner, t_idx = ranges(X.indptr[theirs], X.indptr[theirs + 1])
            key = digest(mine, Y[mine, j] > 0, np.array([C, SEED], dtype=np.float64), np.array(own[j], dtype=np.uint64),
                          e_owner, XO.indices[e_idx], XO.data[e_idx], t_owner, col_term[X.indices[t_idx]], X.data[t_idx],
                          Y[theirs, j] > 0)
            found, fitted = cache.get(xkey, key)
            if not found:
                fitted = _fit_one(X[:, cols], Y[:, j], M[:, j])
                cache.put(xkey, key, fitted)
        if fitted is not None:
            model.weights[cols, j], model.bias[j] = fitted
    return model


def _fit_one(X: sp.csr_matrix, y: Floats32, m: Floats32) -> Fit | None:
    """(feature weights, bias) of one code's logistic regression, or None without both classes."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    known = np.nonzero(m > 0)[0]
    yk = y[known] > 0
    if yk.all() or not yk.any():
        return None
    lr = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", random_state=SEED)
    lr.fit(X[known], yk)
    return lr.coef_.ravel().astype(np.float32), float(lr.intercept_[0])


def predict(model: LinearModel, X: sp.csr_matrix, cols: ArrayLike | None = None) -> Floats:
    """Probabilities (rows x codes, or the codes *cols*) of the feature matrix *X*."""
    import numpy as np

    cols = np.arange(len(model.codes)) if cols is None else np.asarray(cols, dtype=np.int64)
    z = np.asarray(X @ model.weights[:, cols]) + model.bias[cols]
    return 1.0 / (1.0 + np.exp(-z))


def calibrate(P: ArrayLike, thresholds: ArrayLike) -> Floats:
    """Map probabilities so that each code's held-out threshold (per column) becomes 0.5, monotonically."""
    import numpy as np

    t = np.clip(np.asarray(thresholds, dtype=np.float64), 0.01, 0.99)
    P = np.asarray(P, dtype=np.float64)
    return np.where(P < t, 0.5 * P / t, 0.5 + 0.5 * (P - t) / (1.0 - t))


def cross_validate(rows: list[list[int]], Y: Floats32, M: Floats32, R: Floats32, codes: list[str],
                   groups: ArrayLike | None = None, fixed: ArrayLike | None = None, folds: int = 3,
                   stops: frozenset[int] = frozenset(),
                   cache: FitCache | None = None) -> dict[str, dict[str, float]]:
    """Held-out figures per code: the model's threshold and F1 there, the rule signals' F1 (*R*) and chance's.

    *groups*: the transcript of each row (folds by transcript when there are
    at least *folds* of them); *fixed*: rows always trained on, never tested
    (the codebook's texts).
    """
    import numpy as np

    n = len(rows)
    fixed = np.zeros(n, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    rng = np.random.default_rng(SEED)
    fold_of = np.empty(n, dtype=np.int64)
    g = np.asarray(groups) if groups is not None else None
    if g is not None and len(np.unique(g[~fixed])) >= folds:
        distinct = np.unique(g[~fixed])
        perm = rng.permutation(len(distinct))
        of_group = {v: int(perm[k]) % folds for k, v in enumerate(distinct.tolist())}
        fold_of[:] = [of_group.get(v, -1) for v in g.tolist()]
    else:
        fold_of[rng.permutation(n)] = np.arange(n) % folds
    fold_of[fixed] = -1
    P = np.zeros(Y.shape, dtype=np.float64)
    few = few_positives(Y, fixed)
    for f in range(folds):
        train = np.nonzero(fold_of != f)[0]
        test = np.nonzero(fold_of == f)[0]
        if len(test) == 0 or len(train) == 0:
            continue
        m = fit([rows[i] for i in train], Y[train], M[train], codes, stops, cache, fixed[train], few)
        if m.vocab:
            P[test] = predict(m, _matrix(m, [rows[i] for i in test]))
    out: dict[str, dict[str, float]] = {}
    tested = ~fixed
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    # Each code's own threshold pulled towards PRIOR_THRESHOLD as much as its few positives warrant (SHRINK
    # positives' worth). A fixed prior, not one pooled over the codes: a code's threshold then depends on its
    # own held-out rows only, and a change to one code leaves the others' calibration as it was (same F1 on
    # the shared sets as a pooled micro F-beta threshold).
    pooled = PRIOR_THRESHOLD
    for j, code in enumerate(codes):
        known = (M[:, j] > 0) & tested
        y = Y[known, j] > 0
        p = P[known, j]
        own = max(grid.tolist(), key=lambda t: _fbeta(p >= t, y, BETA))
        p_count = int(y.sum())
        t = (p_count * own + SHRINK * pooled) / (p_count + SHRINK)
        prevalence = p_count / max(1, int(known.sum()))
        out[code] = {
            "f1": _fbeta(p >= t, y, 1.0),
            "threshold": float(t),
            "keyword_f1": _fbeta(R[known, j] > 0, y, 1.0),
            "chance_f1": 2 * prevalence / (1 + prevalence) if prevalence else 0.0,
            "positives": float(p_count),
        }
    return out


def few_positives(Y: Floats32, fixed: ArrayLike | None = None) -> NDArray[np.bool_]:
    """Per code, whether it has fewer than :data:`MIN_POSITIVES` coded rows (not counting the *fixed* ones):
    its model cannot pass the :func:`gate`, so it is not fitted at all."""
    import numpy as np

    free = np.ones(len(Y), dtype=bool) if fixed is None else ~np.asarray(fixed, dtype=bool)
    return np.asarray((Y[free] > 0).sum(axis=0) < MIN_POSITIVES)


def _fbeta(pred: NDArray[np.bool_], gold: NDArray[np.bool_], beta: float) -> float:
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum())
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0


def gate(report: dict[str, dict[str, float]]) -> dict[str, bool]:
    """Codes with enough coded units whose model beats chance and the rule signals on held-out rows."""
    return {
        code: r["positives"] >= MIN_POSITIVES and r["f1"] > max(r["chance_f1"], r["keyword_f1"])
        for code, r in report.items()
    }
