"""Team work: kept agreement computations and decisions on disagreements (``agreement_runs``, ``reviews``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qcode.core.coding import now
from qcode.storage import schema
from qcode.storage.engine import TransactionManager, inserted_id
from qcode.storage.interface import AgreementRunRecord, ReviewRecord


class SqlTeam:
    """Agreement runs (kept so a report can cite the figures a team agreed on) and reviews of disagreements."""

    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def add_agreement_run(self, unit: str, coders: list[str], codebook_hash: str | None, codebook_version: str,
                          result: dict[str, Any]) -> int:
        """Keep one agreement computation; returns its id."""
        with self._tx.write() as conn:
            rid = inserted_id(conn, sa.insert(schema.agreement_runs).values(
                created=now().isoformat(), unit=unit, coders=coders, codebook_hash=codebook_hash,
                codebook_version=codebook_version or "", result=result,
            ))
        return int(rid)

    def agreement_runs(self) -> list[AgreementRunRecord]:
        """Every kept computation, oldest first."""
        t = schema.agreement_runs
        with self._tx.read() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.id)).all()
        return [
            AgreementRunRecord(id=r.id, created=r.created, unit=r.unit, coders=list(r.coders),
                               codebook_hash=r.codebook_hash, codebook_version=r.codebook_version, result=r.result)
            for r in rows
        ]

    def add_review(self, *, transcript_id: int, code_id: str, start: int, end: int, decision: str, kept: list[int],
                   consensus: str, reviewer: str, memo: str = "") -> int:
        """Record a decision on a disagreement at (transcript, code, start, end); *kept*: the consensus codings
        it made. Returns its id."""
        with self._tx.write() as conn:
            rid = inserted_id(conn, sa.insert(schema.reviews).values(
                created=now().isoformat(), transcript_id=transcript_id, code_id=code_id, start=start, end=end,
                decision=decision, kept=kept, consensus=consensus, reviewer=reviewer, memo=memo,
            ))
        return int(rid)

    def delete_review(self, review_id: int) -> None:
        with self._tx.write() as conn:
            conn.execute(sa.delete(schema.reviews).where(schema.reviews.c.id == review_id))

    def reviews(self) -> list[ReviewRecord]:
        """Every decision on a disagreement, oldest first."""
        t = schema.reviews
        with self._tx.read() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.id)).all()
        return [
            ReviewRecord(id=r.id, transcript_id=r.transcript_id, code_id=r.code_id, start=r.start, end=r.end,
                         decision=r.decision, kept=list(r.kept), consensus=r.consensus, reviewer=r.reviewer,
                         memo=r.memo, created=r.created)
            for r in rows
        ]

    def set_review_memo(self, review_id: int, memo: str) -> None:
        with self._tx.write() as conn:
            conn.execute(sa.update(schema.reviews).where(schema.reviews.c.id == review_id).values(memo=memo))
