"""Findings 8, 9 and 11 of issue 14: what is checked before a project database is used.

* foreign triggers, views, tables or changed tables are refused (schema compared with what qcode creates);
* random bytes in the schema pages give the "damaged" message, a 0-byte file is refused, not re-initialised;
* a read-only project opens read-only and says so.
"""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from qcode.core import Code, Codebook, Coding, Transcript, build_text
from qcode.core.errors import ProjectError, QcodeError, StorageError
from qcode.storage import Store


def _project_db(path: Path) -> Path:
    s = Store.open_sqlite(path, create=True)
    s.codes.save(Codebook(title="cb", codes=(Code("a"),)))
    text, turns = build_text([("S", "some interview text " * 20, None, None)])
    s.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns))
    s.close()
    return path


def _raw(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()


@pytest.mark.parametrize(("sql", "named"), [
    ("CREATE TRIGGER wipe AFTER INSERT ON codings BEGIN DELETE FROM transcripts; END;", "trigger 'wipe' on codings"),
    ("CREATE VIEW leak AS SELECT text FROM transcripts;", "view 'leak'"),
    ("CREATE TABLE stash (x TEXT);", "table 'stash'"),
    ("CREATE INDEX ix_extra ON codings (memo);", "index 'ix_extra' on codings"),
])
def test_foreign_schema_objects_are_refused_before_use(tmp_path: Path, sql: str, named: str) -> None:
    db = _project_db(tmp_path / "p.sqlite")
    _raw(db, sql)
    before = db.read_bytes()
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(db)
    assert named in err.value.message and "did not create" in err.value.message
    assert db.read_bytes() == before


def test_a_planted_trigger_never_fires(tmp_path: Path) -> None:
    db = _project_db(tmp_path / "p.sqlite")
    _raw(db, "CREATE TRIGGER wipe AFTER INSERT ON codings BEGIN DELETE FROM transcripts; END;")
    with pytest.raises(ProjectError):
        s = Store.open_sqlite(db)
        s.codings.add(Coding(1, 0, 4, "a", "amina"))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM transcripts").fetchone() == (1,)
    conn.close()


def test_a_changed_table_definition_is_refused(tmp_path: Path) -> None:
    db = _project_db(tmp_path / "p.sqlite")
    _raw(db, "ALTER TABLE memos ADD COLUMN secret TEXT DEFAULT 'x';")
    with pytest.raises(ProjectError, match="does not have the structure qcode creates.*table 'memos'"):
        Store.open_sqlite(db)


def test_the_expected_schema_is_what_qcode_creates(tmp_path: Path) -> None:
    db = _project_db(tmp_path / "p.sqlite")
    Store.open_sqlite(db).close()  # a project qcode made passes its own check


def _corrupt_schema_text(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    d = bytearray(data)
    starts = [i for i in range(len(d)) if d[i:i + 12] == b"CREATE TABLE"]
    for _ in range(5):
        d[rng.choice(starts) + rng.randrange(13, 100)] = rng.randrange(128, 256)
    return bytes(d)


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_in_the_schema_give_the_damaged_message(tmp_path: Path, seed: int) -> None:
    good = _project_db(tmp_path / "good.sqlite").read_bytes()
    db = tmp_path / "p.sqlite"
    db.write_bytes(_corrupt_schema_text(good, seed))
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(db)
    assert "damaged" in err.value.message or "structure" in err.value.message
    assert "qcode restore" in err.value.hint or "backups" in err.value.hint


def test_a_zero_byte_project_database_is_refused_not_reinitialised(project_dir: Path) -> None:
    from qcode.usecases.project import Project

    db = project_dir / ".qcode" / "project.sqlite"
    db.write_bytes(b"")
    with pytest.raises(ProjectError, match="is empty \\(0 bytes\\)"):
        Project.open(project_dir)
    assert db.stat().st_size == 0 and not Path(f"{db}-wal").exists()


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite"
    os.mkfifo(db)
    with pytest.raises(ProjectError, match="not a regular file"):
        Store.open_sqlite(db)


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store sees its file as unwritable (tests may run as root, who can write anything)."""
    monkeypatch.setattr("qcode.storage.sqlite_files.writable", lambda path: False)


def test_a_read_only_project_opens_for_reading_and_refuses_writes(project_dir: Path, read_only: None,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from qcode.cli import main
    from qcode.usecases.project import Project

    db = project_dir / ".qcode" / "project.sqlite"
    before = db.read_bytes()
    with Project.open(project_dir) as p:
        assert p.store.read_only
        assert p.store.transcripts.summaries()[0].name == "interview-01"
        with pytest.raises(StorageError, match="read-only|readonly"):
            p.store.codings.add(Coding(1, 0, 4, "pay", "amina"))
    with pytest.raises(SystemExit) as exit_:
        main(["-p", str(project_dir), "transcripts"])
    out = capsys.readouterr()
    assert exit_.value.code == 0 and "interview-01" in out.out and "read-only" in out.err
    assert db.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write read-only files; the fixture above covers root")
def test_a_really_read_only_folder(project_dir: Path) -> None:
    from qcode.usecases.project import Project

    data = project_dir / ".qcode"
    for p in [data / "project.sqlite", data, project_dir]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        with Project.open(project_dir) as p:
            assert p.store.read_only and p.store.transcripts.summaries()
            with pytest.raises(QcodeError):
                p.store.codings.add(Coding(1, 0, 4, "pay", "amina"))
    finally:
        for p in [project_dir, data, data / "project.sqlite"]:
            p.chmod(0o755 if p.is_dir() else 0o644)
