"""Finding 15 of issue 14: each protection has a test that fails when the protection is removed.

Checked by mutation: each protection was removed locally and the test named
here failed (then the code was restored). Where SQLite's build decides the
outcome whatever qcode sets, the test says so.
"""

from __future__ import annotations

import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from qcode.core import Code, Codebook, Coding, Transcript, build_text
from qcode.core.errors import ImportFormatError, ProjectError
from qcode.formats.safexml import parse_xml
from qcode.formats.safezip import SafeZip, ZipLimits
from qcode.storage import Store

REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ safezip
def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we want
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return buf.getvalue()


def test_safezip_refuses_duplicate_member_names() -> None:
    data = _zip([("word/document.xml", b"<a/>"), ("word/document.xml", b"<b/>")])
    with pytest.raises(ImportFormatError, match="twice"):
        SafeZip(data, "dup.docx", "Word .docx")
    data = _zip([("Content.xml", b"<a/>"), ("content.xml", b"<b/>")])  # case-insensitive file systems
    with pytest.raises(ImportFormatError, match="twice"):
        SafeZip(data, "dup.odt", "OpenDocument .odt")


def test_safezip_limits_the_total_of_all_members() -> None:
    data = _zip([(f"part{i}.xml", os.urandom(3000)) for i in range(5)])  # each member small, the sum not
    with pytest.raises(ImportFormatError, match="archive expands to"):
        SafeZip(data, "many.docx", "Word .docx", ZipLimits(max_total=10_000, max_member=5_000))
    SafeZip(data, "many.docx", "Word .docx", ZipLimits(max_total=20_000, max_member=5_000))


def test_safezip_counts_the_total_actually_read_across_members(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _zip([("a.xml", b"<a/>"), ("b.xml", b"<b/>")])
    zf = SafeZip(data, "x.docx", "Word .docx", ZipLimits(max_total=6_000, max_member=5_000))
    monkeypatch.setattr(zf.zf, "open", lambda info: io.BytesIO(b"x" * 4_000))  # headers that lie
    zf.read("a.xml")
    with pytest.raises(ImportFormatError, match="expands beyond"):
        zf.read("b.xml")  # 4,000 more would pass the 6,000 total


# ------------------------------------------------------------------ safexml
def test_safexml_refuses_a_doctype_unless_allowed() -> None:
    with pytest.raises(ImportFormatError, match="contains a DTD"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE w SYSTEM "http://example.org/x.dtd"><w/>', "x.xml")
    assert parse_xml(b'<!DOCTYPE Trans SYSTEM "trans-14.dtd"><Trans/>', "t.trs", allow_doctype=True).tag == "Trans"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_safexml_finds_entity_declarations_in_utf16_documents(encoding: str) -> None:
    doc = (f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
           '<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><t>&b;</t>')
    with pytest.raises(ImportFormatError, match="declares XML entities"):
        parse_xml(doc.encode(encoding), "laughs.xml", allow_doctype=True)


# ------------------------------------------------------------------ SQLite pragmas
def _store(tmp_path: Path) -> Store:
    s = Store.open_sqlite(tmp_path / "p.sqlite", create=True)
    s.codes.save(Codebook(title="cb", codes=(Code("a"),)))
    text, turns = build_text([("S", "word " * 400, None, None)])
    s.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns))
    return s


def test_write_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: from the first statement of a write transaction, no other writer can start."""
    s = _store(tmp_path)
    other = sqlite3.connect(tmp_path / "p.sqlite", timeout=0)
    try:
        with s.transaction():
            s.meta.get("k")  # a read only: a deferred BEGIN would hold no lock yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after commit
        other.rollback()
    finally:
        other.close()
        s.close()


def test_untrusted_schema_cannot_call_application_functions(tmp_path: Path) -> None:
    """trusted_schema=OFF: a view (or trigger) in the file cannot call a function the application registered."""
    s = _store(tmp_path)
    with s.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.create_function("spy", 0, lambda: "called")
        assert raw.execute("SELECT spy()").fetchone() == ("called",)  # direct calls are fine
        raw.execute("CREATE VIEW v AS SELECT spy() AS x")
        try:
            with pytest.raises(sqlite3.OperationalError, match="unsafe use of spy"):
                raw.execute("SELECT x FROM v").fetchall()
        finally:
            raw.execute("DROP VIEW v")
    s.close()


def test_safety_pragmas_on_every_connection(tmp_path: Path) -> None:
    """The values qcode sets. secure_delete and synchronous also default to these on some builds (Debian's
    SQLite has secure_delete=1), where removing the pragma would not change behaviour; this test still fails."""
    s = _store(tmp_path)
    with s.engine.connect() as c1, s.engine.connect() as c2:
        for conn in (c1, c2):
            got = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
                   ("trusted_schema", "secure_delete", "cell_size_check", "mmap_size", "foreign_keys", "synchronous",
                    "journal_mode")}
            assert got == {"trusted_schema": 0, "secure_delete": 1, "cell_size_check": 1, "mmap_size": 0,
                           "foreign_keys": 1, "synchronous": 2, "journal_mode": "wal"}
    s.close()


def test_damage_in_data_pages_is_caught_by_quick_check_on_open(tmp_path: Path) -> None:
    s = _store(tmp_path)
    for i in range(300):
        s.codings.add(Coding(1, i, i + 5, "a", "amina", memo=f"memo {i} " * 20))
    s.close()
    db = tmp_path / "p.sqlite"
    data = bytearray(db.read_bytes())
    page = 4096
    last = len(data) // page - 1
    rng = random.Random(3)
    for p in range(last - 3, last + 1):  # the codings table's leaf pages: not read by the schema check
        for _ in range(200):
            data[p * page + rng.randrange(8, page)] = rng.randrange(256)
    db.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged"):
        Store.open_sqlite(db)


def test_atomic_writes_fsync_the_file_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Power loss after a rename of an unsynced file leaves an empty target (ALICE, OSDI'14)."""
    from qcode.formats import atomic

    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    atomic.atomic_write_text(tmp_path / "report.md", "text")
    assert events[:2] == ["fsync", "replace"] and events.count("fsync") == 2  # the file, then its folder


BATCH = r"""
import sys
from dataclasses import replace
from pathlib import Path
from qcode.core import Code, Codebook, Coding, Transcript, build_text
from qcode.storage import Store

store = Store.open_sqlite(Path(sys.argv[1]), create=True)
store.codes.save(Codebook(title="c", codes=(Code("a"),)))
text, turns = build_text([("S", "word " * 2000, None, None)])
store.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns))
codings = store.codings.add_many([Coding(1, i, i + 5, "a", "amina", memo="old " * 500) for i in range(3000)])
print("ready", flush=True)
with store.transaction():  # rewrites every committed page, many times over, in one transaction
    for n in range(1_000_000):
        store.codings.update(replace(codings[n % 3000], memo=f"new{n} " * 400))
        if n == 6000:
            print("midway", flush=True)
print("committed", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_inside_a_large_transaction_leaves_nothing_of_it(tmp_path: Path) -> None:
    """Sensitive to the journal: with journal_mode=OFF, pages the open transaction spilled over committed
    ones stay in the file after the kill (the mutation test found rewritten memos of a transaction that
    never committed)."""
    db = tmp_path / "p.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", BATCH, str(db)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert proc.stdout.readline().strip() == "midway"  # every page rewritten in the open transaction
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert "committed" not in out
    conn = sqlite3.connect(db)
    try:  # full integrity_check: pages spilled by an unjournalled transaction show up as never used
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    s = Store.open_sqlite(db)
    try:
        memos = {c.memo for c in s.codings.list()}
    finally:
        s.close()
    assert memos == {"old " * 500}


def test_safezip_reports_a_damaged_deflate_stream_as_a_clear_error() -> None:
    """Found by the fuzzing harness: zlib.error and ValueError (bad offsets) escaped SafeZip.read."""
    data = bytearray(_zip([("word/document.xml", b"<w:document>" + b"text " * 2000 + b"</w:document>")]))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start:start + 16] = b"\xff" * 16  # an invalid deflate block
    with pytest.raises(ImportFormatError, match="cannot be read"):
        SafeZip(bytes(data), "bad.docx", "Word .docx").read("word/document.xml")
