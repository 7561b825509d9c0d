"""Ids are never reused: removing the newest row and adding one gives a new id (schema version 7).

SQLite gives a plain ``INTEGER PRIMARY KEY`` table the id ``max(id) + 1``, so
before version 7 the next transcript took the id of a removed newest one, and
everything that remembered that id (an export, the suggestion cache, a memo
on it) pointed at another transcript. Version 7 makes those tables
``AUTOINCREMENT`` and rebuilds the tables of older projects; PostgreSQL's
sequences never go back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from qcode.core import Code, Codebook, Coding, Memo, Participant, SourceInfo, Transcript, build_text
from qcode.core.coding import new_guid
from qcode.core.errors import ProjectError
from qcode.core.transcript import AttributeDef
from qcode.storage import SCHEMA_VERSION, Store, migrations, schema
from qcode.storage.engine import sqlite_engine
from qcode.storage.schema_check import has_autoincrement
from tests.conftest import fresh_postgres_database

CODEBOOK = Codebook(title="cb", version="1", codes=(Code("a", {"": "A"}), Code("b", {"": "B"}, parent="a")))


def _transcript(name: str) -> Transcript:
    text, turns = build_text([("Interviewer", "How is work?", 0.0, 2.0), ("Amina", "Unstable, always.", 2.0, 5.5)])
    return Transcript(
        name=name, title=name, text=text, turns=turns, language="en", attributes={"country": "KE"},
        speakers={"Amina": "P01", "Interviewer": None}, source=SourceInfo(f"{name}.txt", "ab" * 32, "txt", "utf-8"),
    )


def _suggest(store: Store, tid: int, code: str = "a") -> int:
    """One more pending suggestion on *tid*, with *code*; its id."""
    before = {s.id for s in store.suggestions.list(status=None)}
    pending = [(s.transcript_id, s.code_id, s.start, s.end, s.quote, s.score, s.evidence, s.suggester)
               for s in store.suggestions.list(transcript_id=tid, code_id=code)]
    start = len(pending)
    store.suggestions.replace_pending([tid], [code], [*pending, (tid, code, start, start + 3, "How", 0.5, {}, "rules")])
    [new] = {s.id for s in store.suggestions.list(status=None)} - before
    return new


def _review(store: Store, tid: int, start: int) -> int:
    return store.team.add_review(transcript_id=tid, code_id="a", start=start, end=start + 3, decision="keep",
                                 kept=[], consensus="tester", reviewer="tester")


def _assert_no_id_is_reused(store: Store) -> None:
    """For each table whose ids are held elsewhere: remove the newest row, add one, and get a new id."""
    t1 = store.transcripts.add(_transcript("new-1"))
    t2 = store.transcripts.add(_transcript("new-2"))
    store.transcripts.delete(t2)
    t3 = store.transcripts.add(_transcript("new-3"))
    assert t3 > t2 > t1

    c1 = store.codings.add(Coding(t1, 0, 3, "a", "amina"))
    c2 = store.codings.add(Coding(t1, 4, 8, "a", "amina"))
    store.codings.delete(c2.id)  # type: ignore[arg-type]
    c3 = store.codings.add(Coding(t1, 9, 12, "a", "amina"))
    assert c3.id > c2.id > c1.id  # type: ignore[operator]

    m1 = store.memos.add(Memo("coding", str(c1.id), "first", "amina"))
    m2 = store.memos.add(Memo("coding", str(c3.id), "second", "amina"))
    store.memos.delete(m2.id)  # type: ignore[arg-type]
    m3 = store.memos.add(Memo("project", "", "third", "amina"))
    assert m3.id > m2.id > m1.id  # type: ignore[operator]

    s1 = _suggest(store, t1)
    s2 = _suggest(store, t1)
    store.suggestions.delete(s2)
    s3 = _suggest(store, t1, "b")
    assert s3 > s2 > s1

    r1, r2 = _review(store, t1, 0), _review(store, t1, 4)
    store.team.delete_review(r2)
    assert _review(store, t1, 8) > r2 > r1

    # Removing a transcript removes its codings and suggestions: none of their ids comes back either.
    c4 = store.codings.add(Coding(t3, 0, 3, "b", "amina"))
    s4 = _suggest(store, t3)
    store.transcripts.delete(t3)
    t4 = store.transcripts.add(_transcript("new-4"))
    assert t4 > t3
    assert store.codings.add(Coding(t4, 0, 3, "b", "amina")).id > c4.id  # type: ignore[operator]
    assert _suggest(store, t4) > s4


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store.open_sqlite(tmp_path / "p.sqlite", create=True)
    else:
        s = Store.open_url(fresh_postgres_database("ids"), create=True)
    s.codes.save(CODEBOOK)
    yield s
    s.close()


def test_removing_the_newest_row_then_adding_gives_a_new_id(store: Store) -> None:
    _assert_no_id_is_reused(store)


def test_every_table_with_an_integer_id_is_autoincrement_in_a_new_project(tmp_path: Path) -> None:
    Store.open_sqlite(tmp_path / "p.sqlite", create=True).close()
    with sqlite3.connect(tmp_path / "p.sqlite") as conn:
        sql = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    integer_ids = {t.name for t in schema.metadata.sorted_tables
                   if [c.name for c in t.primary_key.columns] == ["id"] and isinstance(t.c.id.type, sa.Integer)}
    assert integer_ids == {t.name for t in schema.AUTOINCREMENT_TABLES}
    assert {name for name, text in sql.items() if has_autoincrement(text)} == integer_ids


# ------------------------------------------------------------ older projects
def _v6_project(path: Path) -> None:
    """A project of schema version 6 (plain INTEGER PRIMARY KEY ids) holding a row in every table.

    Built by the migrations up to 6, then filled through today's repositories
    (their rows are the same in both versions). The newest transcript was
    removed, so one id was already freed.
    """
    engine = sqlite_engine(path)
    with engine.connect().execution_options(qcode_write=True) as conn, conn.begin():
        migrations.apply(conn, 0, 6)
        conn.execute(sa.insert(schema.meta).values(key="project_guid", value=new_guid()))
    store = Store(engine, str(path), path)  # the repositories on the version-6 file, without Store.open_sqlite
    store.codes.save(CODEBOOK, source_text="title: cb\n", path="cb.yaml")
    store.participants.upsert(Participant("P01", {"gender": "f"}))
    store.attributes.define(AttributeDef("gender", "text", "participant"))
    t1, t2, t3 = (store.transcripts.add(_transcript(n), source_bytes=n.encode()) for n in ("one", "two", "three"))
    c1 = store.codings.add(Coding(t1, 0, 3, "a", "amina", memo="m1", quote="How"))
    c2 = store.codings.add(Coding(t2, 4, 8, "b", "bob", quote="is w"))
    store.memos.add(Memo("coding", str(c1.id), "on the first coding", "amina"))
    store.memos.add(Memo("transcript", str(t2), "on two", "bob"))
    s1 = _suggest(store, t1)
    store.suggestions.decide(s1, "accepted", "amina", c1.id)
    _suggest(store, t2, "b")
    store.team.add_agreement_run("character", ["amina", "bob"], CODEBOOK.content_hash(), "1", {"kappa": 0.5})
    _review(store, t1, 0)
    assert c2.id is not None
    store.transcripts.delete(t3)
    assert store.transcripts.add(_transcript("reuse")) == t3  # what version 6 did: the removed id again
    store.transcripts.delete(t3)
    store.close()


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [r[0] for r in rows]


def _content(path: Path) -> dict[str, Any]:
    """Every row of every table (by id order) but the schema version, and every named index and trigger."""
    with sqlite3.connect(path) as conn:
        rows = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in _tables(conn)}
        rows["qcode_meta"] = [r for r in rows["qcode_meta"] if r[0] != "schema_version"]
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
            " ORDER BY name"
        ).fetchall()
    return {"rows": rows, "objects": objects}


def _table_sql(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())


def test_a_version_6_project_migrates_keeping_every_row_and_then_never_reuses_ids(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    _v6_project(path)
    before = _content(path)
    assert all(before["rows"][t.name] for t in schema.AUTOINCREMENT_TABLES), "every table holds a row"
    assert not any(has_autoincrement(sql) for sql in _table_sql(path).values())

    s = Store.open_sqlite(path, backup_dir=tmp_path / "backups")
    assert s.migrated == [f"{v}: {migrations.MIGRATIONS[v][0]}" for v in range(7, SCHEMA_VERSION + 1)]
    assert s.backup_path is not None and s.backup_path.name.endswith(f"before-migration-v6-to-v{SCHEMA_VERSION}.sqlite")
    s.close()
    after = _content(path)
    assert after["rows"] == before["rows"]  # every row as it was
    # every index and trigger as it was, but for migration 8's index that replaced the one it extends
    replaced, added = schema.SUGGESTIONS_BY_STATUS[0], schema.PENDING_SUGGESTIONS[0]
    assert [o for o in after["objects"] if o[1] != added] == [o for o in before["objects"] if o[1] != replaced]
    assert replaced in {o[1] for o in before["objects"]} and added in {o[1] for o in after["objects"]}
    sql = _table_sql(path)
    assert {n for n, text in sql.items() if has_autoincrement(text)} == {t.name for t in schema.AUTOINCREMENT_TABLES}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # the children still refer to the rebuilt tables, with their actions
        fks = {(r[2], r[3], r[6]) for r in conn.execute("PRAGMA foreign_key_list(turns)")}
        assert fks == {("transcripts", "transcript_id", "CASCADE")}

    s = Store.open_sqlite(path)  # opens without a further migration
    assert s.migrated == [] and s.schema_version() == SCHEMA_VERSION
    assert [t.name for t in s.transcripts.summaries()] == ["one", "two"]
    [accepted] = s.suggestions.list(status="accepted")
    assert accepted.coding_id == s.codings.list(coders=["amina"])[0].id
    # Foreign keys are on again on every connection of the pool (the migration ran with them off).
    conns = [s.engine.connect() for _ in range(6)]
    try:
        assert [c.exec_driver_sql("PRAGMA foreign_keys").scalar() for c in conns] == [1] * 6
    finally:
        for c in conns:
            c.close()
    # The id freed before the migration (3) is given once more; from then on no id comes back.
    t = s.transcripts.add(_transcript("after"))
    assert t == 3
    s.transcripts.delete(t)
    assert s.transcripts.add(_transcript("later")) == 4
    _assert_no_id_is_reused(s)
    s.close()


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.sqlite"
    _v6_project(path)
    before, before_sql = _content(path), _table_sql(path)
    real = migrations._rebuild
    done: list[str] = []

    def fails_half_way(conn: sa.Connection, table: sa.Table) -> None:
        real(conn, table)
        done.append(table.name)
        if table.name == "codings":  # coders, participants, transcripts, codebooks and codings rebuilt
            raise RuntimeError("crash in the middle of the migration")

    monkeypatch.setattr(migrations, "_rebuild", fails_half_way)
    with pytest.raises(RuntimeError, match="crash in the middle"):
        Store.open_sqlite(path, backup_dir=tmp_path / "backups")
    assert "transcripts" in done
    assert _content(path) == before and _table_sql(path) == before_sql
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM qcode_meta WHERE key = 'schema_version'").fetchone() == ("6",)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'qcode_rebuild_%'").fetchone() == (0,)

    monkeypatch.setattr(migrations, "_rebuild", real)
    s = Store.open_sqlite(path, backup_dir=tmp_path / "backups")  # the next opening migrates it
    assert s.schema_version() == SCHEMA_VERSION
    s.close()
    assert _content(path)["rows"] == before["rows"]


def test_the_rebuild_refuses_to_run_with_foreign_keys_on(tmp_path: Path) -> None:
    """Dropping the old transcripts table with foreign keys on would delete every turn (ON DELETE CASCADE)."""
    path = tmp_path / "p.sqlite"
    _v6_project(path)
    before = _content(path)
    engine = sqlite_engine(path)  # foreign keys on, as every qcode connection
    with pytest.raises(RuntimeError, match="foreign keys off"):
        with engine.connect().execution_options(qcode_write=True) as conn, conn.begin():
            migrations.apply(conn, 6)
    engine.dispose()
    assert _content(path) == before


def test_a_version_7_file_without_autoincrement_is_refused(tmp_path: Path) -> None:
    """The schema check sees AUTOINCREMENT: a file saying version 7 with version 6's tables was not made by qcode."""
    path = tmp_path / "p.sqlite"
    _v6_project(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE qcode_meta SET value = '7' WHERE key = 'schema_version'")
    before = path.read_bytes()
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(path)
    assert "does not have the structure qcode creates for schema version 7" in err.value.message
    assert "table 'codebooks'" in err.value.message
    assert path.read_bytes() == before


def test_opening_an_older_project_says_it_was_upgraded_and_where_the_old_file_is(tmp_path: Path, capsys) -> None:
    from qcode.storage.migrations import SCHEMA_VERSION
    from qcode.usecases.project import Project
    from tests.helpers import run_cli

    Project.init(tmp_path / "study").close()
    db = tmp_path / "study" / ".qcode" / "project.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    _v6_project(db)
    code, _, err = run_cli(capsys, "-p", str(tmp_path / "study"), "transcripts")
    assert code == 0, err
    assert f"upgraded to schema version {SCHEMA_VERSION}" in err and f"before-migration-v6-to-v{SCHEMA_VERSION}" in err
    with Project.open(tmp_path / "study") as p:  # once upgraded, nothing more to say
        assert "upgraded" not in p.notice
