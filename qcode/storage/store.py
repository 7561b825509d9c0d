"""The project store: one interface over SQLite (default) or PostgreSQL.

Every public method that changes data runs in one transaction. Callers that
need several changes to succeed or fail together wrap them in
``with store.transaction():``; nested calls join that transaction. Nothing is
reported done before its transaction has committed.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding, Memo, new_guid, now
from qcode.core.errors import AmbiguousError, CodingError, NotFoundError, ProjectError
from qcode.core.sourcemap import SourceMap
from qcode.core.transcript import Note, SourceInfo, Transcript, TranscriptSummary, Turn
from qcode.storage import migrations, schema, sqlite_files
from qcode.storage.engine import (
    DEFAULT_BUSY_TIMEOUT,
    TransactionManager,
    inserted_id,
    sqlite_engine,
    translate_error,
)
from qcode.storage.repositories.coders import SqlCoders
from qcode.storage.repositories.codes import SqlCodes
from qcode.storage.repositories.codings import SqlCodings
from qcode.storage.repositories.memos import SqlMemos
from qcode.storage.repositories.meta import SqlMeta
from qcode.storage.repositories.participants import (
    SqlAttributes,
    SqlParticipants,
    json_attributes,
    participant_id,
)
from qcode.storage.repositories.progress import SqlProgress
from qcode.storage.repositories.roles import SqlRoles
from qcode.storage.repositories.suggestions import SqlSuggestions


def _ts(dt: datetime) -> str:
    return dt.isoformat()


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


class Store:
    """Access to one project's database."""

    def __init__(self, engine: sa.Engine, where: str, path: Path | None = None) -> None:
        self.engine = engine
        self.where = where
        self.path = path
        self.tx = TransactionManager(engine, where)
        self.migrated: list[str] = []
        self.backup_path: Path | None = None
        self.read_only = False
        """Opened read-only (the file or its folder is not writable): every write is refused."""
        self.coders = SqlCoders(self.tx)
        self.progress = SqlProgress(self.tx)
        self.meta = SqlMeta(self.tx)
        self.suggestions = SqlSuggestions(self.tx, self.coders)
        self.memos = SqlMemos(self.tx, self.coders)
        self.codings = SqlCodings(self.tx, self.coders)
        self.codes = SqlCodes(self.tx, self.codings)
        self.participants = SqlParticipants(self.tx)
        self.attributes = SqlAttributes(self.tx)
        self.roles = SqlRoles(self.tx)
        """A team server's roles and policies (PostgreSQL only)."""
        self.url: str = ""
        self.server: Any = None
        """On a PostgreSQL server: who is connected, as what (:class:`qcode.storage.postgres.ServerInfo`)."""

    # ------------------------------------------------------------------ open
    @classmethod
    def open_sqlite(
        cls,
        path: Path,
        *,
        create: bool = False,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        backup_dir: Path | None = None,
    ) -> Store:
        """Open (or create) the SQLite project database at *path*.

        Checks the file is a healthy SQLite database, migrates an older
        schema after a verified backup, and refuses a newer one.
        """
        path = Path(path)
        exists = path.exists()
        if not exists and not create:
            raise ProjectError(
                f"No project database at {path}.",
                hint="Create a project with `qcode init`, or pass --project DIR.",
            )
        read_only = False
        if exists:
            sqlite_files.check_file(path)
            read_only = not sqlite_files.writable(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sqlite_engine(path, busy_timeout=busy_timeout, read_only=read_only)
        store = cls(engine, str(path), path)
        store.read_only = read_only
        try:
            store._prepare(new=not exists, backup_dir=backup_dir or path.parent / "backups")
        except BaseException:
            store.engine.dispose()
            raise
        return store

    @classmethod
    def open_url(cls, url: str, *, create: bool = False, backup_dir: Path | None = None) -> Store:
        """Open a store on a PostgreSQL server URL (teams: see :mod:`qcode.storage.postgres`).

        An older schema is migrated after a ``pg_dump`` backup into *backup_dir*.
        """
        from qcode.storage import postgres

        store = cls(postgres.make_engine(url), postgres.describe(url))
        store.url = url
        try:
            store._prepare(new=create, backup_dir=backup_dir)
            with store.reading() as conn:
                store.server = postgres.server_info(conn)
        except BaseException:
            store.engine.dispose()
            raise
        return store

    def _prepare(self, *, new: bool, backup_dir: Path | None) -> None:
        if self.engine.dialect.name == "sqlite" and not new:
            current = self._check_sqlite_file()
        else:
            current = self.schema_version()
        target = migrations.SCHEMA_VERSION
        if current > target:
            raise ProjectError(
                f"The project {self.where} was made by a newer qcode (schema version {current}; "
                f"this qcode knows up to {target}).",
                hint="Upgrade qcode (`pip install -U qcode`) to open it. The project was not changed.",
            )
        if current < target and self.read_only:
            raise ProjectError(
                f"The project {self.where} was made by an older qcode and must be upgraded (schema version "
                f"{current} to {target}), but it is read-only.",
                hint="Copy the project folder somewhere writable and open the copy.",
            )
        if current < target:
            if current > 0 and backup_dir is not None:
                self.backup_path = self.backup(backup_dir, reason=f"before-migration-v{current}-to-v{target}")
            with self.tx.write() as conn:
                server = self.engine.dialect.name == "postgresql"
                prefix = postgres_hooks().before_migration(conn) if server else None
                self.migrated = migrations.apply(conn, current, target)
                if current == 0:
                    conn.execute(sa.insert(schema.meta).values(key="project_guid", value=new_guid()))
                if server:
                    postgres_hooks().after_migration(conn, prefix)

    def _check_sqlite_file(self) -> int:
        """quick_check, then the schema against qcode's own; returns the schema version.

        Random bytes in the schema pages can surface as a decoding error of
        the schema text: reported as damage, like any other corruption.
        """
        from qcode.storage.schema_check import check_schema

        try:
            self._quick_check()
            current = self.schema_version()
            if current <= migrations.SCHEMA_VERSION:
                with self.engine.connect() as conn:
                    check_schema(conn.connection.dbapi_connection, current, self.where)
        except (UnicodeDecodeError, sqlite3.DatabaseError) as exc:
            raise ProjectError(
                f"The project database {self.where} is damaged ({type(exc).__name__} while reading its schema).",
                hint="Restore the latest backup: `qcode backups` lists them, `qcode restore BACKUP` restores one. "
                "qcode did not change the file.",
            ) from exc
        return current

    def _quick_check(self) -> None:
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
        except sa.exc.DBAPIError as exc:
            raise translate_error(exc, self.where) from exc
        result = [r[0] for r in rows]
        if result != ["ok"]:
            raise ProjectError(
                f"The project database {self.where} is damaged (quick_check: {'; '.join(result[:3])}).",
                hint="Restore the latest backup from the project's .qcode/backups folder. "
                "qcode did not change the file.",
            )

    def schema_version(self) -> int:
        with self.tx.read() as conn:
            insp = sa.inspect(conn)
            if not insp.has_table("qcode_meta"):
                if insp.get_table_names():
                    raise ProjectError(
                        f"{self.where} is a database, but not a qcode project (no qcode_meta table).",
                        hint="Point --project at a folder made by `qcode init`.",
                    )
                return 0
            value = conn.execute(
                sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
            ).scalar()
        return int(value or 0)

    def close(self) -> None:
        if self.engine.dialect.name == "sqlite":
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except sa.exc.DBAPIError:
                pass  # Another process holds the database; its close will checkpoint.
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One atomic write transaction (nested calls join the outer one)."""
        with self.tx.write() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        with self.tx.read() as conn:
            yield conn

    def backup(self, backup_dir: Path, reason: str = "manual") -> Path:
        """Copy the database with SQLite's online backup API (``pg_dump`` on a server), then verify the copy."""
        if self.path is None:
            stem = self.engine.url.database or "server"
            return postgres_hooks().dump(self.url, sqlite_files.backup_target(backup_dir, stem, reason, ".dump"))
        return sqlite_files.backup_database(self.path, backup_dir, reason, self.where)

    # ----------------------------------------------------------- transcripts
    def add_transcript(self, t: Transcript, source_bytes: bytes | None = None) -> int:
        """Store *t* (text, turns, speakers, source) and return its id."""
        problems = t.validate()
        if problems:
            raise ProjectError(f"Transcript '{t.name}' is inconsistent: {'; '.join(problems)}.")
        stamp = _ts(now())
        src = t.source
        with self.transaction() as conn:
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
                    text=t.text,
                    text_sha256=hashlib.sha256(t.text.encode("utf-8")).hexdigest(),
                    language=t.language,
                    kind=t.kind,
                    words=t.words,
                    attributes=json_attributes(t.attributes),
                    notes=[_note_dict(n) for n in t.notes],
                    warnings=list(t.warnings),
                    source_filename=src.filename if src else None,
                    source_sha256=src.sha256 if src else None,
                    source_format=src.format if src else None,
                    source_encoding=src.encoding if src else None,
                    encoding_guessed=bool(src and src.encoding_guessed),
                    source_bytes=source_bytes,
                    created=stamp,
                    modified=stamp,
                )
            )
            self._write_turns(conn, tid, t.turns)
            self._write_speakers(conn, tid, t)
            self._write_source(conn, tid, t)
        t.id = int(tid)
        return int(tid)

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

    def transcript_source(self, tid: int) -> tuple[str, SourceMap] | None:
        """The source text of transcript *tid* and its map to the text (None when not stored)."""
        ts = schema.transcript_sources
        with self.reading() as conn:
            row = conn.execute(sa.select(ts.c.text, ts.c.map).where(ts.c.transcript_id == tid)).first()
        return None if row is None else (row.text, SourceMap.from_json(row.map))

    def replace_transcript_content(self, tid: int, new: Transcript, source_bytes: bytes | None = None) -> None:
        """Replace the text, turns and source of transcript *tid* (codings are the caller's job)."""
        src = new.source
        with self.transaction() as conn:
            conn.execute(
                sa.update(schema.transcripts)
                .where(schema.transcripts.c.id == tid)
                .values(
                    text=new.text,
                    text_sha256=hashlib.sha256(new.text.encode("utf-8")).hexdigest(),
                    words=new.words,
                    notes=[_note_dict(n) for n in new.notes],
                    warnings=list(new.warnings),
                    source_filename=src.filename if src else None,
                    source_sha256=src.sha256 if src else None,
                    source_format=src.format if src else None,
                    source_encoding=src.encoding if src else None,
                    encoding_guessed=bool(src and src.encoding_guessed),
                    source_bytes=source_bytes,
                    modified=_ts(now()),
                )
            )
            self._write_turns(conn, tid, new.turns)
            self._write_speakers(conn, tid, new)
            self._write_source(conn, tid, new)

    def update_transcript_fields(self, tid: int, **fields: Any) -> None:
        """Update title, kind, language or attributes of a transcript."""
        allowed = {"title", "kind", "language", "attributes", "name"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}")
        if "attributes" in fields:
            fields["attributes"] = json_attributes(fields["attributes"])
        with self.transaction() as conn:
            conn.execute(sa.update(schema.transcripts).where(schema.transcripts.c.id == tid).values(modified=_ts(now()), **fields))

    def delete_transcript(self, tid: int) -> None:
        """Delete a transcript with its codings, memos and suggestions (one transaction)."""
        with self.transaction() as conn:
            conn.execute(sa.delete(schema.codings).where(schema.codings.c.transcript_id == tid))
            conn.execute(sa.delete(schema.transcript_sources).where(schema.transcript_sources.c.transcript_id == tid))
            conn.execute(
                sa.delete(schema.memos).where(
                    (schema.memos.c.target_kind == "transcript") & (schema.memos.c.target_id == str(tid))
                )
            )
            conn.execute(sa.delete(schema.transcripts).where(schema.transcripts.c.id == tid))

    def get_transcript(self, tid: int) -> Transcript:
        tt = schema.transcripts
        with self.reading() as conn:
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

    def transcript_summaries(self) -> list[TranscriptSummary]:
        """Every transcript's summary, by id."""
        tt = schema.transcripts
        with self.reading() as conn:
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

    def find_transcript(self, ref: str | int) -> int:
        """Resolve a transcript reference: its id, its name, or its original file name."""
        tt = schema.transcripts
        ref_s = str(ref).strip()
        with self.reading() as conn:
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
        from qcode.core.errors import did_you_mean

        raise NotFoundError(
            f"No transcript '{ref_s}' in this project." + did_you_mean(ref_s, names),
            hint="List the transcripts with `qcode transcripts`.",
        )

    def transcript_by_source_hash(self, sha256: str) -> tuple[int, str] | None:
        tt = schema.transcripts
        with self.reading() as conn:
            row = conn.execute(sa.select(tt.c.id, tt.c.name).where(tt.c.source_sha256 == sha256)).first()
        return (int(row.id), row.name) if row else None

    def source_bytes(self, tid: int) -> bytes | None:
        tt = schema.transcripts
        with self.reading() as conn:
            return conn.execute(sa.select(tt.c.source_bytes).where(tt.c.id == tid)).scalar()


def postgres_hooks() -> Any:
    """The PostgreSQL module, imported only for server projects."""
    from qcode.storage import postgres

    return postgres




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


# Re-exported for type hints in other modules.
__all__ = ["Store", "Code", "Codebook", "Coding", "Memo", "CodingError"]
