"""evaluate() on a tiny gold set whose figures are computed by hand below."""

from __future__ import annotations

import pytest

from qcode.core.errors import SuggestError
from qcode.core.transcript import Transcript, build_text
from qcode.usecases.coding import apply_code
from qcode.usecases.evaluation import evaluate
from qcode.usecases.project import Project

CODEBOOK = """\
qcode_codebook: 1
title: Gold
language: [en]
codes:
  - id: work
    label: Work
    children:
      - id: contracts
        label: Contracts
        keywords: {en: [contract]}
      - id: deadlines
        label: Deadlines
        keywords: {en: [deadline]}
  - id: pay
    label: Pay
    keywords: {en: [wage]}
"""

# (turn text, gold code or None)
T1 = [("They were contracting us weekly.", "contracts"), ("The deadline was tomorrow.", "deadlines"), ("Wages are low.", None)]
T2 = [("Contracts end every month.", "contracts"), ("We get paid little.", "pay"), ("Deadlines everywhere.", None)]
KEYWORDS_ONLY = ["qcode.lemma_keywords.v2"]


@pytest.fixture
def gold(tmp_path):
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    p = Project.init(tmp_path, codebook=tmp_path / "cb.yaml", language="en")
    for name, turns in (("t1", T1), ("t2", T2)):
        text, tt = build_text([("P", s, None, None) for s, _ in turns])
        p.store.transcripts.add(Transcript(name=name, title=name, text=text, turns=tt, language="en"))
        for (_, code), turn in zip(turns, tt, strict=True):
            if code:
                apply_code(p, name, turn.start, turn.end, code, coder="gold")
    yield p
    p.close()


def test_code_level_figures_match_the_hand_count(gold):
    # qcode (lemmas, keyword+label -> 0.55 >= 0.5):
    #   t1: "contracting"->contract TP contracts; "deadline" TP; "Wages"->wage FP pay
    #   t2: "Contracts" TP; "paid"->pay (label) TP pay; "Deadlines" FP deadlines
    #   TP 4, FP 2, FN 0 -> P 4/6, R 1, F1 0.8
    # baseline (case-insensitive words: contract, contracts, deadline, deadlines, wage, pay):
    #   t1: "contracting" no -> FN; "deadline" TP; "Wages" no
    #   t2: "Contracts" TP; "paid" no -> FN; "Deadlines" FP
    #   TP 2, FP 1, FN 2 -> P 2/3, R 1/2, F1 4/7
    r = evaluate(gold, folds=2, signals=KEYWORDS_ONLY)
    assert (r.transcripts, r.units, r.coded_units, r.folds) == (2, 6, 4, 2)
    assert not any("folds instead" in n for n in r.pipeline_notes)
    fewer = evaluate(gold, folds=5, signals=KEYWORDS_ONLY)  # 2 coded transcripts: 2 folds, and it says so
    assert fewer.folds == 2 and "2 folds instead of 5: only 2 transcripts have human codings" in " ".join(fewer.pipeline_notes)
    m = r.suggest.micro
    assert (m["tp"], m["fp"], m["fn"]) == (4, 2, 0)
    assert m["precision"] == pytest.approx(4 / 6) and m["recall"] == 1.0 and m["f1"] == pytest.approx(0.8)
    b = r.baseline.micro
    assert (b["tp"], b["fp"], b["fn"]) == (2, 1, 2)
    assert b["precision"] == pytest.approx(2 / 3) and b["recall"] == pytest.approx(0.5) and b["f1"] == pytest.approx(4 / 7)
    # macro over codes present in the gold: contracts 1.0, deadlines 2/3, pay 2/3
    assert r.suggest.macro["f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert r.suggest.per_code["deadlines"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 2 - 1, "predicted": 2, "tp": 1}
    )
    # top-3: all 4 coded units have their code ranked (qcode); baseline only 2 of 4
    assert r.suggest.top3_hit_rate == 1.0 and r.baseline.top3_hit_rate == 0.5
    assert r.ratio["micro_f1"] == pytest.approx(0.8 / (4 / 7))
    d = r.to_dict()
    assert set(d) >= {"unit", "depth", "folds", "words_per_second", "pipeline", "suggest", "baseline", "ratio"}
    assert d["pipeline"] == "blank:en+lookup" and d["words"] == 22  # 5+4+3 + 4+4+2


def test_theme_level_rolls_codes_up(gold):
    # contracts and deadlines become "work": same hand count as above (no unit has two codes)
    r = evaluate(gold, folds=2, depth=1, signals=KEYWORDS_ONLY)
    assert set(r.suggest.per_code) == {"work", "pay"}
    assert (r.suggest.micro["tp"], r.suggest.micro["fp"], r.suggest.micro["fn"]) == (4, 2, 0)
    assert (r.baseline.micro["tp"], r.baseline.micro["fp"], r.baseline.micro["fn"]) == (2, 1, 2)


def test_half_rule_turn_versus_sentence(tmp_path):
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    with Project.init(tmp_path, codebook=tmp_path / "cb.yaml") as p:
        for name in ("a", "b"):
            text, tt = build_text([("P", "Contracts end every month. The canteen is fine.", None, None)])
            p.store.transcripts.add(Transcript(name=name, title=name, text=text, turns=tt, language="en"))
            apply_code(p, name, 0, 26, "contracts", coder="gold")  # the first sentence only
        turn = evaluate(p, folds=2, signals=KEYWORDS_ONLY, unit="turn")
        sent = evaluate(p, folds=2, signals=KEYWORDS_ONLY, unit="sentence")
    # turn: the unit holds the whole coding -> coded; sentence: only the first sentence is
    assert (turn.units, turn.coded_units) == (2, 2)
    assert (sent.units, sent.coded_units) == (4, 2)
    assert sent.suggest.micro["fp"] == 0 and sent.suggest.micro["tp"] == 2


def test_bad_inputs(gold):
    with pytest.raises(SuggestError, match="unit"):
        evaluate(gold, unit="paragraph")
    with pytest.raises(SuggestError, match="folds"):
        evaluate(gold, folds=1)
    with pytest.raises(SuggestError, match="No coder named 'bob'"):
        evaluate(gold, coder="bob")


def test_needs_two_coded_transcripts(project):
    with pytest.raises(SuggestError, match="no human codings") as exc:
        evaluate(project)
    assert "accepting suggestions" not in str(exc.value)
    apply_code(project, "interview-01", 0, 10, "instability", origin="suggestion")
    with pytest.raises(SuggestError, match="The coding made by accepting a suggestion does not count"):
        evaluate(project)
    apply_code(project, "interview-01", 29, 99, "instability")
    with pytest.raises(SuggestError, match="at least 2 transcripts"):
        evaluate(project)


def test_datawork_survey_beats_the_keyword_baseline(shared_real, tmp_path):
    from tests.suggest.datawork import build_project

    with build_project(shared_real / "en" / "datawork_survey", tmp_path / "dw") as p:
        assert len(p.store.transcripts.summaries()) == 50
        r = evaluate(p, depth=1, folds=5)
        assert r.units == 206 and r.coded_units == 206
        assert r.suggest.micro["f1"] > r.baseline.micro["f1"]
        assert r.suggest.top3_hit_rate > r.baseline.top3_hit_rate
        # #12 targets at theme level, in the same run as the supervised baseline
        assert r.suggest.micro["f1"] >= max(0.30, r.supervised.micro["f1"])
        assert r.suggest.micro["precision"] >= 0.35


def test_per_unit_cap_counts_only_the_best_codes_of_a_unit(gold):
    # t3's only turn names two codes; both score 0.55 (keyword), the tie goes to the code id:
    # per_unit=1 keeps "contracts" (gold: TP) and drops "deadlines" (an FP without the cap).
    text, tt = build_text([("P", "The contract deadline passed.", None, None)])
    gold.store.transcripts.add(Transcript(name="t3", title="t3", text=text, turns=tt, language="en"))
    apply_code(gold, "t3", tt[0].start, tt[0].end, "contracts", coder="gold")
    free = evaluate(gold, folds=2, signals=KEYWORDS_ONLY, per_unit=0)
    capped = evaluate(gold, folds=2, signals=KEYWORDS_ONLY, per_unit=1)
    assert free.per_unit is None and capped.per_unit == 1
    assert (free.suggest.micro["tp"], free.suggest.micro["fp"]) == (5, 3)
    assert (capped.suggest.micro["tp"], capped.suggest.micro["fp"]) == (5, 2)
    assert capped.suggest.top3_hit_rate == free.suggest.top3_hit_rate == 1.0
    assert evaluate(gold, folds=2, signals=KEYWORDS_ONLY).per_unit == 3  # the default, as `qcode suggest`


def test_one_run_reports_qcode_and_both_baselines_with_curves_and_a_plot(gold, tmp_path):
    from qcode.usecases.evaluation import THRESHOLDS, plot

    r = evaluate(gold, folds=2, signals=KEYWORDS_ONLY)
    d = r.to_dict()
    for key in ("suggest", "baseline", "supervised"):
        assert set(d[key]) == {"micro", "macro", "top3_hit_rate", "per_code"}
        assert set(d[key]["micro"]) == {"precision", "recall", "f1", "tp", "fp", "fn"}
    # the same units for the three methods: every gold code is a TP or an FN of each
    gold_total = r.suggest.micro["tp"] + r.suggest.micro["fn"]
    assert gold_total == r.supervised.micro["tp"] + r.supervised.micro["fn"] == r.baseline.micro["tp"] + r.baseline.micro["fn"] == 4
    assert d["signals"] == KEYWORDS_ONLY
    assert set(d["ratio_supervised"]) == {"micro_f1", "macro_f1", "top3_hit_rate"}
    for method in ("suggest", "supervised"):
        pts = d["curves"][method]
        assert [p["threshold"] for p in pts] == list(THRESHOLDS)
        predicted = [p["predicted"] for p in pts]
        assert predicted == sorted(predicted, reverse=True)  # a higher threshold never predicts more
    # at 0.5 (the threshold used), the curve gives the headline figures
    at = next(p for p in d["curves"]["suggest"] if p["threshold"] == 0.5)
    assert at["f1"] == pytest.approx(r.suggest.micro["f1"])
    out = tmp_path / "pr.png"
    plot(r, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_supervised_baseline_learns_words_of_the_training_units():
    from qcode.suggest.baseline import SupervisedBaseline

    texts = ["the contract ended", "a short contract again", "my contract was cut", "we ate lunch", "lunch was good",
             "the weather is fine", "a new contract soon", "fine weather today"]
    labels = [{"c"}, {"c"}, {"c"}, set(), set(), set(), {"c"}, set()]
    model = SupervisedBaseline.fit(texts, labels)
    yes, no = model.scores(["another contract was signed", "lunch and weather"])
    assert yes["c"] >= 0.5 > no["c"]
    assert SupervisedBaseline.fit(["a b", "c d"], [set(), set()]).scores(["a"]) == [{}]


def test_cli_evaluate_prints_the_three_methods_and_draws_the_plot(gold, tmp_path):
    from click.testing import CliRunner

    from qcode.cli import cli

    out = tmp_path / "curve.png"
    res = CliRunner().invoke(cli, ["evaluate", "--folds", "3", "--plot", str(out), "--signal", KEYWORDS_ONLY[0],
                                   "-p", str(gold.root)])
    assert res.exit_code == 0, res.output
    for name in ("qcode suggestions", "supervised baseline", "keyword baseline"):
        assert name in res.output
    assert out.is_file()
    assert "  - 2 folds instead of 3" in res.output  # the run's notes are printed


def test_pdpilot_interviews_meet_the_theme_level_targets(shared_real, tmp_path):
    """#12 targets on the shared PDPilot interviews (7 interviews coded by their author), turn units,
    5 folds by transcript: theme micro-F1 >= 0.30 and >= the supervised baseline of the same run,
    precision >= 0.35 at the default threshold."""
    from tests.suggest.pdpilot import build_project

    with build_project(shared_real / "en" / "pdpilot_interviews", tmp_path / "pd") as p:
        assert len(p.store.transcripts.summaries()) == 7
        assert len(p.store.codings.list()) == 262
        r = evaluate(p, depth=1, folds=5)
    assert r.transcripts == 7 and r.coded_units > 300
    assert r.suggest.micro["f1"] >= 0.30
    assert r.suggest.micro["f1"] >= r.supervised.micro["f1"]
    assert r.suggest.micro["precision"] >= 0.35
    assert r.suggest.micro["f1"] > r.baseline.micro["f1"]


def test_pdpilot_segments_are_placed_on_their_text(shared_real, tmp_path):
    import csv
    import re

    from tests.suggest.pdpilot import build_project

    folder = shared_real / "en" / "pdpilot_interviews"
    rows = list(csv.DictReader((folder / "coded_segments.csv").open(encoding="utf-8")))
    with build_project(folder, tmp_path / "pd") as p:
        codings = sorted(p.store.codings.list(), key=lambda c: c.id)
    assert len(codings) == len(rows)

    def words(t: str) -> list[str]:
        return [w for w in re.findall(r"[a-z0-9]+", t.lower()) if w not in ("dan", "participant")]

    placed = sum(sum(w in set(words(c.quote)) for w in words(r["segment"])) >= 0.8 * len(words(r["segment"]))
                 for c, r in zip(codings, rows, strict=True))
    assert placed == len(rows)  # every segment's words are in its coding
    assert all(not c.quote.startswith(("Dan:", "Participant:")) for c in codings)
