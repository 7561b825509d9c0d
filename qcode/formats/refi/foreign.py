"""Opening other tools' SQLite projects as untrusted input.

A project database from someone else may be damaged or crafted: it is opened
**read-only** (``mode=ro`` URI, ``query_only``), with ``trusted_schema`` off (so
views and triggers cannot call functions with side effects), after checking
the SQLite header and the size, and ``PRAGMA integrity_check`` must pass before
anything is read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from qcode.core.errors import ImportFormatError

T = TypeVar("T")

SQLITE_HEADER = b"SQLite format 3\x00"
MAX_DB_BYTES = 4 * 1024**3


def open_untrusted(path: Path, tool: str) -> sqlite3.Connection:
    """A read-only connection to another tool's database, after the checks above."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ImportFormatError(f"Cannot read {path}: {exc.strerror or exc}.", hint="Check the path and permissions.") from exc
    if head != SQLITE_HEADER:
        raise ImportFormatError(f"{path}: is not a SQLite database, so not a {tool} project.",
                                hint=f"Give the {tool} project file itself.")
    if size > MAX_DB_BYTES:
        raise ImportFormatError(f"{path}: {size / 1e9:.1f} GB is over the limit of {MAX_DB_BYTES / 1e9:.0f} GB.")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA query_only=ON")
        check = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise ImportFormatError(f"{path}: the {tool} database cannot be read ({exc}).",
                                hint="Open the project in its application to repair it, or export it again.") from exc
    if check != ["ok"]:
        conn.close()
        raise ImportFormatError(f"{path}: the {tool} database is damaged (integrity_check: {'; '.join(check[:3])}).",
                                hint="Open the project in its application to repair it, or restore a backup.")
    return conn


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def require(conn: sqlite3.Connection, path: Path, tool: str, needed: set[str]) -> None:
    missing = needed - tables(conn)
    if missing:
        conn.close()
        raise ImportFormatError(f"{path}: not a {tool} project (no table {', '.join(sorted(missing))}).",
                                hint=f"Give the {tool} project file itself.")


def read_untrusted(path: Path, tool: str, needed: set[str], read: Callable[[sqlite3.Connection, Path], T]) -> T:
    """``read(conn, path)`` on :func:`open_untrusted`'s connection once the *needed* tables are there;
    the connection is closed however the reading ends."""
    conn = open_untrusted(path, tool)
    try:
        require(conn, path, tool, needed)
        return read(conn, path)
    finally:
        conn.close()
