"""Findings 4 and 5 of issue 14: caches survive rollbacks; no duplicate codings, even from two processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from qcode.core import Code, Codebook, Coding, Transcript, build_text
from qcode.core.errors import CodingError, QcodeError
from qcode.storage import SCHEMA_VERSION, Store, migrations
from qcode.storage.engine import sqlite_engine

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open_sqlite(tmp_path / "p.sqlite", create=True)
    s.codes.save(Codebook(title="cb", codes=(Code("a"), Code("b"))))
    text, turns = build_text([("S", "word " * 200, None, None)])
    s.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns))
    yield s
    s.close()


def test_a_rolled_back_first_coding_of_a_new_coder_leaves_no_stale_coder_id(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.codings.add(Coding(1, 0, 4, "a", "newcomer"))
            raise RuntimeError("disk full at commit")
    assert store.coders.names() == []  # the coder row was rolled back...
    c = store.codings.add(Coding(1, 0, 4, "a", "newcomer"))  # ...and is not remembered from the cache
    assert c.coder == "newcomer" and store.coders.names() == ["newcomer"]


def test_a_rolled_back_code_is_not_remembered_as_known(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.codes.upsert([Code("ghost")], start_position=5)
            store.codings.add(Coding(1, 0, 4, "ghost", "amina"))
            raise RuntimeError("failed later in the same action")
    with pytest.raises(CodingError, match="Unknown code 'ghost'"):
        store.codings.add(Coding(1, 0, 4, "ghost", "amina"))


def test_database_constraint_errors_reach_the_user_as_qcode_errors(store: Store) -> None:
    with pytest.raises(QcodeError):
        store.codings.add(Coding(99, 0, 4, "a", "amina"))  # no transcript 99: a foreign-key failure


def test_the_schema_refuses_a_duplicate_coding(store: Store) -> None:
    store.codings.add(Coding(1, 0, 4, "a", "amina"))
    with pytest.raises(CodingError, match="already coded"):
        store.codings.add(Coding(1, 0, 4, "a", "amina"))  # bypassing the use case's check
    store.codings.add(Coding(1, 0, 4, "a", "other coder"))  # another coder may code the same passage
    store.codings.add(Coding(1, 0, 4, "b", "amina"))
    assert len(store.codings.list()) == 3


CODER = r"""
import sys, time
from pathlib import Path
from qcode.core.errors import CodingError
from qcode.usecases.coding import apply_code
from qcode.usecases.project import Project

root, start_at, n = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
with Project.open(root) as p:
    while time.time() < start_at:
        time.sleep(0.001)
    stored = refused = 0
    for i in range(n):
        try:
            apply_code(p, "interview-01", i % 150, i % 150 + 3, "instability" if i < 150 else "pay")
            stored += 1
        except CodingError:
            refused += 1
print(stored, refused)
"""


def test_two_processes_coding_the_same_spans_store_each_once(project_dir: Path) -> None:
    n = 300
    start_at = time.time() + 1.5
    env = {**os.environ, "PYTHONPATH": str(REPO), "QCODE_CODER": "amina"}
    procs = [
        subprocess.Popen([sys.executable, "-c", CODER, str(project_dir), str(start_at), str(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    stored = sum(int(o[0].split()[0]) for o in outs)
    refused = sum(int(o[0].split()[1]) for o in outs)
    s = Store.open_sqlite(project_dir / ".qcode" / "project.sqlite")
    rows = s.codings.list()
    s.close()
    keys = [(c.transcript_id, c.code_id, c.coder, c.start, c.end) for c in rows]
    assert len(keys) == len(set(keys)) == n
    assert stored == n and refused == n


def _old_project_with_duplicates(path: Path) -> None:
    """A version-2 project (no unique index) holding duplicate codings, one with a memo, one with a suggestion."""
    engine = sqlite_engine(path)
    with engine.connect().execution_options(qcode_write=True) as conn, conn.begin():
        migrations.apply(conn, 0, 2)
        conn.exec_driver_sql(
            "INSERT INTO transcripts (guid, name, title, text, text_sha256, kind, words, attributes, notes, warnings,"
            " encoding_guessed, created, modified) VALUES ('g1', 'old', 'Old', 'Some old text', 'x', 'interview', 3,"
            " '{}', '[]', '[]', 0, '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')"
        )
        conn.exec_driver_sql("INSERT INTO codes (id, guid, position, retired, data) VALUES ('c', 'gc', 0, 0, '{\"id\": \"c\"}')")
        conn.exec_driver_sql("INSERT INTO coders (name, guid) VALUES ('amina', 'ga')")
        for i, memo in enumerate(["", "second thoughts", "", "other place"]):
            end = 4 if i < 3 else 8
            conn.exec_driver_sql(
                "INSERT INTO codings (guid, transcript_id, code_id, coder_id, start, \"end\", memo, origin, quote,"
                " prefix, suffix, status, created, modified) VALUES (?, 1, 'c', 1, 0, ?, ?, 'manual', 'Some', '',"
                " ' old', 'ok', '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')",
                (f"gk{i}", end, memo),
            )
        conn.exec_driver_sql(
            "INSERT INTO suggestions (transcript_id, code_id, start, \"end\", quote, score, evidence, suggester,"
            " status, coding_id, created) VALUES (1, 'c', 0, 4, 'Some', 0.9, '{}', 'rules', 'accepted', 3,"
            " '2024-01-01T00:00:00+00:00')"
        )
    engine.dispose()


def test_migration_merges_old_duplicates_keeping_memos_and_suggestion_links(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    _old_project_with_duplicates(path)
    s = Store.open_sqlite(path, backup_dir=tmp_path / "backups")
    assert s.schema_version() == SCHEMA_VERSION
    assert any("merged 2 duplicate codings into 1" in m for m in s.migrated), s.migrated
    rows = sorted(s.codings.list(), key=lambda c: c.end)
    assert [(c.id, c.end, c.memo) for c in rows] == [(1, 4, "second thoughts"), (4, 8, "other place")]
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT coding_id FROM suggestions").scalar() == 1
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "uq_codings_span" in names
    with pytest.raises(CodingError):
        s.codings.add(Coding(1, 0, 4, "c", "amina"))
    s.close()
    assert s.backup_path is not None  # the old project, duplicates and all, is in the backup
    old = sa.create_engine(f"sqlite:///{s.backup_path}")
    with old.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM codings").scalar() == 4
    old.dispose()
