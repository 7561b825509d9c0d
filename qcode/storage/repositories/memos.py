"""Memos: a researcher's notes on the project, a transcript, a code or a coding."""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from qcode.core.coding import Memo, now
from qcode.core.errors import NotFoundError
from qcode.storage import schema
from qcode.storage.engine import TransactionManager
from qcode.storage.repositories.coders import SqlCoders
from qcode.storage.repositories.coders import names_by_id as coder_names


class SqlMemos:
    def __init__(self, tx: TransactionManager, coders: SqlCoders) -> None:
        self._tx = tx
        self._coders = coders

    def add(self, memo: Memo) -> Memo:
        """Store *memo*; returns it with its id."""
        with self._tx.write() as conn:
            key = conn.execute(
                sa.insert(schema.memos).values(
                    target_kind=memo.target_kind,
                    target_id=memo.target_id,
                    title=memo.title,
                    text=memo.text,
                    coder_id=self._coders.id(memo.coder),
                    created=memo.created.isoformat(),
                    modified=memo.modified.isoformat(),
                )
            ).inserted_primary_key
            assert key is not None  # a single-row INSERT always reports its key
        return replace(memo, id=int(key[0]))

    def update(self, memo: Memo) -> Memo:
        """Change the title and text of memo ``memo.id``; returns it with its new modification time."""
        updated = replace(memo, modified=now())
        with self._tx.write() as conn:
            n = conn.execute(
                sa.update(schema.memos).where(schema.memos.c.id == memo.id).values(
                    title=memo.title, text=memo.text, modified=updated.modified.isoformat()
                )
            ).rowcount
            if n == 0:
                raise NotFoundError(f"No memo with id {memo.id}.")
        return updated

    def delete(self, memo_id: int) -> None:
        with self._tx.write() as conn:
            conn.execute(sa.delete(schema.memos).where(schema.memos.c.id == memo_id))

    def list(self, target_kind: str | None = None, target_id: str | None = None) -> builtins.list[Memo]:
        """The memos on these targets (every memo when none is given), oldest first."""
        mt = schema.memos
        q = sa.select(mt)
        if target_kind is not None:
            q = q.where(mt.c.target_kind == target_kind)
        if target_id is not None:
            q = q.where(mt.c.target_id == target_id)
        with self._tx.read() as conn:
            names = coder_names(conn)
            rows = conn.execute(q.order_by(mt.c.id)).all()
        return [
            Memo(
                target_kind=r.target_kind,
                target_id=r.target_id,
                text=r.text,
                coder=names.get(r.coder_id, "?"),
                title=r.title,
                created=datetime.fromisoformat(r.created),
                modified=datetime.fromisoformat(r.modified),
                id=r.id,
            )
            for r in rows
        ]
