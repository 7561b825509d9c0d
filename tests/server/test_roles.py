"""Roles enforced by PostgreSQL itself: raw SQL as each role (psycopg), not through qcode.

Every write a role must not make is either refused by the server (permission
denied / row-level security) or, for rows the role cannot see, touches
nothing; each test also makes the write that *is* allowed, so it can fail.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from qcode.usecases import coding, memos, server
from qcode.usecases.project import Project
from tests.team import Team, lead_project

NOW = "2026-01-01T00:00:00+00:00"


@pytest.fixture
def coded(team_server: Team, tmp_path: Path) -> Team:
    """The lead set the project up; amina and bob each made a coding and a memo."""
    lead_project(team_server, tmp_path)
    for who, span in (("amina", (0, 11)), ("bob", (12, 20))):
        with Project.init(tmp_path / who, database=team_server.url(who)) as p:
            assert p.coder == team_server.roles[who]
            coding.apply_code(p, "i1", *span, "pay")
            memos.write_memo(p, "code", "pay", f"{who}'s note")
    return team_server


def _sql(team: Team, who: str) -> psycopg.Connection:
    return psycopg.connect(**team.conninfo(who), autocommit=True)


def _refused(conn: psycopg.Connection, sql: str, params: tuple = ()) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(sql, params)


def _ids(conn: psycopg.Connection, team: Team) -> dict[str, int]:
    rows = conn.execute("SELECT name, id FROM coders").fetchall()
    back = {v: k for k, v in team.roles.items()}
    return {back[name]: cid for name, cid in rows if name in back}


def _coding_of(conn: psycopg.Connection, coder_id: int) -> int:
    return conn.execute("SELECT id FROM codings WHERE coder_id = %s", (coder_id,)).fetchone()[0]


def _insert_coding(coder_id: int, start: int = 30) -> tuple[str, tuple]:
    return (
        "INSERT INTO codings (guid, transcript_id, code_id, coder_id, start, \"end\", memo, origin, quote, prefix,"
        " suffix, status, created, modified) VALUES (gen_random_uuid()::text, 1, 'pay', %s, %s, %s, '', 'manual',"
        " '', '', '', 'ok', %s, %s)",
        (coder_id, start, start + 5, NOW, NOW),
    )


def test_a_coder_changes_only_their_own_codings_and_memos(coded: Team) -> None:
    with _sql(coded, "amina") as conn:
        ids = _ids(conn, coded)
        bobs = _coding_of(conn, ids["bob"])
        mine = _coding_of(conn, ids["amina"])
        # Allowed: their own coding, made, changed and removed.
        conn.execute(*_insert_coding(ids["amina"]))
        assert conn.execute("UPDATE codings SET memo = 'mine' WHERE id = %s", (mine,)).rowcount == 1
        # Refused: a coding in someone else's name, or handing their own to someone else.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(*_insert_coding(ids["bob"]))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE codings SET coder_id = %s WHERE id = %s", (ids["bob"], mine))
        # Bob's coding: neither changed nor removed.
        assert conn.execute("UPDATE codings SET memo = 'hacked' WHERE id = %s", (bobs,)).rowcount == 0
        assert conn.execute("DELETE FROM codings WHERE id = %s", (bobs,)).rowcount == 0
        assert conn.execute("UPDATE codings SET memo = 'hacked'").rowcount == 2  # only their own two
        # Memos alike.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO memos (target_kind, target_id, title, text, coder_id, created, modified)"
                         " VALUES ('project', 'project', '', 'x', %s, %s, %s)", (ids["bob"], NOW, NOW))
        assert conn.execute("UPDATE memos SET text = 'hacked' WHERE coder_id = %s", (ids["bob"],)).rowcount == 0
        assert conn.execute("DELETE FROM memos WHERE coder_id = %s", (ids["bob"],)).rowcount == 0
        assert conn.execute("UPDATE memos SET text = 'mine' WHERE coder_id = %s", (ids["amina"],)).rowcount == 1
        # Suggestion decisions in someone else's name.
        _refused(conn, "INSERT INTO suggestions (transcript_id, code_id, start, \"end\", quote, score, evidence,"
                 " suggester, status, coder_id, created) VALUES (1, 'pay', 0, 5, '', 1, '{}', 'x', 'accepted', %s, %s)",
                 (ids["bob"], NOW))
        # Another coder's identity, the project's data, its settings and its structure.
        _refused(conn, "INSERT INTO coders (name, guid) VALUES ('someone', 'g-someone')")
        _refused(conn, "UPDATE coders SET name = 'x' WHERE id = %s", (ids["bob"],))
        _refused(conn, "UPDATE transcripts SET text = 'gone'")
        _refused(conn, "DELETE FROM transcripts")
        _refused(conn, "DELETE FROM codes WHERE id = 'pay'")
        _refused(conn, "UPDATE qcode_meta SET value = 'off' WHERE key = 'blind'")
        _refused(conn, "TRUNCATE codings")
        _refused(conn, "ALTER TABLE codings DISABLE ROW LEVEL SECURITY")
        _refused(conn, "DROP TABLE memos")
        _refused(conn, "CREATE TABLE mine (x int)")
        _refused(conn, f'SET ROLE "{coded.database}_owner"')
    with _sql(coded, "bob") as conn:  # bob's rows are as bob left them
        ids = _ids(conn, coded)
        assert conn.execute("SELECT memo FROM codings WHERE coder_id = %s", (ids["bob"],)).fetchall() == [("",)]
        assert conn.execute("SELECT text FROM memos WHERE coder_id = %s", (ids["bob"],)).fetchall() == [("bob's note",)]


def test_a_reader_changes_nothing(coded: Team) -> None:
    with _sql(coded, "rita") as conn:
        ids = _ids(conn, coded)
        assert conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 2  # reading is allowed
        for sql, params in [
            _insert_coding(ids["rita"]),
            ("UPDATE codings SET memo = 'x'", ()),
            ("DELETE FROM codings", ()),
            ("INSERT INTO memos (target_kind, target_id, title, text, coder_id, created, modified)"
             " VALUES ('project', 'project', '', 'x', %s, %s, %s)", (ids["rita"], NOW, NOW)),
            ("UPDATE memos SET text = 'x'", ()),
            ("DELETE FROM memos", ()),
            ("INSERT INTO coders (name, guid) VALUES (session_user, 'g')", ()),
            ("UPDATE codes SET retired = true", ()),
            ("INSERT INTO codes (id, guid, position, retired, data, row_version) VALUES ('new', 'g', 9, false, '{}', 1)", ()),
            ("UPDATE codebooks SET active = false", ()),
            ("UPDATE transcripts SET title = 'x'", ()),
            ("DELETE FROM turns", ()),
            ("UPDATE participants SET attributes = '{}'", ()),
            ("UPDATE suggestions SET status = 'rejected'", ()),
            ("UPDATE qcode_meta SET value = 'off'", ()),
            ("TRUNCATE codings", ()),
            ("CREATE TABLE mine (x int)", ()),
        ]:
            _refused(conn, sql, params)


def test_blind_coding_hides_others_codings_until_the_owner_opens_them(coded: Team, tmp_path: Path) -> None:
    with Project.open(tmp_path / "lead") as lead:
        server.set_blind(lead, True)
    with _sql(coded, "amina") as amina, _sql(coded, "rita") as rita, _sql(coded, "lead") as owner:
        ids = _ids(owner, coded)
        assert amina.execute("SELECT coder_id FROM codings").fetchall() == [(ids["amina"],)]
        assert rita.execute("SELECT count(*) FROM codings").fetchone()[0] == 0
        assert owner.execute("SELECT count(*) FROM codings").fetchone()[0] == 2
        _refused(amina, "UPDATE qcode_meta SET value = 'off' WHERE key = 'blind'")
    with Project.open(tmp_path / "amina") as p:  # through qcode too
        assert [c.coder for c in p.store.codings.list()] == [coded.roles["amina"]]
    with Project.open(tmp_path / "lead") as lead:
        server.set_blind(lead, False)
    with _sql(coded, "amina") as amina:
        assert amina.execute("SELECT count(*) FROM codings").fetchone()[0] == 2


def test_only_the_project_roles_may_connect(coded: Team) -> None:
    import sqlalchemy as sa

    outsider = f"{coded.database}_outsider"
    admin = sa.create_engine(coded.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{outsider}"')
        conn.exec_driver_sql(f"CREATE ROLE \"{outsider}\" LOGIN PASSWORD 'pw-outsider'")
    admin.dispose()
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(host=coded.host, port=coded.port, dbname=coded.database, user=outsider, password="pw-outsider")


def test_the_owner_may_change_every_coding(coded: Team) -> None:
    with _sql(coded, "lead") as conn:
        assert conn.execute("UPDATE codings SET status = 'review'").rowcount == 2
        ids = _ids(conn, coded)
        conn.execute(*_insert_coding(ids["amina"]))  # e.g. restoring a colleague's coding
