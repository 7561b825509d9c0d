"""Agreement statistics: published worked examples, hand-computed unit rules, the krippendorff package."""

from __future__ import annotations

import math
import random

import krippendorff
import numpy as np
import pytest

from qcode.core.agreement import (
    Clustered,
    alpha,
    bootstrap,
    cohen_kappa,
    draw,
    kappa,
    nominal_alpha,
    percent,
    reading,
    stacked,
    unit_table,
)
from qcode.core.agreement_units import Doc, disagreements, passages, reliability, summarize
from qcode.core.coding import Coding

NAN = np.nan

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the 4-observer,
# 12-unit example with missing values (also the krippendorff package's doctest):
# nominal alpha = 0.743.
KRIPP_4x12 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# The 3-coder, 15-unit example of the Wikipedia article on Krippendorff's alpha
# (krippendorff package test: nominal alpha = 0.691358).
WIKI_3x15 = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]
# Cohen (1960), Educational and Psychological Measurement 20(1), the worked example
# (200 cases, 3 categories): p_o = .70, p_c = .41, kappa = .49.
COHEN_1960 = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]


def _nan(data: list[list[int | None]]) -> list[list[float]]:
    return [[NAN if v is None else v for v in row] for row in data]


def test_krippendorffs_published_example_with_missing_values() -> None:
    assert round(nominal_alpha(KRIPP_4x12), 3) == 0.743
    assert nominal_alpha(KRIPP_4x12) == pytest.approx(krippendorff.alpha(_nan(KRIPP_4x12), level_of_measurement="nominal"), abs=1e-12)


def test_wikipedia_example_three_coders() -> None:
    assert round(nominal_alpha(WIKI_3x15), 6) == 0.691358


def test_cohens_1960_example() -> None:
    n = 200
    po = (88 + 40 + 12) / n
    pc = (120 * 100 + 60 * 60 + 20 * 40) / n**2
    assert (po, round(pc, 2)) == (0.70, 0.41)
    assert cohen_kappa(COHEN_1960) == pytest.approx((po - pc) / (1 - pc))
    assert round(cohen_kappa(COHEN_1960), 2) == 0.49


def test_binary_tables_match_the_general_forms_and_the_package() -> None:
    rng = random.Random(3)
    for _ in range(30):
        m = rng.choice([2, 3, 4])
        n = rng.randint(5, 40)
        data = [[rng.choice([0, 1, 1, None]) for _ in range(n)] for _ in range(m)]
        t = stacked(unit_table([row[j] for row in data]) for j in range(n))
        expected = nominal_alpha(data)
        if expected is None:
            assert alpha(t) is None
            continue
        assert alpha(t) == pytest.approx(expected, abs=1e-12)
        assert alpha(t) == pytest.approx(krippendorff.alpha(_nan(data), level_of_measurement="nominal", value_domain=[0, 1]), abs=1e-9)
        if m == 2:
            both = [(a, b) for a, b in zip(*data, strict=True) if a is not None and b is not None]
            table = [[sum(1 for a, b in both if (a, b) == (i, j)) for j in (0, 1)] for i in (0, 1)]
            expected_kappa = cohen_kappa(table)
            if expected_kappa is None:
                assert kappa(t) is None
            else:
                assert kappa(t) == pytest.approx(expected_kappa)


def test_draws_are_uniform_indices() -> None:
    r = random.Random(5)
    got = list(draw(r, 7))
    assert len(got) == 7 and all(0 <= i < 7 for i in got)
    counts = [0] * 10
    for i in draw(random.Random(6), 100_000):
        counts[i * 10 // 100_000] += 1
    assert min(counts) > 9_500 and max(counts) < 10_500  # ten equal bins of the range


def test_readings() -> None:
    assert [reading(v) for v in (0.9, 0.800, 0.7999, 0.667, 0.5, None)] == [
        "reliable", "reliable", "tentative", "tentative", "not reliable", "undefined",
    ]


# --------------------------------------------------------------- unit rules
def _c(coder: str, start: int, end: int, code: str = "x", tid: int = 1) -> Coding:
    return Coding(transcript_id=tid, start=start, end=end, code_id=code, coder=coder)


DOC = Doc(1, 100, turns=((0, 40), (42, 100)), sentences=((0, 20), (21, 40), (42, 70), (71, 100)))
FIXTURE = [
    _c("a", 0, 20), _c("b", 2, 20),      # overlapping: 18/20 = 0.9 of each
    _c("a", 50, 60), _c("b", 45, 70),    # nested
    _c("a", 80, 90), _c("b", 90, 100),   # adjacent
    _c("a", 20, 30, "y"), _c("b", 20, 30, "y"),  # identical, another code
]


def test_character_unit_counts_every_spoken_character() -> None:
    rel = reliability([DOC], FIXTURE, ["a", "b"], ["x", "y"], "character")
    t = rel.tables()["x"]
    # By hand, per run of characters: (a, b) = 10:2, 11:18, 00:20 | 00:3, 01:5, 11:10, 01:10, 00:10, 10:10, 01:10
    n11, n10, n01, n00 = 28, 12, 25, 33
    assert (t[5], t[6], t[7], t[8]) == (n11, n10, n01, n00)
    assert rel.units == 98
    assert percent(t) == pytest.approx(61 / 98)
    pe = (40 * 53 + 58 * 45) / 98**2
    assert kappa(t) == pytest.approx((61 / 98 - pe) / (1 - pe))
    assert alpha(t) == pytest.approx(1 - 195 * 37 / (103 * 93))
    # Same figure from the package on the character-by-character matrix.
    matrix = [[int(any(c.coder == who and c.code_id == "x" and c.start <= i < c.end for c in FIXTURE)) for i in range(100)
               if 0 <= i < 40 or 42 <= i < 100] for who in ("a", "b")]
    assert alpha(t) == pytest.approx(krippendorff.alpha(matrix, level_of_measurement="nominal"))
    assert rel.differ["x"] == [(1, 0, 2), (1, 45, 50), (1, 60, 70), (1, 80, 100)]


def test_segment_unit_uses_the_overlap_threshold() -> None:
    rel = reliability([DOC], FIXTURE, ["a", "b"], ["x", "y"], "segment", overlap=0.9)
    t = rel.tables()["x"]
    # passages: {a0-20, b2-20} 11; a50-60 10; b45-70 01; a80-90 10; b90-100 01; {a,b y20-30} 00 for x
    assert rel.units == 6
    assert (t[5], t[6], t[7], t[8]) == (1, 2, 2, 1)
    strict = reliability([DOC], FIXTURE, ["a", "b"], ["x"], "segment", overlap=0.95).tables()["x"]
    assert (strict[5], strict[6], strict[7], strict[8]) == (0, 3, 3, 0)
    assert [len(g) for g in passages(FIXTURE, 0.9)] == [2, 2, 1, 1, 1, 1]


def test_sentence_and_turn_units_use_the_half_rule() -> None:
    s = reliability([DOC], FIXTURE, ["a", "b"], ["x"], "sentence").tables()["x"]
    assert (s[5], s[6], s[7], s[8]) == (3, 0, 0, 1)  # every coding lies (mostly) in one sentence
    assert alpha(s) == 1.0
    t = reliability([DOC], FIXTURE, ["a", "b"], ["x"], "turn").tables()["x"]
    assert (t[5], t[8]) == (2, 0)
    assert alpha(t) is None  # no variation: undefined, not 1


def test_a_coder_who_did_not_code_a_transcript_is_missing_there() -> None:
    doc2 = Doc(2, 50, turns=((0, 50),))
    codings = [*FIXTURE, _c("a", 0, 10, tid=2), _c("c", 5, 10, tid=2)]
    rel = reliability([DOC, doc2], codings, ["a", "b", "c"], ["x"], "character")
    assert rel.transcripts == [1, 2]
    matrix = []
    for who in ("a", "b", "c"):
        row: list[float] = []
        for tid, spans in ((1, [(0, 40), (42, 100)]), (2, [(0, 50)])):
            present = any(c.coder == who and c.transcript_id == tid for c in codings)
            for s, e in spans:
                for i in range(s, e):
                    hit = any(c.coder == who and c.transcript_id == tid and c.code_id == "x" and c.start <= i < c.end for c in codings)
                    row.append(int(hit) if present else NAN)
        matrix.append(row)
    assert alpha(rel.tables()["x"]) == pytest.approx(krippendorff.alpha(matrix, level_of_measurement="nominal"))
    assert kappa(rel.tables()["x"]) is None  # three coders: no Cohen's kappa


def test_transcripts_coded_by_one_coder_only_are_left_out() -> None:
    rel = reliability([DOC, Doc(2, 50)], [*FIXTURE, _c("a", 0, 10, tid=2)], ["a", "b"], ["x"], "character")
    assert rel.transcripts == [1]


# ---------------------------------------------------------------- bootstrap
def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = random.Random(1)
    data = Clustered()
    for _ in range(200):
        truth = rng.random() < 0.3
        a = int(truth if rng.random() < 0.9 else not truth)
        b = int(truth if rng.random() < 0.9 else not truth)
        k = data.add_cluster(unit_table([0, 0]))
        d = unit_table([a, b])
        for i, v in enumerate(unit_table([0, 0])):
            d[i] -= v
        data.add_delta("x", k, d)
    one = bootstrap(data, ["x"], resamples=300, seed=7)
    assert one == bootstrap(data, ["x"], resamples=300, seed=7)
    assert one != bootstrap(data, ["x"], resamples=300, seed=8)
    point = alpha(data.totals(["x"])["x"])
    low, high = one["x"]["alpha"]
    assert low < point < high
    assert high - low < 0.4
    # A percentile interval from numpy on the same draws agrees with ours.
    draws = []
    r = random.Random(7)
    for _ in range(300):
        w = [0] * 200
        for i in draw(r, 200):
            w[i] += 1
        draws.append(alpha(data.totals(["x"], w)["x"]))
    assert (low, high) == pytest.approx(tuple(np.percentile(draws, [2.5, 97.5])))


def test_summary_marks_rare_codes_and_leaves_them_out_of_the_overall_figures() -> None:
    rel = reliability([DOC], FIXTURE, ["a", "b"], ["x", "y"], "segment")
    s = summarize(rel, resamples=200, min_codings=3)
    assert s.codes["y"].too_rare and s.codes["y"].alpha is None and s.codes["y"].reading == "too rare"
    assert s.codes["x"].codings == 6 and not s.codes["x"].too_rare
    assert s.overall.alpha == s.codes["x"].alpha
    assert s.codes["x"].reading == reading(s.codes["x"].alpha)
    low, high = s.codes["x"].ci["percent"]
    assert 0 <= low <= s.codes["x"].percent <= high <= 1
    assert not math.isnan(s.overall.percent)


def test_disagreement_queue_lists_passages_with_who_coded_what() -> None:
    rel = reliability([DOC], FIXTURE, ["a", "b"], ["x", "y"], "character")
    queue = disagreements(rel, FIXTURE)
    assert [(d.code_id, d.start, d.end, d.coded_by, d.not_coded_by) for d in queue] == [
        ("x", 0, 20, ("a", "b"), ()),
        ("x", 45, 70, ("a", "b"), ()),
        ("x", 80, 90, ("a",), ("b",)),
        ("x", 90, 100, ("b",), ("a",)),
    ]
    seg = disagreements(reliability([DOC], FIXTURE, ["a", "b"], ["x", "y"], "segment"), FIXTURE)
    assert [(d.start, d.end) for d in seg] == [(45, 70), (80, 90), (90, 100)]  # the 0.9 pair agrees
