"""Coders: the people (or suggesters) whose codings, memos and decisions are stored."""

from __future__ import annotations

import sqlalchemy as sa

from qcode.core.coding import stable_guid
from qcode.storage import schema
from qcode.storage.engine import TransactionManager


class SqlCoders:
    """The coders table; ids are cached per name and forgotten when a transaction rolls back."""

    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx
        self._ids: dict[str, int] = {}
        tx.on_rollback.append(self._forget)

    def _forget(self) -> None:
        """After a rollback, ids cached during the transaction may name rows that were never committed."""
        self._ids = {}

    def id(self, name: str) -> int:
        """The id of coder *name*, created on first use."""
        if name in self._ids:
            return self._ids[name]
        t = schema.coders
        with self._tx.write() as conn:
            cid = conn.execute(sa.select(t.c.id).where(t.c.name == name)).scalar()
            if cid is None:
                key = conn.execute(sa.insert(t).values(name=name, guid=stable_guid("coder", name))).inserted_primary_key
                assert key is not None  # a single-row INSERT always reports its key
                cid = key[0]
        self._ids[name] = int(cid)
        return int(cid)

    def names(self) -> list[str]:
        """Every coder's name, sorted."""
        with self._tx.read() as conn:
            return list(conn.execute(sa.select(schema.coders.c.name).order_by(schema.coders.c.name)).scalars())

    def names_by_id(self) -> dict[int, str]:
        """Coder names by id (inside the current transaction when one is open)."""
        with self._tx.read() as conn:
            return names_by_id(conn)


def names_by_id(conn: sa.Connection) -> dict[int, str]:
    """Coder names by id, read on *conn* (the other repositories' reads stay in one snapshot)."""
    return {r.id: r.name for r in conn.execute(sa.select(schema.coders.c.id, schema.coders.c.name))}
