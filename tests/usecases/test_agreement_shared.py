"""A double-coded fixture built from a real interview (PDPilot P1, published codings) and a
second coder who partly agrees; figures checked by hand and with the krippendorff package."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from qcode.core.anchor import find_quote
from qcode.core.coding import Coding
from qcode.usecases import agreement, importing
from qcode.usecases.project import Project

pytestmark = pytest.mark.shared


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.split(">")[-1].strip().lower()).strip("-")[:60]


def _second(i: int, c: Coding, other: str) -> Coding | None:
    """The second coder's version of the i-th published coding: same, shortened, recoded or left out."""
    kind = i % 4
    if kind == 0:
        return Coding(c.transcript_id, c.start, c.end, c.code_id, "second")
    if kind == 1:
        return Coding(c.transcript_id, c.start, c.start + max(1, int(0.6 * (c.end - c.start))), c.code_id, "second")
    if kind == 2:
        return Coding(c.transcript_id, c.start, c.end, other, "second")
    return None


@pytest.fixture
def double_coded(shared_real: Path, tmp_path: Path) -> tuple[Project, list[Coding], list[Coding]]:
    src = shared_real / "en" / "pdpilot_interviews"
    if not (src / "P1.txt").is_file():
        pytest.skip(f"PDPilot interviews not available ({src} is absent)")
    rows = list(csv.DictReader((src / "coded_segments.csv").open(encoding="utf-8")))
    codes = sorted({_slug(r["code"]) for r in rows})
    (tmp_path / "cb.yaml").write_text(
        "qcode_codebook: 1\ntitle: PDPilot\nversion: '1'\ncodes:\n" + "".join(f"  - id: {c}\n" for c in codes), encoding="utf-8"
    )
    root = tmp_path / "p"
    p = Project.init(root, codebook=tmp_path / "cb.yaml")
    assert not importing.import_paths(p, sorted(src.glob("P*.txt"))).failed
    by_doc = {Path(s.source).stem: s.id for s in p.store.transcripts.summaries()}
    first: dict[tuple[int, int, int, str], Coding] = {}
    for r in rows:
        t = p.transcript(by_doc[r["doc"]])
        quote = r["segment"].strip()
        hits = find_quote(t.text, quote)
        if hits:
            c = Coding(t.id or 0, hits[0], hits[0] + len(quote), _slug(r["code"]), "kerrigan")
            first.setdefault((c.transcript_id, c.start, c.end, c.code_id), c)
    ones = sorted(first.values(), key=lambda c: (c.transcript_id, c.start, c.end, c.code_id))
    assert len(ones) >= 60  # the published segments found verbatim in the imported text
    twos = [s for i, c in enumerate(ones) if (s := _second(i, c, codes[(codes.index(c.code_id) + 1) % len(codes)]))]
    p.store.codings.add_many(ones + twos)
    yield p, ones, twos
    p.close()


def _char_matrix(p: Project, tids: list[int], codings: list[Coding], code: str) -> np.ndarray:
    """Coder x character matrix of one code over the spoken characters of *tids* (built naively)."""
    rows = []
    for who in ("kerrigan", "second"):
        parts = []
        for tid in tids:
            t = p.transcript(tid)
            covered = np.zeros(len(t.text), dtype=np.int64)
            for c in codings:
                if c.coder == who and c.code_id == code and c.transcript_id == tid:
                    covered[c.start : c.end] = 1
            parts += [covered[tr.start : tr.end] for tr in t.turns]
        rows.append(np.concatenate(parts))
    return np.array(rows)


def test_character_figures_match_hand_counts_and_the_package(double_coded) -> None:
    p, ones, twos = double_coded
    r = agreement.compute(p, unit="character", resamples=100, min_codings=1, keep=False)
    tids = sorted({c.transcript_id for c in ones})
    assert r["units"] == sum(tr.end - tr.start for tid in tids for tr in p.transcript(tid).turns)
    busiest = sorted(r["codes"], key=lambda row: -row["codings"])[:8]  # the package is slow on 170k units
    for row in busiest:
        a, b = m = _char_matrix(p, tids, ones + twos, row["code"])
        n11, n10, n01 = int((a & b).sum()), int((a & (1 - b)).sum()), int(((1 - a) & b).sum())
        n = len(a)
        n00 = n - n11 - n10 - n01
        assert row["percent"] == pytest.approx((n11 + n00) / n)
        if n11 + n10 + n01:
            assert row["positive"] == pytest.approx(n11 / (n11 + n10 + n01))
        pa, pb = (n11 + n10) / n, (n11 + n01) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        assert row["kappa"] == pytest.approx(((n11 + n00) / n - pe) / (1 - pe))
        assert row["alpha"] == pytest.approx(krippendorff.alpha(m, level_of_measurement="nominal", value_domain=[0, 1]))
    # The two coders partly agree: neither perfect nor at chance overall.
    assert 0.3 < r["overall"]["alpha"] < 0.9
    low, high = r["overall"]["ci"]["alpha"]
    assert low < r["overall"]["alpha"] < high


def test_segment_figures_follow_the_construction(double_coded) -> None:
    """At the segment unit (overlap 0.9): identical codings agree; shortened ones (60% of the
    length) are two passages; recoded ones disagree on both codes; left-out ones disagree."""
    p, ones, twos = double_coded
    r = agreement.compute(p, unit="segment", resamples=0, min_codings=1, keep=False)
    by_code = {row["code"]: row for row in r["codes"]}
    for code, row in by_code.items():
        kept = [c for i, c in enumerate(ones) if c.code_id == code and i % 4 == 0]
        # every unit both coded with the code is one identical pair
        both = round(row["positive"] * row["coded_units"]) if row["positive"] is not None else 0
        assert both == len(kept), code
    # Krippendorff's alpha of the overall stacked binary data, from the package on the same matrix:
    inp = agreement.gather(p, unit="segment")
    matrix: list[list[int]] = [[], []]
    from qcode.core.agreement_units import passages

    groups = [g for tid in sorted({c.transcript_id for c in ones}) for g in passages([c for c in ones + twos if c.transcript_id == tid], 0.9)]
    judged = [row["code"] for row in r["codes"] if not row["too_rare"]]
    for g in groups:
        for code in judged:
            for k, who in enumerate(("kerrigan", "second")):
                matrix[k].append(int(any(c.coder == who and c.code_id == code for c in g)))
    assert len(groups) == inp.rel.units
    assert r["overall"]["alpha"] == pytest.approx(krippendorff.alpha(matrix, level_of_measurement="nominal"))


def test_turn_figures_match_the_package(double_coded) -> None:
    p, ones, twos = double_coded
    r = agreement.compute(p, unit="turn", resamples=0, min_codings=1, keep=False)
    tids = sorted({c.transcript_id for c in ones})
    turns = [(tid, tr.start, tr.end) for tid in tids for tr in p.transcript(tid).turns]
    for row in r["codes"]:
        m = []
        for who in ("kerrigan", "second"):
            mine = [c for c in ones + twos if c.coder == who and c.code_id == row["code"]]
            m.append([int(any(c.transcript_id == tid and min(e, c.end) > max(s, c.start)
                              and 2 * (min(e, c.end) - max(s, c.start)) >= min(e - s, c.end - c.start) for c in mine))
                      for tid, s, e in turns])
        if len(set(m[0] + m[1])) < 2:
            assert row["alpha"] is None
        else:
            assert row["alpha"] == pytest.approx(krippendorff.alpha(m, level_of_measurement="nominal"))
