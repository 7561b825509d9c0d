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


def _agreement(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.AGREEMENT_TABLES)


AGREEMENT_VERSION = 5
"""Number of the migration adding agreement runs and reviews (renumber here only)."""

MIGRATIONS: dict[int, tuple[str, Migration]] = {
    1: ("initial schema: transcripts, codebook, codings, memos, coders", _v1_initial),
    2: ("suggestions and decisions", _v2_suggestions),
}
MIGRATIONS[AGREEMENT_VERSION] = ("agreement runs and reviews of disagreements", _agreement)

SCHEMA_VERSION = max(MIGRATIONS)


def apply(conn: sa.Connection, current: int, target: int = SCHEMA_VERSION) -> list[str]:
    """Run migrations ``current+1 .. target`` on *conn* (inside the caller's transaction)."""
    done: list[str] = []
    for version in range(current + 1, target + 1):
        if version not in MIGRATIONS:
            continue  # a number left free for another branch's migration
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
