"""Keywords match on lemmas: plural, feminine and conjugated forms, in English and French."""

from __future__ import annotations

import pytest

from qcode.core.codebook import Code
from tests.suggest.conftest import analyse_text, engine_for, rule_hits

KW = ["qcode.lemma_keywords.v2"]

EN_CASES = [
    # keyword, text, matched surface forms (in order) or [] when it must not match
    ("contract", "They signed new contracts last year.", ["contracts"]),
    ("contract", "Contracting is how they hire now.", ["Contracting"]),
    ("contract", "The firm contracted two agencies.", ["contracted"]),
    ("contract", "Ask the contractor.", []),
    ("precarious", "Precarious work everywhere.", ["Precarious"]),
    ("reject task", "They rejected tasks without a reason.", ["rejected tasks"]),
    ("reject task", "Tasks were never rejected.", []),
    ("worker", "Workers and one worker.", ["Workers", "worker"]),
]

FR_CASES = [
    ("précaire", "Des contrats précaires, vraiment.", ["précaires"]),
    ("instable", "Des revenus instables.", ["instables"]),
    ("instable", "Instable, voilà le mot.", ["Instable"]),
    ("instabilité", "Les instabilités du métier.", ["instabilités"]),
    ("payer", "Elle est payée à la pièce, ils sont payés mal.", ["payée", "payés"]),
    ("travailler", "Elle travaillait la nuit, ils travaillent encore.", ["travaillait", "travaillent"]),
    # A lemma is not a stem: the noun does not match the adjective (list both in the codebook).
    ("instable", "Une grande instabilité.", []),
]


def _matched(info, keyword: str, text: str) -> list[str]:
    engine = engine_for(info, [Code("c", {"": "Zzz"}, keywords={"": (keyword,)})], signals=KW)
    a = analyse_text(engine, text)
    hits = [h for hs in rule_hits(a) for h in hs if h.code == "c"]
    return [text[s:e] for h in hits for s, e in h.spans]


@pytest.mark.parametrize("keyword,text,expected", EN_CASES)
def test_english_lemma_keywords(en, keyword, text, expected):
    assert _matched(en, keyword, text) == expected


@pytest.mark.parametrize("keyword,text,expected", FR_CASES)
def test_french_lemma_keywords(fr, keyword, text, expected):
    assert _matched(fr, keyword, text) == expected


def test_keywords_of_other_languages_are_not_used(en):
    code = Code("c", {"": "Zzz"}, keywords={"fr": ("contrat",), "en": ("contract",)})
    engine = engine_for(en, [code], signals=KW)
    a = analyse_text(engine, "Un contrat. A contract.")
    [hit] = rule_hits(a)[0]
    assert [a_ for a_ in hit.spans] == [(14, 22)]


def test_label_words_weigh_less_than_keywords(en):
    code = Code("c", {"": "Job instability"}, keywords={"": ("precarious",)})
    engine = engine_for(en, [code], signals=KW)
    a = analyse_text(engine, "A precarious job.\n\nA job.")
    first = rule_hits(a)[0][0]
    second = rule_hits(a)[1][0]
    # keyword 0.55 and label word 0.2 combine by noisy-or: 1 - 0.45 * 0.8
    assert first.contribution == pytest.approx(1 - 0.45 * 0.8)
    assert second.contribution == pytest.approx(0.2)
    assert "label word" in second.detail


def test_duplicate_phrases_count_once(en):
    # The label "Piece rates" and the keyword "piece rate" have the same lemmas.
    code = Code("c", {"": "Piece rates"}, keywords={"": ("piece rate",)})
    engine = engine_for(en, [code], signals=KW)
    a = analyse_text(engine, "Piece rates again.")
    [hit] = rule_hits(a)[0]
    assert hit.contribution == pytest.approx(0.55)


def test_array_phrase_matching_equals_spacy_s_phrase_matchers(en):
    """Without a tagger, a keyword matches where spaCy's PhraseMatcher finds its form on NORM, or on
    LEMMA with the keyword's own form as its lemma (label and keyword with the same lemmas,
    overlapping phrases, phrases at turn ends)."""
    from spacy.matcher import PhraseMatcher

    from qcode.suggest.pipeline import parse
    from qcode.suggest.units import build_features

    codes = [
        Code("pay", {"": "Pay"}, keywords={"": ("pay", "piece rate", "Piece rates", "low pay", "pay")}),
        Code("rates", {"": "Piece rates"}, keywords={"": ("rate", "late payment", "payment")}),
        Code("late", {"": "Late payment of pay"}, keywords={"": ("payment of pay",)}),
    ]
    engine = engine_for(en, codes, signals=KW)
    turns_text = ["Low pay, piece rates and late payment of pay.", "Pay", "They pay piece", "rate. Payments pay late"]
    text = "\n\n".join(turns_text)
    spans, pos = [], 0
    for t in turns_text:
        spans.append((pos, pos + len(t)))
        pos += len(t) + 2
    docs = list(parse(en, [text[a:b] for a, b in spans]))
    _, tokens = build_features(1, spans, docs, "turn")
    arrays = engine.ruleset.match(docs, tokens)
    rules = engine.ruleset.rules
    got = {(rules[r].profile, rules[r].text, s, e) for r, s, e in zip(arrays.rule.tolist(), arrays.start.tolist(), arrays.end.tolist(), strict=True)}
    by_norm, by_lemma = PhraseMatcher(en.nlp.vocab, attr="NORM"), PhraseMatcher(en.nlp.vocab, attr="LEMMA")
    for r in rules:
        pattern = en.nlp.make_doc(r.text)
        for tok in pattern:
            tok.lemma_ = tok.norm_
        by_norm.add(f"{r.profile}|{r.text}", [pattern])
        by_lemma.add(f"{r.profile}|{r.text}", [pattern])
    want = set()
    for doc, (a, _) in zip(docs, spans, strict=True):
        for m, s, e in [*by_norm(doc), *by_lemma(doc)]:
            prof, rtext = en.nlp.vocab.strings[m].split("|")
            want.add((int(prof), rtext, a + doc[s].idx, a + doc[e - 1].idx + len(doc[e - 1])))
    # a label word inside a keyword match of the same code counts once (as the keyword)
    assert len(got) >= 10 and got <= want
    assert {w for w in want if rules[0].text != w[1]} - got <= {w for w in want if " " not in w[1] and any(
        g[0] == w[0] and g[2] <= w[2] and w[3] <= g[3] and g != w for g in got)}
    # "piece" at the end of one turn and "rate" at the start of the next do not match together
    assert not any(text[s:e] == "piece\n\nrate" for s, e in zip(arrays.start.tolist(), arrays.end.tolist(), strict=True))
