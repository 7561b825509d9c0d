"""The import and attributes commands, end to end through click."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qcode.cli import cli

REPO = Path(__file__).resolve().parents[2]


def run(project_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["-p", str(project_dir), *args], catch_exceptions=False)


def test_dry_run_shows_speakers_and_stores_nothing(project_dir) -> None:
    r = run(project_dir, "import", str(REPO / "transcripts" / "focus-group-annotators.txt"), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "focus_group" in r.output and "Sara" in r.output and "Dry run: nothing was imported." in r.output
    r = run(project_dir, "transcripts", "--json")
    assert [t["name"] for t in json.loads(r.output)] == ["interview-01"]


def test_folder_import_summary_and_failure_exit_code(project_dir, tmp_path) -> None:
    tmp_path = tmp_path / "incoming"
    tmp_path.mkdir()
    (tmp_path / "ok.txt").write_text("I: a\nR: b\n", encoding="utf-8")
    (tmp_path / "bad.srt").write_text("not subtitles at all\n", encoding="utf-8")
    r = run(project_dir, "import", str(tmp_path), "--attr", "country=Kenya")
    assert r.exit_code == 2
    assert "1 imported, 0 skipped, 1 failed." in r.output
    r2 = run(project_dir, "import", str(tmp_path / "ok.txt"))
    assert "skipped" in r2.output


def test_replace_and_attributes_commands(project_dir, tmp_path) -> None:
    f = tmp_path / "fix.txt"
    f.write_text((project_dir / "interview-01.txt").read_text(encoding="utf-8").replace("Unstable.", "Unstable!"),
                 encoding="utf-8")
    r = run(project_dir, "import", "--replace", "interview-01", str(f))
    assert r.exit_code == 0 and "Replaced the text of 'interview-01'" in r.output
    r = run(project_dir, "attributes", "set", "interview-01", "country=Kenya", "year:number=2024")
    assert r.exit_code == 0, r.output
    r = run(project_dir, "attributes", "link", "interview-01", "Amina", "Amina")
    assert r.exit_code == 0, r.output
    data = json.loads(run(project_dir, "attributes", "show", "--json").output)
    assert data["transcripts"][0]["attributes"] == {"country": "Kenya", "year": 2024}
    assert data["speakers"] == [{"transcript": "interview-01", "speaker": "Amina", "participant": "Amina"}]
