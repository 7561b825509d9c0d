"""Ordered, named schema migrations.

``MIGRATIONS[n]`` brings a database from version ``n - 1`` to ``n``. Each runs
inside one write transaction together with the version bump, so a crash
leaves the project either at the old version or at the new one. Before an
existing project is migrated, the store takes a verified backup
(in :meth:`qcode.storage.store.Store._prepare`, with :meth:`~qcode.storage.store.Store.backup`).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from qcode.storage import schema

Migration = Callable[[sa.Connection], "str | None"]
"""Changes the schema inside the caller's transaction; may return a note for the user."""


def _v1_initial(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.V1_TABLES)


def _v2_suggestions(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.V2_TABLES)


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
    name, table, cols = schema.UNIQUE_CODING_SPAN
    prep = conn.dialect.identifier_preparer
    conn.exec_driver_sql(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {prep.quote(name)} ON {prep.quote(table)} "
        f"({', '.join(prep.quote(c) for c in cols)})"
    )
    if merged:
        return f"merged {merged} duplicate codings into {len(groups)} (their memos kept)"
    return None


def _source_maps(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.SOURCE_TABLES)


def _agreement(conn: sa.Connection) -> None:
    schema.metadata.create_all(conn, tables=schema.AGREEMENT_TABLES)


def _add_row_versions(conn: sa.Connection) -> None:
    """A version column on codes and codebooks: concurrent edits are detected, not overwritten."""
    for table in ("codes", "codebooks"):
        if "row_version" not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1")



MIGRATIONS: dict[int, tuple[str, Migration]] = {
    1: ("initial schema: transcripts, codebook, codings, memos, coders", _v1_initial),
    2: ("suggestions and decisions", _v2_suggestions),
    3: ("one coding per transcript, code, coder and span", _unique_coding_spans),
    4: ("source texts of transcripts and their maps", _source_maps),
    5: ("agreement runs and reviews of disagreements", _agreement),
    6: ("version columns on codes and codebooks (edit conflicts)", _add_row_versions),
}

SCHEMA_VERSION = max(MIGRATIONS)


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
