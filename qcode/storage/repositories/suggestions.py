"""Persistence of suggestions and of the researcher's decisions on them.

:class:`SqlSuggestions` is ``store.suggestions``, over the ``suggestions``
table (schema v2). Status is ``pending``, ``accepted``,
``rejected`` or ``superseded`` (a placeholder that keeps ids from being
reused). Re-running suggestions replaces the *pending* ones of the
transcripts and codes it covered; accepted and rejected rows are kept for
ever, and :meth:`SqlSuggestions.rejected_keys` lets the engine never propose a rejected
(transcript, code, span) or (transcript, code, quote) again.
"""

from __future__ import annotations

import builtins
import itertools
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qcode.core.coding import now
from qcode.core.errors import NotFoundError
from qcode.core.transcript import SYNC
from qcode.storage import schema
from qcode.storage.engine import TransactionManager, insert_sql, param_marker
from qcode.storage.interface import SuggestionInput, SuggestionRow, TranscriptRows
from qcode.storage.repositories.coders import SqlCoders
from qcode.storage.repositories.coders import names_by_id as _names

STATUSES = ("pending", "accepted", "rejected", "superseded")
ROWS_PER_INSERT = 90
"""Rows per ``INSERT`` statement of a suggestion run (10 parameters each: under SQLite's oldest limit of 999)."""


def _row(r: Any, names: dict[int, str]) -> SuggestionRow:
    return SuggestionRow(
        id=r.id,
        transcript_id=r.transcript_id,
        code_id=r.code_id,
        start=r.start,
        end=r.end,
        quote=r.quote,
        score=float(r.score),
        evidence=r.evidence or {},
        suggester=r.suggester,
        status=r.status,
        coder=names.get(r.coder_id) if r.coder_id is not None else None,
        coding_id=r.coding_id,
        created=datetime.fromisoformat(r.created),
        decided=datetime.fromisoformat(r.decided) if r.decided else None,
    )


Row = SuggestionInput
_FIELDS = ("transcript_id", "code_id", "start", "end", "quote", "score", "evidence", "suggester")


def _as_row(r: Row | dict[str, Any]) -> Row:
    return tuple(r[f] for f in _FIELDS) if isinstance(r, dict) else r


class _Replacer:
    """:meth:`SqlSuggestions.replace_pending` done in steps inside one open transaction on *conn*.

    :meth:`add` writes the rows of some transcripts (all their rows at once);
    :meth:`finish` drops the superseded placeholders and counts. Doing it
    transcript by transcript writes the same rows with the same ids as one
    call over all of them (rows are inserted in the same order, and the
    superseded rows keep max(id) until :meth:`finish`).
    """

    def __init__(self, conn: sa.Connection, code_ids: list[str], unchanged: set[int]) -> None:
        self.conn, self.cids, self.skip = conn, code_ids, unchanged
        self.stamp = now().isoformat()
        self.written = 0
        self.done: set[int] = set()
        t = schema.suggestions
        prep = conn.dialect.identifier_preparer
        marker = param_marker(conn)
        sets = ", ".join(f"{prep.quote(c)} = {marker}" for c in ("quote", "score", "evidence", "suggester"))
        self.update_sql = f"UPDATE {prep.format_table(t)} SET {sets} WHERE {prep.quote('id')} = {marker}"
        cols = ("transcript_id", "code_id", "start", "end", "quote", "score", "evidence", "suggester", "status", "created")
        self.insert_sql = insert_sql(conn, t, cols)
        self.insert_many_sql = insert_sql(conn, t, cols, ROWS_PER_INSERT)

    def add(self, transcript_ids: list[int], rows: list[Row], code_ids: Sequence[str] | None = None) -> dict[int, int]:
        """Replace the pending suggestions of *transcript_ids* (none of them unchanged) by *rows*, for the codes
        *code_ids* only (None: the replacer's codes); the number of rows written per transcript."""
        t, conn = schema.suggestions, self.conn
        tids = [x for x in transcript_ids if x not in self.done]
        self.done.update(tids)
        if not tids:
            return {}
        cids = self.cids if code_ids is None else [c for c in code_ids if c in set(self.cids)]
        if code_ids is not None:
            rows = [r for r in rows if r[1] in set(cids)]
        existing: dict[tuple[int, str, int, int], tuple[int, float, str]] = {}
        if cids:
            for part in _chunks(tids):
                q = sa.select(
                    t.c.id, t.c.transcript_id, t.c.code_id, t.c.start, t.c.end, t.c.score,
                    sa.cast(t.c.evidence, sa.Text).label("ev"),
                ).where((t.c.status == "pending") & t.c.transcript_id.in_(part) & t.c.code_id.in_(cids))
                existing.update({(r.transcript_id, r.code_id, r.start, r.end): (r.id, r.score, r.ev) for r in conn.execute(q)})
        spans, quotes = _rejected(conn, tids)
        if spans or quotes:
            rows = [r for r in rows if r[:4] not in spans and (r[0], r[1], r[4]) not in quotes]
        stamp = self.stamp
        fresh, changed = [], []
        for tid, code, s, e, quote, score, ev, sugg in rows:
            if not isinstance(ev, str):
                ev = json.dumps(ev, separators=(",", ":"), ensure_ascii=False)
            old = existing.pop((tid, code, s, e), None) if existing else None
            if old is None:
                fresh.append((tid, code, s, e, quote, score, ev, sugg, "pending", stamp))
            elif old[1] != score or old[2] != ev:
                changed.append((quote, score, ev, sugg, old[0]))
        self.written += len(rows)
        per: dict[int, int] = {}
        for r in rows:
            per[r[0]] = per.get(r[0], 0) + 1
        if changed:
            conn.exec_driver_sql(self.update_sql, changed)
        stale = [v[0] for v in existing.values()]
        for part in _chunks(stale):
            conn.execute(sa.update(t).where(t.c.id.in_(part)).values(status="superseded", decided=stamp))
        if fresh:
            self._insert(fresh)
        return per

    def _insert(self, fresh: list[tuple[Any, ...]]) -> None:
        # executemany straight through the driver (SQLAlchemy's per-row processing would dominate), of
        # ROWS_PER_INSERT rows per statement: the driver lets other threads run during each statement
        # and a run writes on a thread while it scores, so one statement per row would hand the
        # interpreter back and forth tens of thousands of times. Ids follow the rows' order either way.
        full = len(fresh) - len(fresh) % ROWS_PER_INSERT
        if full:
            chain = itertools.chain.from_iterable
            self.conn.exec_driver_sql(self.insert_many_sql, [
                tuple(chain(fresh[i:i + ROWS_PER_INSERT])) for i in range(0, full, ROWS_PER_INSERT)])
        if full < len(fresh):
            self.conn.exec_driver_sql(self.insert_sql, fresh[full:])

    def finish(self) -> int:
        """Drop the superseded placeholders below the highest id; the number of pending suggestions written or kept."""
        t, conn = schema.suggestions, self.conn
        kept = 0
        if self.skip and self.cids:
            kept = sum(v[0] for v in _aggregates(conn, list(self.skip), self.cids).values())
        if self.done:
            top = conn.execute(sa.select(sa.func.max(t.c.id))).scalar() or 0
            conn.execute(sa.delete(t).where((t.c.status == "superseded") & (t.c.id < top)))
        return self.written + kept


def _aggregates(conn: sa.Connection, tids: list[int], cids: list[str]) -> dict[int, tuple[int, int, float]]:
    t = schema.suggestions
    out: dict[int, tuple[int, int, float]] = {}
    for part in _chunks(tids):
        q = (
            sa.select(t.c.transcript_id, sa.func.count(), sa.func.sum(t.c.id), sa.func.sum(t.c.score))
            .where((t.c.status == "pending") & t.c.transcript_id.in_(part) & t.c.code_id.in_(cids))
            .group_by(t.c.transcript_id)
        )
        out.update({r[0]: (int(r[1]), int(r[2]), round(float(r[3] or 0.0), 4)) for r in conn.execute(q)})
    return out


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _rejected(conn: sa.Connection, transcript_ids: list[int] | None) -> tuple[set[tuple[int, str, int, int]], set[tuple[int, str, str]]]:
    t = schema.suggestions
    q = sa.select(t.c.transcript_id, t.c.code_id, t.c.start, t.c.end, t.c.quote).where(t.c.status == "rejected")
    if transcript_ids is not None:
        q = q.where(t.c.transcript_id.in_(transcript_ids))
    spans: set[tuple[int, str, int, int]] = set()
    quotes: set[tuple[int, str, str]] = set()
    for r in conn.execute(q):
        spans.add((r.transcript_id, r.code_id, r.start, r.end))
        if r.quote:
            quotes.add((r.transcript_id, r.code_id, r.quote))
    return spans, quotes


class SqlSuggestions:
    """The suggestions table: what the suggester proposed and what coders decided."""

    def __init__(self, tx: TransactionManager, coders: SqlCoders) -> None:
        self._tx = tx
        self._coders = coders

    def replace_pending(
        self,
        transcript_ids: Iterable[int],
        code_ids: Iterable[str],
        rows: Sequence[Row | dict[str, Any]],
        unchanged: Iterable[int] = (),
    ) -> int:
        """Make *rows* the pending suggestions of these transcripts x codes (one transaction).

        Each row is a :data:`Row` tuple or a dict with those keys (evidence: a
        dict or its JSON text). A row for a passage that is already pending
        updates that suggestion in place when it changed (its id stays valid for
        a front end showing it); pending suggestions that are no longer produced
        are dropped; rows matching a rejected suggestion are skipped. The
        pending suggestions of the *unchanged* transcripts are known to be exactly
        what the caller would write, so they are left alone and not read. Ids are
        never reused: the highest dropped id is kept as one ``superseded`` row,
        because SQLite hands out max(id) + 1. Returns the number of pending
        suggestions written or kept.
        """
        skip = set(unchanged)
        tids = [x for x in transcript_ids if x not in skip]
        with self._tx.write() as conn:
            rep = _Replacer(conn, list(code_ids), skip)
            rep.add(tids, [_as_row(r) for r in rows])
            return rep.finish()

    def replace_transcripts_pending(
        self, items: Sequence[TranscriptRows], code_ids: Sequence[str]
    ) -> dict[int, tuple[int, tuple[int, int, float]]]:
        """:meth:`SqlSuggestions.replace_pending` for some transcripts, each given with its rows, in one transaction.

        An item ``(transcript_id, rows, codes)`` replaces the pending
        suggestions of those codes only (of *code_ids*); the transcript's other
        pending suggestions stay as they are. Returns, per transcript, the
        number of suggestions written and the :meth:`pending_aggregates`
        fingerprint of what it leaves over *code_ids* (read in the same
        transaction).
        """
        cids = list(code_ids)
        counts: dict[int, int] = {}
        # Consecutive transcripts that replace the same codes go in one step (one query of each kind for all of
        # them: a re-run after one code's edit rewrites a few rows of every transcript).
        groups: list[tuple[list[int], list[Row], tuple[str, ...] | None]] = []
        seen: set[int] = set()
        for item in items:
            tid = item[0]
            if tid in seen:
                continue  # (given twice: the first rows count, as one transcript at a time)
            seen.add(tid)
            only = tuple(item[2]) if len(item) > 2 and item[2] is not None else None
            if not groups or groups[-1][2] != only:
                groups.append(([], [], only))
            groups[-1][0].append(tid)
            groups[-1][1].extend(_as_row(r) for r in item[1])
        with self._tx.write() as conn:
            rep = _Replacer(conn, cids, set())
            for tids, rows, only in groups:
                per = rep.add(tids, rows, only)
                counts.update({tid: per.get(tid, 0) for tid in tids})
            rep.finish()
            aggs = _aggregates(conn, list(counts), cids)
        return {tid: (n, aggs.get(tid, (0, 0, 0.0))) for tid, n in counts.items()}

    def pending_aggregates(self, transcript_ids: Iterable[int], code_ids: Iterable[str]) -> dict[int, tuple[int, int, float]]:
        """Per transcript: (count, sum of ids, sum of scores) of its pending suggestions of these codes.

        A cheap fingerprint of what is stored, used to check that nothing touched
        the suggestions since they were written.
        """
        with self._tx.read() as conn:
            return _aggregates(conn, list(transcript_ids), list(code_ids))

    def transcript_inputs(
        self, transcript_ids: Sequence[int], text: bool = True, turns: bool = True
    ) -> dict[int, tuple[str, str, builtins.list[tuple[int, int]], builtins.list[tuple[int, float | None]]]]:
        """Text (empty when not *text*), its SHA-256, the turn spans (none when not *turns*) and the time points
        (sync notes) of each transcript, read in bulk."""
        tt, tu = schema.transcripts, schema.turns
        out: dict[int, tuple[str, str, builtins.list[tuple[int, int]], builtins.list[tuple[int, float | None]]]] = {}
        with self._tx.read() as conn:
            for part in _chunks(list(transcript_ids)):
                body = tt.c.text if text else sa.literal("").label("text")
                for r in conn.execute(sa.select(tt.c.id, body, tt.c.text_sha256, tt.c.notes).where(tt.c.id.in_(part))):
                    syncs = sorted(((int(n["offset"]), n.get("time")) for n in (r.notes or []) if n.get("kind") == SYNC),
                                   key=lambda p: p[0])
                    out[r.id] = (r.text, r.text_sha256, [], syncs)
                if not turns:
                    continue
                q = sa.select(tu.c.transcript_id, tu.c.start, tu.c.end).where(tu.c.transcript_id.in_(part)).order_by(tu.c.transcript_id, tu.c.idx)
                for tid, a, b in conn.execute(q).all():  # (fetchall: a 1M-word corpus has ~17,000 turns)
                    out[tid][2].append((a, b))
        return out

    def reconcile(self) -> int:
        """Bring accepted suggestions in line with their codings (after an undo or redo elsewhere).

        An accepted suggestion whose coding was deleted (undo of the accept: the
        foreign key sets ``coding_id`` to NULL) is pending again; a pending
        suggestion whose coding is back (redo: the coding keeps
        ``evidence.suggestion_id``) is accepted again. Returns the rows changed.
        """
        t, c = schema.suggestions, schema.codings
        with self._tx.read() as conn:  # the usual case: nothing to do, and no write lock taken
            orphans = conn.execute(
                sa.select(sa.func.count()).where((t.c.status == "accepted") & t.c.coding_id.is_(None))
            ).scalar() or 0
            links: dict[int, tuple[int, int]] = {}
            for cid, coder_id, ev in conn.execute(sa.select(c.c.id, c.c.coder_id, c.c.evidence).where(c.c.origin == "suggestion")):
                sid = ev.get("suggestion_id") if isinstance(ev, dict) else None
                if isinstance(sid, int):
                    links[sid] = (cid, coder_id)
            relink = []
            if links:
                pending_ids = set(conn.execute(sa.select(t.c.id).where(t.c.status == "pending")).scalars())
                relink = [(sid, *links[sid]) for sid in pending_ids & links.keys()]
        if not orphans and not relink:
            return 0
        with self._tx.write() as conn:
            changed = conn.execute(
                sa.update(t).where((t.c.status == "accepted") & t.c.coding_id.is_(None))
                .values(status="pending", coder_id=None, decided=None)
            ).rowcount or 0
            for sid, cid, coder_id in relink:
                changed += conn.execute(
                    sa.update(t).where((t.c.id == sid) & (t.c.status == "pending"))
                    .values(status="accepted", coding_id=cid, coder_id=coder_id, decided=now().isoformat())
                ).rowcount or 0
        return changed

    def rejected_keys(self, transcript_ids: Iterable[int] | None = None) -> tuple[set[tuple[int, str, int, int]], set[tuple[int, str, str]]]:
        """Rejected (transcript, code, start, end) spans and (transcript, code, quote) quotes."""
        with self._tx.read() as conn:
            return _rejected(conn, list(transcript_ids) if transcript_ids is not None else None)

    def list(
        self,
        *,
        status: str | None = "pending",
        transcript_id: int | None = None,
        code_id: str | None = None,
    ) -> builtins.list[SuggestionRow]:
        """Suggestions matching the filters, best score first (then by position)."""
        t = schema.suggestions
        q = sa.select(t)
        if status is not None:
            q = q.where(t.c.status == status)
        if transcript_id is not None:
            q = q.where(t.c.transcript_id == transcript_id)
        if code_id is not None:
            q = q.where(t.c.code_id == code_id)
        q = q.order_by(t.c.score.desc(), t.c.transcript_id, t.c.start, t.c.code_id, t.c.id)
        with self._tx.read() as conn:
            names = _names(conn)
            return [_row(r, names) for r in conn.execute(q)]

    def get(self, suggestion_id: int) -> SuggestionRow:
        t = schema.suggestions
        with self._tx.read() as conn:
            r = conn.execute(sa.select(t).where(t.c.id == suggestion_id)).first()
            if r is None:
                raise NotFoundError(
                    f"No suggestion with id {suggestion_id}.",
                    hint="List pending suggestions with `qcode suggestions`.",
                )
            return _row(r, _names(conn))

    def decide(self, suggestion_id: int, status: str, coder: str, coding_id: int | None = None) -> None:
        """Record a decision (``accepted`` or ``rejected``) by *coder*."""
        if status not in ("accepted", "rejected"):
            raise ValueError(status)
        t = schema.suggestions
        with self._tx.write() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.id == suggestion_id)
                .values(status=status, coder_id=self._coders.id(coder), coding_id=coding_id, decided=now().isoformat())
            )

    def delete(self, suggestion_id: int) -> None:
        """Forget suggestion *suggestion_id* (a later run proposes it again unless it was rejected)."""
        t = schema.suggestions
        with self._tx.write() as conn:
            conn.execute(sa.delete(t).where(t.c.id == suggestion_id))

    def drop_pending(self, transcript_id: int) -> int:
        """Forget the pending suggestions of a transcript (its text changed); returns how many."""
        t = schema.suggestions
        with self._tx.write() as conn:
            result = conn.execute(sa.delete(t).where((t.c.transcript_id == transcript_id) & (t.c.status == "pending")))
        return result.rowcount or 0

    def counts(self) -> dict[str, int]:
        """Number of suggestions per status."""
        t = schema.suggestions
        with self._tx.read() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))}

    def coding_quotes(self, coding_ids: Iterable[int]) -> dict[int, str]:
        """Quote of each of these codings that still exists (for evidence naming a coded passage)."""
        c = schema.codings
        out: dict[int, str] = {}
        with self._tx.read() as conn:
            for part in _chunks(sorted(set(coding_ids))):
                out.update({r.id: r.quote[:300] for r in conn.execute(sa.select(c.c.id, c.c.quote).where(c.c.id.in_(part)))})
        return out
