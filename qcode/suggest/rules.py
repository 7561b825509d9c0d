"""Rule signals: codebook keywords/labels on lemmas, and token patterns.

Each rule signal contributes :class:`Rule` records and a spaCy matcher. The
engine runs the matchers over a transcript's parsed turns once and keeps the
matches as arrays (:class:`Matches`: unit, rule, absolute offsets), which is
what the score and the evidence are computed from, so matches can be cached
without the documents.

Their evidence is faithful by construction: the matched tokens are the cause
of the contribution, and their offsets are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qcode.core.errors import SuggestError
from qcode.suggest.arrays import ranges
from qcode.suggest.base import (
    CodeProfile,
    Signal,
    register,
)

if TYPE_CHECKING:  # numpy is imported only inside functions
    import numpy as np
    from numpy.typing import NDArray

    Ints = NDArray[np.int64]

KEYWORD, LABEL_WORD, PATTERN = 0, 1, 2
KIND_NAMES = {KEYWORD: "keyword", LABEL_WORD: "label word"}


@dataclass(frozen=True)
class Rule:
    signal: str
    profile: int
    """Index of the code profile."""
    kind: int
    text: str
    """The keyword/label word as written, or the pattern id."""
    group: str
    """Matches of one (unit, profile) with the same group weigh once (same lemmas, or same pattern)."""


@dataclass(eq=False)
class Matches:
    """Rule matches of one transcript, sorted by (unit, profile, kind, token, -end)."""

    unit: Ints
    rule: Ints
    start: Ints
    end: Ints

    def __len__(self) -> int:
        return len(self.unit)


class RuleSignal(Signal):
    kind = "doc"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        self.rules: list[Rule] = []
        self.matcher: Any = None
        self.ids: dict[int, int] = {}
        """spaCy match id -> index in ``rules``."""
        self.index = {p.id: i for i, p in enumerate(profiles)}

    def rule_state(self, r: int) -> Any:
        """What rule *r* matches beyond its :class:`Rule` record (a code's match cache key is made of these)."""
        return None

    def state(self) -> Any:
        """What every rule of this signal depends on (the pipeline's settings read at construction)."""
        return None


MODALS = {
    "en": {"can", "could", "may", "might", "must", "shall", "should", "will", "would", "ought", "need"},
    "fr": {"devoir", "pouvoir", "vouloir", "falloir"},
    "de": {"müssen", "können", "dürfen", "sollen", "wollen", "mögen"},
    "es": {"deber", "poder", "querer"},
    "it": {"dovere", "potere", "volere"},
    "pt": {"dever", "poder", "querer"},
}
"""Modal verbs (lemmas): never evidence, whatever their form ("devrait", "should")."""
LABEL_STOPS = {
    "en": {"do", "make", "get", "go", "have", "be", "take", "put", "say", "use", "no", "not", "yes", "non", "thing",
           "way", "something", "lot", "kind", "sort", "like", "as"},
    "fr": {"faire", "passer", "non", "oui", "être", "avoir", "aller", "mettre", "dire", "prendre", "chose", "truc",
           "se", "pour", "comme", "ou"},
}
"""Words of a label that say nothing about the code on their own ("Se faire passer pour une machine")."""
NUMBER_WORDS = {
    "en": {"hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion", "dozen"},
    "fr": {"cent", "cents", "mille", "million", "millions", "milliard", "milliards", "vingt", "vingts", "douzaine"},
}
"""Words that are numbers in the language (besides what spaCy's ``like_num`` knows): "deux cents" is a number."""
IDIOMS = {
    "en": ["you know", "i mean", "kind of", "sort of", "wait and see", "let me see", "pay attention"],
    "fr": ["gagner du temps", "attendez voir", "attends voir", "attendre de voir", "tu vois", "vous voyez",
           "je veux dire", "faire attention", "en attendant", "par l' intermédiaire", "par l’ intermédiaire",
           "par l ' intermédiaire", "par son intermédiaire", "par leur intermédiaire", "par mon intermédiaire",
           "par ton intermédiaire", "par notre intermédiaire", "par votre intermédiaire"],
}
"""Fixed expressions whose words do not carry their usual sense: keywords inside them do not count,
unless the keyword is the whole expression. Words are tokens, matched on NORM ("par l' intermédiaire":
the tokenizer splits the elided article)."""
DETERMINER = {"en": "the", "fr": "le", "de": "das", "es": "el", "it": "il", "pt": "o", "nl": "het"}
"""Put before a one-word keyword to see whether the tagger reads it as a noun ("le revenu", not "revenir")."""
POS_GROUPS = {"NOUN": 1, "PROPN": 1, "VERB": 2, "AUX": 2, "ADJ": 3, "ADV": 4}


def has_tagger(nlp: Any) -> bool:
    return any(nlp.has_pipe(n) for n in ("tagger", "morphologizer"))


def is_number(token: Any, lang: str) -> bool:
    return bool(token.like_num) or token.lower_ in NUMBER_WORDS.get(lang, ())


@register
class LemmaKeywords(RuleSignal):
    """The code's keywords and labels (phrases) and the content words of its label, with sense.

    With a tagger, a keyword matches the tokens with its lemma *and* a
    compatible part of speech (a one-word keyword's part of speech is read in
    a determiner frame, so "revenu" is the noun, and "je suis revenu" does not
    match). Without one, a keyword matches its own form and the forms whose
    lookup lemma is that form ("contract": "contracts", "contracting";
    "revenu" does not match "revenir"). Modal verbs, numbers, function words
    and the label stop-words of :data:`LABEL_STOPS` are never evidence, and
    neither are keywords inside a fixed expression (:data:`IDIOMS`).
    """

    name = "qcode.lemma_keywords.v2"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from qcode.suggest.pipeline import parse

        nlp = info.nlp
        lang = info.lang
        strings = nlp.vocab.strings
        self.tagged = has_tagger(nlp)
        items: list[tuple[str, int, str]] = []
        for p in profiles:
            items.extend((p.id, KEYWORD, phrase) for phrase in p.phrases)
            items.extend((p.id, LABEL_WORD, w) for w in p.label_words)
        docs = list(parse(info, [t for _, _, t in items]))
        frames: dict[str, Any] = {}
        if self.tagged and lang in DETERMINER:
            single = sorted({t for (_, _, t), d in zip(items, docs, strict=True) if len(d) == 1})
            frames = dict(zip(single, parse(info, [f"{DETERMINER[lang]} {t}" for t in single]), strict=True))
        seqs: list[tuple[int, ...]] = []
        self.pos_group: list[int] = []
        for (pid, kind, text), doc in zip(items, docs, strict=True):
            content = [t for t in doc if not t.is_punct and not t.is_space]
            if not content or all(is_number(t, lang) for t in content):
                continue
            if kind == LABEL_WORD and (content[0].is_stop or not content[0].is_alpha
                                       or content[0].lower_ in LABEL_STOPS.get(lang, ())):
                continue
            if all(t.is_stop or t.lemma_.lower() in MODALS.get(lang, ()) or t.lower_ in MODALS.get(lang, ())
                   for t in content):
                continue
            group = 0
            if self.tagged:
                lemmas = [t.lemma_.lower() for t in doc]
                if len(doc) == 1:
                    frame = frames.get(text)
                    tok = frame[-1] if frame is not None and len(frame) == 2 else doc[0]
                    if doc[0].lemma_.lower() != doc[0].lower_ and POS_GROUPS.get(tok.pos_) in (1, 3):
                        lemmas = [tok.lemma_.lower()]  # read as a noun or adjective in the frame
                    else:
                        tok = doc[0]
                    group = POS_GROUPS.get(tok.pos_, 0)
            else:
                lemmas = [t.lower_ for t in doc]  # the form itself: inflections reach it through their lemma
            seq = tuple(strings.add(x) for x in lemmas)
            key = f"{pid}\x1f{KIND_NAMES[kind]}\x1f{text}"
            # A LEMMA phrase match has exactly the pattern's lemmas: two phrases with the same
            # lemmas (label "Piece rates", keyword "piece rate") weigh once.
            self.ids[strings.add(key)] = len(self.rules)
            self.rules.append(Rule(self.name, self.index[pid], kind, text, " ".join(t.lemma_.lower() for t in doc)))
            self.pos_group.append(group)
            seqs.append(seq)
        self._sequences(seqs)
        idioms = [tuple(strings.add(w) for w in i.split()) for i in IDIOMS.get(lang, ())]
        self.idioms = [i for i in idioms if i]

    def _sequences(self, sequences: list[tuple[int, ...]]) -> None:
        """The distinct hash sequences of the rules, each with its rules (in rule order), as phrase
        patterns of a ``PhraseMatcher`` on LEMMA and (without a tagger) one on NORM."""
        import numpy as np
        from spacy.attrs import LEMMA, NORM
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        vocab = self.info.nlp.vocab
        seqs: dict[tuple[int, ...], list[int]] = {}
        for r, seq in enumerate(sequences):
            seqs.setdefault(seq, []).append(r)
        self.seqs = list(seqs)
        self.seq_hashes = np.fromiter((h for seq in self.seqs for h in seq), dtype=np.uint64)
        self.seq_heads = np.r_[0, np.cumsum([len(seq) for seq in self.seqs])[:-1]].astype(np.int64)
        """Every phrase's hashes one after the other, and where each phrase begins (for :meth:`~qcode.suggest.ruleset.RuleSet.candidate`)."""
        self.rule_seq = list(sequences)
        """The lemma (or form) hash sequence of each rule."""
        counts = [len(r) for r in seqs.values()]
        self.seq_rules = np.array([r for rs in seqs.values() for r in rs], dtype=np.int64)
        self.seq_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.matchers = [PhraseMatcher(vocab, attr="LEMMA")] + ([] if self.tagged else [PhraseMatcher(vocab, attr="NORM")])
        seq_of: dict[int, int] = {}
        for k, seq in enumerate(self.seqs):
            values: Any = np.array(seq, dtype=np.uint64).reshape(-1, 1)  # thinc's Ints2d in spaCy's stubs
            key = f"{self.name}\x1fseq\x1f{k}"
            seq_of[vocab.strings.add(key)] = k
            for matcher, attr in zip(self.matchers, (LEMMA, NORM), strict=False):
                pattern = Doc(vocab, words=[vocab.strings[h] for h in seq])
                matcher.add(key, [pattern.from_array([attr], values)])
        self._seq_ids = np.array(sorted(seq_of), dtype=np.uint64)
        """The matchers' match ids (sorted), with the phrase number of each and each phrase's length."""
        self._seq_nos = np.array([seq_of[h] for h in self._seq_ids.tolist()], dtype=np.int64)
        self._seq_lens = np.array([len(q) for q in self.seqs], dtype=np.int64)

    def rule_state(self, r: int) -> Any:
        return (self.rule_seq[r], self.pos_group[r])

    def state(self) -> Any:
        return (self.tagged, self.idioms)

    def matches(self, docs: list[Any], tokens: Any) -> tuple[Ints, Ints, Ints]:
        """(rule, start token, end token) of the keyword matches in a transcript's turns, with sense (class doc)."""
        import numpy as np
        from spacy.parts_of_speech import IDS as POS_IDS

        r, a, b = self.find(docs, tokens.offset, self.matchers[0])
        if len(self.matchers) > 1:
            r2, a2, b2 = self.find(docs, tokens.offset, self.matchers[1])
            r, a, b = np.concatenate([r, r2]), np.concatenate([a, a2]), np.concatenate([b, b2])
            if len(r):
                _, first = np.unique(r.astype(np.int64) * (int(a.max()) + 1) + a, return_index=True)
                first.sort()
                r, a, b = r[first], a[first], b[first]
        if not len(r):
            return r, a, b
        keep = np.ones(len(r), dtype=bool)
        group = np.array(self.pos_group, dtype=np.int64)[r]
        if self.tagged and tokens.pos is not None and (group > 0).any():
            pos_group = np.zeros(max(POS_IDS.values()) + 1, dtype=np.int64)
            for name, g in POS_GROUPS.items():
                pos_group[POS_IDS[name]] = g
            tok_pos = tokens.pos[a].astype(np.int64)
            tok_group = np.where(tok_pos < len(pos_group), pos_group[np.minimum(tok_pos, len(pos_group) - 1)], 0)
            keep &= (group == 0) | (tok_pos == 0) | (tok_group == group)
        if self.idioms and tokens.norm is not None:
            for seq in self.idioms:
                _, ia, ib = _find_sequence(tokens.norm, tokens.offset, seq)
                for s0, e0 in zip(ia.tolist(), ib.tolist(), strict=True):
                    inside = (a < e0) & (b > s0) & ~((a <= s0) & (b >= e0))
                    keep &= ~inside
        return r[keep], a[keep], b[keep]

    def find(self, docs: list[Any], offsets: Ints, matcher: Any) -> tuple[Ints, Ints, Ints]:
        """(rule, start token, end token) of every phrase match of *matcher* in *docs* (token
        positions global: document *k* starts at ``offsets[k]``): single words by position, then
        each phrase's matches by position; the rules of one phrase in their order."""
        import numpy as np

        per_doc = [matcher(doc) if len(doc) else [] for doc in docs]
        n_found = np.array([len(x) for x in per_doc], dtype=np.int64)
        if not n_found.sum():
            z = np.zeros(0, dtype=np.int64)
            return z, z.copy(), z.copy()
        # (match id, start, end) of every match as one array; ids to phrase numbers through the sorted ids
        flat = np.array([t for x in per_doc for t in x], dtype=np.uint64).reshape(-1, 3)
        ids = self._seq_ids
        seq_no = self._seq_nos[np.searchsorted(ids, flat[:, 0])]
        arr = np.stack([flat[:, 1].astype(np.int64) + np.repeat(np.asarray(offsets[:len(docs)], dtype=np.int64), n_found),
                        seq_no], axis=1)
        lens = self._seq_lens
        multi = lens[arr[:, 1]] > 1
        arr = arr[np.lexsort((arr[:, 0], np.where(multi, arr[:, 1], -1), multi))]
        pos, seq = arr[:, 0], arr[:, 1]
        owner, idx = ranges(self.seq_ptr[seq], self.seq_ptr[seq + 1])
        return self.seq_rules[idx], pos[owner], pos[owner] + lens[seq[owner]]


@register
class Patterns(RuleSignal):
    name = "qcode.patterns.v2"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from spacy.matcher import Matcher

        self.matcher = Matcher(info.nlp.vocab)
        self.patterns: list[list[dict[str, Any]]] = []
        """The token pattern of each rule."""
        for p in profiles:
            for pat_id, pattern in p.patterns:
                key = f"{p.id}\x1f{pat_id}"
                try:
                    self.matcher.add(key, [pattern])
                except Exception as exc:  # spaCy raises several types for bad patterns
                    raise SuggestError(
                        f"Code '{p.id}': token pattern '{pat_id}' is not a valid spaCy pattern: {exc}",
                        hint="See https://spacy.io/usage/rule-based-matching for the pattern syntax.",
                    ) from exc
                self.ids[info.nlp.vocab.strings.add(key)] = len(self.rules)
                self.rules.append(Rule(self.name, self.index[p.id], PATTERN, pat_id, pat_id))
                self.patterns.append(pattern)

    def rule_state(self, r: int) -> Any:
        return repr(self.patterns[r])

    def state(self) -> Any:
        return self.info.lang  # numbers are never evidence: the language's number words


def _find_sequence(hashes: Any, offsets: Any, seq: tuple[int, ...]) -> tuple[Ints, Ints, Ints]:
    """(0, start, end) token ranges where *seq* occurs in *hashes* inside one document (``offsets``)."""
    import numpy as np

    hashes = np.asarray(hashes, dtype=np.uint64)
    n = len(seq)
    c = np.nonzero(hashes == np.uint64(seq[0]))[0]
    if len(c):
        offsets = np.asarray(offsets, dtype=np.int64)
        doc_end = offsets[np.searchsorted(offsets, c, side="right")]
        c = c[c + n <= doc_end]
    for t in range(1, n):
        if not len(c):
            break
        c = c[hashes[c + t] == np.uint64(seq[t])]
    return np.zeros(len(c), dtype=np.int64), c.astype(np.int64), (c + n).astype(np.int64)


def _empty_tokens() -> tuple[Ints, Ints, Ints, Ints]:
    import numpy as np

    z = np.zeros(0, dtype=np.int64)
    return z, z.copy(), z.copy(), z.copy()


def _empty_matches() -> Matches:
    import numpy as np

    z = np.zeros(0, dtype=np.int64)
    return Matches(z, z.copy(), z.copy(), z.copy())
