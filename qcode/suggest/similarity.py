"""The similarity signal (``qcode.similarity.v1``): TF-IDF cosine to the code's texts and to its nearest coded passage."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from qcode.suggest import learn
from qcode.suggest.base import CodeProfile, Passage, Training, digest, register
from qcode.suggest.model_signals import _ranges, _top_word_arrays, passage_json
from qcode.suggest.references import NearestReference
from qcode.suggest.units import Features

if TYPE_CHECKING:  # numpy and SciPy are imported inside functions only
    import numpy as np
    import scipy.sparse as sp
    from numpy.typing import NDArray

    from qcode.suggest.model_signals import Flat, Floats, Ints
    from qcode.suggest.pipeline import PipelineInfo

    SimilarityContext = tuple[sp.csr_matrix, NDArray[np.float32], NDArray[np.float32]]
    """The units' TF-IDF rows and their cosines to every vector (twice: these cosines have no floor)."""

SIM_FLOOR = 0.12
"""Cosines below this contribute nothing (unrelated texts share a few words)."""
SIM_SCALE = 1.2
SIM_CAP = 0.7
MIN_IDF_UNITS = 200
"""With fewer units learned from, the similarity signal's IDF also counts the codebook's texts."""
DENSE_CELLS = 4_000_000
"""Terms x vectors of the similarity signal up to which it keeps them dense as well (32 MB)."""


def _tf(terms: list[int]) -> dict[int, float]:
    tf: dict[int, float] = {}
    for t in terms:
        tf[t] = tf.get(t, 0.0) + 1.0
    return tf


@register
class Similarity(NearestReference):
    """TF-IDF cosine to the code's description and to its nearest coded passage (its references: the vectors)."""

    name = "qcode.similarity.v1"
    offset, scale, cap = SIM_FLOOR, SIM_SCALE, SIM_CAP

    def __init__(self, info: PipelineInfo, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from qcode.suggest.units import text_terms

        self.def_terms: dict[str, list[int]] = {}
        texts = [(p.id, t) for p in profiles for t in p.texts]
        for (pid, _), found in zip(texts, text_terms(info, [t for _, t in texts]), strict=True):
            self.def_terms.setdefault(pid, []).extend(found.tolist())
        self.index = {p.id: i for i, p in enumerate(profiles)}
        self.idf: dict[int, float] = {}
        self.unseen_idf = 1.0
        self.vectors: list[tuple[str, dict[int, float], Passage | None]] = []
        self.fit(Training())

    def fit(self, training: Training) -> None:
        import numpy as np
        import scipy.sparse as sp

        self._columns_of: dict[tuple[int, ...], tuple[Any, ...]] = {}
        df: dict[int, int] = {}
        # The IDF comes from the units learned from, so that one code's texts change that code's column only
        # (a re-run after a definition edit rescores that code alone); with few units, the codebook's texts too.
        docs = [u.terms for u in training.units]
        if len(docs) < MIN_IDF_UNITS:
            docs += list(self.def_terms.values())
        for terms in docs:
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        n = len(docs)
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.unseen_idf = math.log(n + 1) + 1.0
        known = set(self.index)
        self.vectors = [(pid, self.vec(terms), None) for pid, terms in self.def_terms.items() if terms]
        self.vectors += [(p.code, self.vec(p.terms), p) for p in training.passages if p.code in known and p.terms]
        # Term lookup: sorted hashes with their idf; every known term is a column of the units' rows, whatever
        # the vectors (the rows are then the same after a codebook change, and a re-run reuses them). A term
        # the IDF has never seen is in no unit row's columns, so the vectors leave it out too.
        keys = np.array(sorted(self.idf), dtype=np.uint64)
        self.keys = keys
        self.key_idf = np.array([self.idf[t] for t in keys.tolist()], dtype=np.float64)
        self.key_col = np.arange(len(keys), dtype=np.int64)
        col = {t: i for i, t in enumerate(keys.tolist())}
        rows, cols, vals = [], [], []
        for k, (_, vec, _) in enumerate(self.vectors):
            for t, w in vec.items():
                c = col.get(t)
                if c is not None:
                    rows.append(c)
                    cols.append(k)
                    vals.append(w)
        M = sp.csr_matrix((vals, (rows, cols)), shape=(len(col), len(self.vectors)), dtype=np.float64)
        prof = np.array([self.index[pid] for pid, _, _ in self.vectors], dtype=np.int64)
        self.order = np.argsort(prof, kind="stable")
        self.M = M[:, self.order].tocsr() if len(self.vectors) else M
        self.set_references(prof[self.order])
        # Dense for the products with the units' rows when small (sparse x dense sums each cosine over
        # the unit's terms in the same order as sparse x sparse: the same values, without the sparse result).
        self.M_dense = self.M.toarray() if self.M.shape[0] * self.M.shape[1] <= DENSE_CELLS else None
        self.col_term = keys

    def vec(self, terms: list[int]) -> dict[int, float]:
        """L2-normalised TF-IDF vector of *terms* (sublinear tf)."""
        v = {t: (1.0 + math.log(c)) * self.idf.get(t, self.unseen_idf) for t, c in _tf(terms).items()}
        norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
        return {t: w / norm for t, w in v.items()}

    def contributions(self, feats: Features, cols: Ints | None = None) -> tuple[Floats, SimilarityContext | None]:
        """(units x profiles) contributions (of the profiles *cols*, None: all), and the context of the
        evidence (:meth:`~qcode.suggest.references.NearestReference.nearest_contributions`)."""
        import numpy as np

        n = len(feats)
        if not self.vectors or not n:
            return np.zeros((n, len(self.profiles))), None
        U = self._rows(feats)
        M_dense, M = (self.M_dense, self.M) if cols is None else self._columns(cols)

        def product(a: int, b: int, idx: Any) -> Any:
            rows = U[a:b] if n > self.row_chunk else U  # (slicing a sparse matrix is not free)
            return rows @ M_dense if M_dense is not None else (rows @ M).toarray()

        C, D, E = self.nearest_contributions(n, cols, product)
        return C, (U, D, E)

    def _columns(self, cols: Ints) -> tuple[Any, Any]:
        """The columns of the vectors matrix (dense when it is) of the profiles *cols*' vectors; kept for the
        run's transcripts."""
        key = tuple(int(j) for j in cols)
        memo = self._columns_of
        if key not in memo:
            idx = self.segments(cols)[0]
            memo.clear()
            memo[key] = (None if self.M_dense is None else self.M_dense[:, idx], self.M[:, idx].tocsr())
        return memo[key]

    def _rows(self, feats: Features) -> sp.csr_matrix:
        """The units' TF-IDF rows."""
        return learn.tfidf_rows(feats.ptr, feats.terms, self.keys, self.key_col, self.key_idf, self.unseen_idf,
                                self.M.shape[0])

    def column_states(self) -> list[str]:
        import numpy as np

        head = digest(self.name, self.keys, self.key_idf, self.unseen_idf)
        Mc = self.M.tocsc()
        tails = self.tails()

        def state(a: int, b: int) -> tuple[Any, ...]:
            lo, hi = int(Mc.indptr[a]), int(Mc.indptr[b])
            terms, vals = self.col_term[Mc.indices[lo:hi]], Mc.data[lo:hi]
            # each vector's (term, weight) pairs in term order: the row numbers depend on the other vectors
            vec = np.repeat(np.arange(b - a), np.diff(Mc.indptr[a:b + 1]))
            o = np.lexsort((terms, vec))
            return np.diff(Mc.indptr[a:b + 1]), terms[o], vals[o], tails[a:b]

        return self.reference_states(head, state)

    def evidence_words(self, feats: Features, units: Ints, best: Ints, rows: Any) -> Flat:
        """The unit's terms by their share of the cosine (TF-IDF weight times the vector's)."""
        owner, idx = _ranges(rows.indptr[units], rows.indptr[units + 1])
        cols = rows.indices[idx]
        weight = rows.data[idx] * self._m_value(cols, best[owner])
        return _top_word_arrays(owner, weight, self.col_term[cols])

    def tail(self, k: int) -> str:
        """A codebook text: nothing; a coded passage: its coding id (or quote)."""
        passage = self.vectors[int(self.order[k])][2]
        return "" if passage is None else "," + passage_json(passage)

    def _m_value(self, rows: NDArray[np.integer[Any]], cols: Ints) -> Floats:
        """``M[rows, cols]`` elementwise (M is sparse)."""
        import numpy as np

        if not self.M.nnz or not len(rows):
            return np.zeros(len(rows))
        return np.asarray(self.M[rows, cols], dtype=np.float64).ravel()
