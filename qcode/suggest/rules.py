"""Rule signals: codebook keywords/labels on lemmas, and token patterns.

Their evidence is faithful by construction: the matched tokens are the cause
of the contribution, and their offsets are reported.
"""

from __future__ import annotations

from typing import Any

from qcode.core.errors import SuggestError
from qcode.suggest.base import (
    KEYWORD_WEIGHT,
    LABEL_WORD_WEIGHT,
    PATTERN_WEIGHT,
    RULE_CAP,
    CodeProfile,
    Hit,
    Signal,
    noisy_or,
    register,
    unit_of,
)
from qcode.suggest.units import Unit


@register
class LemmaKeywords(Signal):
    name = "qcode.lemma_keywords.v1"
    kind = "doc"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from spacy.matcher import PhraseMatcher

        from qcode.suggest.pipeline import fix_lemmas

        nlp = info.nlp
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.keys: dict[int, tuple[str, str, str, str]] = {}
        items: list[tuple[str, str, str]] = []
        for p in profiles:
            items.extend((p.id, "keyword", phrase) for phrase in p.phrases)
            items.extend((p.id, "label word", w) for w in p.label_words)
        texts = [t for _, _, t in items]
        for (pid, kind, text), doc in zip(items, nlp.pipe(texts), strict=True):
            fix_lemmas(doc, info)
            content = [t for t in doc if not t.is_punct and not t.is_space]
            if not content or (kind == "label word" and (content[0].is_stop or not content[0].is_alpha)):
                continue
            if kind == "keyword" and all(t.is_stop for t in content):
                continue
            key = f"{pid}\x1f{kind}\x1f{text}"
            # A LEMMA phrase match has exactly the pattern's lemmas: compute them once.
            self.keys[nlp.vocab.strings.add(key)] = (pid, kind, text, " ".join(t.lemma_ for t in doc))
            self.matcher.add(key, [doc])

    def doc_hits(self, doc: Any, offset: int, units: list[Unit]) -> list[list[Hit]]:
        out: list[list[Hit]] = [[] for _ in units]
        found: dict[tuple[int, str], dict[str, Any]] = {}
        raw = self.matcher(doc)
        if not raw:
            return out
        from spacy.attrs import IDX, LENGTH

        pos = doc.to_array([IDX, LENGTH])
        text_of = doc.text
        matches = sorted(raw, key=lambda m: (self.keys[m[0]][1] != "keyword", m[1], -m[2]))
        for match_id, a, b in matches:
            ui = unit_of(units, a)
            if ui is None:
                continue
            pid, kind, text, lemma_key = self.keys[match_id]
            slot = found.setdefault((ui, pid), {"keyword": {}, "label word": {}, "tokens": set(), "spans": []})
            if kind == "label word" and a in slot["tokens"]:
                continue  # already part of a keyword match: count it once
            # Two phrases with the same lemmas (label "Piece rates", keyword "piece rate"), or
            # the same phrase twice, weigh once; every occurrence is still evidence.
            s, e = int(pos[a, 0]), int(pos[b - 1, 0] + pos[b - 1, 1])
            slot[kind].setdefault(lemma_key, (text, text_of[s:e]))
            slot["tokens"].update(range(a, b))
            slot["spans"].append((offset + s, offset + e))
        for (ui, pid), slot in found.items():
            kw, lw = slot["keyword"], slot["label word"]
            weights = [KEYWORD_WEIGHT] * len(kw) + [LABEL_WORD_WEIGHT] * len(lw)
            parts = [f'keyword "{k}" ("{f}")' for k, f in kw.values()]
            parts += [f'label word "{k}" ("{f}")' for k, f in lw.values()]
            out[ui].append(Hit(pid, self.name, min(RULE_CAP, noisy_or(weights)), "; ".join(parts), sorted(set(slot["spans"]))))
        return out


@register
class Patterns(Signal):
    name = "qcode.patterns.v1"
    kind = "doc"

    def __init__(self, info: Any, profiles: list[CodeProfile]) -> None:
        super().__init__(info, profiles)
        from spacy.matcher import Matcher

        self.matcher = Matcher(info.nlp.vocab)
        self.keys: dict[int, tuple[str, str]] = {}
        for p in profiles:
            for pat_id, pattern in p.patterns:
                key = f"{p.id}\x1f{pat_id}"
                try:
                    self.matcher.add(key, [pattern])
                except Exception as exc:  # noqa: BLE001 - spaCy raises several types for bad patterns
                    raise SuggestError(
                        f"Code '{p.id}': token pattern '{pat_id}' is not a valid spaCy pattern: {exc}",
                        hint="See https://spacy.io/usage/rule-based-matching for the pattern syntax.",
                    ) from exc
                self.keys[info.nlp.vocab.strings.add(key)] = (p.id, pat_id)

    def doc_hits(self, doc: Any, offset: int, units: list[Unit]) -> list[list[Hit]]:
        out: list[list[Hit]] = [[] for _ in units]
        if not self.keys:
            return out
        found: dict[tuple[int, str], dict[str, Any]] = {}
        for match_id, a, b in self.matcher(doc):
            ui = unit_of(units, a)
            if ui is None:
                continue
            pid, pat_id = self.keys[match_id]
            slot = found.setdefault((ui, pid), {"ids": {}, "spans": []})
            span = doc[a:b]
            slot["ids"].setdefault(pat_id, span.text)
            slot["spans"].append((offset + span.start_char, offset + span.end_char))
        for (ui, pid), slot in found.items():
            detail = "; ".join(f'pattern {k} matched "{v}"' for k, v in slot["ids"].items())
            weight = min(RULE_CAP, noisy_or([PATTERN_WEIGHT] * len(slot["ids"])))
            out[ui].append(Hit(pid, self.name, weight, detail, sorted(set(slot["spans"]))))
        return out
