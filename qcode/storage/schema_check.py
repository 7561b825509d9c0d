"""Checking a SQLite project's schema against what qcode itself creates.

A project file may come from a colleague, an archive or an attacker. A
trigger planted in it runs on qcode's next write (one deleted a transcript on
the next coding, issue 14 finding 8); a view or an extra table has no business
there either. Before a database is used, every object in ``sqlite_master`` is
compared with a fresh database built by qcode's own migrations up to the
file's schema version: tables (columns, types, keys, generated columns,
foreign keys, ``WITHOUT ROWID``, ``AUTOINCREMENT``) and indexes must match, and
nothing else may exist.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import sqlalchemy as sa

from qcode.core.errors import ProjectError

Shape = dict[tuple[str, str], Any]


def describe(conn: Any) -> Shape:
    """(type, name) -> structure of every schema object of a DB-API sqlite3 connection."""
    out: Shape = {}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    for type_, name, table, sql in rows:
        if name.startswith("sqlite_"):
            continue  # SQLite's own (automatic indexes, statistics); the prefix is reserved to it
        if type_ == "table":
            cols = tuple(tuple(r) for r in conn.execute(f"PRAGMA table_xinfo({_q(name)})").fetchall())
            fks = tuple(sorted(tuple(r[2:]) for r in conn.execute(f"PRAGMA foreign_key_list({_q(name)})").fetchall()))
            uniques = tuple(sorted(
                (r[2], r[3], _index_cols(conn, r[1])) for r in conn.execute(f"PRAGMA index_list({_q(name)})").fetchall()
            ))
            out[(type_, name)] = (cols, fks, uniques, _without_rowid(sql), has_autoincrement(sql))
        elif type_ == "index":
            unique = conn.execute(f"PRAGMA index_list({_q(table)})").fetchall()
            flags = next(((r[2], r[4]) for r in unique if r[1] == name), None)
            out[(type_, name)] = (table, flags, _index_cols(conn, name))
        else:  # trigger, view: qcode creates none
            out[(type_, name)] = (table,)
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _index_cols(conn: Any, index: str) -> tuple[Any, ...]:
    return tuple(tuple(r) for r in conn.execute(f"PRAGMA index_xinfo({_q(index)})").fetchall())


def _without_rowid(sql: str | None) -> bool:
    return sql is not None and "without rowid" in " ".join(sql.lower().split())


_AUTOINCREMENT = re.compile(r"\bPRIMARY\s+KEY\s+(?:(?:ASC|DESC)\s+)?(?:ON\s+CONFLICT\s+\w+\s+)?AUTOINCREMENT\b", re.I)


def has_autoincrement(sql: str | None) -> bool:
    """Whether a ``CREATE TABLE`` statement (``sqlite_master.sql``) makes an ``AUTOINCREMENT`` table.

    No pragma tells; the statement does (SQLite allows the word only right after ``PRIMARY KEY``).
    """
    return sql is not None and _AUTOINCREMENT.search(sql) is not None


@functools.lru_cache(maxsize=8)
def expected(version: int) -> Shape:
    """The schema qcode's migrations create up to *version*, built in memory."""
    from qcode.storage import migrations

    engine = sa.create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            with conn.begin():
                if version > 0:
                    migrations.apply(conn, 0, version)
            return describe(conn.connection.dbapi_connection)
    finally:
        engine.dispose()


def check_schema(dbapi_conn: Any, version: int, where: str) -> None:
    """Raise :class:`ProjectError` unless the database holds exactly qcode's schema for *version*."""
    actual = describe(dbapi_conn)
    want = expected(version)
    extra = sorted(k for k in actual if k not in want)
    if extra:
        names = ", ".join(f"{t} '{n}'" + (f" on {actual[(t, n)][0]}" if t in ("trigger", "index") else "")
                          for t, n in extra[:6])
        raise ProjectError(
            f"The project database {where} contains database objects that qcode did not create: {names}"
            + (f" and {len(extra) - 6} more" if len(extra) > 6 else "")
            + ". qcode refuses to use it: such objects can change or delete data behind qcode's back.",
            hint="If this file came from someone else, ask for a clean copy (or a .qdpx export); to recover "
            "your own project, list its backups with `qcode backups` and restore one with `qcode restore`.",
        )
    missing = sorted(k for k in want if k not in actual)
    changed = sorted(k for k in want if k in actual and actual[k] != want[k])
    if missing or changed:
        names = ", ".join(f"{t} '{n}'" for t, n in (missing + changed)[:6])
        raise ProjectError(
            f"The project database {where} does not have the structure qcode creates for schema version {version} "
            f"({'missing' if missing else 'changed'}: {names}); it was edited by another program or is damaged.",
            hint="Restore a backup (`qcode backups` lists them, `qcode restore BACKUP` restores one). "
            "qcode did not change the file.",
        )
