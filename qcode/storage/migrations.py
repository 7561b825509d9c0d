"""Ordered, named schema migrations.

``MIGRATIONS[n]`` brings a database from version ``n - 1`` to ``n``. Each runs
inside one write transaction together with the version bump, so a crash
leaves the project either at the old version or at the new one. Before an
existing project is migrated, the store takes a verified backup
(in :meth:`qcode.storage.store.Store._prepare`, with :meth:`~qcode.storage.store.Store.backup`).

Each migration makes what its version made, whatever the tables in
:mod:`qcode.storage.schema` look like now: the checks of
:mod:`qcode.storage.schema_check` compare a file of version ``n`` with a
database built by migrations ``1 .. n``. So the tables that version 7 made
``AUTOINCREMENT`` are created by the earlier migrations as they were then
(:func:`_as_created`), and version 7 rebuilds them, in a new project as in an
old one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.schema import CreateTable

from qcode.storage import schema
from qcode.storage.schema_check import has_autoincrement

Migration = Callable[[sa.Connection], "str | None"]
"""Changes the schema inside the caller's transaction; may return a note for the user."""


@functools.cache
def _before_v7() -> sa.MetaData:
    """A copy of the schema's tables as versions 1 to 6 created them: without ``AUTOINCREMENT``."""
    old = sa.MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(old).dialect_options["sqlite"]["autoincrement"] = False
    return old


def _as_created(conn: sa.Connection, tables: Sequence[sa.Table]) -> None:
    """Create *tables* as the versions before 7 did."""
    old = _before_v7()
    old.create_all(conn, tables=[old.tables[t.name] for t in tables])


def _v1_initial(conn: sa.Connection) -> None:
    _as_created(conn, schema.V1_TABLES)


def _v2_suggestions(conn: sa.Connection) -> None:
    _as_created(conn, schema.V2_TABLES)
    _create_index(conn, schema.SUGGESTIONS_BY_STATUS)


def _create_index(conn: sa.Connection, spec: tuple[str, str, tuple[str, ...]], unique: bool = False) -> None:
    name, table, cols = spec
    prep = conn.dialect.identifier_preparer
    conn.exec_driver_sql(
        f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {prep.quote(name)} ON {prep.quote(table)} "
        f"({', '.join(prep.quote(c) for c in cols)})"
    )


def _unique_coding_spans(conn: sa.Connection) -> str | None:
    """Merge exact duplicate codings (same transcript, code, coder, span), then add the unique index.

    Nothing is lost: the oldest coding is kept, the other memos are appended
    to its memo, and suggestions pointing at a removed duplicate point at the
    kept one. Returns how many were merged.
    """
    ct, st = schema.codings, schema.suggestions
    key = (ct.c.transcript_id, ct.c.code_id, ct.c.coder_id, ct.c.start, ct.c.end)
    groups = conn.execute(sa.select(*key).group_by(*key).having(sa.func.count() > 1)).all()
    merged = 0
    for g in groups:
        rows = conn.execute(
            sa.select(ct.c.id, ct.c.memo).where(sa.and_(*(col == val for col, val in zip(key, g, strict=True))))
            .order_by(ct.c.id)
        ).all()
        keep, others = rows[0], rows[1:]
        memos = list(dict.fromkeys(r.memo for r in rows if r.memo))
        if memos and memos != [keep.memo]:
            conn.execute(sa.update(ct).where(ct.c.id == keep.id).values(memo="\n\n".join(memos)))
        ids = [r.id for r in others]
        conn.execute(sa.update(st).where(st.c.coding_id.in_(ids)).values(coding_id=keep.id))
        conn.execute(sa.delete(ct).where(ct.c.id.in_(ids)))
        merged += len(ids)
    _create_index(conn, schema.UNIQUE_CODING_SPAN, unique=True)
    if merged:
        return f"merged {merged} duplicate codings into {len(groups)} (their memos kept)"
    return None


def _source_maps(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.SOURCE_TABLES)


def _agreement(conn: sa.Connection) -> None:
    _as_created(conn, schema.AGREEMENT_TABLES)


ADDED_COLUMNS = {"row_version": "row_version INTEGER NOT NULL DEFAULT 1"}
"""The columns added by ``ALTER TABLE`` (``system=True`` in the schema, not in its ``CREATE TABLE``): their DDL."""


def _add_row_versions(conn: sa.Connection) -> None:
    """A version column on codes and codebooks: concurrent edits are detected, not overwritten."""
    for table in ("codes", "codebooks"):
        if "row_version" not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {ADDED_COLUMNS['row_version']}")


def _ids_never_reused(conn: sa.Connection) -> str | None:
    """SQLite: rebuild every table with an integer id as ``AUTOINCREMENT``, keeping all it holds.

    SQLite cannot ``ALTER`` a table into ``AUTOINCREMENT``; each table is
    rebuilt the way SQLite's documentation describes: a new table, every row
    copied with its id, the old one dropped, the new one renamed, its indexes
    and triggers made again. This needs foreign keys off (dropping the old
    table would otherwise cascade to the rows that refer to it): see
    :data:`REBUILDS`. Each id's counter starts after the highest id a table
    holds; an id freed before this migration cannot be known, and stays
    free only if a higher one exists. PostgreSQL: nothing to do, its sequences
    never go back.
    """
    if conn.dialect.name != "sqlite":
        return None
    if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("rebuilding tables needs foreign keys off (a transaction begun so, see migrations.REBUILDS)")
    dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    for table in schema.AUTOINCREMENT_TABLES:
        _rebuild(conn, table)
    if conn.exec_driver_sql("PRAGMA foreign_key_check").all() != dangling:
        raise RuntimeError("rebuilding the tables changed what their foreign keys refer to")
    return None


def _rebuild(conn: sa.Connection, table: sa.Table) -> None:
    """Rebuild SQLite *table* as the schema defines it now (``AUTOINCREMENT``), unless it already is."""
    x = conn.exec_driver_sql
    prep = conn.dialect.identifier_preparer
    name, temp = table.name, f"qcode_rebuild_{table.name}"
    sql = x("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).scalar()
    if sql is None:
        raise RuntimeError(f"table {name} is missing")
    if has_autoincrement(sql):
        return
    extras = x(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "ORDER BY type, name", (name,)
    ).scalars().all()  # automatic indexes (sql NULL) come back with the table's own UNIQUE constraints
    columns = [r[1] for r in x(f"PRAGMA table_info({prep.quote(name)})")]
    ddl = str(CreateTable(table).compile(dialect=conn.dialect)).strip()
    head = f"CREATE TABLE {prep.format_table(table)} ("
    if not ddl.startswith(head):
        raise RuntimeError(f"unexpected DDL for {name}: {ddl[:60]!r}")
    x(f"CREATE TABLE {prep.quote(temp)} (" + ddl[len(head):])
    for column in table.columns:
        if column.system and column.name in columns:
            x(f"ALTER TABLE {prep.quote(temp)} ADD COLUMN {ADDED_COLUMNS[column.name]}")
    if [r[1] for r in x(f"PRAGMA table_info({prep.quote(temp)})")] != columns:
        raise RuntimeError(f"the rebuilt {name} would not have the columns of the old one")
    names = ", ".join(prep.quote(c) for c in columns)
    count = x(f"SELECT count(*) FROM {prep.quote(name)}").scalar()
    x(f"INSERT INTO {prep.quote(temp)} ({names}) SELECT {names} FROM {prep.quote(name)} ORDER BY rowid")
    if x(f"SELECT count(*) FROM {prep.quote(temp)}").scalar() != count:
        raise RuntimeError(f"not every row of {name} was copied")
    x(f"DROP TABLE {prep.quote(name)}")
    x(f"ALTER TABLE {prep.quote(temp)} RENAME TO {prep.quote(name)}")
    for statement in extras:
        x(statement)



def _pending_index(conn: sa.Connection) -> None:
    """A covering index for the pending suggestions' fingerprint, in place of the index it extends."""
    _create_index(conn, schema.PENDING_SUGGESTIONS)
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {conn.dialect.identifier_preparer.quote(schema.SUGGESTIONS_BY_STATUS[0])}")


MIGRATIONS: dict[int, tuple[str, Migration]] = {
    1: ("initial schema: transcripts, codebook, codings, memos, coders", _v1_initial),
    2: ("suggestions and decisions", _v2_suggestions),
    3: ("one coding per transcript, code, coder and span", _unique_coding_spans),
    4: ("source texts of transcripts and their maps", _source_maps),
    5: ("agreement runs and reviews of disagreements", _agreement),
    6: ("version columns on codes and codebooks (edit conflicts)", _add_row_versions),
    7: ("ids never reused (AUTOINCREMENT tables)", _ids_never_reused),
    8: ("an index covering the pending suggestions' fingerprint", _pending_index),
}

SCHEMA_VERSION = max(MIGRATIONS)

REBUILDS = frozenset({7})
"""Migrations that rebuild SQLite tables: they run in a transaction begun with foreign keys off.

``PRAGMA foreign_keys`` is ignored inside a transaction, so the caller sets it
before ``BEGIN`` (:meth:`qcode.storage.engine.TransactionManager.write`) and the
migration checks that it did; it also checks that no foreign key ends up
pointing elsewhere than before (``PRAGMA foreign_key_check``).
"""


def rebuilds(current: int, target: int = SCHEMA_VERSION) -> bool:
    """Whether migrating from *current* to *target* rebuilds tables (see :data:`REBUILDS`)."""
    return any(current < v <= target for v in REBUILDS)


def apply(conn: sa.Connection, current: int, target: int = SCHEMA_VERSION) -> list[str]:
    """Run migrations ``current+1 .. target`` on *conn* (inside the caller's transaction)."""
    done: list[str] = []
    for version in sorted(v for v in MIGRATIONS if current < v <= target):
        name, fn = MIGRATIONS[version]
        note = fn(conn)
        done.append(f"{version}: {name}" + (f" ({note})" if note else ""))
    _set_version(conn, target)
    return done


def _set_version(conn: sa.Connection, version: int) -> None:
    t = schema.meta
    updated = conn.execute(sa.update(t).where(t.c.key == "schema_version").values(value=str(version)))
    if updated.rowcount == 0:
        conn.execute(sa.insert(t).values(key="schema_version", value=str(version)))
