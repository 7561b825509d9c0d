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


def test_small_import_limit_is_said_in_kilobytes(project_dir, tmp_path) -> None:
    f = tmp_path / "long.txt"
    f.write_text("I: " + "mot " * 40_000 + "\n", encoding="utf-8")  # 160,004 bytes
    r = CliRunner().invoke(cli, ["-p", str(project_dir), "import", str(f), "--max-mb", "0.1"])
    assert r.exit_code == 2
    assert "long.txt is 156 KB, over the import limit of 102 KB." in r.output


def test_dry_run_of_a_file_that_would_fail_exits_2(project_dir, tmp_path) -> None:
    bad = tmp_path / "notes.xml"
    bad.write_text("<?xml version='1.0'?><html/>", encoding="utf-8")
    r = CliRunner().invoke(cli, ["-p", str(project_dir), "import", str(bad), "--dry-run"])
    assert r.exit_code == 2 and "would fail" in r.output and "not <TEI>" in r.output
    r = CliRunner().invoke(cli, ["-p", str(project_dir), "import", str(bad), "--dry-run", "--json"])
    assert r.exit_code == 2 and json.loads(r.stdout)[0]["error"]
    good = tmp_path / "ok.txt"
    good.write_text("I: a\nR: b\n", encoding="utf-8")
    assert run(project_dir, "import", str(good), "--dry-run").exit_code == 0


def test_dry_run_shows_the_header_kept_as_notes(project_dir, tmp_path) -> None:
    f = tmp_path / "otter.txt"
    f.write_text("Interview with Sara\nTue, 3/14 10:02AM\n\nSUMMARY KEYWORDS\npay, tasks\n\nSPEAKERS\nSara, Mateo\n\n"
                 "Sara  00:13\nI label images.\n\nMateo  01:02\nI review labels.\n", encoding="utf-8")
    r = run(project_dir, "import", str(f), "--dry-run")
    assert r.exit_code == 0
    assert "kept as a note, not as text: title: Interview with Sara" in r.output
    assert "kept as a note, not as text: keywords: pay, tasks" in r.output
    r = run(project_dir, "import", str(f), "--dry-run", "--json")
    assert json.loads(r.output)[0]["metadata"][-1] == "speakers: Sara, Mateo"
