"""QualCoder and Taguette projects, built here from their documented schemas, and hostile databases."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from qcode.core.errors import ImportFormatError
from qcode.usecases.project import Project
from qcode.usecases.refi_import import import_project

QC_TEXT = "Interviewer: How is the work? 😀\nAmina: Unstable. Some weeks nothing.\nInterviewer: And the pay?\nAmina: Piece rates, very low.\n"

# QualCoder 3 tables (src/qualcoder: the CREATE TABLE statements of a new project), the columns this reader uses.
QUALCODER_SCHEMA = [
    "CREATE TABLE project (databaseversion text, date text, memo text, about text, bookmarkfile integer, "
    "bookmarkpos integer, codername text)",
    "CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, memo text, owner text, "
    "date text, av_text_id integer, risid integer, unique(name))",
    "CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text, supercatid integer, "
    "unique(name))",
    "CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, owner text, date text, "
    "color text, unique(name))",
    "CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text, pos0 integer, "
    "pos1 integer, owner text, date text, memo text, avid integer, important integer, unique(cid,fid,pos0,pos1,owner))",
    "CREATE TABLE annotation (anid integer primary key, fid integer, pos0 integer, pos1 integer, memo text, owner text, "
    "date text, unique(fid,pos0,pos1,owner))",
    "CREATE TABLE journal (jid integer primary key, name text, jentry text, date text, owner text, unique(name))",
    "CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text, date text, constraint ucm unique(name))",
    "CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer, pos1 integer, "
    "owner text, date text, memo text)",
    "CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text, caseOrFile text, valuetype text)",
    "CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text, id integer, date text, "
    "owner text, unique(name,attr_type,id))",
]


def qualcoder_project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    db = folder / "data.qda"
    conn = sqlite3.connect(db)
    for sql in QUALCODER_SCHEMA:
        conn.execute(sql)
    d = "2024-01-15 10:00:00"
    conn.execute("INSERT INTO project VALUES ('v9', ?, '', 'QualCoder 3.5', 0, 0, 'ana')", (d,))
    conn.execute("INSERT INTO source VALUES (1, 'amina.txt', ?, NULL, 'phone interview', 'ana', ?, NULL, NULL)", (QC_TEXT, d))
    conn.execute("INSERT INTO code_cat VALUES (1, 'Work', 'ana', ?, 'All about work', NULL)", (d,))
    conn.execute("INSERT INTO code_cat VALUES (2, 'Money', 'ana', ?, '', 1)", (d,))
    conn.execute("INSERT INTO code_name VALUES (1, 'Instability', 'Work that stops', 1, 'ana', ?, '#AA0000')", (d,))
    conn.execute("INSERT INTO code_name VALUES (2, 'Pay', '', 2, 'ana', ?, '#00AA00')", (d,))
    for ctid, cid, quote, owner in [(1, 1, "Unstable. Some weeks nothing.", "ana"), (2, 2, "Piece rates, very low.", "ben"),
                                    (3, 1, "Unstable.", "ben")]:
        a = QC_TEXT.index(quote)
        conn.execute("INSERT INTO code_text VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, NULL, 0)",
                     (ctid, cid, quote, a, a + len(quote), owner, d, "memo" if ctid == 1 else ""))
    a = QC_TEXT.index("the pay")
    conn.execute("INSERT INTO annotation VALUES (1, 1, ?, ?, 'ask about rates', 'ben', ?)", (a, a + 7, d))
    conn.execute("INSERT INTO journal VALUES (1, 'Day 1', 'First thoughts', ?, 'ana')", (d,))
    conn.execute("INSERT INTO cases VALUES (1, 'Amina W.', '', 'ana', ?)", (d,))
    conn.execute("INSERT INTO case_text VALUES (1, 1, 1, 0, 10, 'ana', ?, '')", (d,))
    conn.execute("INSERT INTO attribute_type VALUES ('age', ?, 'ana', '', 'case', 'numeric')", (d,))
    conn.execute("INSERT INTO attribute_type VALUES ('site', ?, 'ana', '', 'file', 'character')", (d,))
    conn.execute("INSERT INTO attribute VALUES (1, 'age', 'case', '34', 1, ?, 'ana')", (d,))
    conn.execute("INSERT INTO attribute VALUES (2, 'site', 'file', 'Nairobi', 1, ?, 'ana')", (d,))
    conn.commit()
    conn.close()
    return folder


@pytest.fixture
def empty(tmp_path: Path) -> Project:
    p = Project.init(tmp_path / "proj", language="en")
    yield p
    p.close()


def test_qualcoder_folder(empty: Project, tmp_path: Path) -> None:
    folder = qualcoder_project(tmp_path / "study.qda")
    db = folder / "data.qda"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    r = import_project(empty, folder)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # opened read-only
    assert not (folder / "data.qda-wal").exists()
    assert (r.tool, r.codings, r.exact, r.unplaced) == ("QualCoder", 3, 3, [])
    assert sorted(r.coders) == ["ana", "ben"]
    cb = empty.codebook
    assert (cb.get("work").codable, cb.get("money").parent, cb.get("pay").parent) == (False, "work", "money")
    assert cb.get("instability").color == "#AA0000" and cb.get("work").definition == "All about work"
    got = sorted((c.code_id, c.coder, c.quote, c.memo) for c in empty.store.codings.list())
    assert got == [("instability", "ana", "Unstable. Some weeks nothing.", "memo"), ("instability", "ben", "Unstable.", ""),
                   ("pay", "ben", "Piece rates, very low.", "")]
    memos = sorted((m.target_kind, m.text) for m in empty.store.memos.list())
    assert memos == [("project", "First thoughts"), ("transcript", "ask about rates"), ("transcript", "phone interview")]
    [p] = empty.store.participants.list()
    assert (p.name, p.attributes) == ("Amina W.", {"age": 34}) and type(p.attributes["age"]) is int  # 34, not 34.0
    [t] = empty.store.transcripts.summaries()
    assert t.attributes == {"site": "Nairobi"}
    assert t.name == "amina"  # QualCoder names a source after its file, "amina.txt"


def test_qualcoder_data_qda_file_directly(empty: Project, tmp_path: Path) -> None:
    folder = qualcoder_project(tmp_path / "s.qda")
    r = import_project(empty, folder / "data.qda")
    assert r.codings == 3


# Taguette (taguette/database/models.py): documents hold HTML; highlight offsets count UTF-8 bytes of text nodes.
TAGUETTE_SCHEMA = [
    "CREATE TABLE users (login VARCHAR(30) PRIMARY KEY, created DATETIME NOT NULL)",
    "CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL, description TEXT NOT NULL, "
    "created DATETIME NOT NULL)",
    "CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL, description TEXT NOT NULL, "
    "filename VARCHAR(200) NOT NULL, created DATETIME NOT NULL, project_id INTEGER NOT NULL, "
    "text_direction VARCHAR(13) NOT NULL, contents TEXT NOT NULL)",
    "CREATE TABLE commands (id INTEGER PRIMARY KEY AUTOINCREMENT, date DATETIME NOT NULL, user_login VARCHAR(30) NOT NULL, "
    "project_id INTEGER NOT NULL, document_id INTEGER, payload TEXT NOT NULL)",
    "CREATE TABLE highlights (id INTEGER PRIMARY KEY AUTOINCREMENT, document_id INTEGER NOT NULL, start_offset INTEGER NOT NULL, "
    "end_offset INTEGER NOT NULL, snippet TEXT NOT NULL)",
    "CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL, path VARCHAR(200) NOT NULL, "
    "description TEXT NOT NULL, parent_id INTEGER)",
    "CREATE TABLE highlight_tags (highlight_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (highlight_id, tag_id))",
]
TG_HTML = ("<p>Interviewer: Où est le travail? 😀</p>\n<p>Amina: C&#39;est <b>instable</b> &amp; précaire.</p>\n"
           "<p>Interviewer: Et la paie?</p>\n<p>Amina: À la pièce, très bas.</p>")


def _text_bytes(html_text_before: str) -> int:
    return len(html_text_before.encode("utf-8"))


def taguette_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    for sql in TAGUETTE_SCHEMA:
        conn.execute(sql)
    d = "2024-02-01 09:00:00"
    conn.execute("INSERT INTO users VALUES ('ana', ?)", (d,))
    conn.execute("INSERT INTO users VALUES ('ben', ?)", (d,))
    conn.execute("INSERT INTO projects VALUES (1, 'Enquête', '', ?)", (d,))
    conn.execute("INSERT INTO documents VALUES (1, 'Amina', '', 'amina.docx', ?, 1, 'LEFT_TO_RIGHT', ?)", (d, TG_HTML))
    conn.execute("INSERT INTO tags VALUES (1, 1, 'travail', 'Le travail', NULL)")
    conn.execute("INSERT INTO tags VALUES (2, 1, 'précarité', '', 1)")
    # Text nodes: "Interviewer: Où est le travail? 😀", "\n", "Amina: C'est ", "instable", " & précaire.", ...
    nodes = "Interviewer: Où est le travail? 😀" + "\n" + "Amina: C'est "
    s1 = _text_bytes(nodes)
    e1 = s1 + _text_bytes("instable & précaire.")
    nodes2 = nodes + "instable & précaire." + "\n" + "Interviewer: Et la paie?" + "\n" + "Amina: "
    s2 = _text_bytes(nodes2)
    e2 = s2 + _text_bytes("À la pièce")
    conn.execute("INSERT INTO highlights VALUES (1, 1, ?, ?, '<b>instable</b> &amp; précaire.')", (s1, e1))
    conn.execute("INSERT INTO highlights VALUES (2, 1, ?, ?, 'À la pièce')", (s2, e2))
    conn.execute("INSERT INTO highlight_tags VALUES (1, 2)")
    conn.execute("INSERT INTO highlight_tags VALUES (2, 1)")
    conn.execute("INSERT INTO commands VALUES (1, ?, 'ana', 1, 1, ?)", (d, json.dumps({"type": "highlight_add", "highlight_id": 1})))
    conn.execute("INSERT INTO commands VALUES (2, ?, 'ben', 1, 1, ?)", (d, json.dumps({"type": "highlight_add", "highlight_id": 2})))
    conn.commit()
    conn.close()
    return path


def test_taguette_database(empty: Project, tmp_path: Path) -> None:
    db = taguette_db(tmp_path / "taguette.sqlite3")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    r = import_project(empty, db)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert (r.tool, r.codings, r.exact, r.unplaced) == ("Taguette", 2, 2, [])
    got = sorted((c.code_id, c.coder, c.quote) for c in empty.store.codings.list())
    assert got == [("precarite", "ana", "instable & précaire."), ("travail", "ben", "À la pièce")]
    assert empty.codebook.get("precarite").parent == "travail"
    [t] = [empty.transcript(s.id) for s in empty.store.transcripts.summaries()]
    assert [x.speaker for x in t.turns] == ["Interviewer", "Amina", "Interviewer", "Amina"]


# ------------------------------------------------------------------ hostile databases
def test_not_sqlite(empty: Project, tmp_path: Path) -> None:
    f = tmp_path / "fake.sqlite3"
    f.write_bytes(b"<html>not a database</html>")
    with pytest.raises(ImportFormatError, match="not a SQLite database"):
        import_project(empty, f)


def test_damaged_database_fails_integrity_check(empty: Project, tmp_path: Path) -> None:
    db = taguette_db(tmp_path / "t.sqlite3")
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(1, len(data) // page):  # scribble over every b-tree page header, keep the file header
        data[n * page:n * page + 12] = b"\xab" * 12
    db.write_bytes(bytes(data))
    with pytest.raises(ImportFormatError, match="damaged|cannot be read"):
        import_project(empty, db)
    assert empty.store.transcripts.summaries() == []


def test_wrong_kind_of_database(empty: Project, tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(ImportFormatError, match="not a Taguette project"):
        import_project(empty, db)


def test_trusted_schema_off_blocks_functions_in_views(empty: Project, tmp_path: Path) -> None:
    """A crafted view calling a function: with trusted_schema off SQLite refuses to run it from the schema."""
    from qcode.formats.refi.foreign import open_untrusted

    db = taguette_db(tmp_path / "t.sqlite3")
    conn = sqlite3.connect(db)
    conn.execute("CREATE VIEW evil AS SELECT load_extension('x') AS v")
    conn.commit()
    conn.close()
    ro = open_untrusted(db, "Taguette")
    try:
        assert ro.execute("PRAGMA trusted_schema").fetchone()[0] == 0
        with pytest.raises(sqlite3.Error):
            ro.execute("SELECT * FROM evil").fetchall()
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only|attempt to write"):
            ro.execute("DELETE FROM tags")
    finally:
        ro.close()
