"""Base types and the registry of suggestion signals: named, versioned, individually switchable.

Every signal gives, for each (unit, code), a contribution in [0, 1) to the
score, and its evidence: a one-line detail and the offsets of the tokens
that caused it (:mod:`qcode.suggest.evidence`). The engine combines contributions with a noisy-or,
``score = 1 - prod(1 - c)``, so removing a signal's evidence can only lower
the score.

* ``qcode.lemma_keywords.v2``: the code's keywords and label (phrases) and the
  content words of its label, matched on LEMMA with a PhraseMatcher whose
  patterns went through the same pipeline;
* ``qcode.patterns.v2``: the code's spaCy Matcher token patterns;
* ``qcode.similarity.v1``: TF-IDF cosine over lemmas to the code's
  definition, inclusion note and examples, and to the nearest passage already
  coded with it;
* ``qcode.vectors.v1``: cosine of mean word vectors to the code's texts and
  to its nearest coded passage, when the pipeline has vectors
  (:mod:`qcode.suggest.vectors`);
* ``qcode.learned.v2``: a per-code linear model over lemma features
  (:mod:`qcode.suggest.learn`), on only for codes that pass the held-out gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from qcode.core.codebook import Codebook
from qcode.core.errors import SuggestError
from qcode.suggest.units import Unit

KEYWORD_WEIGHT = 0.55
LABEL_WORD_WEIGHT = 0.2
PATTERN_WEIGHT = 0.6
RULE_CAP = 0.95
SUPPORT_FACTOR = 0.1
"""For a code whose learned model passed its held-out check, the other signals' contributions are scaled by this."""


@dataclass
class CodeProfile:
    """What the signals know about one code (or one theme, when rolling up)."""

    id: str
    members: tuple[str, ...]
    phrases: list[str] = field(default_factory=list)
    """Keywords and labels, matched as whole phrases on lemmas."""
    label_words: list[str] = field(default_factory=list)
    patterns: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    """Label, definition, inclusion note and examples (for similarity)."""


@dataclass
class Passage:
    """A coded passage (or a rejected suggestion) used for learning."""

    code: str
    transcript_id: int
    start: int
    end: int
    terms: list[int]
    coding_id: int | None = None
    quote: str = ""


@dataclass
class Training:
    """What the model signals learn from (built by the engine)."""

    units: list[Unit] = field(default_factory=list)
    labels: list[set[str]] = field(default_factory=list)
    rule_codes: list[set[str]] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    rejected: list[Passage] = field(default_factory=list)


def build_profiles(codebook: Codebook, lang: str, depth: int | None = None, codes: Sequence[str] | None = None) -> list[CodeProfile]:
    """One profile per code (or per ancestor at *depth*), for transcripts in *lang*."""
    wanted = set(codes) if codes is not None else None
    by_id: dict[str, CodeProfile] = {}
    for code in codebook.codes:
        if code.retired or not code.codable:
            continue
        target = codebook.rollup(code.id, depth) if depth else code.id
        if wanted is not None and target not in wanted and code.id not in wanted:
            continue
        prof = by_id.setdefault(target, CodeProfile(target, ()))
        prof.members = (*prof.members, code.id)
        label = code.label.get(lang) or code.label.get("") or ""
        kws = [*code.keywords.get(lang, ()), *code.keywords.get("", ())]
        for phrase in [*kws, label]:
            phrase = phrase.strip()
            if phrase and phrase not in prof.phrases:
                prof.phrases.append(phrase)
        words = [w.strip(".,;:()'\"").lower() for w in label.replace("/", " ").replace("-", " ").split()]
        single = {k.lower() for k in kws if " " not in k.strip()}
        if len(words) > 1:
            for w in words:
                if len(w) >= 3 and w not in prof.label_words and w not in single:
                    prof.label_words.append(w)
        for i, pat in enumerate(code.patterns):
            if isinstance(pat, dict) and "pattern" in pat:
                prof.patterns.append((str(pat.get("id") or f"{code.id}#{i + 1}"), list(pat["pattern"])))
            elif isinstance(pat, list):
                prof.patterns.append((f"{code.id}#{i + 1}", pat))
            else:
                raise SuggestError(
                    f"Code '{code.id}': pattern {i + 1} is neither a list of token dicts nor "
                    "a mapping with 'pattern:'.",
                    hint="Write patterns as spaCy Matcher patterns, e.g. [{LEMMA: contract}, {LOWER: work}].",
                )
        prof.texts.extend(t for t in (label, code.definition, code.include, *code.examples) if t)
    return list(by_id.values())


# ---------------------------------------------------------------- registry
REGISTRY: dict[str, type[Signal]] = {}
DEFAULT_SIGNALS = (
    "qcode.lemma_keywords.v2", "qcode.patterns.v2", "qcode.similarity.v1", "qcode.vectors.v1", "qcode.learned.v2",
)
"""``qcode.vectors.v1`` is off by itself when the pipeline has no word vectors."""


def register(cls: type[Signal]) -> type[Signal]:
    REGISTRY[cls.name] = cls
    return cls


def make_signals(names: Sequence[str] | None, info: Any, profiles: list[CodeProfile]) -> list[Signal]:
    out = []
    for name in names or DEFAULT_SIGNALS:
        if name not in REGISTRY:
            raise SuggestError(
                f"Unknown suggestion signal '{name}'.", hint=f"Known signals: {', '.join(sorted(REGISTRY))}."
            )
        out.append(REGISTRY[name](info, profiles))
    return out


class Signal:
    """Base class. ``kind`` is ``doc`` (rule signals: matchers run on the parsed turns) or ``unit`` (terms only).

    Unit signals implement ``contributions(features) -> (array units x
    profiles, context)`` and ``explain(features, i, j, context, ...)``; rule
    signals contribute rules to :class:`qcode.suggest.ruleset.RuleSet`.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "unit"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        self.info = info
        self.profiles = profiles

    def fit(self, training: Training) -> None:
        """Learn from coded passages (model signals only)."""

    def contributions(self, feats: Any, cols: Any = None) -> tuple[Any, Any]:
        """(units x profiles) contributions, filled for the profiles *cols* only (None: all), and a context."""
        import numpy as np

        return np.zeros((len(feats), len(self.profiles))), None

    def column_states(self) -> list[str]:
        """Per profile, a key of everything its column of :meth:`contributions` and its evidence depend on
        (besides the units): equal keys, equal column, whatever the other profiles."""
        return [self.name] * len(self.profiles)

    def leads(self, code: str) -> bool:
        """True when this signal has proven itself for *code* (the others then only support it)."""
        return False

    def describe(self) -> list[str]:
        """Notes for the run report (e.g. which codes a model is on for)."""
        return []


def digest(*parts: Any) -> str:
    """A short SHA-256 of some arrays (their dtype, shape and bytes) and other values (their repr)."""
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    for x in parts:
        if isinstance(x, np.ndarray):
            a = np.ascontiguousarray(x)
            h.update(str((a.dtype.str, a.shape)).encode())
            h.update(a.tobytes())
        else:
            h.update(repr(x).encode("utf-8"))
        h.update(b"|")
    return h.hexdigest()[:32]
