"""Codings files: export with quotes; import places by quote, never at a wrong place."""

from __future__ import annotations

import json
from pathlib import Path

from qcode.usecases import coding as uc
from qcode.usecases import exchange
from qcode.usecases.project import Project


def test_export_then_import_into_another_project_round_trips(project: Project, tmp_path: Path, project_dir: Path) -> None:
    text = project.transcript("interview-01").text
    s = text.index("Unstable")
    uc.apply_code(project, "interview-01", s, s + 8, "instability", memo="m1")
    out = tmp_path / "out.jsonl"
    assert exchange.export_codings(project, out) == 1
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["quote"] == "Unstable" and row["transcript"] == "interview-01" and row["memo"] == "m1"
    # Importing into the same project again is idempotent.
    r = exchange.import_codings(project, out)
    assert (r.imported, r.duplicates, r.failed) == (0, 1, [])


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_import_places_by_quote_when_offsets_differ(project: Project, tmp_path: Path) -> None:
    text = project.transcript("interview-01").text
    true_start = text.index("Piece rates")
    # Another tool counted CRLF line ends: its offsets are shifted by a few characters.
    f = _write(tmp_path / "c.jsonl", [{"transcript": "interview-01", "start": true_start + 3, "end": true_start + 14, "code": "piece-rates", "coder": "nvivo-user", "quote": "Piece rates"}])
    r = exchange.import_codings(project, f)
    assert (r.imported, r.placed_by_quote, r.failed) == (1, 1, [])
    [c] = project.store.codings.list()
    assert (c.start, c.end, c.quote, c.origin, c.coder) == (true_start, true_start + 11, "Piece rates", "imported", "nvivo-user")


def test_unplaceable_line_fails_everything_by_default(project: Project, tmp_path: Path) -> None:
    f = _write(
        tmp_path / "c.jsonl",
        [
            {"transcript": "interview-01", "start": 0, "end": 3, "code": "pay"},
            {"transcript": "interview-01", "start": 0, "end": 5, "code": "pay", "quote": "text that is nowhere"},
            {"transcript": "missing", "start": 0, "end": 5, "code": "pay"},
            {"transcript": "interview-01", "start": 0, "end": 5, "code": "nope"},
        ],
    )
    r = exchange.import_codings(project, f)
    assert not r.committed and r.imported == 0
    assert [m.split(":")[0] for m in r.failed] == ["c.jsonl, line 2", "c.jsonl, line 3", "c.jsonl, line 4"]
    assert "not found" in r.failed[0] and "No transcript 'missing'" in r.failed[1] and "Unknown code 'nope'" in r.failed[2]
    assert project.store.codings.list() == []
    r2 = exchange.import_codings(project, f, skip_bad=True)
    assert r2.committed and r2.imported == 1 and len(project.store.codings.list()) == 1


def test_csv_import(project: Project, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text("transcript,start,end,code,coder,memo,created\ninterview-01.txt,0,3,pay,b,\"a, memo\",2024-05-01T10:00:00\n", encoding="utf-8")
    r = exchange.import_codings(project, f)
    assert r.imported == 1
    [c] = project.store.codings.list()
    assert c.memo == "a, memo" and c.created.year == 2024 and c.coder == "b"


def test_bad_json_names_the_line(project: Project, tmp_path: Path) -> None:
    import pytest

    from qcode.core.errors import ImportFormatError

    f = tmp_path / "c.jsonl"
    f.write_text('{"transcript": "interview-01", "start": 0, "end": 3, "code": "pay"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ImportFormatError, match="line 2"):
        exchange.import_codings(project, f)
    assert project.store.codings.list() == []
