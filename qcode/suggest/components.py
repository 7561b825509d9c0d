"""qcode's steps as registered spaCy components: lemmas of capitalised words, units and codebook matches.

qcode's own pipelines (:mod:`qcode.suggest.pipeline`) end with
``qcode_lemma_case_v1``: a lookup lemmatizer does not lowercase, so
"Contracts" at the start of a sentence keeps the lemma "Contracts"; the
component gives such tokens the lemma of their lowercase form, so that
matching on LEMMA is case-insensitive (for the codebook's phrases and the
transcripts alike).

A spaCy user can put them in any pipeline (importing this module registers
them; the package's ``spacy_factories`` entry points do so without an import)::

    nlp = spacy.load("fr_core_news_sm")
    nlp.add_pipe("qcode_units_v1", config={"mode": "auto"})
    nlp.add_pipe("qcode_codebook_matcher_v1", config={"codes": [
        {"id": "pay", "phrases": ["revenu", "salaire"], "patterns": [["rate", [{"LOWER": "per"}, {"LOWER": "task"}]]]},
    ]})
    doc = nlp(text)
    doc.spans["qcode_units"]    # the passages a researcher would code (sentence-like windows)
    doc.spans["qcode_matches"]  # keyword/pattern matches: label = code id, kb_id = the rule

* ``qcode_units_v1`` cuts a turn into units (:mod:`qcode.suggest.units`):
  the whole turn, or sentences and windows of at most
  :data:`~qcode.suggest.units.MAX_WINDOW_TOKENS` tokens ending at a preferred
  cut (``Doc._.qcode_cuts``: character offsets such as Transcriber ``<Sync>``
  times), else at a pause, else at the bound;
* ``qcode_codebook_matcher_v1`` runs the codebook's keywords (two
  ``PhraseMatcher``\\ s, on LEMMA and on NORM, with the sense filters of
  :class:`~qcode.suggest.rules.LemmaKeywords`) and token patterns (a
  ``Matcher``) inside each unit, with ``kb_id`` ``<signal>|<kind>|<text>``.

The engine computes the same units and matches (:func:`analyse_arrays`)
after the parse, on the documents of one transcript at a time, as arrays
rather than span groups: the parsed documents are cached without units and
matches (units depend on the unit mode, matches on the codebook).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from qcode.suggest.units import UNITS_KEY, UnitMode, token_table, turn_pieces

MATCHES_KEY = "qcode_matches"
"""``doc.spans`` key of the codebook matches (label: code id; kb_id: the rule)."""
CUTS_EXTENSION = "qcode_cuts"
"""``Doc._.qcode_cuts``: character offsets (in the doc) where a window should preferably end."""

if not Doc.has_extension(CUTS_EXTENSION):
    Doc.set_extension(CUTS_EXTENSION, default=None)


class LemmaCase:
    """``qcode_lemma_case_v1``: tokens whose lemma is their capitalised form get the lemma of the lowercase form.

    Works on arrays, so its cost stays small next to the lemmatizer's. The lowercase form's lemma comes from
    the pipeline's lookup table when its lemmatizer uses one (else it is the lowercase form). Without a
    lemmatizer, every token gets its lowercase form as lemma.
    """

    def __init__(self, nlp: Language) -> None:
        self.lemmatizer: Any = nlp.get_pipe("lemmatizer") if nlp.has_pipe("lemmatizer") else None

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None) -> None:
        """(``nlp.initialize()``) Find the lemmatizer again: it may have been added after this component."""
        if nlp is not None and nlp.has_pipe("lemmatizer"):
            self.lemmatizer = nlp.get_pipe("lemmatizer")

    def _table(self) -> Any:
        """The lemmatizer's lookup table, read when used: ``initialize()`` and ``spacy.load`` fill it in after
        the components are made."""
        lem = self.lemmatizer
        lookups = getattr(lem, "lookups", None)
        if getattr(lem, "mode", "") != "lookup" or lookups is None or not lookups.has_table("lemma_lookup"):
            return None
        return lookups.get_table("lemma_lookup")

    def __call__(self, doc: Doc) -> Doc:
        import numpy as np
        from spacy.attrs import LEMMA, LOWER, ORTH

        if len(doc) == 0:
            return doc
        arr = doc.to_array([ORTH, LOWER, LEMMA])
        if not doc.has_annotation("LEMMA"):
            lower: Any = arr[:, 1:2]  # spaCy's stubs want Ints2d: any 2-D integer array
            doc.from_array([LEMMA], lower)
            return doc
        todo = np.flatnonzero((arr[:, 2] == arr[:, 0]) & (arr[:, 0] != arr[:, 1])).tolist()
        table = self._table() if todo else None
        for i in todo:
            tok = doc[i]
            lower = tok.lower_
            lemma = table.get(lower, lower) if table is not None else lower
            if isinstance(lemma, list | tuple):  # some tables list several lemmas: take the first
                lemma = lemma[0] if lemma else lower
            tok.lemma_ = lemma
        return doc


class UnitSegmenter:
    """``qcode_units_v1``: sets ``doc.spans["qcode_units"]``, the units of a turn."""

    def __init__(self, mode: UnitMode = "auto") -> None:
        self.mode = mode

    def __call__(self, doc: Doc) -> Doc:
        self.set_units([doc])
        return doc

    def set_units(self, docs: list[Doc], tables: list[Any] | None = None) -> None:
        """Set the units span group of each of *docs* (*tables*: their token tables, when known)."""
        import numpy as np

        from qcode.suggest.units import TABLE_ATTRS, _pause_hashes

        if tables is None:
            tables = [token_table(doc) for doc in docs]
        filled = [t for t in tables if len(t)]
        norm = TABLE_ATTRS.index("NORM")
        pause = np.isin(np.concatenate(filled)[:, norm], _pause_hashes()) if filled else None
        o = 0
        for doc, table in zip(docs, tables, strict=True):
            n = len(table)
            pieces = turn_pieces(table, self.mode, doc._.get(CUTS_EXTENSION), pause[o:o + n] if pause is not None else None) if n else []
            o += n
            doc.spans[UNITS_KEY] = SpanGroup(doc, name=UNITS_KEY, spans=[doc[a:b] for a, b in pieces])


class CodebookMatcher:
    """``qcode_codebook_matcher_v1``: sets ``doc.spans["qcode_matches"]``, the codebook's matches in each unit."""

    def __init__(self, ruleset: Any) -> None:
        self.ruleset = ruleset
        self.labels: list[int] = []
        self.kb_ids: list[int] = []
        self.rule_of: dict[int, int] = {}
        """kb_id hash -> rule index."""
        seen: dict[str, int] = {}
        strings = ruleset.signals[0].info.nlp.vocab.strings if ruleset.signals else None
        profiles = ruleset.signals[0].profiles if ruleset.signals else []
        for r, rule in enumerate(ruleset.rules):
            kind = ("keyword", "label word", "pattern")[rule.kind]
            key = f"{rule.signal}|{kind}|{rule.text}"
            n = seen.get(key, 0)
            seen[key] = n + 1
            if n:
                key = f"{key}#{n + 1}"
            assert strings is not None
            self.kb_ids.append(strings.add(key))
            self.labels.append(strings.add(profiles[rule.profile].id))
            self.rule_of[self.kb_ids[-1]] = r

    def __call__(self, doc: Doc) -> Doc:
        from qcode.suggest.units import build_features

        if UNITS_KEY not in doc.spans:
            doc.spans[UNITS_KEY] = SpanGroup(doc, name=UNITS_KEY, spans=[doc[:]] if len(doc) else [])
        _, tokens = build_features(0, [(0, len(doc.text))], [doc], "turn")
        self.set_matches([doc], tokens)
        return doc

    def set_matches(self, docs: list[Doc], tokens: Any) -> None:
        """Set the matches span group of *docs* (one transcript's turns, with their :class:`~qcode.suggest.units.Tokens`)."""
        import numpy as np

        _, rule, a, b = self.ruleset.match_tokens(docs, tokens)
        offsets = tokens.offset
        doc_of = np.searchsorted(offsets, a, side="right") - 1
        bounds = np.searchsorted(doc_of, np.arange(len(docs) + 1))
        labels, kb_ids = self.labels, self.kb_ids
        for k, doc in enumerate(docs):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            base = int(offsets[k])
            spans = [Span(doc, s - base, e - base, label=labels[r], kb_id=kb_ids[r])
                     for r, s, e in zip(rule[lo:hi].tolist(), a[lo:hi].tolist(), b[lo:hi].tolist(), strict=True)]
            doc.spans[MATCHES_KEY] = SpanGroup(doc, name=MATCHES_KEY, spans=spans)

def analyse_arrays(
    transcript_id: int, turns: list[tuple[int, int]], docs: list[Doc], mode: UnitMode, ruleset: Any, tables: list[Any],
    cuts: Sequence[Sequence[int]] | None = None,
) -> tuple[Any, Any, Any, tuple[Any, Any, Any, Any]]:
    """What the two components compute, as arrays (no span objects): (features, tokens, matches, and each rule's
    own matches before the code-level steps, ``RuleSet.raw_matches`` with character offsets: what the engine's
    cache keeps per rule). *cuts*: per turn, the offsets (in the turn) where a window should preferably end.

    Span objects cost: over the datawork corpus (about 320 units and matches per 1,000 words) the span groups
    took 5-10 s per million words against about 2 s for the arrays, a tenth of a cold ``qcode suggest``;
    tests check that both give the same units and matches."""
    from qcode.suggest.rules import Matches
    from qcode.suggest.units import build_features

    feats, tokens = build_features(transcript_id, turns, docs, mode, tables, cuts)
    unit, rule, a, b = ruleset.raw_matches(docs, tokens)
    start, end = tokens.start[a], tokens.end[b - 1]
    keep = ruleset.ordered(unit, rule, a, b)
    return feats, tokens, Matches(unit[keep], rule[keep], start[keep], end[keep]), (unit, rule, start, end)


@Language.factory("qcode_lemma_case_v1", assigns=["token.lemma"])
def make_lemma_case(nlp: Language, name: str) -> LemmaCase:
    return LemmaCase(nlp)


@Language.factory("qcode_units_v1", default_config={"mode": "auto"}, assigns=["doc.spans"],
                  requires=["token.lemma", "token.is_sent_start"])
def make_units(nlp: Language, name: str, mode: UnitMode) -> UnitSegmenter:
    return UnitSegmenter(mode)


@Language.factory("qcode_codebook_matcher_v1", default_config={"codes": []}, assigns=["doc.spans"],
                  requires=["token.lemma"])
def make_codebook_matcher(nlp: Language, name: str, codes: list[dict[str, Any]]) -> CodebookMatcher:
    """*codes*: ``{"id", "phrases" (keywords and labels), "label_words", "patterns" ([id, pattern] pairs)}`` per code."""
    from qcode.suggest.base import CodeProfile
    from qcode.suggest.pipeline import PipelineInfo
    from qcode.suggest.rules import LemmaKeywords, Patterns
    from qcode.suggest.ruleset import RuleSet

    profiles = [CodeProfile(str(c["id"]), (str(c["id"]),), list(c.get("phrases", [])), list(c.get("label_words", [])),
                            [(str(i), p) for i, p in c.get("patterns", [])]) for c in codes]
    info = PipelineInfo(nlp, f"{nlp.lang}:{name}", "", str(nlp.lang))
    return CodebookMatcher(RuleSet([LemmaKeywords(info, profiles), Patterns(info, profiles)], len(profiles)))
