"""Codings: a code applied by a coder to a span of a transcript's text."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qcode.core.coding import Coding, now
from qcode.core.errors import CodingError, NotFoundError, did_you_mean
from qcode.storage import schema
from qcode.storage.engine import TransactionManager, insert_sql, inserted_id
from qcode.storage.repositories.coders import SqlCoders
from qcode.storage.repositories.coders import names_by_id as coder_names

_INSERT_CODING = sa.insert(schema.codings)


class SqlCodings:
    """The codings table; the code ids known to exist are cached and forgotten when a transaction rolls back.

    Annotations in this class spell ``builtins.list``: the listing method is named ``list``.
    """

    def __init__(self, tx: TransactionManager, coders: SqlCoders) -> None:
        self._tx = tx
        self._coders = coders
        self._known_codes: set[str] = set()
        """Code ids seen in the database (a cache; the foreign key is the real guard)."""
        tx.on_rollback.append(self._forget)

    def _forget(self) -> None:
        """After a rollback, ids cached during the transaction may name rows that were never committed."""
        self._known_codes = set()

    def forget_code(self, code_id: str) -> None:
        """Code *code_id* was deleted: a coding of it must be checked again."""
        self._known_codes.discard(code_id)

    def add(self, coding: Coding) -> Coding:
        """Store *coding*; returns it with its id."""
        return self.add_many([coding])[0]

    def add_many(self, items: Sequence[Coding]) -> builtins.list[Coding]:
        """Insert codings in one transaction; returns them with their ids."""
        out: builtins.list[Coding] = []
        if not items:
            return out
        with self._tx.write() as conn:
            self._check_codes(conn, {c.code_id for c in items})
            coder_ids = {name: self._coders.id(name) for name in {c.coder for c in items}}
            rows = [_coding_row(c, coder_ids[c.coder]) for c in items]
            if len(rows) == 1:
                new_id = inserted_id(conn, _INSERT_CODING, rows[0])
                return [_with_id(items[0], int(new_id))]
            _bulk_insert(conn, schema.codings, rows)
            guids = [c.guid for c in items]
            ids: dict[str, int] = {}
            for chunk in range(0, len(guids), 500):
                part = guids[chunk : chunk + 500]
                for guid, cid in conn.execute(
                    sa.select(schema.codings.c.guid, schema.codings.c.id).where(schema.codings.c.guid.in_(part))
                ).all():
                    ids[guid] = cid
        return [_with_id(c, ids[c.guid]) for c in items]

    def _check_codes(self, conn: sa.Connection, code_ids: set[str]) -> None:
        missing = code_ids - self._known_codes
        if not missing:
            return
        known = set(conn.execute(sa.select(schema.codes.c.id)).scalars())
        self._known_codes = known
        for cid in sorted(code_ids - known):
            raise CodingError(
                f"Unknown code '{cid}'." + did_you_mean(cid, known),
                hint="List the codes with `qcode codebook show`, or add the code to the codebook first.",
            )

    def update(self, coding: Coding) -> Coding:
        """Write back every field of *coding* (matched by id); returns it with a new modified time."""
        if coding.id is None:
            raise ValueError("coding has no id")
        updated = replace(coding, modified=now())
        with self._tx.write() as conn:
            self._check_codes(conn, {coding.code_id})
            row = _coding_row(updated, self._coders.id(coding.coder))
            row.pop("guid")
            row.pop("created")
            n = conn.execute(sa.update(schema.codings).where(schema.codings.c.id == coding.id).values(**row)).rowcount
            if n == 0:
                raise NotFoundError(f"No coding with id {coding.id}.")
        return updated

    def update_many(self, items: Sequence[Coding]) -> None:
        """``update`` each of *items*, in one transaction."""
        with self._tx.write():
            for c in items:
                self.update(c)

    def delete(self, coding_id: int) -> Coding:
        """Delete one coding; returns what was deleted (so it can be restored by undo)."""
        with self._tx.write() as conn:
            old = self.get(coding_id)
            conn.execute(
                sa.update(schema.suggestions).where(schema.suggestions.c.coding_id == coding_id).values(coding_id=None)
            )
            conn.execute(sa.delete(schema.codings).where(schema.codings.c.id == coding_id))
        return old

    def restore(self, coding: Coding) -> Coding:
        """Re-insert a deleted coding with its original id, guid and times (undo)."""
        with self._tx.write() as conn:
            self._check_codes(conn, {coding.code_id})
            row = _coding_row(coding, self._coders.id(coding.coder))
            if coding.id is not None:
                row["id"] = coding.id
            conn.execute(sa.insert(schema.codings).values(**row))
        return coding

    def get(self, coding_id: int) -> Coding:
        """One coding (NotFoundError when there is none)."""
        with self._tx.read() as conn:
            row = conn.execute(sa.select(schema.codings).where(schema.codings.c.id == coding_id)).first()
            if row is None:
                raise NotFoundError(f"No coding with id {coding_id}.", hint="List codings with `qcode codings`.")
            names = coder_names(conn)
        return _coding_from_row(row, names)

    def list(
        self,
        *,
        transcript_id: int | None = None,
        code_ids: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        status: str | None = None,
    ) -> builtins.list[Coding]:
        """Codings matching every filter given, ordered by transcript and position."""
        return list(self.iter(transcript_id=transcript_id, code_ids=code_ids, coders=coders, status=status))

    def iter(
        self,
        *,
        transcript_id: int | None = None,
        code_ids: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        status: str | None = None,
    ) -> Iterator[Coding]:
        """``list``, one coding at a time (the rows are read in one go, the dataclasses made lazily)."""
        ct = schema.codings
        q = sa.select(ct)
        if transcript_id is not None:
            q = q.where(ct.c.transcript_id == transcript_id)
        if code_ids is not None:
            q = q.where(ct.c.code_id.in_(list(code_ids)))
        with self._tx.read() as conn:
            names = coder_names(conn)
            if coders is not None:
                wanted = set(coders)
                q = q.where(ct.c.coder_id.in_([i for i, n in names.items() if n in wanted]))
            if status is not None:
                q = q.where(ct.c.status == status)
            q = q.order_by(ct.c.transcript_id, ct.c.start, ct.c.end, ct.c.id)
            rows = conn.execute(q).all()
        for row in rows:
            yield _coding_from_row(row, names)

    def find(self, transcript_id: int, code_id: str, coder: str, start: int, end: int) -> int | None:
        """The id of the coding with exactly this span, code and coder, if there is one."""
        ct, co = schema.codings, schema.coders
        with self._tx.read() as conn:
            return conn.execute(
                sa.select(ct.c.id)
                .select_from(ct.join(co, ct.c.coder_id == co.c.id))
                .where(
                    (ct.c.transcript_id == transcript_id)
                    & (ct.c.start == start)
                    & (ct.c.end == end)
                    & (ct.c.code_id == code_id)
                    & (co.c.name == coder)
                )
            ).scalar()

    def guids(self) -> set[str]:
        """The GUID of every coding (an imported coding keeps its own GUID only when it is not taken)."""
        with self._tx.read() as conn:
            return set(conn.execute(sa.select(schema.codings.c.guid)).scalars())

    def counts(self) -> dict[str, int]:
        """Number of codings per code id."""
        ct = schema.codings
        with self._tx.read() as conn:
            rows = conn.execute(sa.select(ct.c.code_id, sa.func.count()).group_by(ct.c.code_id)).all()
        return {code_id: n for code_id, n in rows}

    def reassign(self, from_code: str, to_code: str) -> int:
        """Move every coding of *from_code* to *to_code*, dropping exact duplicates; how many moved."""
        ct = schema.codings
        with self._tx.write() as conn:
            self._check_codes(conn, {from_code, to_code})
            moved = 0
            for row in conn.execute(sa.select(ct).where(ct.c.code_id == from_code)).all():
                dup = conn.execute(
                    sa.select(ct.c.id).where(
                        (ct.c.code_id == to_code)
                        & (ct.c.transcript_id == row.transcript_id)
                        & (ct.c.start == row.start)
                        & (ct.c.end == row.end)
                        & (ct.c.coder_id == row.coder_id)
                    )
                ).first()
                if dup:
                    conn.execute(sa.delete(ct).where(ct.c.id == row.id))
                else:
                    conn.execute(sa.update(ct).where(ct.c.id == row.id).values(code_id=to_code, modified=now().isoformat()))
                moved += 1
        return moved


def _coding_row(c: Coding, coder_id: int) -> dict[str, Any]:
    return {
        "guid": c.guid,
        "transcript_id": c.transcript_id,
        "code_id": c.code_id,
        "coder_id": coder_id,
        "start": c.start,
        "end": c.end,
        "memo": c.memo,
        "origin": c.origin,
        "quote": c.quote,
        "prefix": c.prefix,
        "suffix": c.suffix,
        "status": c.status,
        "codebook_hash": c.codebook_hash,
        "evidence": c.evidence,
        "created": c.created.isoformat(),
        "modified": c.modified.isoformat(),
    }


def _with_id(c: Coding, coding_id: int) -> Coding:
    """A copy of *c* with its database id (faster than dataclasses.replace in bulk)."""
    return Coding(
        c.transcript_id, c.start, c.end, c.code_id, c.coder, c.memo, c.origin, c.quote, c.prefix,
        c.suffix, c.created, c.modified, c.status, c.codebook_hash, c.evidence, c.guid, coding_id,
    )


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """executemany straight through the driver: SQLAlchemy's per-row processing dominates bulk inserts.

    JSON columns are serialised here; the SQL is built with the dialect's own
    quoting and parameter style, so it stays portable.
    """
    cols = list(rows[0])
    json_cols = {c for c in cols if isinstance(table.c[c].type, sa.JSON)}
    sql = insert_sql(conn, table, cols)
    data = [
        tuple(json.dumps(r[c]) if c in json_cols and r[c] is not None else r[c] for c in cols) for r in rows
    ]
    conn.exec_driver_sql(sql, data)


def _coding_from_row(row: Any, names: dict[int, str]) -> Coding:
    return Coding(
        id=row.id,
        guid=row.guid,
        transcript_id=row.transcript_id,
        code_id=row.code_id,
        coder=names.get(row.coder_id, "?"),
        start=row.start,
        end=row.end,
        memo=row.memo,
        origin=row.origin,
        quote=row.quote,
        prefix=row.prefix,
        suffix=row.suffix,
        status=row.status,
        codebook_hash=row.codebook_hash,
        evidence=row.evidence,
        created=datetime.fromisoformat(row.created),
        modified=datetime.fromisoformat(row.modified),
    )
