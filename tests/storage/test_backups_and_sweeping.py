"""Findings 13 and 14 of issue 14: leftovers of killed processes are swept; `qcode backups` and `qcode restore`."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from qcode.formats.atomic import atomic_write_text
from tests.helpers import run_cli as run


def _age(p: Path, seconds: float = 3600) -> Path:
    t = time.time() - seconds
    os.utime(p, (t, t))
    return p


def test_the_next_write_of_a_file_removes_its_stale_temporaries(tmp_path: Path) -> None:
    stale = tmp_path / ".report.md.k3j9x0ab.tmp"
    stale.write_text("half a report with interview text")
    _age(stale)
    fresh = tmp_path / ".report.md.zz9x0abc.tmp"  # another process writing right now
    fresh.write_text("in progress")
    other = tmp_path / ".other.md.k3j9x0ab.tmp"
    other.write_text("another file's")
    _age(other)
    atomic_write_text(tmp_path / "report.md", "new report")
    assert not stale.exists() and fresh.exists() and other.exists()


def test_opening_a_project_sweeps_stale_temporaries_and_empty_backups(project_dir: Path, capsys) -> None:
    data = project_dir / ".qcode"
    (data / "backups").mkdir(exist_ok=True)
    leftovers = [
        project_dir / ".codebook.yaml.a1b2c3d4.tmp", data / ".project.sqlite.restore.part",
        data / "backups" / ".project-20250101-000000-manual.sqlite.part",
    ]
    for p in leftovers:
        p.write_text("interview text")
        _age(p)
    empty = data / "backups" / "project-20250101-000000-before-migration-v1-to-v2.sqlite"
    empty.write_bytes(b"")
    mine = project_dir / ".notes.txt"  # not one of qcode's names: never touched
    mine.write_text("mine")
    _age(mine)
    code, _, err = run(capsys, "-p", str(project_dir), "transcripts")
    assert code == 0 and "Removed 4 leftover temporary file(s)" in err
    assert not any(p.exists() for p in [*leftovers, empty]) and mine.exists()


def test_an_interrupted_backup_leaves_no_partial_backup(project_dir: Path, monkeypatch) -> None:
    from qcode.core.errors import ProjectError
    from qcode.usecases.project import Project

    real_connect = sqlite3.connect

    class Failing:
        """A connection whose backup dies half-way (disk error; a kill leaves the same files)."""

        def __init__(self, *a, **kw) -> None:
            self._c = real_connect(*a, **kw)

        def backup(self, target, **kw) -> None:
            target.execute("CREATE TABLE half (x)")
            raise sqlite3.OperationalError("disk I/O error")

        def __getattr__(self, name: str):
            return getattr(self._c, name)

    with Project.open(project_dir) as p:
        monkeypatch.setattr("qcode.storage.sqlite_files.sqlite3.connect", Failing)
        with pytest.raises(ProjectError, match="Could not back up"):
            p.store.backup(project_dir / ".qcode" / "backups")
        monkeypatch.undo()
    assert list((project_dir / ".qcode" / "backups").iterdir()) == []


def _codings(capsys, project_dir: Path) -> list[dict]:
    code, out, err = run(capsys, "-p", str(project_dir), "codings", "--json")
    assert code == 0, err
    return json.loads(out)


def test_backups_lists_and_restore_brings_back_a_backup_after_saving_the_current_state(project_dir: Path, capsys) -> None:
    p = str(project_dir)
    assert run(capsys, "-p", p, "code", "interview-01", "0", "12", "pay")[0] == 0
    assert run(capsys, "-p", p, "backup")[0] == 0
    assert run(capsys, "-p", p, "code", "interview-01", "13", "20", "pay")[0] == 0
    assert len(_codings(capsys, project_dir)) == 2
    code, out, _ = run(capsys, "-p", p, "backups")
    assert code == 0 and "  1  " in out and "manual" in out
    code, out, err = run(capsys, "-p", p, "restore", "1")
    assert code == 0 and "Restored" in out and "as a verified backup" in out, err
    assert len(_codings(capsys, project_dir)) == 1
    # The restore is undone by restoring the backup it made.
    _, listing, _ = run(capsys, "-p", p, "backups", "--json")
    before = next(b for b in json.loads(listing) if b["reason"] == "before-restore")
    assert run(capsys, "-p", p, "restore", Path(before["path"]).name)[0] == 0
    assert len(_codings(capsys, project_dir)) == 2


def test_restore_works_on_a_damaged_project_and_keeps_its_bytes(project_dir: Path, capsys) -> None:
    p = str(project_dir)
    assert run(capsys, "-p", p, "backup")[0] == 0
    db = project_dir / ".qcode" / "project.sqlite"
    damaged = b"SQLite format 3\x00" + os.urandom(8192)
    db.write_bytes(damaged)
    code, _, err = run(capsys, "-p", p, "transcripts")
    assert code == 2 and "qcode backups" in err  # the hints name commands that exist
    code, out, err = run(capsys, "-p", p, "restore", "1")
    assert code == 0 and "byte for byte" in out, err
    saved = next(b for b in (project_dir / ".qcode" / "backups").glob("*damaged-before-restore.sqlite"))
    assert saved.read_bytes() == damaged
    code, out, _ = run(capsys, "-p", p, "transcripts")
    assert code == 0 and "interview-01" in out


@pytest.mark.parametrize("spoil", ["garbage", "trigger"])
def test_a_bad_backup_is_refused_and_the_project_left_alone(project_dir: Path, capsys, spoil: str) -> None:
    p = str(project_dir)
    assert run(capsys, "-p", p, "backup")[0] == 0
    [backup] = (project_dir / ".qcode" / "backups").glob("*.sqlite")
    if spoil == "garbage":
        data = bytearray(backup.read_bytes())
        data[4096:8192] = os.urandom(4096)
        backup.write_bytes(bytes(data))
    else:
        conn = sqlite3.connect(backup)
        conn.execute("CREATE TRIGGER t AFTER INSERT ON codings BEGIN DELETE FROM transcripts; END")
        conn.commit()
        conn.close()
    db = project_dir / ".qcode" / "project.sqlite"
    before = db.read_bytes()
    code, _, err = run(capsys, "-p", p, "restore", backup.name)
    assert code == 2 and "Backup " in err
    assert db.read_bytes() == before and len(list(backup.parent.glob("*.sqlite"))) == 1


def test_restore_names_an_unknown_backup(project_dir: Path, capsys) -> None:
    code, _, err = run(capsys, "-p", str(project_dir), "restore", "7")
    assert code == 2 and "No backup '7'" in err and "qcode backups" in err
