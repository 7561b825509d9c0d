"""Team work in the store: kept agreement computations and reviews of disagreements.

Plain functions over a :class:`~qcode.storage.store.Store`, part of the storage
package: they run on the store's own transactions (``store._tx``), so they join
an open ``store.transaction()`` as the repositories do.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qcode.core.coding import now
from qcode.storage import schema
from qcode.storage.engine import inserted_id
from qcode.storage.store import Store


def add_agreement_run(store: Store, unit: str, coders: list[str], codebook_hash: str | None, codebook_version: str, result: dict[str, Any]) -> int:
    """Keep one agreement computation; returns its id."""
    with store._tx.write() as conn:
        rid = inserted_id(conn,
            sa.insert(schema.agreement_runs).values(
                created=now().isoformat(), unit=unit, coders=coders, codebook_hash=codebook_hash,
                codebook_version=codebook_version or "", result=result,
            )
        )
    return int(rid)


def agreement_runs(store: Store) -> list[dict[str, Any]]:
    """Every kept computation, oldest first."""
    t = schema.agreement_runs
    with store._tx.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id)).all()
    return [
        {"id": r.id, "created": r.created, "unit": r.unit, "coders": list(r.coders), "codebook_hash": r.codebook_hash,
         "codebook_version": r.codebook_version, "result": r.result}
        for r in rows
    ]


def add_review(store: Store, **values: Any) -> int:
    """Record a decision on a disagreement (transcript_id, code_id, start, end, decision, kept,
    consensus, reviewer, memo)."""
    with store._tx.write() as conn:
        rid = inserted_id(conn, sa.insert(schema.reviews).values(created=now().isoformat(), **values))
    return int(rid)


def delete_review(store: Store, review_id: int) -> None:
    with store._tx.write() as conn:
        conn.execute(sa.delete(schema.reviews).where(schema.reviews.c.id == review_id))


def reviews(store: Store) -> list[dict[str, Any]]:
    t = schema.reviews
    with store._tx.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id)).all()
    return [dict(r._mapping) for r in rows]


def code_guids(store: Store) -> dict[str, str]:
    """Code id -> GUID of every code in the store."""
    with store._tx.read() as conn:
        return {r.id: r.guid for r in conn.execute(sa.select(schema.codes.c.id, schema.codes.c.guid))}


def transcript_hashes(store: Store) -> dict[int, tuple[str, str]]:
    """Transcript id -> (SHA-256 of its text, name)."""
    t = schema.transcripts
    with store._tx.read() as conn:
        return {r.id: (r.text_sha256, r.name) for r in conn.execute(sa.select(t.c.id, t.c.text_sha256, t.c.name))}


def set_review_memo(store: Store, review_id: int, memo: str) -> None:
    with store._tx.write() as conn:
        conn.execute(sa.update(schema.reviews).where(schema.reviews.c.id == review_id).values(memo=memo))
