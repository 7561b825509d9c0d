"""Model signals: similarity over lemmas, and the learned per-code model.

Both work on unit *terms* (lemma hashes of content words, :class:`Features`),
so they run after the parsed documents are gone, on whole transcripts at once
with sparse matrices. Their evidence names the words that carried the weight
(with their offsets) and, for similarity, the nearest coded passage; removing
those words lowers the contribution. Evidence is only computed for the
suggestions that are kept.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from qcode.suggest import learn
from qcode.suggest.arrays import ranges as _ranges
from qcode.suggest.arrays import unique
from qcode.suggest.base import (
    CodeProfile,
    Passage,
    Signal,
    Training,
    digest,
    register,
    segment_states,
    segments_of,
)
from qcode.suggest.units import Features

if TYPE_CHECKING:  # numpy and SciPy are imported inside functions only
    import numpy as np
    import scipy.sparse as sp
    from numpy.typing import ArrayLike, NDArray
    from spacy.strings import StringStore

    from qcode.suggest.pipeline import PipelineInfo

    Ints = NDArray[np.int64]
    Hashes = NDArray[np.uint64]
    Floats = NDArray[np.float64]
    Flat = tuple[Ints, Hashes]
    """Words of some pairs in flat form: (pair, term), pair-ascending."""
    SimilarityContext = tuple[sp.csr_matrix, NDArray[np.float32]]
    """The units' TF-IDF rows and their cosines to every vector."""
    LearnedContext = tuple[sp.csr_matrix, Floats]
    """The units' feature rows and each code's (uncalibrated) probability."""

SIM_FLOOR = 0.12
"""Cosines below this contribute nothing (unrelated texts share a few words)."""
SIM_SCALE = 1.2
SIM_CAP = 0.7
MIN_CONTRIBUTION = 0.05
"""Smaller similarity contributions are not reported (they cannot change a suggestion)."""
LEARNED_FLOOR = 0.25
"""Calibrated learned scores below this (half the code's held-out threshold) contribute nothing."""
LEARNED_CAP = 0.95
MIN_IDF_UNITS = 200
"""With fewer units learned from, the similarity signal's IDF also counts the codebook's texts."""
EVIDENCE_WORDS = 6
ROW_CHUNK = 2048
DENSE_CELLS = 4_000_000
"""Terms x vectors of the similarity signal up to which it keeps them dense as well (32 MB)."""
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


def _top_words(owner: Ints, weight: NDArray[np.floating[Any]], term: Hashes, n_pairs: int) -> list[list[int]]:
    """Per pair, the terms of the EVIDENCE_WORDS largest positive weights (ties: larger hash first)."""
    return _word_lists(_top_word_arrays(owner, weight, term), n_pairs)


def _word_lists(flat: Flat, n_pairs: int) -> list[list[int]]:
    """Per pair, the terms of a (pair, term) flat form (pair-ascending)."""
    import numpy as np

    owner, terms = flat[0], flat[1].tolist()
    bounds = np.searchsorted(owner, np.arange(n_pairs + 1)).tolist()
    return [terms[bounds[k]:bounds[k + 1]] for k in range(n_pairs)]


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


def word_span_arrays(feats: Features, units: Ints, words: list[list[int]] | tuple[ArrayLike, ArrayLike]) -> tuple[Ints, Ints, Ints]:
    """(pair, start, end) of the tokens of unit ``units[k]`` whose term is in ``words[k]`` (text order per pair).

    *words*: a list per pair, or the flat form (pair, term) of two arrays.
    """
    import numpy as np

    owner, idx = _ranges(feats.ptr[units], feats.ptr[units + 1])
    if isinstance(words, tuple):
        w_owner, w_terms = np.asarray(words[0], dtype=np.int64), np.asarray(words[1], dtype=np.uint64)
    else:
        w_owner = np.repeat(np.arange(len(words), dtype=np.int64), [len(w) for w in words])
        w_terms = np.fromiter((t for w in words for t in w), dtype=np.uint64, count=len(w_owner))
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


def word_spans(feats: Features, units: ArrayLike, words: list[list[int]]) -> list[list[tuple[int, int]]]:
    """Per pair, the offsets of the tokens of unit ``units[k]`` whose term is in ``words[k]``."""
    import numpy as np

    us = np.asarray(units, dtype=np.int64)
    if not len(us):
        return []
    owner, a, b = word_span_arrays(feats, us, words)
    out: list[list[tuple[int, int]]] = [[] for _ in words]
    for o, x, y in zip(owner.tolist(), a.tolist(), b.tolist(), strict=True):
        out[o].append((x, y))
    return out


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
        self._rows_key: str | None = None
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
        sorted_prof = prof[self.order]
        self.seg_start = np.nonzero(np.r_[True, sorted_prof[1:] != sorted_prof[:-1]])[0] if len(prof) else prof
        self.seg_prof = sorted_prof[self.seg_start]
        self.seg_end = np.r_[self.seg_start[1:], len(prof)].astype(np.int64) if len(prof) else prof
        # Dense for the products with the units' rows when small (sparse x dense sums each cosine over
        # the unit's terms in the same order as sparse x sparse: the same values, without the sparse result).
        self.M_dense = self.M.toarray() if self.M.shape[0] * self.M.shape[1] <= DENSE_CELLS else None
        coo = self.M.tocoo()
        mk = coo.row.astype(np.int64) * self.M.shape[1] + coo.col
        o = np.argsort(mk)
        self.m_keys, self.m_vals = mk[o], coo.data[o]
        self.col_term = keys
        self.seg_of = {int(p): (int(a), int(b)) for p, a, b in zip(self.seg_prof, self.seg_start, self.seg_end, strict=True)}

    def vec(self, terms: list[int]) -> dict[int, float]:
        """L2-normalised TF-IDF vector of *terms* (sublinear tf)."""
        v = {t: (1.0 + math.log(c)) * self.idf.get(t, self.unseen_idf) for t, c in _tf(terms).items()}
        norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
        return {t: w / norm for t, w in v.items()}

    def rows_key(self) -> str:
        """A key of what the units' TF-IDF rows depend on besides the units (the IDF): equal keys, equal rows,
        which a re-run may then reuse (:meth:`contributions` *rows*)."""
        key = getattr(self, "_rows_key", None)
        if key is None:
            key = self._rows_key = digest(self.name, self.keys, self.key_idf, self.unseen_idf)
        return key

    def contributions(self, feats: Features, cols: Ints | None = None,
                      rows: sp.csr_matrix | None = None) -> tuple[Floats, SimilarityContext | None]:
        """(units x profiles) contributions (of the profiles *cols*, None: all), and the similarity matrix
        (kept for the evidence; only the columns of those profiles' vectors are filled). *rows*: the units'
        TF-IDF rows when known (computed with the same :meth:`rows_key`)."""
        import numpy as np

        n, P = len(feats), len(self.profiles)
        C = np.zeros((n, P))
        if not self.vectors or not n:
            return C, None
        if cols is None:
            idx, starts, profs = None, self.seg_start, self.seg_prof
            U = self._rows(feats)
            D = np.empty((n, self.M.shape[1]), dtype=np.float32)
            M_dense, M = self.M_dense, self.M
        else:
            idx, starts, profs, M_dense, M = self._columns(cols)
            U = rows if rows is not None else self._rows(feats)
            D = np.zeros((n, self.M.shape[1]), dtype=np.float32)
            if not len(idx):
                return C, (U, D)
        S = D if idx is None else np.empty((n, len(idx)), dtype=np.float32)
        for a in range(0, n, ROW_CHUNK):
            rows = U[a:a + ROW_CHUNK]
            S[a:a + ROW_CHUNK] = rows @ M_dense if M_dense is not None else (rows @ M).toarray()
        if idx is not None:
            D[:, idx] = S
        best = np.maximum.reduceat(S, starts, axis=1)
        contrib = np.minimum(SIM_CAP, (best - SIM_FLOOR) * SIM_SCALE)
        contrib[best < SIM_FLOOR + MIN_CONTRIBUTION / SIM_SCALE] = 0.0
        C[:, profs] = contrib
        return C, (U, D)

    def _columns(self, cols: Ints) -> tuple[Any, ...]:
        """For the profiles *cols*: their vectors (:func:`segments_of`) and the matching columns of the vectors
        matrix (dense when it is); kept for the run's transcripts."""

        key = tuple(int(j) for j in cols)
        memo = self._columns_of
        if key not in memo:
            idx, starts, profs = segments_of(self.seg_of, cols)
            memo.clear()
            memo[key] = (idx, starts, profs, None if self.M_dense is None else self.M_dense[:, idx], self.M[:, idx].tocsr())
        return memo[key]

    def _rows(self, feats: Features) -> sp.csr_matrix:
        """The units' TF-IDF rows."""
        return learn.tfidf_rows(feats.ptr, feats.terms, self.keys, self.key_col, self.key_idf, self.unseen_idf,
                                self.M.shape[0])

    def column_states(self) -> list[str]:
        import numpy as np

        head = digest(self.name, self.keys, self.key_idf, self.unseen_idf)
        Mc = self.M.tocsc()
        tails = self._tails()

        def state(a: int, b: int) -> tuple[Any, ...]:
            lo, hi = int(Mc.indptr[a]), int(Mc.indptr[b])
            terms, vals = self.col_term[Mc.indices[lo:hi]], Mc.data[lo:hi]
            # each vector's (term, weight) pairs in term order: the row numbers depend on the other vectors
            vec = np.repeat(np.arange(b - a), np.diff(Mc.indptr[a:b + 1]))
            o = np.lexsort((terms, vec))
            return np.diff(Mc.indptr[a:b + 1]), terms[o], vals[o], tails[a:b]

        return segment_states(head, len(self.profiles), self.seg_of, state)

    def explain_json_many(self, feats: Features, units: Ints, profs: Ints, ctx: SimilarityContext) -> tuple[list[str], Flat]:
        """(data as JSON text, words) of each (unit, profile) pair: the nearest vector and the words shared with it.

        The data is the compact evidence of :mod:`qcode.suggest.evidence`
        (``[cosine, lemmas]``, plus the coding id for a coded passage), written
        as JSON text directly because a run keeps tens of thousands of them.
        The words come in the flat form (pair, term) of :func:`word_span_arrays`.
        """
        import numpy as np

        U, D = ctx
        best = np.empty(len(units), dtype=np.int64)
        for j in unique(profs).tolist():
            sel = np.nonzero(profs == j)[0]
            a, b = self.seg_of[j]
            best[sel] = a + D[units[sel], a:b].argmax(axis=1)
        sims = np.round(D[units, best].astype(np.float64), 6).tolist()
        owner, idx = _ranges(U.indptr[units], U.indptr[units + 1])
        cols = U.indices[idx]
        weight = U.data[idx] * self._m_value(cols, best[owner])
        words = _top_word_arrays(owner, weight, self.col_term[cols])
        listed = word_json_groups(self.info.nlp.vocab.strings, words, len(units))
        tails = self._tails()
        frags = list(map("[{!r},[{}]{}]".format, sims, listed, map(tails.__getitem__, best.tolist())))
        return frags, words

    def _tails(self) -> list[str]:
        """Per vector (in sorted order), what follows the words in the evidence data."""

        tails: list[str] | None = getattr(self, "_tails_of", None)
        if tails is None or len(tails) != len(self.vectors):
            out: list[str] = []
            for pos in range(len(self.vectors)):
                _, _, passage = self.vectors[int(self.order[pos])]
                out.append("" if passage is None else "," + passage_json(passage))
            self._tails_of = tails = out
        return tails

    def explain_data_many(self, feats: Features, units: Ints, profs: Ints, ctx: SimilarityContext) -> list[tuple[list[Any], list[int]]]:
        """:meth:`explain_json_many` with the data as Python lists."""
        import json

        frags, words = self.explain_json_many(feats, units, profs, ctx)
        return [(json.loads(f), w) for f, w in zip(frags, _word_lists(words, len(frags)), strict=True)]

    def passage_quotes(self) -> dict[int, str]:
        """Quote of each coded passage learned from, by coding id."""
        return {p.coding_id: p.quote for _, _, p in self.vectors if p is not None and p.coding_id is not None}

    def explain_many(self, feats: Features, units: Ints, profs: Ints, ctx: SimilarityContext) -> list[tuple[str, list[int], dict[str, Any] | None]]:
        """(detail, words, similar) of each (unit, profile) pair (see :meth:`explain_data_many`)."""
        from qcode.suggest.evidence import similarity_detail

        quotes = self.passage_quotes()
        out: list[tuple[str, list[int], dict[str, Any] | None]] = []
        for data, words in self.explain_data_many(feats, units, profs, ctx):
            sim, listed = data[0], data[1]
            if len(data) < 3:
                out.append((similarity_detail(sim, listed, None, False), words, None))
                continue
            cid = data[2]
            quote = data[3] if len(data) >= 4 else quotes.get(cid, "")
            similar = {"coding_id": cid, "quote": quote, "similarity": round(sim, 4)}
            out.append((similarity_detail(sim, listed, quote, True), words, similar))
        return out

    def _m_value(self, rows: NDArray[np.integer[Any]], cols: Ints) -> Floats:
        """``M[rows, cols]`` elementwise (M is sparse)."""
        import numpy as np

        if not len(self.m_keys):
            return np.zeros(len(rows))
        key = rows.astype(np.int64) * self.M.shape[1] + cols
        pos = np.minimum(np.searchsorted(self.m_keys, key), len(self.m_keys) - 1)
        return np.where(self.m_keys[pos] == key, self.m_vals[pos], 0.0)

    def fingerprint(self) -> Any:
        return (self.name, sorted(self.def_terms.items()))


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

    def explain_data_many(self, feats: Features, units: Ints, profs: Ints, ctx: LearnedContext) -> list[tuple[list[Any], list[int]]]:
        """:meth:`explain_json_many` with the data as Python lists."""
        import json

        frags, words = self.explain_json_many(feats, units, profs, ctx)
        return [(json.loads(f), w) for f, w in zip(frags, _word_lists(words, len(frags)), strict=True)]

    def explain_many(self, feats: Features, units: Ints, profs: Ints, ctx: LearnedContext) -> list[tuple[str, list[int], None]]:
        """(detail, words, None) of each (unit, profile) pair (see :meth:`explain_data_many`)."""
        from qcode.suggest.evidence import learned_detail

        return [(learned_detail(*data), words, None) for data, words in self.explain_data_many(feats, units, profs, ctx)]

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
