"""Finding 3 of issue 14 (and the codings CSV of finding 14): output paths cannot destroy the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli as run


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}  # SQLite's own, changed by any open


@pytest.mark.parametrize("target", [".qcode/project.sqlite", ".qcode/project.sqlite-wal", "qcode.toml", "codebook.yaml"])
@pytest.mark.parametrize("command", [
    ["report", "-f", "md", "--force", "-o"],
    ["codings", "export", "--force", "-o"],
    ["codebook", "export", "--format", "csv", "--force", "-o"],
])
def test_project_files_are_never_overwritten_even_with_force(project_dir: Path, capsys, command: list[str],
                                                              target: str) -> None:
    out_path = project_dir / target
    if command[0] == "codings":  # the codings export names its format by the extension: use an alias path
        out_path = project_dir / "alias.csv"
        out_path.symlink_to(project_dir / target)
    before = _snapshot(project_dir)
    code, _, err = run(capsys, "-p", str(project_dir), *command, str(out_path))
    assert code == 2 and "this project's" in err and "never writes" in err
    assert _snapshot(project_dir) == before


def test_backups_are_protected(project_dir: Path, capsys) -> None:
    assert run(capsys, "-p", str(project_dir), "backup")[0] == 0
    [backup] = (project_dir / ".qcode" / "backups").iterdir()
    before = backup.read_bytes()
    code, _, err = run(capsys, "-p", str(project_dir), "report", "-f", "md", "-o", str(backup))
    assert code == 2 and "backup" in err and backup.read_bytes() == before


def test_a_project_found_from_the_output_folder_is_protected_too(project_dir: Path, tmp_path: Path, capsys) -> None:
    cb = project_dir / "codebook.yaml"
    before = (project_dir / "qcode.toml").read_bytes()
    code, _, err = run(capsys, "codebook", "export", "--file", str(cb), "--format", "md", "-o",
                       str(project_dir / "qcode.toml"))
    assert code == 2 and "settings file" in err and (project_dir / "qcode.toml").read_bytes() == before


def test_an_existing_file_of_another_format_needs_force(project_dir: Path, capsys) -> None:
    sheet = project_dir / "analysis.xlsx"
    run(capsys, "-p", str(project_dir), "report", "-o", str(sheet))
    keep = sheet.read_bytes()
    code, _, err = run(capsys, "-p", str(project_dir), "report", "-f", "docx", "-o", str(sheet))
    assert code == 2 and "is a Excel file, not a Word file" in err and "--force" in err
    assert sheet.read_bytes() == keep
    notes = project_dir / "notes.txt"
    notes.write_text("my own notes", encoding="utf-8")
    code, _, err = run(capsys, "-p", str(project_dir), "codebook", "export", "--format", "qdc", "-o", str(notes))
    assert code == 2 and notes.read_text() == "my own notes"
    assert run(capsys, "-p", str(project_dir), "report", "-f", "docx", "--force", "-o", str(sheet))[0] == 0
    assert sheet.read_bytes()[:2] == b"PK" and sheet.read_bytes() != keep
    # The same format is replaced as before (reports are regenerated often).
    assert run(capsys, "-p", str(project_dir), "report", "-f", "docx", "-o", str(sheet))[0] == 0


def test_codings_export_to_csv_writes_csv_that_import_reads_back(project_dir: Path, tmp_path: Path, capsys) -> None:
    p = str(project_dir)
    assert run(capsys, "-p", p, "code", "interview-01", "0", "12", "pay", "--memo", "=HYPERLINK(\"x\")")[0] == 0
    assert run(capsys, "-p", p, "code", "interview-01", "13", "20", "instability", "--memo", "'quoted")[0] == 0
    out = tmp_path / "x.csv"
    code, stdout, err = run(capsys, "-p", p, "codings", "export", "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("id,guid,transcript,") and "'=HYPERLINK" in text  # a spreadsheet shows text
    _, js, _ = run(capsys, "-p", p, "codings", "--json")
    original = {(c["start"], c["end"], c["code"]): c["memo"] for c in json.loads(js)}
    run(capsys, "-p", p, "codings", "export", "-o", str(tmp_path / "all.jsonl"))
    for c in json.loads(js):
        run(capsys, "-p", p, "uncode", str(c["id"]))
    code, stdout, err = run(capsys, "-p", p, "codings", "import", str(out))
    assert code == 0 and "Imported 2 codings" in stdout, err
    _, js2, _ = run(capsys, "-p", p, "codings", "--json")
    assert {(c["start"], c["end"], c["code"]): c["memo"] for c in json.loads(js2)} == original


def test_codings_export_refuses_an_unknown_format(project_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "-p", str(project_dir), "codings", "export", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "Use a .jsonl or .csv file" in err and not (tmp_path / "x.xlsx").exists()
