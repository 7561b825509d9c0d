"""Opening project databases: SQLite pragmas, transactions, error mapping.

Write transactions on SQLite begin with ``BEGIN IMMEDIATE``: the write lock
is taken up front, so a second writer waits for the busy timeout and then
gets a clear "project is busy" instead of a deferred read-then-write upgrade
failing at once. Reads use plain deferred transactions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from qcode.core.errors import (
    CodingError,
    PermissionDeniedError,
    ProjectBusyError,
    ProjectError,
    StorageError,
)

DEFAULT_BUSY_TIMEOUT = 5.0


def sqlite_engine(path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, read_only: bool = False) -> Engine:
    """An engine for the SQLite file at *path* with qcode's safety pragmas.

    *read_only* opens it with ``mode=ro`` (SQLite then refuses every write,
    whoever runs qcode), and ``immutable=1`` when its folder cannot hold the
    -wal/-shm files a reader of a WAL database needs and no -wal is pending.
    """
    url = f"sqlite+pysqlite:///{path}"
    if read_only:
        from urllib.parse import quote

        immutable = not os.access(Path(path).parent, os.W_OK) and not Path(f"{path}-wal").exists()
        url = f"sqlite+pysqlite:///file:{quote(str(Path(path).resolve()))}?mode=ro{'&immutable=1' if immutable else ''}&uri=true"
    engine = sa.create_engine(
        url,
        hide_parameters=True,  # error messages never quote the interview text being written
        connect_args={"timeout": busy_timeout, "check_same_thread": False, "isolation_level": None},
        poolclass=sa.pool.QueuePool,
        pool_size=4,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cur = dbapi_conn.cursor()
        for pragma in (
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={int(busy_timeout * 1000)}",
            "PRAGMA secure_delete=ON",
            "PRAGMA trusted_schema=OFF",
            "PRAGMA cell_size_check=ON",
            "PRAGMA mmap_size=0",
            "PRAGMA synchronous=FULL",
        ):
            cur.execute(pragma)
        # WAL lets the app read while the CLI writes. Persistent, so usually a no-op.
        if not read_only:
            try:
                cur.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                pass  # Busy right now: the database keeps whatever mode it has.
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("qcode_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


_SECRETS: set[str] = set()
"""Passwords qcode was given (server URLs, new roles): never shown in a message."""


def register_secret(secret: str) -> None:
    if secret:
        _SECRETS.add(secret)


def scrub(text: str) -> str:
    """*text* with every known password replaced by ***."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def refused(exc: Exception) -> bool:
    """The server refused the statement for this role (grants, row-level security)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501"


def translate_error(exc: Exception, where: str) -> Exception:
    """Turn a database exception into a user-facing :class:`QcodeError`."""
    text = scrub(str(getattr(exc, "orig", exc) or exc))
    low = text.lower()
    if "permission denied" in low or "row-level security" in low:
        return PermissionDeniedError(
            f"The server refused this change to {where}: {text.splitlines()[0]}",
            hint="Your database role may not make it (readers change nothing; coders change only their own "
            "codings and memos). Nothing was changed.",
        )
    if "locked" in low or "busy" in low:
        return ProjectBusyError(
            f"The project {where} is busy: another qcode process (or program) is writing to it.",
            hint="Wait until the other process has finished, or close it, and try again. "
            "Nothing was changed.",
        )
    if "disk" in low and ("full" in low or "i/o" in low) or "database or disk is full" in low:
        return StorageError(
            f"Could not write to {where}: the disk is full or failing ({text}).",
            hint="Free some space and try again. The last action was not saved; the project is as it was before it.",
        )
    if "uq_codings_span" in low or ("unique" in low and "codings." in low):
        return CodingError(
            "That passage is already coded with this code by this coder (perhaps just now, by another "
            "qcode process); nothing was changed.",
            hint="Refresh the view (or list the codings with `qcode codings`) to see it.",
        )
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return ProjectError(
            f"The project database {where} is damaged ({text}).",
            hint="Restore the latest backup from the project's .qcode/backups folder "
            "(`qcode backups` lists them). qcode did not change the file.",
        )
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return StorageError(
            f"Cannot write to the project database {where} ({text}).",
            hint="Check that the folder is writable and not on a read-only disk.",
        )
    return StorageError(f"Database error in {where}: {text}", hint="The action was not saved.")


class TransactionManager:
    """Per-thread nesting of write transactions on one engine."""

    def __init__(self, engine: Engine, where: str) -> None:
        self.engine = engine
        self.where = where
        self._local = threading.local()
        self.on_rollback: list[Callable[[], None]] = []
        """Called after an outermost write transaction rolled back: caches of what it wrote are stale."""

    def _rolled_back(self, trans: sa.RootTransaction) -> None:
        try:
            trans.rollback()
        finally:
            for forget in self.on_rollback:
                forget()

    @property
    def active(self) -> sa.Connection | None:
        return getattr(self._local, "conn", None)

    @contextmanager
    def write(self, *, foreign_keys: bool = True) -> Iterator[sa.Connection]:
        """One atomic write transaction; nested calls join the outer one.

        ``foreign_keys=False`` (SQLite, for migrations that rebuild tables:
        :data:`qcode.storage.migrations.REBUILDS`) begins it with foreign keys
        off, which SQLite allows only outside a transaction, and turns them on
        again before the connection goes back to the pool.
        """
        if self.active is not None:
            if not foreign_keys:
                raise RuntimeError("a transaction without foreign keys cannot join one already begun")
            yield self.active
            return
        try:
            conn = self.engine.connect().execution_options(qcode_write=True)
        except sa.exc.DBAPIError as exc:
            raise translate_error(exc, self.where) from exc
        if not foreign_keys:
            try:
                _sqlite_foreign_keys(conn, False)
            except BaseException:
                conn.invalidate()
                conn.close()
                raise
        try:
            try:
                trans = conn.begin()
            except sa.exc.DBAPIError as exc:
                raise translate_error(exc, self.where) from exc
            self._local.conn = conn
            try:
                yield conn
            except sa.exc.DBAPIError as exc:
                self._rolled_back(trans)
                if isinstance(exc, sa.exc.ProgrammingError) and not refused(exc):
                    raise  # a bug, not the server saying no
                raise translate_error(exc, self.where) from exc
            except BaseException:
                self._rolled_back(trans)
                raise
            else:
                try:
                    trans.commit()
                except sa.exc.DBAPIError as exc:
                    self._rolled_back(trans)
                    raise translate_error(exc, self.where) from exc
            finally:
                self._local.conn = None
        finally:
            if not foreign_keys:
                try:
                    _sqlite_foreign_keys(conn, True)
                except BaseException:
                    conn.invalidate()  # never back in the pool without its foreign keys
            conn.close()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        if self.active is not None:
            yield self.active
            return
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except sa.exc.DBAPIError as exc:
            raise translate_error(exc, self.where) from exc


def _sqlite_foreign_keys(conn: sa.Connection, on: bool) -> None:
    """Turn SQLite's foreign keys on or off on *conn*, outside any transaction (on the driver's connection:
    SQLAlchemy would begin one first)."""
    if conn.dialect.name != "sqlite":
        raise RuntimeError("foreign keys are switched off only on SQLite")
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if dbapi.execute("PRAGMA foreign_keys").fetchone()[0] != int(on):
        raise RuntimeError("SQLite did not switch foreign keys (a transaction is open)")


def inserted_id(conn: sa.Connection, statement: sa.Executable, parameters: dict[str, Any] | None = None) -> int:
    """Run a single-row ``INSERT`` on *conn*; the id of the row it made."""
    key = conn.execute(statement, parameters).inserted_primary_key
    assert key is not None  # a single-row INSERT always reports its key
    return int(key[0])


def param_marker(conn: sa.Connection) -> str:
    """The driver's positional parameter marker (``?`` for sqlite3, ``%s`` for psycopg)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_sql(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: int = 1) -> str:
    """Portable ``INSERT`` text for driver-level ``executemany`` (quoting by the dialect), of *rows* rows
    per statement (their parameters one row after the other).

    Bulk inserts go straight through the driver because SQLAlchemy's per-row
    parameter processing dominates them; this builds their SQL in one place.
    """
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in columns)
    marks = "(" + ", ".join([param_marker(conn)] * len(columns)) + ")"
    return f"INSERT INTO {prep.format_table(table)} ({names}) VALUES {', '.join([marks] * rows)}"
