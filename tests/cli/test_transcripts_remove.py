"""`qcode transcripts remove`: refusal, --force, --dry-run, --json, unknown references, undo with `qcode restore`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcode.usecases.project import Project
from tests.helpers import run_cli as run

TEXT_2 = "Interviewer: And the hours?\nJo: Unstable hours, every week.\n"


@pytest.fixture
def proj(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """interview-01 coded twice (by tester), interview-02 coded once."""
    p = str(project_dir)
    (project_dir / "interview-02.txt").write_text(TEXT_2, encoding="utf-8")
    assert run(capsys, "-p", p, "import", str(project_dir / "interview-02.txt"))[0] == 0
    for name, quote, code in (("interview-01", "Unstable", "instability"), ("interview-01", "Piece rates", "pay"),
                              ("interview-02", "Unstable hours", "instability")):
        with Project.open(project_dir) as project:
            start = project.transcript(name).text.index(quote)
        c, _, err = run(capsys, "-p", p, "code", name, str(start), str(start + len(quote)), code)
        assert c == 0, err
    return p


def codings(capsys: pytest.CaptureFixture[str], proj: str) -> list[dict]:
    code, out, _ = run(capsys, "-p", proj, "codings", "--json")
    assert code == 0
    return json.loads(out)


def names(capsys: pytest.CaptureFixture[str], proj: str) -> list[str]:
    return [t["name"] for t in json.loads(run(capsys, "-p", proj, "transcripts", "--json")[1])]


def test_refused_with_codings_then_forced_then_restored(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = codings(capsys, proj)
    assert sorted(c["transcript"] for c in before) == ["interview-01", "interview-01", "interview-02"]
    code, out, err = run(capsys, "-p", proj, "transcripts", "remove", "interview-01")
    assert code != 0 and "Traceback" not in err
    assert "2 codings by 1 coder (tester 2)" in err and "--force" in err
    assert codings(capsys, proj) == before and names(capsys, proj) == ["interview-01", "interview-02"]

    code, out, err = run(capsys, "-p", proj, "transcripts", "remove", "interview-01", "--force")
    assert code == 0, err
    assert "Removed 'interview-01'" in out and "2 codings by 1 coder" in out
    backup = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Backup"))
    assert f"qcode restore {Path(backup).name}" in out
    assert names(capsys, proj) == ["interview-02"]
    assert codings(capsys, proj) == [c for c in before if c["transcript"] == "interview-02"]

    code, out, err = run(capsys, "-p", proj, "restore", Path(backup).name)
    assert code == 0, err
    assert names(capsys, proj) == ["interview-01", "interview-02"]
    assert codings(capsys, proj) == before


def test_dry_run_changes_nothing(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = codings(capsys, proj)
    code, out, _ = run(capsys, "-p", proj, "transcripts", "remove", "interview-01", "--dry-run")
    assert code == 0
    assert "Would remove 'interview-01'" in out and "needs --force" in out and "Nothing was changed" in out
    code, out, _ = run(capsys, "-p", proj, "transcripts", "remove", "2", "--dry-run", "--force", "--json")
    rep = json.loads(out)
    assert (rep["name"], rep["removed"], rep["dry_run"], rep["backup"]) == ("interview-02", False, True, None)
    assert codings(capsys, proj) == before and names(capsys, proj) == ["interview-01", "interview-02"]
    assert not (Path(proj) / ".qcode" / "backups").exists() or not list((Path(proj) / ".qcode" / "backups").iterdir())


def test_json_output(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-p", proj, "transcripts", "remove", "interview-02.txt", "--force", "--json")
    assert code == 0, err
    rep = json.loads(out)
    assert set(rep) == {"id", "name", "source", "words", "removed", "dry_run", "codings", "coders", "memos",
                        "suggestions_decided", "suggestions_pending", "reviews", "speakers_linked", "backup"}
    assert (rep["name"], rep["source"], rep["removed"], rep["dry_run"]) == ("interview-02", "interview-02.txt", True, False)
    assert (rep["codings"], rep["coders"], rep["memos"]) == (1, {"tester": 1}, 0)
    assert Path(rep["backup"]).is_file()
    assert names(capsys, proj) == ["interview-01"]


def test_unknown_reference_did_you_mean(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-p", proj, "transcripts", "remove", "interview-2", "--force")
    assert code != 0 and out == "" and "Traceback" not in err
    assert "No transcript 'interview-2'" in err and "Did you mean" in err and "interview-02" in err
    assert names(capsys, proj) == ["interview-01", "interview-02"]


def test_listing_is_unchanged(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "transcripts", "--project", proj)
    assert code == 0 and out.splitlines()[0].split() == ["id", "name", "words", "turns", "speakers"]
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["interview-01", "interview-02"]
