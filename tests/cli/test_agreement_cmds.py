"""`qcode agreement`: the table, stable JSON, kept history, the disagreement queue, user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run


def _double_code(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    # interview-01: "Unstable." is at 41-50 in the normalised text of the fixture transcript.
    for args in (
        ("code", "interview-01", "41", "49", "instability", "--coder", "amina"),
        ("code", "interview-01", "41", "60", "instability", "--coder", "bob"),
        ("code", "interview-01", "150", "161", "piece-rates", "--coder", "amina"),
        ("code", "interview-01", "150", "161", "piece-rates", "--coder", "bob"),
    ):
        assert run(capsys, "-p", proj, *args)[0] == 0


def test_agreement_json_history_and_queue(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(project_dir)
    _double_code(proj, capsys)
    code, out, err = run(capsys, "-p", proj, "agreement", "--coders", "amina", "bob", "--min-codings", "1", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert set(r) >= {"id", "computed", "unit", "overlap", "coders", "codebook", "transcripts", "units", "resamples", "seed",
                      "level", "min_codings", "overall", "codes"}
    assert (r["unit"], r["coders"], r["transcripts"], r["overlap"]) == ("character", ["amina", "bob"], ["interview-01"], None)
    inst, piece = r["codes"]
    assert (inst["code"], piece["code"]) == ("instability", "piece-rates")
    # By hand: amina 41-49 (8 chars), bob 41-60 (19 chars) in 182 spoken characters.
    n11, n01, n00 = 8, 11, 182 - 19
    assert inst["percent"] == pytest.approx((n11 + n00) / 182)
    assert inst["positive"] == pytest.approx(8 / 19)
    n = 2 * 182
    n1, n0 = 2 * n11 + n01, 2 * n00 + n01
    assert inst["alpha"] == pytest.approx(1 - (n - 1) * n01 / (n0 * n1))
    assert piece["alpha"] == 1.0 and piece["reading"] == "reliable"
    assert inst["reading"] == "not reliable" and len(inst["ci"]["alpha"]) == 2
    # Kept, and listed by --history.
    code, out, _ = run(capsys, "-p", proj, "agreement", "--unit", "segment", "--min-codings", "1", "--resamples", "50")
    assert code == 0 and "segment (overlap >= 90% of each coding)" in out and "too rare" not in out
    code, out, _ = run(capsys, "-p", proj, "agreement", "--history", "--json")
    runs = json.loads(out)
    assert [x["unit"] for x in runs] == ["character", "segment"] and runs[0]["id"] == r["id"]
    code, out, _ = run(capsys, "-p", proj, "agreement", "--history")
    assert "character" in out and "segment" in out
    # The queue: only the instability passage differs.
    code, out, _ = run(capsys, "-p", proj, "agreement", "--disagreements", "--json")
    [item] = json.loads(out)
    assert (item["code"], item["start"], item["end"], item["coded_by"], item["decision"]) == ("instability", 41, 60, ["amina", "bob"], None)
    assert [c["coder"] for c in item["codings"]] == ["amina", "bob"]
    code, out, _ = run(capsys, "-p", proj, "agreement", "--disagreements")
    assert "coded by amina, bob, over different spans" in out and "not by" not in out
    code, out, _ = run(capsys, "-p", proj, "agreement", "--no-keep", "--min-codings", "1", "--resamples", "0")
    assert code == 0 and "no intervals (--resamples 0)" in out and "resample only" not in out


def test_rare_codes_are_marked_not_figured(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(project_dir)
    _double_code(proj, capsys)
    code, out, _ = run(capsys, "-p", proj, "agreement", "--codes", "instability", "piece-rates", "--json", "--no-keep")
    r = json.loads(out)
    code, by_label, _ = run(capsys, "-p", proj, "agreement", "--codes", "job INSTABILITY", "Piece rates", "--json", "--no-keep")
    assert code == 0 and [c["code"] for c in json.loads(by_label)["codes"]] == ["instability", "piece-rates"]  # labels too
    assert all(c["too_rare"] and c["alpha"] is None for c in r["codes"]) and r["id"] is None
    assert run(capsys, "-p", proj, "agreement", "--history", "--json")[1].strip() == "[]"
    code, out, _ = run(capsys, "-p", proj, "agreement", "--no-keep")
    assert "too rare to judge (2 codings)" in out
    # The overall line says which codes it stacks and which were left out.
    assert "overall (0 codes stacked)" in out and "left out, too rare to judge (fewer than 5 codings): 2 code(s)" in out
    assert r["overall_codes"] == []
    code, out, _ = run(capsys, "-p", proj, "agreement", "--no-keep", "--min-codings", "1", "--json")
    assert json.loads(out)["overall_codes"] == ["instability", "piece-rates"]
    code, out, _ = run(capsys, "-p", proj, "agreement", "--no-keep", "--min-codings", "1")
    assert "overall (2 codes stacked)" in out and "left out" not in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("agreement",), "at least two coders"),
        (("agreement", "--coders", "amina", "zed"), "No codings by coder 'zed'"),
        (("agreement", "--coders", "amina"), "--coders names 1"),
        (("agreement", "--codes", "payy"), "Did you mean 'pay'?"),
        (("agreement", "--overlap", "1.5"), "--overlap must be"),
    ],
)
def test_agreement_user_errors(project_dir: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], fragment: str) -> None:
    proj = str(project_dir)
    run(capsys, "-p", proj, "code", "interview-01", "41", "49", "instability", "--coder", "amina")
    if "zed" not in args and args != ("agreement",):
        run(capsys, "-p", proj, "code", "interview-01", "41", "49", "instability", "--coder", "bob")
    code, _, err = run(capsys, "-p", proj, *args)
    assert code == 2 and fragment in err and "Traceback" not in err


def test_merge_command_prints_a_summary(project_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(project_dir)
    assert run(capsys, "-p", proj, "code", "interview-01", "41", "49", "instability", "--coder", "bob")[0] == 0
    assert run(capsys, "-p", proj, "codings", "export", "-o", str(tmp_path / "c.jsonl"))[0] == 0
    assert run(capsys, "-p", proj, "uncode", "1")[0] == 0
    code, out, err = run(capsys, "-p", proj, "merge", str(tmp_path / "c.jsonl"))
    assert code == 0, err
    assert "codings: 1 added (by bob), 0 already here" in out and "backup before the merge" in out
    code, out, _ = run(capsys, "-p", proj, "merge", str(tmp_path / "c.jsonl"))
    assert "nothing new" in out
    code, _, err = run(capsys, "-p", proj, "merge", str(tmp_path / "x.qdpx"))
    assert code == 2 and "does not exist" in err
