"""Choosing and loading a spaCy pipeline for a language, offline.

Order of preference for a language ``xx`` (nothing is ever downloaded):

1. the pipeline named in ``[suggest] pipeline`` of qcode.toml, when given
   (``"blank"`` forces the blank pipeline);
2. an installed trained pipeline: ``xx_core_news_md``, ``xx_core_news_sm``,
   ``xx_core_web_md``, ``xx_core_web_sm`` (md first: it has word vectors);
3. ``spacy.blank(xx)`` with the *lookup* lemmatizer from spacy-lookups-data
   and a rule-based sentencizer.

Trained pipelines are loaded without the parser and NER (suggestions do not
use them; they cost most of the time) and with the sentence recogniser on.
Every choice comes with notes saying what the pipeline lacks, so the user
knows why, for example, a POS pattern never matches.

For ``blank + lookup`` pipelines, :func:`parse` gives the same annotations as
``nlp.pipe`` followed by :func:`fix_lemmas`, but computes the lemmas and
sentence starts once per distinct word form with arrays instead of spaCy's
per-token Python loops: the tokenizer is then most of the cost.

Large corpora: ``qcode suggest --processes N`` (or ``[suggest] processes``)
parses through ``nlp.pipe(n_process=N)``. It pays with a trained pipeline
(the tagger dominates) on a machine with free cores. It does not pay for
``blank + lookup`` pipelines on a small machine: spaCy's multiprocessing
pickles every document back to the parent and leaves the array fast path,
so on 2 shared cores (load 13-19), over 489,000 words of survey answers,
the fast path parsed 29,000-30,000 words/s, ``nlp.pipe`` with one process
11,900 and ``nlp.pipe(n_process=2)`` 5,800-6,100 (``/tmp`` script in the
#12 closing note). The default stays 1.

Lookup lemmatizers do not lowercase: "Contracts" at the start of a sentence
keeps the lemma "Contracts". :func:`fix_lemmas` gives such tokens the lemma of
their lowercase form, for both the codebook's patterns and the transcripts,
so that matching on LEMMA is case-insensitive.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from qcode.core.errors import SuggestError
from qcode.suggest.arrays import HashIndex, unique

TRAINED_CANDIDATES = ("{lang}_core_news_md", "{lang}_core_news_sm", "{lang}_core_web_md", "{lang}_core_web_sm")
SKIP_COMPONENTS = ("parser", "ner")

_LOADED: dict[tuple[str, str], PipelineInfo] = {}
_LOCK = threading.Lock()


@dataclass
class PipelineInfo:
    """A loaded pipeline and what the user should know about it."""

    nlp: Any
    name: str
    """Short name shown to users, e.g. ``fr_core_news_sm`` or ``blank:en+lookup``."""
    version: str
    """Version string that changes whenever the parses could change (cache key)."""
    lang: str
    notes: list[str] = field(default_factory=list)
    has_vectors: bool = False
    lookup_table: Any = None
    """The spaCy lookup ``Table`` of the lemmatizer, when it uses one (for case fixes)."""

    @property
    def key(self) -> str:
        """A file-name-safe identifier of name and version (cache key part)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in f"{self.name}-{self.version}")
        return safe


def installed_trained(lang: str) -> list[str]:
    """Names of installed trained pipelines for *lang*, best first."""
    import spacy.util

    return [n for n in (c.format(lang=lang) for c in TRAINED_CANDIDATES) if spacy.util.is_package(n)]


def _key(lang: str, preferred: str | None) -> tuple[str, str]:
    return ((lang or "en").split("-")[0].split("_")[0].lower(), preferred or "")


def is_loaded(lang: str, preferred: str | None = None) -> bool:
    """Whether :func:`get_pipeline` already loaded this pipeline in this process (then it is instant)."""
    return _key(lang, preferred) in _LOADED


def get_pipeline(lang: str, preferred: str | None = None) -> PipelineInfo:
    """The pipeline for *lang* (loaded once per process and reused)."""
    key = _key(lang, preferred)
    lang = key[0]
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(lang, preferred)
        return _LOADED[key]


def _load(lang: str, preferred: str | None) -> PipelineInfo:
    import spacy
    import spacy.util

    if preferred and preferred != "blank":
        if not spacy.util.is_package(preferred):
            raise SuggestError(
                f"The spaCy pipeline '{preferred}' set in qcode.toml ([suggest] pipeline) is not installed.",
                hint=f"Install it (pip install {preferred.replace('_', '-')}), or remove the setting to use "
                "the best installed pipeline. qcode never downloads models by itself.",
            )
        return _load_trained(preferred, lang)
    if preferred != "blank":
        for name in installed_trained(lang):
            return _load_trained(name, lang)
    return _load_blank(lang)


def _load_trained(name: str, lang: str) -> PipelineInfo:
    import spacy

    nlp = spacy.load(name, exclude=list(SKIP_COMPONENTS))
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if not nlp.has_pipe("senter") and not nlp.has_pipe("sentencizer"):
        nlp.add_pipe("sentencizer")
    meta = nlp.meta
    full = f"{meta.get('lang', lang)}_{meta.get('name', name)}"
    has_vectors = bool(nlp.vocab.vectors.shape[0])
    notes = [f"trained pipeline {full} {meta.get('version', '?')} (parser and NER not loaded: not needed)"]
    version = f"{meta.get('version', '?')}+{'-'.join(nlp.pipe_names)}"
    return PipelineInfo(nlp, full, version, lang, notes, has_vectors, None)


def _load_blank(lang: str) -> PipelineInfo:
    import importlib.metadata

    import spacy

    try:
        nlp = spacy.blank(lang)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("spacy.lang"):
            # spaCy imports every package's registered factories: a stale entry point breaks all pipelines
            raise SuggestError(
                f"spaCy could not start: an installed package registers spaCy components from module '{exc.name}', "
                "which cannot be imported.",
                hint="Reinstall the package that provides it (for qcode itself: python3 -m pip install -e .).",
            ) from exc
        raise SuggestError(
            f"spaCy has no language '{lang}' (from the transcript's or project's language).",
            hint="Set the transcript language to an ISO 639-1 code spaCy knows (en, fr, de, es...).",
        ) from exc
    except (ImportError, KeyError) as exc:
        raise SuggestError(
            f"spaCy has no language '{lang}' (from the transcript's or project's language).",
            hint="Set the transcript language to an ISO 639-1 code spaCy knows (en, fr, de, es...).",
        ) from exc
    notes = [f"blank '{lang}' pipeline: no part-of-speech tags, morphology or parser"]
    table: dict[str, str] | None = None
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        lemmatizer: Any = nlp.get_pipe("lemmatizer")
        lookups = lemmatizer.lookups
        table = lookups.get_table("lemma_lookup") if lookups.has_table("lemma_lookup") else None
        notes.append("lemmas from the spacy-lookups-data lookup table (context and part of speech ignored)")
        name = f"blank:{lang}+lookup"
    except Exception:  # any failure means "no lookup data for this language"
        if nlp.has_pipe("lemmatizer"):
            nlp.remove_pipe("lemmatizer")
        notes.append(f"no lemma data for '{lang}': matching uses lowercase word forms")
        name = f"blank:{lang}"
    nlp.add_pipe("sentencizer")
    notes.append("token patterns on POS/MORPH/DEP cannot match")
    try:
        lookups_version = importlib.metadata.version("spacy-lookups-data")
    except importlib.metadata.PackageNotFoundError:
        lookups_version = "none"
    version = f"spacy{spacy.__version__}+lookups{lookups_version}"
    return PipelineInfo(nlp, name, version, lang, notes, False, table)


def fix_lemmas(doc: Any, info: PipelineInfo) -> Any:
    """Give tokens whose lemma is their capitalised form the lemma of the lowercase form.

    Works on arrays so the cost stays negligible next to parsing. Also fills in
    lowercase forms as lemmas when the pipeline has no lemmatizer at all.
    """
    import numpy as np
    from spacy.attrs import LEMMA, LOWER, ORTH

    if len(doc) == 0:
        return doc
    arr = doc.to_array([ORTH, LOWER, LEMMA])
    if not doc.has_annotation("LEMMA"):
        arr[:, 2] = arr[:, 1]
        doc.from_array([LEMMA], arr[:, 2:3].astype(np.uint64))
        return doc
    todo = np.nonzero((arr[:, 2] == arr[:, 0]) & (arr[:, 0] != arr[:, 1]))[0]
    if len(todo) == 0:
        return doc
    table = info.lookup_table
    for i in todo.tolist():
        tok = doc[i]
        lower = tok.lower_
        lemma = table.get(lower, lower) if table is not None else lower
        if isinstance(lemma, list | tuple):  # some tables list several lemmas: take the first
            lemma = lemma[0] if lemma else lower
        tok.lemma_ = lemma
    return doc


# ---------------------------------------------------------------- fast parse
class _FastBlank:
    """Lemmas and sentence starts of a blank pipeline computed per distinct word form.

    Equivalent to spaCy's lookup ``lemmatizer`` (``table.get(text, text)``,
    first of a list) followed by :func:`fix_lemmas`, and to the rule-based
    ``sentencizer`` (a sentence starts at the first non-punctuation token after
    a token in ``punct_chars``; other punctuation in between is skipped).
    """

    WORD, STOP, OTHER = 0, 1, 2

    def __init__(self, info: PipelineInfo) -> None:
        import numpy as np

        nlp = info.nlp
        self.nlp = nlp
        self.table = info.lookup_table
        self.has_lemmas = nlp.has_pipe("lemmatizer")
        sentencizer = nlp.get_pipe("sentencizer") if nlp.has_pipe("sentencizer") else None
        self.punct_chars = set(sentencizer.punct_chars) if sentencizer is not None else None
        # Known word forms (ORTH hashes) with their lemma hash and kind, in the order they were added.
        self.forms = HashIndex()
        self.lemmas = np.zeros(0, dtype=np.uint64)
        self.kinds = np.zeros(0, dtype=np.int8)
        self.lex = np.zeros((0, 3), dtype=np.uint64)
        """LENGTH, IS_ALPHA, IS_STOP of each known form (for the token table)."""

    @classmethod
    def applies(cls, info: PipelineInfo) -> bool:
        nlp = info.nlp
        names = list(nlp.pipe_names)
        if not info.name.startswith("blank:") or any(n not in ("lemmatizer", "sentencizer") for n in names):
            return False
        if "lemmatizer" in names:
            lem = nlp.get_pipe("lemmatizer")
            if lem.mode != "lookup" or lem.overwrite or info.lookup_table is None:
                return False
        if "sentencizer" in names and nlp.get_pipe("sentencizer").overwrite:
            return False
        return names[-1:] == ["sentencizer"] or "sentencizer" not in names

    def _entry(self, orth: int) -> tuple[int, int]:
        strings = self.nlp.vocab.strings
        text = strings[orth]
        lower = text.lower()
        if self.has_lemmas:
            lemma = self.table.get(text, text)
            if isinstance(lemma, list | tuple):
                lemma = lemma[0] if lemma else text
            if lemma == text and text != lower:
                lemma = self.table.get(lower, lower)
                if isinstance(lemma, list | tuple):
                    lemma = lemma[0] if lemma else lower
        else:
            lemma = lower
        if self.punct_chars is None:
            kind = self.OTHER
        elif text in self.punct_chars:
            kind = self.STOP
        elif self.nlp.vocab[orth].is_punct:
            kind = self.OTHER
        else:
            kind = self.WORD
        return strings.add(lemma), kind

    def _lookup(self, orth: Any) -> tuple[Any, Any, Any]:
        """Lemma hashes, kinds and form numbers of the ORTH hashes *orth* (learning new forms on the way)."""
        import numpy as np

        number = self.forms.find(orth)
        if (number < 0).any():
            new = unique(orth[number < 0])
            entries = [self._entry(h) for h in new.tolist()]
            self.forms.add(new)
            self.lemmas = np.concatenate([self.lemmas, np.array([e[0] for e in entries], dtype=np.uint64)])
            self.kinds = np.concatenate([self.kinds, np.array([e[1] for e in entries], dtype=np.int8)])
            lex = self.nlp.vocab
            flags = np.array([(len(x.orth_), x.is_alpha, x.is_stop) for x in (lex[h] for h in new.tolist())], dtype=np.uint64)
            self.lex = np.concatenate([self.lex, flags.reshape(-1, 3)])
            number = self.forms.find(orth)
        return self.lemmas[number], self.kinds[number], number

    def annotate_batch(self, docs: list[Any]) -> list[Any]:
        """Lemmas and sentence starts of *docs*, set on the docs and left in each doc's token table (``user_data``)."""
        import numpy as np
        from spacy.attrs import LEMMA, NORM, ORTH, SENT_START, SPACY

        from qcode.suggest.units import TABLE_ATTRS, TABLE_KEY

        assert len(TABLE_ATTRS) == 12
        docs_nz = [d for d in docs if len(d)]
        if not docs_nz:
            return docs
        lengths = np.array([len(d) for d in docs_nz], dtype=np.int64)
        if self.punct_chars is None:
            orth = np.concatenate([d.to_array(ORTH) for d in docs_nz])
        else:
            base = np.concatenate([d.to_array([ORTH, NORM, SPACY]).reshape(-1, 3) for d in docs_nz])
            orth = base[:, 0]
        lemmas, kinds, known = self._lookup(orth)
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        if self.punct_chars is None:
            for d, a, b in zip(docs_nz, bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
                d.from_array([LEMMA], lemmas[a:b].reshape(-1, 1))
            return docs
        n = len(orth)
        starts = np.full(n, -1, dtype=np.int64)
        starts[bounds[:-1]] = 1
        rel = np.nonzero(kinds != self.OTHER)[0]
        if len(rel) > 1:
            k = kinds[rel]
            doc_of = np.searchsorted(bounds, rel, side="right")
            turn = (k[1:] == self.WORD) & (k[:-1] == self.STOP) & (doc_of[1:] == doc_of[:-1])
            starts[rel[1:][turn]] = 1
        # The token table (units.TABLE_ATTRS) of each doc, as doc.to_array would give it after these
        # annotations: no tagger, so POS, TAG and MORPH are 0; IDX from the lengths and spaces.
        table = np.zeros((n, 12), dtype=np.uint64)
        table[:, 0:2] = base[:, 0:2]
        table[:, 2] = lemmas
        table[:, 3] = starts.astype(np.uint64)
        table[:, 7] = base[:, 2]
        flags = self.lex[known]
        table[:, 9:12] = flags
        step = (flags[:, 0] + base[:, 2]).astype(np.int64)
        ends = np.cumsum(step)
        table[:, 8] = (ends - step - np.repeat(ends[bounds[:-1]] - step[bounds[:-1]], lengths)).astype(np.uint64)
        for d, a, b in zip(docs_nz, bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            d.from_array([LEMMA, SENT_START], table[a:b, 2:4])
            d.user_data[TABLE_KEY] = table[a:b]
        return docs


_FAST: dict[int, _FastBlank | None] = {}


def parse_is_cheap(info: PipelineInfo) -> bool:
    """Whether parsing with *info* costs about what reading its result back from a ``DocBin`` does: a blank
    pipeline with only the lookup lemmatizer and the sentencizer. For 115,000 tokens: parsing 0.08 s, reading a
    ``DocBin`` 0.10 s, writing one 0.27 s (``DocBin.add`` visits every token), so such parses are not cached
    (:meth:`qcode.suggest.engine.Engine.analyse`); a trained pipeline's are."""
    key = id(info)
    if key not in _FAST:
        _FAST[key] = _FastBlank(info) if _FastBlank.applies(info) else None
    return _FAST[key] is not None


def parse(info: PipelineInfo, texts: Any, batch_size: int = 64, n_process: int = 1, as_tuples: bool = False) -> Any:
    """Parsed docs of *texts* (like ``nlp.pipe``, lemmas fixed by :func:`fix_lemmas`).

    Blank pipelines with the lookup lemmatizer and the sentencizer take the
    array fast path (same annotations); others go through ``nlp.pipe``.
    """
    nlp = info.nlp
    key = id(info)
    if key not in _FAST:
        _FAST[key] = _FastBlank(info) if _FastBlank.applies(info) else None
    fast = _FAST[key]
    if fast is None or n_process > 1:
        kwargs: dict[str, Any] = {"batch_size": batch_size, "as_tuples": as_tuples}
        if n_process > 1:
            kwargs["n_process"] = n_process
        if as_tuples:
            return ((fix_lemmas(d, info), ctx) for d, ctx in nlp.pipe(texts, **kwargs))
        return (fix_lemmas(d, info) for d in nlp.pipe(texts, **kwargs))
    if as_tuples:
        return _fast_batches(fast, texts, batch_size)
    return (d for d, _ in _fast_batches(fast, ((t, None) for t in texts), batch_size))


def _fast_batches(fast: _FastBlank, items: Any, batch_size: int) -> Any:
    from itertools import islice

    it = iter(items)
    tokenizer = fast.nlp.tokenizer
    while True:
        batch = list(islice(it, batch_size))
        if not batch:
            return
        docs = fast.annotate_batch([tokenizer(t) for t, _ in batch])
        yield from zip(docs, (c for _, c in batch), strict=True)
