"""Transcripts: their text, turns, speakers and the source they were imported from."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from qcode.core.coding import new_guid, now
from qcode.core.errors import AmbiguousError, NotFoundError, ProjectError, did_you_mean
from qcode.core.sourcemap import SourceMap
from qcode.core.transcript import Note, SourceInfo, Transcript, TranscriptSummary, Turn
from qcode.storage import schema
from qcode.storage.engine import TransactionManager, inserted_id
from qcode.storage.repositories.participants import json_attributes, participant_id


class SqlTranscripts:
    """The transcripts table with its turns, speakers and source text (the original file's bytes too)."""

    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def add(self, t: Transcript, source_bytes: bytes | None = None) -> int:
        """Store *t* (text, turns, speakers, source) and return its id."""
        problems = t.validate()
        if problems:
            raise ProjectError(f"Transcript '{t.name}' is inconsistent: {'; '.join(problems)}.")
        stamp = now().isoformat()
        with self._tx.write() as conn:
            if conn.execute(sa.select(schema.transcripts.c.id).where(schema.transcripts.c.name == t.name)).first():
                raise ProjectError(
                    f"A transcript named '{t.name}' already exists.",
                    hint="Give the new one another name (--name) or replace the old one with `qcode import --replace`.",
                )
            tid = inserted_id(conn,
                sa.insert(schema.transcripts).values(
                    guid=new_guid(),
                    name=t.name,
                    title=t.title,
                    language=t.language,
                    kind=t.kind,
                    attributes=json_attributes(t.attributes),
                    created=stamp,
                    **_content_values(t, source_bytes, stamp),
                )
            )
            self._write_parts(conn, tid, t)
        t.id = int(tid)
        return int(tid)

    def _write_parts(self, conn: sa.Connection, tid: int, t: Transcript) -> None:
        """The rows beside the transcript's own: turns, speakers, source map (rewritten whole)."""
        self._write_turns(conn, tid, t.turns)
        self._write_speakers(conn, tid, t)
        self._write_source(conn, tid, t)

    def _write_turns(self, conn: sa.Connection, tid: int, turns: list[Turn]) -> None:
        conn.execute(sa.delete(schema.turns).where(schema.turns.c.transcript_id == tid))
        if turns:
            conn.execute(
                sa.insert(schema.turns),
                [
                    {
                        "transcript_id": tid,
                        "idx": i,
                        "start": tr.start,
                        "end": tr.end,
                        "speaker": tr.speaker,
                        "time_start": tr.time_start,
                        "time_end": tr.time_end,
                        "overlap": tr.overlap,
                    }
                    for i, tr in enumerate(turns)
                ],
            )

    def _write_speakers(self, conn: sa.Connection, tid: int, t: Transcript) -> None:
        conn.execute(sa.delete(schema.speakers).where(schema.speakers.c.transcript_id == tid))
        rows = []
        for label in t.speaker_labels():
            pname = t.speakers.get(label)
            pid = participant_id(conn, pname) if pname else None
            rows.append({"transcript_id": tid, "label": label, "participant_id": pid})
        if rows:
            conn.execute(sa.insert(schema.speakers), rows)

    def _write_source(self, conn: sa.Connection, tid: int, t: Transcript) -> None:
        ts = schema.transcript_sources
        conn.execute(sa.delete(ts).where(ts.c.transcript_id == tid))
        if t.source_text is not None and t.source_map is not None:
            conn.execute(sa.insert(ts).values(transcript_id=tid, text=t.source_text, map=t.source_map.to_json()))

    def source(self, tid: int) -> tuple[str, SourceMap] | None:
        """The source text of transcript *tid* and its map to the text (None when not stored)."""
        ts = schema.transcript_sources
        with self._tx.read() as conn:
            row = conn.execute(sa.select(ts.c.text, ts.c.map).where(ts.c.transcript_id == tid)).first()
        return None if row is None else (row.text, SourceMap.from_json(row.map))

    def replace_content(self, tid: int, new: Transcript, source_bytes: bytes | None = None) -> None:
        """Replace the text, turns and source of transcript *tid* (codings are the caller's job)."""
        with self._tx.write() as conn:
            conn.execute(
                sa.update(schema.transcripts)
                .where(schema.transcripts.c.id == tid)
                .values(**_content_values(new, source_bytes, now().isoformat()))
            )
            self._write_parts(conn, tid, new)

    def update_fields(self, tid: int, **fields: Any) -> None:
        """Update title, kind, language, attributes or notes (a list of :class:`Note`) of a transcript."""
        allowed = {"title", "kind", "language", "attributes", "name", "notes"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}")
        if "attributes" in fields:
            fields["attributes"] = json_attributes(fields["attributes"])
        if "notes" in fields:
            fields["notes"] = [_note_dict(n) for n in fields["notes"]]
        with self._tx.write() as conn:
            conn.execute(sa.update(schema.transcripts).where(schema.transcripts.c.id == tid).values(modified=now().isoformat(), **fields))

    def delete(self, tid: int) -> None:
        """Delete a transcript with everything that belongs to it (one transaction).

        Its codings and the memos on them, its memos, suggestions, reviews,
        turns, speaker links and source go; the participants its speakers were
        linked to stay (they are the project's, with their attributes).
        The cascades of the schema would do part of this; saying it here keeps
        the list in one place and does not depend on them.
        """
        ct, mt = schema.codings, schema.memos
        coding_ids = sa.select(sa.cast(ct.c.id, mt.c.target_id.type)).where(ct.c.transcript_id == tid)
        with self._tx.write() as conn:
            conn.execute(sa.delete(schema.suggestions).where(schema.suggestions.c.transcript_id == tid))
            conn.execute(sa.delete(schema.reviews).where(schema.reviews.c.transcript_id == tid))
            conn.execute(sa.delete(mt).where((mt.c.target_kind == "coding") & mt.c.target_id.in_(coding_ids)))
            conn.execute(sa.delete(ct).where(ct.c.transcript_id == tid))
            conn.execute(sa.delete(schema.transcript_sources).where(schema.transcript_sources.c.transcript_id == tid))
            conn.execute(sa.delete(mt).where((mt.c.target_kind == "transcript") & (mt.c.target_id == str(tid))))
            conn.execute(sa.delete(schema.turns).where(schema.turns.c.transcript_id == tid))
            conn.execute(sa.delete(schema.speakers).where(schema.speakers.c.transcript_id == tid))
            conn.execute(sa.delete(schema.transcripts).where(schema.transcripts.c.id == tid))

    def get(self, tid: int) -> Transcript:
        """One transcript with its turns and speakers (NotFoundError when there is none)."""
        tt = schema.transcripts
        with self._tx.read() as conn:
            row = conn.execute(sa.select(tt).where(tt.c.id == tid)).first()
            if row is None:
                raise NotFoundError(f"No transcript with id {tid}.", hint="List them with `qcode transcripts`.")
            turn_rows = conn.execute(
                sa.select(schema.turns).where(schema.turns.c.transcript_id == tid).order_by(schema.turns.c.idx)
            ).all()
            sp = schema.speakers
            pt = schema.participants
            spk = conn.execute(
                sa.select(sp.c.label, pt.c.name).select_from(sp.outerjoin(pt, sp.c.participant_id == pt.c.id)).where(sp.c.transcript_id == tid)
            ).all()
        return _transcript_from_row(row, turn_rows, {r.label: r.name for r in spk})

    def summaries(self) -> list[TranscriptSummary]:
        """Every transcript's summary, by id."""
        tt = schema.transcripts
        with self._tx.read() as conn:
            rows = conn.execute(
                sa.select(
                    tt.c.id, tt.c.name, tt.c.title, tt.c.kind, tt.c.language, tt.c.words, tt.c.attributes,
                    tt.c.source_filename, tt.c.source_format, tt.c.source_encoding, tt.c.encoding_guessed,
                    sa.func.length(tt.c.text).label("chars"),
                ).order_by(tt.c.id)
            ).all()
            turn_counts: dict[int, int] = dict(
                conn.execute(
                    sa.select(schema.turns.c.transcript_id, sa.func.count()).group_by(schema.turns.c.transcript_id)
                ).all()
            )
            speakers: dict[int, list[str]] = {}
            for r in conn.execute(sa.select(schema.speakers.c.transcript_id, schema.speakers.c.label)):
                speakers.setdefault(r.transcript_id, []).append(r.label)
        return [
            TranscriptSummary(
                id=r.id,
                name=r.name,
                title=r.title,
                kind=r.kind,
                language=r.language,
                words=r.words,
                chars=r.chars,
                turns=turn_counts.get(r.id, 0),
                speakers=speakers.get(r.id, []),
                attributes=r.attributes or {},
                source=r.source_filename,
                format=r.source_format,
                encoding=r.source_encoding,
                encoding_guessed=bool(r.encoding_guessed),
            )
            for r in rows
        ]

    def find(self, ref: str | int) -> int:
        """Resolve a transcript reference: its id, its name, or its original file name."""
        tt = schema.transcripts
        ref_s = str(ref).strip()
        with self._tx.read() as conn:
            if ref_s.isdigit():
                hit = conn.execute(sa.select(tt.c.id).where(tt.c.id == int(ref_s))).scalar()
                if hit is not None:
                    return int(hit)
            hit = conn.execute(sa.select(tt.c.id).where(tt.c.name == ref_s)).scalar()
            if hit is not None:
                return int(hit)
            base = Path(ref_s).name
            rows = conn.execute(
                sa.select(tt.c.id, tt.c.name).where((tt.c.source_filename == ref_s) | (tt.c.source_filename == base))
            ).all()
            names = list(conn.execute(sa.select(tt.c.name)).scalars())
        if len(rows) == 1:
            return int(rows[0].id)
        if len(rows) > 1:
            raise AmbiguousError(
                f"'{ref_s}' matches {len(rows)} transcripts: " + ", ".join(f"{r.name} (id {r.id})" for r in rows) + ".",
                hint="Use the transcript's id or name instead of the file name.",
            )
        raise NotFoundError(
            f"No transcript '{ref_s}' in this project." + did_you_mean(ref_s, names),
            hint="List the transcripts with `qcode transcripts`.",
        )

    def by_source_hash(self, sha256: str) -> tuple[int, str] | None:
        """The id and name of the transcript imported from a file with this SHA-256, if any."""
        tt = schema.transcripts
        with self._tx.read() as conn:
            row = conn.execute(sa.select(tt.c.id, tt.c.name).where(tt.c.source_sha256 == sha256)).first()
        return (int(row.id), row.name) if row else None

    def source_bytes(self, tid: int) -> bytes | None:
        """The bytes of the file transcript *tid* was imported from (None when not stored)."""
        tt = schema.transcripts
        with self._tx.read() as conn:
            return conn.execute(sa.select(tt.c.source_bytes).where(tt.c.id == tid)).scalar()

    def hashes(self) -> dict[int, tuple[str, str]]:
        """Transcript id -> (SHA-256 of its text, name)."""
        t = schema.transcripts
        with self._tx.read() as conn:
            return {r.id: (r.text_sha256, r.name) for r in conn.execute(sa.select(t.c.id, t.c.text_sha256, t.c.name))}


def _note_dict(n: Note) -> dict[str, Any]:
    return {"offset": n.offset, "kind": n.kind, "text": n.text, "time": n.time}


def _transcript_from_row(row: Any, turn_rows: Iterable[Any], speakers: dict[str, str | None]) -> Transcript:
    source = None
    if row.source_filename is not None or row.source_sha256 is not None:
        source = SourceInfo(
            filename=row.source_filename or "",
            sha256=row.source_sha256 or "",
            format=row.source_format or "",
            encoding=row.source_encoding,
            encoding_guessed=bool(row.encoding_guessed),
        )
    return Transcript(
        id=row.id,
        name=row.name,
        title=row.title,
        text=row.text,
        turns=[Turn(r.start, r.end, r.speaker, r.time_start, r.time_end, bool(r.overlap)) for r in turn_rows],
        notes=[Note(n["offset"], n["kind"], n["text"], n.get("time")) for n in (row.notes or [])],
        language=row.language,
        kind=row.kind,
        attributes=dict(row.attributes or {}),
        speakers=speakers,
        source=source,
        warnings=list(row.warnings or []),
    )


def _content_values(t: Transcript, source_bytes: bytes | None, modified: str) -> dict[str, Any]:
    """The columns of a transcript's content: what an import writes and a replacement rewrites."""
    src = t.source
    return {
        "text": t.text,
        "text_sha256": hashlib.sha256(t.text.encode("utf-8")).hexdigest(),
        "words": t.words,
        "notes": [_note_dict(n) for n in t.notes],
        "warnings": list(t.warnings),
        "source_filename": src.filename if src else None,
        "source_sha256": src.sha256 if src else None,
        "source_format": src.format if src else None,
        "source_encoding": src.encoding if src else None,
        "encoding_guessed": bool(src and src.encoding_guessed),
        "source_bytes": source_bytes,
        "modified": modified,
    }
