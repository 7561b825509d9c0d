"""The SQLite store: round trips, transactions, safety pragmas, damaged files."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from qcode.core import Code, Codebook, Coding, Memo, Participant, SourceInfo, Transcript, build_text
from qcode.core.errors import CodingError, ProjectBusyError, ProjectError
from qcode.storage import Store, schema
from tests.conftest import fresh_postgres_database


def _transcript(name: str = "t1") -> Transcript:
    text, turns = build_text([("Interviewer", "How is work?", 0.0, 2.0), ("Amina", "Unstable, always.", 2.0, 5.5)])
    return Transcript(
        name=name, title="Interview 1", text=text, turns=turns, language="en",
        attributes={"country": "KE"}, speakers={"Amina": "P01", "Interviewer": None},
        source=SourceInfo("i1.txt", "ab" * 32, "txt", "utf-8"),
    )


def _fresh_postgres() -> Store:
    """A store on an empty PostgreSQL database of this test worker."""
    return Store.open_url(fresh_postgres_database("s"), create=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """The same store behaviour on SQLite and (when configured) on a PostgreSQL server."""
    s = Store.open_sqlite(tmp_path / "p.sqlite", create=True) if request.param == "sqlite" else _fresh_postgres()
    s.codes.save(Codebook(title="cb", version="1", codes=(Code("a", {"": "A"}), Code("b", {"": "B"}, parent="a"))))
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path):
    s = Store.open_sqlite(tmp_path / "p.sqlite", create=True)
    s.codes.save(Codebook(title="cb", version="1", codes=(Code("a", {"": "A"}), Code("b", {"": "B"}, parent="a"))))
    yield s
    s.close()


def test_transcript_round_trip(store: Store) -> None:
    t = _transcript()
    tid = store.transcripts.add(t, source_bytes=b"raw")
    back = store.transcripts.get(tid)
    assert back.text == t.text and back.turns == t.turns
    assert back.attributes == {"country": "KE"}
    assert back.speakers == {"Interviewer": None, "Amina": "P01"}
    assert back.source is not None and back.source.sha256 == "ab" * 32
    assert store.transcripts.source_bytes(tid) == b"raw"
    [summary] = store.transcripts.summaries()
    assert summary.words == 5 and summary.turns == 2 and summary.speakers == ["Interviewer", "Amina"]


def test_find_transcript_by_id_name_and_file_and_ambiguity(store: Store) -> None:
    a = store.transcripts.add(_transcript("one"))
    b = store.transcripts.add(_transcript("two"))
    assert store.transcripts.find(str(a)) == a
    assert store.transcripts.find("two") == b
    with pytest.raises(Exception) as err:
        store.transcripts.find("i1.txt")
    assert "matches 2 transcripts" in str(err.value) and "one (id" in str(err.value)
    with pytest.raises(Exception) as err2:
        store.transcripts.find("tow")
    assert "Did you mean 'two'?" in str(err2.value)


def test_codebook_round_trip(store: Store) -> None:
    cb = store.codes.codebook()
    assert cb.title == "cb" and cb.ids == ["a", "b"] and cb.get("b").parent == "a"
    assert store.codes.record().content_hash == cb.content_hash()


def test_coding_round_trip_update_delete_restore(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    c = store.codings.add(Coding(tid, 0, 5, "a", "amina", memo="m", quote="How i", evidence={"x": 1}))
    assert c.id is not None
    got = store.codings.get(c.id)
    assert (got.coder, got.memo, got.quote, got.evidence, got.guid) == ("amina", "m", "How i", {"x": 1}, c.guid)
    store.codings.update(_with(got, code_id="b"))
    assert store.codings.get(c.id).code_id == "b"
    old = store.codings.delete(c.id)
    assert store.codings.list() == []
    store.codings.restore(old)
    assert store.codings.get(c.id).guid == c.guid


def _with(c: Coding, **kw: object) -> Coding:
    from dataclasses import replace

    return replace(c, **kw)


def test_unknown_code_is_refused_with_suggestion(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    with pytest.raises(CodingError) as err:
        store.codings.add(Coding(tid, 0, 5, "aa", "x"))
    assert "Unknown code 'aa'" in err.value.message
    assert store.codings.list() == []


def test_database_refuses_invalid_span_even_without_use_case(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    from qcode.core.errors import StorageError

    with pytest.raises(StorageError) as err:  # the constraint, reported as a user-facing error
        store.codings.add(Coding(tid, 5, 5, "a", "x"))
    assert isinstance(err.value.__cause__, sa.exc.IntegrityError)


def test_transaction_is_all_or_nothing(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.codings.add(Coding(tid, 0, 5, "a", "x"))
            store.memos.add(Memo("project", "", "note", "x"))
            raise RuntimeError("boom")
    assert store.codings.list() == [] and store.memos.list() == []


def test_a_rollback_transaction_keeps_nothing_and_never_joins_an_open_one(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    with store.transaction(rollback=True):  # a dry run: everything is done, then undone
        store.codings.add(Coding(tid, 0, 5, "a", "x"))
        assert len(store.codings.list()) == 1  # (seen inside)
    assert store.codings.list() == []
    with pytest.raises(RuntimeError, match="boom"), store.transaction(rollback=True):  # errors still propagate
        raise RuntimeError("boom")
    with store.transaction():
        store.codings.add(Coding(tid, 0, 5, "a", "x"))
        with pytest.raises(RuntimeError, match="cannot join one already open"), store.transaction(rollback=True):
            pass
    assert len(store.codings.list()) == 1  # the outer transaction went on and committed


def test_batch_insert_returns_ids_and_filters(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    items = [Coding(tid, i, i + 3, "a" if i % 2 else "b", "c1" if i < 5 else "c2") for i in range(10)]
    stored = store.codings.add_many(items)
    assert len({c.id for c in stored}) == 10
    assert len(store.codings.list(code_ids=["a"])) == 5
    assert len(store.codings.list(coders=["c2"])) == 5
    assert store.codings.counts() == {"a": 5, "b": 5}
    assert store.coders.names() == ["c1", "c2"]


def test_participants_and_speaker_links(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    store.participants.upsert(Participant("P01", {"gender": "f"}))
    store.participants.upsert(Participant("P01", {"country": "KE"}))
    assert store.participants.list() == [Participant("P01", {"gender": "f", "country": "KE"})]
    store.participants.link_speaker(tid, "Interviewer", "INT")
    assert store.participants.speakers() == {(tid, "Amina"): "P01", (tid, "Interviewer"): "INT"}


def test_reassign_codings_dedupes(store: Store) -> None:
    tid = store.transcripts.add(_transcript())
    store.codings.add_many([Coding(tid, 0, 5, "a", "x"), Coding(tid, 0, 5, "b", "x"), Coding(tid, 6, 9, "a", "x")])
    assert store.codings.reassign("a", "b") == 2
    assert sorted((c.start, c.code_id) for c in store.codings.list()) == [(0, "b"), (6, "b")]


def test_safety_pragmas_are_set(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_deleted_interview_text_does_not_linger_in_the_file(tmp_path: Path) -> None:
    s = Store.open_sqlite(tmp_path / "p.sqlite", create=True)
    t = _transcript()
    canary = "ZXQ-PARTICIPANT-7781"
    t.text = t.text.replace("Unstable", canary)
    t.turns = build_text([("Interviewer", "How is work?", None, None), ("Amina", f"{canary}, always.", None, None)])[1]
    tid = s.transcripts.add(t)
    s.transcripts.delete(tid)
    s.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert canary.encode() not in blob


def test_indexes_serve_the_common_queries(sqlite_store: Store) -> None:
    store = sqlite_store
    queries = {
        "SELECT * FROM codings WHERE code_id = 'a'": "ix_codings_code",
        "SELECT * FROM codings WHERE transcript_id = 1": "ix_codings_transcript",
        "SELECT * FROM codings WHERE coder_id = 1": "ix_codings_coder",
    }
    with store.engine.connect() as conn:
        for sql, index in queries.items():
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert index in plan, (sql, plan)


def test_second_writer_gets_project_busy_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    s1 = Store.open_sqlite(path, create=True)
    s2 = Store.open_sqlite(path, busy_timeout=0.3)
    holding = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with s1.transaction():
            s1.meta.set("k", "v1")
            holding.set()
            release.wait(5)

    th = threading.Thread(target=hold_lock)
    th.start()
    holding.wait(5)
    t0 = time.monotonic()
    with pytest.raises(ProjectBusyError) as err:
        s2.meta.set("k", "v2")
    waited = time.monotonic() - t0
    release.set()
    th.join()
    assert waited >= 0.25
    assert "busy" in err.value.message and "Nothing was changed" in err.value.hint
    assert s2.meta.get("k") == "v1"
    s2.meta.set("k", "v2")  # works once the first writer is done
    assert s1.meta.get("k") == "v2"
    with s1.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    s1.close()
    s2.close()


def test_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = path.read_bytes()
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(path)
    assert "not a SQLite database" in err.value.message and "backups" in err.value.hint
    assert path.read_bytes() == before


def test_damaged_database_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    s = Store.open_sqlite(path, create=True)
    tid = s.transcripts.add(_transcript())
    s.codings.add_many([Coding(tid, i % 20, i % 20 + 2, "a", "x") for i in range(2000)] if s.codes.codebook().ids else [])
    s.close()
    data = bytearray(path.read_bytes())
    # Scribble over the middle pages, keeping the header intact.
    for i in range(4096, min(len(data), 4096 * 3)):
        data[i] = 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(path)
    assert "damaged" in err.value.message


def test_missing_database_without_create(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as err:
        Store.open_sqlite(tmp_path / "nope.sqlite")
    assert "qcode init" in err.value.hint
    assert not (tmp_path / "nope.sqlite").exists()


def test_backup_is_verified_and_complete(sqlite_store: Store, tmp_path: Path) -> None:
    store = sqlite_store
    store.transcripts.add(_transcript())
    path = store.backup(tmp_path / "backups")
    copy = Store.open_sqlite(path)
    assert [t.name for t in copy.transcripts.summaries()] == ["t1"]
    copy.close()


def test_schema_tables_all_created(store: Store) -> None:
    names = set(sa.inspect(store.engine).get_table_names())
    assert {t.name for t in schema.metadata.sorted_tables} <= names
