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

:func:`parse` is ``nlp.pipe``. Large corpora:
``qcode suggest --processes N`` (or ``[suggest] processes``) parses through
``nlp.pipe(n_process=N)``. It pays with a trained pipeline (the tagger
dominates) on a machine with free cores; for a blank pipeline spaCy's
multiprocessing costs more (every document is pickled back to the parent)
than it saves, so the default stays 1.

Every pipeline ends with qcode's ``qcode_lemma_case_v1`` component
(:class:`qcode.suggest.components.LemmaCase`): lookup lemmatizers do not
lowercase, so "Contracts" at the start of a sentence would keep the lemma
"Contracts"; the component gives such tokens the lemma of their lowercase
form, for both the codebook's phrases and the transcripts, so that matching
on LEMMA is case-insensitive.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from qcode.core.errors import SuggestError

TRAINED_CANDIDATES = ("{lang}_core_news_md", "{lang}_core_news_sm", "{lang}_core_web_md", "{lang}_core_web_sm")
SKIP_COMPONENTS = ("parser", "ner")
FILLERS = {
    "fr": ("euh", "heu", "euhm", "hum", "hm", "mh", "mhm", "mm", "hein", "bah", "ben", "beh", "pff"),
    "en": ("um", "umm", "uh", "uhm", "erm", "er", "hmm", "hm", "mm", "mmm", "mhm"),
    "de": ("äh", "ähm", "öh", "hm", "mhm", "mm"),
}
"""Hesitation fillers of transcribed speech, per language (others: ``hm``, ``mhm``, ``mm``). spaCy's stop
lists leave most of them out; qcode adds them, so that they weigh as function words in the learned model
and are never evidence ("sharing euh")."""
FILLERS_VERSION = "fillers1"
"""Part of every pipeline's version (cache key): bump when :data:`FILLERS` changes."""

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
    _add_lemma_case(nlp)
    _mark_fillers(nlp, lang)
    meta = nlp.meta
    full = f"{meta.get('lang', lang)}_{meta.get('name', name)}"
    notes = [f"trained pipeline {full} {meta.get('version', '?')} (parser and NER not loaded: not needed)"]
    version = f"{meta.get('version', '?')}+{'-'.join(nlp.pipe_names)}+{FILLERS_VERSION}"
    return PipelineInfo(nlp, full, version, lang, notes)


def _add_lemma_case(nlp: Any) -> None:
    import qcode.suggest.components  # noqa: F401  (registers qcode's components)

    nlp.add_pipe("qcode_lemma_case_v1")


def _mark_fillers(nlp: Any, lang: str) -> None:
    """Make the language's :data:`FILLERS` stop words: the ``stop_words`` set (which spaCy reads for new
    lexemes) and the lexemes already in the vocabulary, in lower, capitalised and upper case."""
    stops = nlp.Defaults.stop_words
    for word in FILLERS.get(lang, ("hm", "mhm", "mm")):
        stops.add(word)
        for form in {word, word.capitalize(), word.upper()}:
            nlp.vocab[form].is_stop = True


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
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        notes.append("lemmas from the spacy-lookups-data lookup table (context and part of speech ignored)")
        name = f"blank:{lang}+lookup"
    except Exception:  # any failure means "no lookup data for this language"
        if nlp.has_pipe("lemmatizer"):
            nlp.remove_pipe("lemmatizer")
        notes.append(f"no lemma data for '{lang}': matching uses lowercase word forms")
        name = f"blank:{lang}"
    nlp.add_pipe("sentencizer")
    _add_lemma_case(nlp)
    _mark_fillers(nlp, lang)
    notes.append("token patterns on POS/MORPH/DEP cannot match")
    try:
        lookups_version = importlib.metadata.version("spacy-lookups-data")
    except importlib.metadata.PackageNotFoundError:
        lookups_version = "none"
    version = f"spacy{spacy.__version__}+lookups{lookups_version}+{'-'.join(nlp.pipe_names)}+{FILLERS_VERSION}"
    return PipelineInfo(nlp, name, version, lang, notes)


def parse_is_cheap(info: PipelineInfo) -> bool:
    """Whether parsing with *info* costs about what writing and reading its result back from a ``DocBin``
    does: a blank pipeline (tokenizer, lookup lemmatizer, sentencizer). For 115,000 tokens ``DocBin.add``
    alone takes 0.27 s (it visits every token), so such parses are not cached
    (:meth:`qcode.suggest.engine.Engine.analyse`); a trained pipeline's are."""
    return info.name.startswith("blank:")


def parse(info: PipelineInfo, texts: Any, batch_size: int = 64, n_process: int = 1, as_tuples: bool = False) -> Any:
    """Parsed docs of *texts*: ``nlp.pipe`` (with ``n_process`` when above 1)."""
    kwargs: dict[str, Any] = {"batch_size": batch_size, "as_tuples": as_tuples}
    if n_process > 1:
        kwargs["n_process"] = n_process
    return info.nlp.pipe(texts, **kwargs)
