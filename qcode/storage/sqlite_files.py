"""The SQLite project file on disk: checks before opening, verified backups, restore, sweeping.

Backups go through SQLite's online backup API into a temporary ``.part``
file, are verified (``integrity_check`` and the schema qcode creates), fsynced
and only then renamed into place: a backup killed half-way leaves no
0-byte or partial ``.sqlite`` file among the good ones (issue 14, finding 13).
A restore verifies the backup the same way before touching the project.
Leftover ``.part`` files are swept by :func:`qcode.formats.atomic.sweep_stale`.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qcode.core.coding import now
from qcode.core.errors import ProjectError

SQLITE_HEADER = b"SQLite format 3\x00"
_NAME = re.compile(r"^(?P<stem>.+?)-(?P<stamp>\d{8}-\d{6})-(?P<reason>.+?)\.sqlite$")


def writable(path: Path) -> bool:
    """Whether qcode may write the database (and its -wal/-shm/-journal files beside it)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def check_file(path: Path) -> None:
    """Refuse what is not a regular, non-empty SQLite file before SQLite opens it."""
    try:
        st = path.stat()
    except OSError as exc:
        raise ProjectError(f"Cannot read the project database {path}: {exc.strerror}.") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ProjectError(
            f"{path} is not a regular file (a device, pipe or folder); qcode will not open it as a project.",
            hint="Move it away and restore the database from .qcode/backups (`qcode backups`).",
        )
    wal = Path(f"{path}-wal")
    if st.st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise ProjectError(
            f"The project database {path} is empty (0 bytes): it was truncated, or a copy or sync did not "
            "finish. qcode will not start a new, empty project over it.",
            hint="Restore a backup (`qcode backups` lists them, `qcode restore BACKUP` restores one); if this "
            "project was never used, delete the empty file and open the project again.",
        )
    if st.st_size:
        check_header(path)


def check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ProjectError(f"Cannot read the project database {path}: {exc.strerror}.", hint="Check the file's permissions.") from exc
    if head != SQLITE_HEADER:
        raise ProjectError(
            f"{path} is not a SQLite database (the file is damaged or is something else).",
            hint="Restore a backup (`qcode backups`, then `qcode restore BACKUP`), or move it away and run "
            "`qcode init` to start a new project.",
        )


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def verify_database(path: Path, where: str | None = None) -> int:
    """Check a project database file (integrity, schema); returns its schema version. Never writes."""
    from qcode.storage.schema_check import check_schema

    where = where or str(path)
    check_file(path)
    try:
        conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ProjectError(f"Cannot open {where}: {exc}.") from exc
    try:
        conn.execute("PRAGMA trusted_schema=OFF")
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise ProjectError(f"{where} is damaged (integrity_check: {'; '.join(result[:3])}).")
        row = conn.execute("SELECT value FROM qcode_meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        check_schema(conn, version, where)
        return version
    except (sqlite3.DatabaseError, UnicodeDecodeError, ValueError) as exc:
        raise ProjectError(f"{where} is damaged or not a qcode project ({type(exc).__name__}: {exc}).") from exc
    finally:
        conn.close()


def backup_target(backup_dir: Path, stem: str, reason: str, suffix: str = ".sqlite") -> Path:
    """A new, unused backup path ``<stem>-<stamp>-<reason>[-n]<suffix>`` in *backup_dir* (created)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = now().strftime("%Y%m%d-%H%M%S")
    reason = re.sub(r"[^A-Za-z0-9._-]+", "-", reason)[:60] or "backup"
    target = backup_dir / f"{stem}-{stamp}-{reason}{suffix}"
    n = 1
    while target.exists():
        n += 1
        target = backup_dir / f"{stem}-{stamp}-{reason}-{n}{suffix}"
    return target


def backup_database(db: Path, backup_dir: Path, reason: str, where: str) -> Path:
    """A verified copy of *db* in *backup_dir*, named ``<stem>-<stamp>-<reason>.sqlite``."""
    target = backup_target(backup_dir, db.stem, reason)
    part = backup_dir / f".{target.name}.part"
    try:
        src = sqlite3.connect(db)
        try:
            dst = sqlite3.connect(part)
            try:
                src.backup(dst)
                check = dst.execute("PRAGMA integrity_check").fetchall()
            finally:
                dst.close()
        finally:
            src.close()
        if [r[0] for r in check] != ["ok"]:
            raise ProjectError(
                f"The backup of {where} failed its integrity check; nothing was changed.",
                hint="The project itself may be damaged: list its backups with `qcode backups` and restore "
                "an older one with `qcode restore BACKUP`.",
            )
        _fsync(part)
        os.replace(part, target)
    except sqlite3.Error as exc:
        raise ProjectError(f"Could not back up {where}: {exc}.", hint="Check free space; nothing was changed.") from exc
    finally:
        part.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime | None
    reason: str
    size: int


def list_backups(backup_dir: Path) -> list[BackupInfo]:
    """The backups in *backup_dir*, newest first."""
    if not backup_dir.is_dir():
        return []
    out = []
    for p in backup_dir.glob("*.sqlite"):
        if not p.is_file():
            continue
        m = _NAME.match(p.name)
        created = None
        if m:
            with contextlib.suppress(ValueError):
                created = datetime.strptime(m.group("stamp"), "%Y%m%d-%H%M%S")
        out.append(BackupInfo(p, created, m.group("reason") if m else "", p.stat().st_size))
    return sorted(out, key=lambda b: (b.path.stat().st_mtime, b.path.name), reverse=True)


def restore_database(backup: Path, db: Path) -> None:
    """Put the (already verified) *backup* in place of *db*.

    Through the online backup API when *db* is a working database (other
    readers then see the old or the new content, never a mix); by replacing
    the file when it is too damaged for SQLite to write into.
    """
    try:
        src = sqlite3.connect(f"file:{backup.resolve()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(db, timeout=5.0)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        return
    except sqlite3.DatabaseError:
        pass  # the current file is not a usable database: replace it whole
    part = db.parent / f".{db.name}.restore.part"
    try:
        part.write_bytes(backup.read_bytes())
        _fsync(part)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.replace(part, db)
    finally:
        part.unlink(missing_ok=True)
