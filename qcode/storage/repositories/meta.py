"""Project metadata: small key/value settings stored in the database (``meta`` table)."""

from __future__ import annotations

import sqlalchemy as sa

from qcode.storage import schema
from qcode.storage.engine import TransactionManager


class SqlMeta:
    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def get(self, key: str) -> str | None:
        with self._tx.read() as conn:
            value = conn.execute(sa.select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        t = schema.meta
        with self._tx.write() as conn:
            if conn.execute(sa.update(t).where(t.c.key == key).values(value=value)).rowcount == 0:
                conn.execute(sa.insert(t).values(key=key, value=value))
