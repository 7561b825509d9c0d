"""Schema versions: fresh projects reach the head; older ones migrate after a backup; newer ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from qcode.core.errors import ProjectError
from qcode.storage import SCHEMA_VERSION, Store, migrations
from qcode.storage.engine import sqlite_engine
from tests.helpers import raw_connection


def _make_v1_project(path: Path) -> None:
    """A project as the first released qcode wrote it (schema version 1)."""
    engine = sqlite_engine(path)
    with engine.connect().execution_options(qcode_write=True) as conn, conn.begin():
        migrations.apply(conn, 0, 1)
        conn.exec_driver_sql(
            "INSERT INTO transcripts (guid, name, title, text, text_sha256, kind, words, attributes, notes, warnings,"
            " encoding_guessed, created, modified) VALUES ('g1', 'old', 'Old', 'Some old text', 'x', 'interview', 3,"
            " '{}', '[]', '[]', 0, '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')"
        )
        conn.exec_driver_sql("INSERT INTO codes (id, guid, position, retired, data) VALUES ('c', 'gc', 0, 0, '{\"id\": \"c\"}')")
        conn.exec_driver_sql("INSERT INTO coders (name, guid) VALUES ('amina', 'ga')")
        conn.exec_driver_sql(
            "INSERT INTO codings (guid, transcript_id, code_id, coder_id, start, \"end\", memo, origin, quote, prefix,"
            " suffix, status, created, modified) VALUES ('gk', 1, 'c', 1, 0, 4, '', 'manual', 'Some', '', ' old', 'ok',"
            " '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')"
        )
    engine.dispose()


def test_fresh_database_reaches_the_latest_version(tmp_path: Path) -> None:
    s = Store.open_sqlite(tmp_path / "p.sqlite", create=True)
    assert s.schema_version() == SCHEMA_VERSION
    assert s.backup_path is None  # nothing to back up
    s.close()
    again = Store.open_sqlite(tmp_path / "p.sqlite")
    assert again.migrated == []  # re-opening runs nothing
    again.close()


def test_older_project_is_backed_up_then_migrated_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    _make_v1_project(path)
    s = Store.open_sqlite(path, backup_dir=tmp_path / "backups")
    assert s.migrated == [f"{v}: {migrations.MIGRATIONS[v][0]}" for v in range(2, SCHEMA_VERSION + 1)]
    assert s.schema_version() == SCHEMA_VERSION
    assert s.backup_path is not None and s.backup_path.exists()
    [coding] = s.codings.list()
    assert (coding.quote, coding.coder) == ("Some", "amina")
    assert "suggestions" in sa.inspect(s.engine).get_table_names()
    with raw_connection(s) as conn:  # the version column exists and the old code starts at version 1
        assert conn.exec_driver_sql("SELECT id, row_version FROM codes").all() == [("c", 1)]
    s.close()
    # The backup is the untouched version-1 project.
    old = sa.create_engine(f"sqlite:///{s.backup_path}")
    with old.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM qcode_meta WHERE key='schema_version'").scalar() == "1"
        assert "suggestions" not in sa.inspect(conn).get_table_names()
        assert conn.exec_driver_sql("SELECT count(*) FROM codings").scalar() == 1
    old.dispose()


def test_failed_migration_leaves_the_project_at_the_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.sqlite"
    _make_v1_project(path)

    def broken(conn: sa.Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("crash in the middle of a migration")

    monkeypatch.setitem(migrations.MIGRATIONS, 2, ("broken", broken))
    with pytest.raises(RuntimeError):
        Store.open_sqlite(path, backup_dir=tmp_path / "backups")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM qcode_meta WHERE key='schema_version'").scalar() == "1"
        assert "half_done" not in sa.inspect(conn).get_table_names()
    engine.dispose()


def test_project_from_a_newer_qcode_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    s = Store.open_sqlite(path, create=True)
    s.meta.set("schema_version", str(SCHEMA_VERSION + 5))
    s.close()
    before = path.read_bytes()
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(path)
    assert "newer qcode" in err.value.message and "Upgrade" in err.value.hint
    assert path.read_bytes() == before


def test_a_foreign_database_is_not_mistaken_for_a_project(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stuff (x)")
    engine.dispose()
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(path)
    assert "not a qcode project" in err.value.message


def test_the_pending_fingerprint_is_read_from_the_index_alone(tmp_path: Path) -> None:
    """Migration 8: a re-run reads every transcript's (count, sum of ids, sum of scores) of pending
    suggestions; SQLite answers it from the covering index, without reading the rows (their evidence)."""
    import sqlite3

    from qcode.storage import schema

    Store.open_sqlite(tmp_path / "p.sqlite", create=True).close()
    with sqlite3.connect(tmp_path / "p.sqlite") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert schema.PENDING_SUGGESTIONS[0] in names and schema.SUGGESTIONS_BY_STATUS[0] not in names
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT transcript_id, count(*), sum(id), sum(score) FROM suggestions"
            " WHERE status = 'pending' AND transcript_id IN (1, 2) AND code_id IN ('a', 'b') GROUP BY transcript_id"))
    assert f"COVERING INDEX {schema.PENDING_SUGGESTIONS[0]}" in plan
