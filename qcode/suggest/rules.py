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
from qcode.suggest.arrays import unique
from qcode.suggest.base import (
    KEYWORD_WEIGHT,
    LABEL_WORD_WEIGHT,
    PATTERN_WEIGHT,
    RULE_CAP,
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

    def fingerprint(self) -> str:
        return repr((self.name, self.rules))

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
           "je veux dire", "faire attention", "en attendant"],
}
"""Fixed expressions whose words do not carry their usual sense: keywords inside them do not count,
unless the keyword is the whole expression."""
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
        self.rule_seq = list(sequences)
        """The lemma (or form) hash sequence of each rule."""
        counts = [len(r) for r in seqs.values()]
        self.seq_rules = np.array([r for rs in seqs.values() for r in rs], dtype=np.int64)
        self.seq_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.matchers = [PhraseMatcher(vocab, attr="LEMMA")] + ([] if self.tagged else [PhraseMatcher(vocab, attr="NORM")])
        self.seq_of: dict[int, int] = {}
        for k, seq in enumerate(self.seqs):
            values: Any = np.array(seq, dtype=np.uint64).reshape(-1, 1)  # thinc's Ints2d in spaCy's stubs
            key = f"{self.name}\x1fseq\x1f{k}"
            self.seq_of[vocab.strings.add(key)] = k
            for matcher, attr in zip(self.matchers, (LEMMA, NORM), strict=False):
                pattern = Doc(vocab, words=[vocab.strings[h] for h in seq])
                matcher.add(key, [pattern.from_array([attr], values)])

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
                ir, ia, ib = _find_sequence(tokens.norm, tokens.offset, seq)
                for s0, e0 in zip(ia.tolist(), ib.tolist(), strict=True):
                    inside = (a < e0) & (b > s0) & ~((a <= s0) & (b >= e0))
                    keep &= ~inside
        return r[keep], a[keep], b[keep]

    def find(self, docs: list[Any], offsets: Ints, matcher: Any) -> tuple[Ints, Ints, Ints]:
        """(rule, start token, end token) of every phrase match of *matcher* in *docs* (token
        positions global: document *k* starts at ``offsets[k]``): single words by position, then
        each phrase's matches by position; the rules of one phrase in their order."""
        import numpy as np

        found = [(int(offsets[k]) + s, self.seq_of[m]) for k, doc in enumerate(docs) if len(doc)
                 for m, s, _ in matcher(doc)]
        if not found:
            z = np.zeros(0, dtype=np.int64)
            return z, z.copy(), z.copy()
        lens = np.array([len(q) for q in self.seqs], dtype=np.int64)
        arr = np.array(found, dtype=np.int64).reshape(-1, 2)
        multi = lens[arr[:, 1]] > 1
        arr = arr[np.lexsort((arr[:, 0], np.where(multi, arr[:, 1], -1), multi))]
        pos, seq = arr[:, 0], arr[:, 1]
        owner, idx = _expand(self.seq_ptr[seq], self.seq_ptr[seq + 1])
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


class RuleSet:
    """The rules of every enabled rule signal, as arrays, and the matching/scoring/explaining on them."""

    def __init__(self, signals: list[RuleSignal], n_profiles: int) -> None:
        import numpy as np

        self.signals = signals
        self.rules: list[Rule] = []
        self.offsets: list[int] = []
        for s in signals:
            self.offsets.append(len(self.rules))
            self.rules.extend(s.rules)
        groups: dict[str, int] = {}
        self.profile = np.array([r.profile for r in self.rules], dtype=np.int64)
        self.kind = np.array([r.kind for r in self.rules], dtype=np.int64)
        self.group = np.array([groups.setdefault(r.group, len(groups)) for r in self.rules], dtype=np.int64)
        self.n_groups = max(1, len(groups))
        self.n_profiles = n_profiles

    def fingerprint(self) -> str:
        return repr([s.fingerprint() for s in self.signals])

    def rule_keys(self) -> list[str]:
        """Per rule, a key of everything its own matches (:meth:`raw_matches`) depend on: the rule and its
        signal's settings. Equal keys, equal matches in the same parse, whatever the other rules."""
        import hashlib

        out = []
        for s in self.signals:
            head = (type(s).__name__, s.state())
            for r, rule in enumerate(s.rules):
                out.append(hashlib.sha256(repr((head, rule.kind, rule.text, rule.group, s.rule_state(r)))
                                          .encode("utf-8")).hexdigest()[:32])
        return out

    def rule_ids(self, codes: list[str]) -> NDArray[np.uint64]:
        """A 64-bit hash of each rule's identity (code, signal, kind, text, group), for the inputs key of a transcript's
        suggestions (the rule numbers change with the codebook; what a match says does not)."""
        import hashlib

        import numpy as np

        return np.array([int.from_bytes(hashlib.sha256(repr((codes[r.profile], r.signal, r.kind, r.text, r.group))
                                                       .encode("utf-8")).digest()[:8], "little") for r in self.rules],
                        dtype=np.uint64)

    def candidate(self, hashes: NDArray[np.uint64]) -> bool:
        """Whether these rules can match in a transcript whose tokens' LEMMA and NORM hashes are *hashes*
        (sorted): a phrase needs each of its hashes there; a token pattern may match anything."""
        import numpy as np

        for s in self.signals:
            if isinstance(s, LemmaKeywords):
                if not s.seqs:
                    continue
                if any(len(seq) == 0 for seq in s.seqs):
                    return True
                if not len(hashes):
                    continue
                # every hash of every phrase, looked up at once in the sorted hashes
                flat = np.fromiter((h for seq in s.seqs for h in seq), dtype=np.uint64)
                at = np.minimum(np.searchsorted(hashes, flat), len(hashes) - 1)
                found = hashes[at] == flat
                ends = np.cumsum([len(seq) for seq in s.seqs])
                missing = np.add.reduceat(~found, np.r_[0, ends[:-1]]) if len(flat) else np.zeros(0, dtype=np.int64)
                if (missing == 0).any():
                    return True
            elif s.rules:
                return True
        return False

    def match(self, docs: list[Any], tokens: Any) -> Matches:
        """Run every matcher over the turns and keep the matches as sorted arrays."""
        unit, rule, a, b = self.match_tokens(docs, tokens)
        return Matches(unit, rule, tokens.start[a], tokens.end[b - 1])

    def match_tokens(self, docs: list[Any], tokens: Any) -> tuple[Ints, Ints, Ints, Ints]:
        """(unit, rule, start token, end token) of the matches in the turns *docs*, token positions
        global (document *k* starts at ``tokens.offset[k]``), sorted by (unit, profile, kind, token, -end)."""
        unit, rule, a, b = self.raw_matches(docs, tokens)
        keep = self.ordered(unit, rule, a, b)
        return unit[keep], rule[keep], a[keep], b[keep]

    def raw_matches(self, docs: list[Any], tokens: Any) -> tuple[Ints, Ints, Ints, Ints]:
        """(unit, rule, start token, end token) of each rule's own matches inside a unit, before :meth:`ordered`:
        what one rule finds depends on that rule only (so they can be kept per rule)."""
        import numpy as np

        rows: list[tuple[int, int, int]] = []
        found: list[Any] = []
        offs = tokens.offset.tolist()
        for sig, base_rule in zip(self.signals, self.offsets, strict=True):
            if not sig.rules:
                continue
            ids, matcher = sig.ids, sig.matcher
            if isinstance(sig, LemmaKeywords):
                r, a, b = sig.matches(docs, tokens)
                if len(r):
                    found.append(np.stack([base_rule + r, a, b], axis=1))
                continue
            lang = sig.info.lang
            for k, doc in enumerate(docs):
                if not len(doc):
                    continue
                base = offs[k]
                rows.extend((base_rule + ids[m], base + a, base + b) for m, a, b in matcher(doc)
                            if not all(is_number(t, lang) for t in doc[a:b]))  # numbers are never evidence
        if rows:
            found.append(np.array(rows, dtype=np.int64).reshape(-1, 3))
        if not found:
            return _empty_tokens()
        raw = np.concatenate(found) if len(found) > 1 else found[0]
        if not len(raw):
            return _empty_tokens()
        rule, a, b = raw[:, 0], raw[:, 1], raw[:, 2]
        unit = np.searchsorted(tokens.unit_first, a, side="right") - 1
        ok = (unit >= 0) & (a < tokens.unit_last[np.maximum(unit, 0)])
        return unit[ok], rule[ok], a[ok], b[ok]

    def ordered(self, unit: Ints, rule: Ints, a: Ints, b: Ints) -> Ints:
        """Indices of the matches (:meth:`raw_matches`) kept, sorted by (unit, profile, kind, start, -end, rule).

        *a*/*b* are token positions (end exclusive) or character offsets (start of the first token, end of the
        last): the result is the same. A label word inside a keyword match of the same code counts once (as the
        keyword), and the same word matched by two label words of one code counts once too.
        """
        import numpy as np

        if not len(rule):
            return np.zeros(0, dtype=np.int64)
        prof, kind = self.profile[rule], self.kind[rule]
        # Rule order last: the matches of one code come out the same whether its rules were matched
        # with the whole codebook's or alone (the re-run after a codebook change matches only the
        # changed rules, :meth:`qcode.suggest.engine.Engine.analyse`).
        order = np.lexsort((rule, -b, a, kind, prof, unit))
        prof, kind, a, b = prof[order], kind[order], a[order], b[order]
        lw = kind == LABEL_WORD
        if not lw.any():
            return order
        big = np.int64(1 << 40)
        kw = np.nonzero(kind == KEYWORD)[0]
        key = prof * big + a
        drop = np.zeros(len(a), dtype=bool)
        if len(kw):
            ks = np.argsort(key[kw], kind="stable")
            kw_key = key[kw][ks]
            # the furthest end of the keyword matches of the code starting at or before each one
            reach = np.maximum.accumulate((prof * big + b)[kw][ks])
            at = np.searchsorted(kw_key, key, side="right") - 1
            drop = lw & (at >= 0) & (reach[np.maximum(at, 0)] > key)
        first = np.zeros(len(a), dtype=bool)
        idx = np.nonzero(lw & ~drop)[0]
        _, firsts = np.unique(key[idx], return_index=True)
        first[idx[firsts]] = True
        return order[~lw | first]

    def contributions(self, m: Matches, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(keywords, patterns): contribution arrays of shape (units, profiles)."""
        import numpy as np

        P = self.n_profiles
        K = np.zeros((n, P))
        T = np.zeros((n, P))
        if not len(m):
            return K, T
        prof, kind, group = self.profile[m.rule], self.kind[m.rule], self.group[m.rule]
        key = unique(((m.unit * P + prof) * 3 + kind) * self.n_groups + group)
        cell, kind_u = key // self.n_groups // 3, (key // self.n_groups) % 3
        # Only the cells with a match (a few per cent of units x codes) are computed; the others are 0.
        cells = unique(cell)
        at = np.searchsorted(cells, cell)
        counts = [np.bincount(at[kind_u == k], minlength=len(cells)) for k in (KEYWORD, LABEL_WORD, PATTERN)]
        # noisy-or of the distinct keywords and label words (and patterns) found in the unit
        kw = 1.0 - np.power(1.0 - KEYWORD_WEIGHT, counts[0]) * np.power(1.0 - LABEL_WORD_WEIGHT, counts[1])
        pt = 1.0 - np.power(1.0 - PATTERN_WEIGHT, counts[2])
        K.ravel()[cells] = np.minimum(kw, RULE_CAP)
        T.ravel()[cells] = np.minimum(pt, RULE_CAP)
        return K, T

    def explain_data(self, m: Matches, lo: int, hi: int, j: int) -> list[tuple[str, list[Any], list[tuple[int, int]]]]:
        """(signal, data, spans) of profile *j* from the matches ``lo:hi`` of one unit (absolute offsets).

        Keywords: ``(kind, text, start, end)`` of the first match of each group
        (keywords then label words); patterns: ``(pattern id, start, end)`` of
        the first match of each pattern (see :mod:`qcode.suggest.evidence`).
        """
        words: dict[tuple[int, str], tuple[int, str, int, int]] = {}
        pats: dict[str, tuple[str, int, int]] = {}
        kw_spans: set[tuple[int, int]] = set()
        pat_spans: set[tuple[int, int]] = set()
        rules = self.rules
        for r, s, e in zip(m.rule[lo:hi].tolist(), m.start[lo:hi].tolist(), m.end[lo:hi].tolist(), strict=True):
            rule = rules[r]
            if rule.profile != j:
                continue
            if rule.kind == PATTERN:
                pats.setdefault(rule.text, (rule.text, s, e))
                pat_spans.add((s, e))
            else:
                kind = 0 if rule.kind == KEYWORD else 1
                words.setdefault((kind, rule.group), (kind, rule.text, s, e))
                kw_spans.add((s, e))
        out: list[tuple[str, list[Any], list[tuple[int, int]]]] = []
        if words:
            found = list(words.values())
            out.append((LemmaKeywords.name, [w for w in found if w[0] == 0] + [w for w in found if w[0] == 1], sorted(kw_spans)))
        if pats:
            out.append((Patterns.name, list(pats.values()), sorted(pat_spans)))
        return out

    def explain_json(self, m: Matches, owner: Any, idx: Any, base: Any, n: int) -> dict[str, list[str | None]]:
        """Per rule signal, the compact evidence data (JSON text, or None) of *n* pairs.

        ``owner``/``idx``: the matches of each pair (pair number, index into
        *m*, pair-ascending, in match order); ``base``: each pair's unit start.
        Same content as :meth:`explain_data` (first match of each keyword
        group or pattern, keywords before label words), offsets relative.
        """
        import json

        import numpy as np

        if getattr(self, "_frag", None) is None:
            self._frag = [
                f"[{json.dumps(r.text, ensure_ascii=False)}," if r.kind == PATTERN
                else f"[{0 if r.kind == KEYWORD else 1},{json.dumps(r.text, ensure_ascii=False)},"
                for r in self.rules
            ]
        out: dict[str, list[str | None]] = {}
        if not len(idx):
            return out
        rule = m.rule[idx]
        kind = self.kind[rule]
        # first match of each (pair, kind, group) for keywords, of each (pair, rule) for patterns
        ident = np.where(kind == PATTERN, self.n_groups + rule, self.group[rule])
        key = (owner * 3 + kind) * (self.n_groups + len(self.rules)) + ident
        _, first = np.unique(key, return_index=True)
        first.sort()
        rel_s = (m.start[idx[first]] - base[owner[first]]).tolist()
        rel_e = (m.end[idx[first]] - base[owner[first]]).tolist()
        frag = self._frag
        parts: dict[str, dict[int, list[str]]] = {LemmaKeywords.name: {}, Patterns.name: {}}
        for o, r, k, s, e in zip(owner[first].tolist(), rule[first].tolist(), kind[first].tolist(), rel_s, rel_e, strict=True):
            parts[Patterns.name if k == PATTERN else LemmaKeywords.name].setdefault(o, []).append(f"{frag[r]}{s},{e}]")
        for name, by_pair in parts.items():
            if by_pair:
                col: list[str | None] = [None] * n
                for o, items in by_pair.items():
                    col[o] = "[" + ",".join(items) + "]"
                out[name] = col
        return out

    def explain(self, m: Matches, lo: int, hi: int, j: int, text: str) -> list[tuple[str, str, list[tuple[int, int]]]]:
        """(signal, detail, spans) of profile *j* from the matches ``lo:hi`` of one unit."""
        from qcode.suggest.evidence import keyword_detail, pattern_detail

        out = []
        for name, data, spans in self.explain_data(m, lo, hi, j):
            if name == LemmaKeywords.name:
                detail = keyword_detail([(kind, t, text[s:e]) for kind, t, s, e in data])
            else:
                detail = pattern_detail([(pid, text[s:e]) for pid, s, e in data])
            out.append((name, detail, spans))
        return out


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


def _expand(starts: Ints, ends: Ints) -> tuple[Ints, Ints]:
    """(owner, index): every index of the ranges ``starts[k]:ends[k]``, with its range number."""
    import numpy as np

    lens = (ends - starts).astype(np.int64)
    owner = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    index = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)
    return owner, index


def _empty_tokens() -> tuple[Ints, Ints, Ints, Ints]:
    import numpy as np

    z = np.zeros(0, dtype=np.int64)
    return z, z.copy(), z.copy(), z.copy()


def _empty_matches() -> Matches:
    import numpy as np

    z = np.zeros(0, dtype=np.int64)
    return Matches(z, z.copy(), z.copy(), z.copy())
