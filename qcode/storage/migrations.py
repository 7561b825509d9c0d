"""Ordered, named schema migrations.

``MIGRATIONS[n]`` brings a database from version ``n - 1`` to ``n``. Each runs
inside one write transaction together with the version bump, so a crash
leaves the project either at the old version or at the new one. Before an
existing project is migrated, the store takes a verified backup
(:meth:`qcode.storage.store.Store._backup_before_migration`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from qcode.storage import schema

Migration = Callable[[sa.Connection], None]


def _v1_initial(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.V1_TABLES)


def _v2_suggestions(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.V2_TABLES)


def _add_row_versions(conn: sa.Connection) -> None:
    """A version column on codes and codebooks: concurrent edits are detected, not overwritten."""
    for table in ("codes", "codebooks"):
        if "row_version" not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1")


ROW_VERSIONS = 6
"""The number of the row-version migration (renumber here only)."""

MIGRATIONS: dict[int, tuple[str, Migration]] = {
    1: ("initial schema: transcripts, codebook, codings, memos, coders", _v1_initial),
    2: ("suggestions and decisions", _v2_suggestions),
    ROW_VERSIONS: ("version columns on codes and codebooks (edit conflicts)", _add_row_versions),
}

SCHEMA_VERSION = max(MIGRATIONS)


def apply(conn: sa.Connection, current: int, target: int = SCHEMA_VERSION) -> list[str]:
    """Run migrations ``current+1 .. target`` on *conn* (inside the caller's transaction)."""
    done: list[str] = []
    for version in sorted(v for v in MIGRATIONS if current < v <= target):
        name, fn = MIGRATIONS[version]
        fn(conn)
        done.append(f"{version}: {name}")
    _set_version(conn, target)
    return done


def _set_version(conn: sa.Connection, version: int) -> None:
    t = schema.meta
    updated = conn.execute(sa.update(t).where(t.c.key == "schema_version").values(value=str(version)))
    if updated.rowcount == 0:
        conn.execute(sa.insert(t).values(key="schema_version", value=str(version)))
