"""Participants (the people who speak in transcripts), the speakers linked to them, and attribute definitions."""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa

from qcode.core.coding import stable_guid
from qcode.core.transcript import AttributeDef, Participant, attribute_def
from qcode.storage import schema
from qcode.storage.engine import TransactionManager, inserted_id


def participant_id(conn: sa.Connection, name: str) -> int:
    """The id of participant *name* on *conn*, created (without attributes) on first use."""
    pt = schema.participants
    pid = conn.execute(sa.select(pt.c.id).where(pt.c.name == name)).scalar()
    if pid is None:
        pid = inserted_id(conn, sa.insert(pt).values(name=name, guid=stable_guid("participant", name), attributes={}))
    return int(pid)


def json_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """*attrs* as stored in a JSON column (dates as ISO text)."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in attrs.items()}


class SqlParticipants:
    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def upsert(self, p: Participant, merge: bool = True) -> int:
        """Create or update participant *p*; with *merge*, its attributes are merged into the stored ones."""
        pt = schema.participants
        with self._tx.write() as conn:
            pid = participant_id(conn, p.name)
            old = conn.execute(sa.select(pt.c.attributes).where(pt.c.id == pid)).scalar() or {}
            attrs = {**old, **json_attributes(p.attributes)} if merge else json_attributes(p.attributes)
            conn.execute(sa.update(pt).where(pt.c.id == pid).values(attributes=attrs))
        return pid

    def link_speaker(self, transcript_id: int, label: str, participant: str | None) -> None:
        """Speaker *label* of a transcript is *participant* (None: nobody)."""
        sp = schema.speakers
        with self._tx.write() as conn:
            pid = participant_id(conn, participant) if participant else None
            n = conn.execute(
                sa.update(sp).where((sp.c.transcript_id == transcript_id) & (sp.c.label == label)).values(participant_id=pid)
            ).rowcount
            if n == 0:
                conn.execute(sa.insert(sp).values(transcript_id=transcript_id, label=label, participant_id=pid))

    def list(self) -> builtins.list[Participant]:
        """Every participant, by name."""
        pt = schema.participants
        with self._tx.read() as conn:
            return [Participant(r.name, dict(r.attributes or {})) for r in conn.execute(sa.select(pt).order_by(pt.c.name))]

    def speakers(self) -> dict[tuple[int, str], str]:
        """(transcript id, speaker label) -> participant name, for every linked speaker."""
        sp, pt = schema.speakers, schema.participants
        with self._tx.read() as conn:
            rows = conn.execute(
                sa.select(sp.c.transcript_id, sp.c.label, pt.c.name).select_from(sp.join(pt, sp.c.participant_id == pt.c.id))
            ).all()
        return {(r.transcript_id, r.label): r.name for r in rows}


class SqlAttributes:
    """The declared attributes (name, type, scope) of transcripts and participants."""

    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def define(self, definition: AttributeDef) -> None:
        """Declare (or retype) an attribute."""
        ad = schema.attribute_defs
        name, scope = definition.name, definition.scope
        with self._tx.write() as conn:
            n = conn.execute(sa.update(ad).where((ad.c.name == name) & (ad.c.scope == scope)).values(type=definition.type)).rowcount
            if n == 0:
                conn.execute(sa.insert(ad).values(name=name, scope=scope, type=definition.type))

    def definitions(self) -> list[AttributeDef]:
        """Every declared attribute, by scope then name."""
        ad = schema.attribute_defs
        with self._tx.read() as conn:
            return [
                attribute_def(r.name, r.type, r.scope)
                for r in conn.execute(sa.select(ad).order_by(ad.c.scope, ad.c.name))
            ]
