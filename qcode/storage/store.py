"""The project store: one interface over SQLite (default) or PostgreSQL.

A :class:`Store` opens, checks, migrates, backs up and closes a project
database; what it holds is read and written through its repositories
(``store.transcripts``, ``store.codes``, ``store.codings``, ...; their
Protocols are in :mod:`qcode.storage.interface`). Every repository method
that changes data runs in one transaction. Callers that need several changes
to succeed or fail together wrap them in ``with store.transaction():``, the
unit of work; nested calls join it. Nothing is reported done before its
transaction has committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from qcode.core.coding import new_guid
from qcode.core.errors import ProjectError
from qcode.storage import migrations, schema, sqlite_files
from qcode.storage.engine import (
    DEFAULT_BUSY_TIMEOUT,
    TransactionManager,
    sqlite_engine,
    translate_error,
)
from qcode.storage.repositories.coders import SqlCoders
from qcode.storage.repositories.codes import SqlCodes
from qcode.storage.repositories.codings import SqlCodings
from qcode.storage.repositories.memos import SqlMemos
from qcode.storage.repositories.meta import SqlMeta
from qcode.storage.repositories.participants import SqlAttributes, SqlParticipants
from qcode.storage.repositories.progress import SqlProgress
from qcode.storage.repositories.roles import SqlRoles
from qcode.storage.repositories.suggestions import SqlSuggestions
from qcode.storage.repositories.team import SqlTeam
from qcode.storage.repositories.transcripts import SqlTranscripts


class Store:
    """Access to one project's database."""

    def __init__(self, engine: sa.Engine, where: str, path: Path | None = None) -> None:
        self.engine = engine
        self.where = where
        self.path = path
        self._tx = TransactionManager(engine, where)
        """Connections and transactions: the repositories' (and the storage package's) own, never a use case's."""
        self.migrated: list[str] = []
        self.backup_path: Path | None = None
        self.read_only = False
        """Opened read-only (the file or its folder is not writable): every write is refused."""
        self.coders = SqlCoders(self._tx)
        self.progress = SqlProgress(self._tx)
        self.meta = SqlMeta(self._tx)
        self.suggestions = SqlSuggestions(self._tx, self.coders)
        self.memos = SqlMemos(self._tx, self.coders)
        self.codings = SqlCodings(self._tx, self.coders)
        self.codes = SqlCodes(self._tx, self.codings)
        self.participants = SqlParticipants(self._tx)
        self.transcripts = SqlTranscripts(self._tx)
        self.attributes = SqlAttributes(self._tx)
        self.roles = SqlRoles(self._tx)
        self.team = SqlTeam(self._tx)
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
            with store._tx.read() as conn:
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
            sqlite = self.engine.dialect.name == "sqlite"
            with self._tx.write(foreign_keys=not (sqlite and migrations.rebuilds(current, target))) as conn:
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
        with self._tx.read() as conn:
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

    # ------------------------------------------------------------ unit of work
    @contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[None]:
        """A unit of work: repositories called inside share one transaction.

        It commits at the end and rolls back on error (then nothing of it is
        saved); a ``transaction()`` opened inside joins the outer one. With
        *rollback* (a dry run: do everything, report, keep nothing) it is rolled
        back at its end too; such a transaction cannot join an open one, where
        nothing could be undone.
        """
        if not rollback:
            with self._tx.write():
                yield
            return
        if self._tx.active is not None:
            raise RuntimeError("a transaction to roll back cannot join one already open")
        try:
            with self._tx.write():
                yield
                raise _RollBack
        except _RollBack:
            pass

    def backup(self, backup_dir: Path, reason: str = "manual") -> Path:
        """Copy the database with SQLite's online backup API (``pg_dump`` on a server), then verify the copy."""
        if self.path is None:
            stem = self.engine.url.database or "server"
            return postgres_hooks().dump(self.url, sqlite_files.backup_target(backup_dir, stem, reason, ".dump"))
        return sqlite_files.backup_database(self.path, backup_dir, reason, self.where)


class _RollBack(Exception):
    """Raised at the end of a ``transaction(rollback=True)`` to undo it."""


def postgres_hooks() -> Any:
    """The PostgreSQL module, imported only for server projects."""
    from qcode.storage import postgres

    return postgres

