"""What coding progress is computed from: every turn's span and every coding's span and coder."""

from __future__ import annotations

import sqlalchemy as sa

from qcode.storage import schema
from qcode.storage.engine import TransactionManager
from qcode.storage.interface import CodedSpan, CoverageRows, TurnSpan


class SqlProgress:
    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def coverage(self) -> CoverageRows:
        """Turns (by transcript, in order), codings with their coder, and every transcript id: one read transaction."""
        tu, ct, co = schema.turns, schema.codings, schema.coders
        with self._tx.read() as conn:
            turns = conn.execute(sa.select(tu.c.transcript_id, tu.c.start, tu.c.end).order_by(tu.c.transcript_id, tu.c.idx)).all()
            codings = conn.execute(
                sa.select(ct.c.transcript_id, ct.c.start, ct.c.end, co.c.name).select_from(ct.join(co, ct.c.coder_id == co.c.id))
            ).all()
            tids = list(conn.execute(sa.select(schema.transcripts.c.id)).scalars())
        return CoverageRows(
            turns=[TurnSpan(r.transcript_id, r.start, r.end) for r in turns],
            codings=[CodedSpan(r.transcript_id, r.start, r.end, r.name) for r in codings],
            transcript_ids=tids,
        )
