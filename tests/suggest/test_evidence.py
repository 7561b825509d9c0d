"""Compact stored evidence: rendered when read, it says which words, rules and coded passages made a score."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qcode.core.codebook import Code
from qcode.suggest.base import Training
from qcode.suggest.engine import add_training, top_pairs
from qcode.suggest.evidence import coding_ids, render
from tests.suggest.conftest import analyse_text, engine_for, evidence_many

CODES = [
    Code("c", {"": "Contract work"}, keywords={"": ("precarious", "no contract")},
         patterns=([{"LEMMA": "pay"}, {"LOWER": "per"}, {"LOWER": "task"}],),
         definition="Deadline and overtime pressure at night"),
    Code("d", {"": "Violent content"}, keywords={"": ("violent",)}),
]
TEXT = ("Contracts are precarious: we are paid per task, with no contract, deadlines and overtime.\n\n"
        "Night shifts labelling violent videos, deadlines every night.\n\n"
        "The canteen was fine.")


def _engine(en):
    engine = engine_for(en, CODES)
    training = Training()
    coded = "Overtime and deadlines at night made me exhausted."
    add_training(training, analyse_text(engine, coded, tid=9), [("c", 0, len(coded), 77, coded)])
    engine.fit(training)
    return engine


def test_stored_evidence_read_back_says_which_words_rules_and_coded_passage_made_each_score(en):
    from qcode.suggest.base import KEYWORD_WEIGHT, LABEL_WORD_WEIGHT, PATTERN_WEIGHT

    engine = _engine(en)
    a = analyse_text(engine, TEXT)
    t = engine.table(a)
    ii, jj = np.nonzero(t.score > 0)
    pairs = [(i, engine.codes[j]) for i, j in zip(ii.tolist(), jj.tolist(), strict=True)]
    assert pairs == [(0, "c"), (1, "c"), (1, "d")]  # the canteen turn has nothing of either code
    stored = engine.compact_many(t, ii, jj)
    rendered = evidence_many(engine, t, ii, jj)
    ev = dict(zip(pairs, rendered, strict=True))
    for k, e in enumerate(rendered):
        cs = [s["contribution"] for s in e["signals"]]
        assert cs == sorted(cs, reverse=True)  # strongest first
        assert float(t.score[ii[k], jj[k]]) == pytest.approx(1 - np.prod([1 - c for c in cs]), abs=1e-3)  # noisy-or
        assert e["summary"].startswith(e["signals"][0]["detail"][:40])
        assert len(stored[k]) < len(json.dumps(e))
    first = ev[(0, "c")]
    assert [s["name"] for s in first["signals"]] == ["qcode.lemma_keywords.v2", "qcode.patterns.v2", "qcode.similarity.v1"]
    # two keywords and the label word "contract": a noisy-or of their weights
    assert first["signals"][0]["contribution"] == pytest.approx(
        1 - (1 - KEYWORD_WEIGHT) ** 2 * (1 - LABEL_WORD_WEIGHT), abs=1e-4)
    assert 'keyword "precarious"' in first["signals"][0]["detail"] and 'keyword "no contract"' in first["signals"][0]["detail"]
    assert first["signals"][1] == {"name": "qcode.patterns.v2", "contribution": PATTERN_WEIGHT,
                                   "detail": 'pattern c#1 matched "paid per task"'}
    assert {"Contracts", "precarious", "paid per task", "no contract"} <= {TEXT[s:e] for s, e in first["spans"]}
    night = ev[(1, "c")]  # no keyword of c: only the passage coded with c (coding 77) is like it
    coded = "Overtime and deadlines at night made me exhausted."
    assert [s["name"] for s in night["signals"]] == ["qcode.similarity.v1"]
    assert night["similar"]["coding_id"] == 77 and night["similar"]["quote"] == coded
    assert f'"{coded}"' in night["signals"][0]["detail"]
    assert {TEXT[s:e].lower() for s, e in night["spans"]} == {"night", "deadlines"}
    violent = ev[(1, "d")]
    assert violent["signals"][0] == {"name": "qcode.lemma_keywords.v2", "contribution": KEYWORD_WEIGHT, "detail": 'keyword "violent"'}
    assert [TEXT[s:e] for s, e in violent["spans"]] == ["violent"]


def test_render_by_hand():
    quote = "We were paid per task, unstable work."
    ev = {"q": 1, "sp": [8, 21, 23, 31],
          "sg": [["k", 0.55, [[0, "unstable", 23, 31]]], ["p", 0.6, [["pay#1", 8, 21]]],
                 ["s", 0.2, [0.31, ["task"], 5]]]}
    out = render(ev, quote, 100, {5: "An earlier coded passage"}.get)
    assert out["spans"] == [[108, 121], [123, 131]]
    assert out["signals"][0] == {"name": "qcode.lemma_keywords.v2", "contribution": 0.55,
                                 "detail": 'keyword "unstable"'}
    assert out["signals"][1]["detail"] == 'pattern pay#1 matched "paid per task"'
    assert out["signals"][2]["detail"] == 'similar to a passage coded with this code: "An earlier coded passage" (cosine 0.31), sharing "task"'
    assert out["similar"] == {"coding_id": 5, "quote": "An earlier coded passage", "similarity": 0.31}
    assert out["summary"].startswith('keyword "unstable" | pattern pay#1 matched "paid per task" | similar to')
    assert coding_ids(ev) == {5}
    gone = render(ev, quote, 100, {}.get)  # the coding was deleted since
    assert gone["signals"][2]["detail"].startswith("similar to a passage once coded with this code (since deleted)")
    old = {"summary": "x", "spans": [], "signals": []}
    assert render(old, quote, 0) is old


def test_top_pairs_keeps_the_best_k_per_unit_ties_by_code_id():
    score = np.array([[0.9, 0.6, 0.6, 0.7], [0.2, 0.0, 0.8, 0.1], [0.0, 0.0, 0.0, 0.0]])
    eligible = score >= 0.5
    ii, jj = top_pairs(score, eligible, 2, ["a", "z", "b", "c"])
    got = sorted(zip(ii.tolist(), jj.tolist(), strict=True))
    assert got == [(0, 0), (0, 3), (1, 2)]
    ii, jj = top_pairs(score, eligible, 3, ["a", "z", "b", "c"])
    assert sorted(zip(ii.tolist(), jj.tolist(), strict=True)) == [(0, 0), (0, 2), (0, 3), (1, 2)]  # "b" before "z" at 0.6
    ii, _ = top_pairs(score, eligible, None, ["a", "z", "b", "c"])
    assert len(ii) == 5


def test_join_groups_joins_each_group_and_keeps_empty_ones():
    import numpy as np

    from qcode.suggest.model_signals import join_groups

    assert join_groups(np.array([0, 0, 2, 2, 2, 4]), ["a", "b", '"c"', "d", "", "f"], 6) == ["a,b", "", '"c",d,', "", "f", ""]
    assert join_groups(np.array([1]), ["x"], 3) == ["", "x", ""]
    assert join_groups(np.zeros(0, dtype=np.int64), [], 2) == ["", ""]


def test_keyword_evidence_names_the_found_form_only_when_it_differs():
    quote = "No contract, and the contracts I had were Unstable."
    ev = {"q": 1, "sp": [], "sg": [["k", 0.5, [[0, "no contract", 0, 11], [0, "contract", 21, 30], [0, "unstable", 42, 50],
                                              [1, "Contract", 0, 11]]]]}
    detail = render(ev, quote, 0)["signals"][0]["detail"]
    # a case difference is not a different form; a plural is
    assert detail == 'keyword "no contract"; keyword "contract" (found "contracts"); keyword "unstable"; label word "Contract" (found "No contract")'


def test_why_lines_say_each_thing_once():
    from qcode.usecases.suggesting import why_lines

    quote = "No contract, they paid per task."
    ev = {"q": 1, "sp": [], "sg": [["k", 0.5, [[0, "no contract", 0, 11]]], ["p", 0.4, [["job-instability#1", 0, 11]]],
                                   ["s", 0.2, [0.4, ["task"], 5]], ["x.new", 0.1, "data"]]}
    lines = why_lines(render(ev, quote, 0, {5: "paid per task, never sure"}.get))
    assert lines == ['keyword "no contract"', 'pattern job-instability#1 matched "No contract"',
                     'similar to a passage coded with this code: "paid per task, never sure" (cosine 0.40), sharing "task"',
                     "x.new: data"]  # a signal this version does not know is still named
