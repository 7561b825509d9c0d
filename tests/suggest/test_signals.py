"""Patterns, similarity, the learned model's gate, and faithful evidence."""

from __future__ import annotations

import pytest

from qcode.core.codebook import Code
from qcode.core.errors import SuggestError
from qcode.suggest.base import Training
from qcode.suggest.engine import add_training
from tests.suggest.conftest import analyse_text, best, engine_for, rule_hits, scored

PATTERN_CASES = [
    # pattern, text, expected matched text or None
    ([{"LEMMA": "pay"}, {"LOWER": "per"}, {"LOWER": {"IN": ["task", "piece"]}}], "We are paid per task.", "paid per task"),
    ([{"LEMMA": "pay"}, {"LOWER": "per"}, {"LOWER": {"IN": ["task", "piece"]}}], "Paying per piece is common.", "Paying per piece"),
    ([{"LEMMA": "pay"}, {"LOWER": "per"}, {"LOWER": {"IN": ["task", "piece"]}}], "We pay for the task.", None),
    ([{"LOWER": "no"}, {"LOWER": "contract"}], "There was No contract at all.", "No contract"),
    ([{"LEMMA": "reject"}, {"IS_ALPHA": True, "OP": "?"}, {"LEMMA": "task"}], "they rejected my tasks", "rejected my tasks"),
]


@pytest.mark.parametrize("pattern,text,expected", PATTERN_CASES)
def test_token_patterns(en, pattern, text, expected):
    engine = engine_for(en, [Code("c", {"": "Zzz"}, patterns=(pattern,))], signals=["qcode.patterns.v2"])
    a = analyse_text(engine, text)
    hits = [h for hs in rule_hits(a) for h in hs]
    if expected is None:
        assert hits == []
    else:
        [h] = hits
        assert [text[s:e] for s, e in h.spans] == [expected]
        assert h.detail.startswith("pattern c#1 matched")


def test_named_pattern_and_bad_pattern(en):
    code = Code("c", {"": "Zzz"}, patterns=({"id": "no-contract", "pattern": [{"LOWER": "no"}, {"LOWER": "contract"}]},))
    engine = engine_for(en, [code], signals=["qcode.patterns.v2"])
    [h] = rule_hits(analyse_text(engine, "no contract"))[0]
    assert "no-contract" in h.detail
    with pytest.raises(SuggestError, match="'c'"):
        engine_for(en, [Code("c", {"": "Zzz"}, patterns=([{"NOT_AN_ATTR": "x"}],))], signals=["qcode.patterns.v2"])


def test_unknown_signal_is_a_clear_error(en):
    with pytest.raises(SuggestError, match="qcode.nope"):
        engine_for(en, [Code("c")], signals=["qcode.nope"])


def _remove(text: str, spans: list[list[int]] | list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(spans):
        out.append(text[pos:s])
        pos = max(pos, e)
    out.append(text[pos:])
    return "".join(out)


FAITHFUL = [
    (["qcode.lemma_keywords.v2"], "Contracts are precarious and unstable here."),
    (["qcode.patterns.v2"], "We are paid per task, every week."),
    (["qcode.similarity.v1"], "Deadlines and overtime pressure every single night."),
    (None, "Contracts are precarious, we are paid per task, deadlines and overtime pressure."),
]


@pytest.mark.parametrize("signals,text", FAITHFUL)
def test_removing_the_evidence_lowers_the_score(en, signals, text):
    code = Code(
        "c", {"": "Zzz"}, keywords={"": ("contract", "precarious")},
        patterns=([{"LEMMA": "pay"}, {"LOWER": "per"}, {"LOWER": "task"}],),
        definition="Deadline and overtime pressure at night",
    )
    engine = engine_for(en, [code], signals=signals)
    cand = best(engine, analyse_text(engine, text), "c")
    assert cand is not None and cand.score > 0
    ev = cand.evidence
    assert ev["spans"] and all(0 <= s < e <= len(text) for s, e in ev["spans"])
    assert sum(s["contribution"] for s in ev["signals"]) > 0
    stripped = _remove(text, ev["spans"])
    after = best(engine, analyse_text(engine, stripped), "c")
    assert (after.score if after else 0.0) < cand.score


def _training_corpus(engine, n_pos: int, n_neg: int):
    training = Training()
    pos = "The deadline was impossible and the overtime exhausting."
    neg = "The weather was nice and the canteen food was good."
    for i in range(n_pos + n_neg):
        text = pos if i < n_pos else neg
        a = analyse_text(engine, text, tid=100 + i)
        gold = [("c", 0, len(text), 1000 + i, text)] if i < n_pos else []
        add_training(training, a, gold)
    return training


def test_learned_model_stays_off_with_two_examples(en):
    engine = engine_for(en, [Code("c", {"": "Zzz"})], signals=["qcode.learned.v2"])
    engine.fit(_training_corpus(engine, 2, 20))
    a = analyse_text(engine, "An impossible deadline and more overtime.")
    assert scored(engine, a, 0) == []
    assert "off" in engine.notes()[0]


def test_a_code_with_too_few_examples_says_so(en):
    from qcode.suggest import learn

    engine = engine_for(en, [Code("c", {"": "Zzz"}), Code("d", {"": "Yyy"})], signals=["qcode.learned.v2"])
    training = _training_corpus(engine, 12, 24)
    for i in range(learn.MIN_POSITIVES - 1):  # d: one example fewer than needed
        text = "The parking lot was full again."
        a = analyse_text(engine, text, tid=500 + i)
        add_training(training, a, [("d", 0, len(text), 2000 + i, text)])
    engine.fit(training)
    notes = " ".join(engine.notes())
    assert "on for 1 of 2 codes (c)" in notes
    assert f"too few examples to learn from (under {learn.MIN_POSITIVES} coded units): d;" in notes
    a = analyse_text(engine, "The parking lot was full again.")
    assert all(c.code != "d" for c in scored(engine, a, 0))


def test_calibration_puts_each_code_s_held_out_threshold_at_one_half():
    import numpy as np

    from qcode.suggest.learn import calibrate

    P = np.array([[0.0, 0.0, 0.0], [0.2, 0.4, 0.8], [0.1, 0.7, 0.9], [1.0, 1.0, 1.0]])
    S = calibrate(P, [0.2, 0.4, 0.8])
    assert np.allclose(S[1], 0.5)  # each code's threshold -> 0.5
    assert np.allclose(S[0], 0.0) and np.allclose(S[3], 1.0)
    assert np.allclose(S[2], [0.25, 0.75, 0.75])
    assert np.all(np.diff(calibrate(np.linspace(0, 1, 11)[:, None], [0.3]), axis=0) >= 0)  # monotonic


def test_learned_model_turns_on_when_it_beats_chance_and_keywords(en):
    engine = engine_for(en, [Code("c", {"": "Zzz"})], signals=["qcode.learned.v2"])
    engine.fit(_training_corpus(engine, 12, 24))
    text = "An impossible deadline and more overtime."
    cand = best(engine, analyse_text(engine, text), "c")
    assert cand is not None and cand.score > 0.5
    [hit] = cand.hits
    words = {text[s:e].lower() for s, e in hit.spans}
    assert words <= {"impossible", "deadline", "overtime"} and words
    assert best(engine, analyse_text(engine, "The canteen food was good."), "c") is None
    assert "on for 1 of 1 codes (c)" in engine.notes()[0]


def test_similarity_names_the_nearest_coded_passage(en):
    engine = engine_for(en, [Code("c", {"": "Zzz"})], signals=["qcode.similarity.v1"])
    training = Training()
    text = "Night shifts of labelling violent videos left me unable to sleep."
    add_training(training, analyse_text(engine, text, tid=7), [("c", 0, len(text), 42, text)])
    engine.fit(training)
    cand = best(engine, analyse_text(engine, "Violent videos at night, I cannot sleep."), "c")
    assert cand is not None
    sim = cand.hits[0].similar
    assert sim["coding_id"] == 42 and sim["quote"] == text and 0 < sim["similarity"] <= 1
    # the evidence shows the similar passage's text, not its id
    assert f'similar to a passage coded with this code: "{text}"' in cand.hits[0].detail and "coding 42" not in cand.hits[0].detail


def test_similarity_is_the_same_with_the_vectors_kept_sparse_only(en, monkeypatch):
    import numpy as np

    from qcode.suggest import similarity

    codes = [Code("c", {"": "Night work"}, definition="Working at night, sleep."),
             Code("d", {"": "Pay"}, definition="Money, wages and the rate per task.")]
    text = "Night shifts of labelling violent videos left me unable to sleep.\n\nThe pay per task was low."
    found = []
    for cells in (similarity.DENSE_CELLS, 0):
        monkeypatch.setattr(similarity, "DENSE_CELLS", cells)
        engine = engine_for(en, codes, signals=["qcode.similarity.v1"])
        training = Training()
        add_training(training, analyse_text(engine, text, tid=7), [("c", 0, 66, 42, text[:66])])
        engine.fit(training)
        sim = next(s for s in engine.signals if s.name == "qcode.similarity.v1")
        assert (sim.M_dense is None) == (cells == 0)
        found.append(engine.table(analyse_text(engine, "At night I cannot sleep. The wages are low.")).score)
    assert np.array_equal(found[0], found[1]) and found[0].max() > 0
