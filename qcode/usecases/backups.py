"""Listing and restoring the project's backups (``qcode backups``, ``qcode restore BACKUP``).

Both work on a project whose database is damaged (that is when they are
needed), so they never open it as a store first. A restore verifies the
backup (integrity and schema), saves the current database as a backup itself
(a raw copy when it is too damaged for SQLite to copy), puts the backup in
place, and opens the result as qcode normally would.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qcode.core.coding import now
from qcode.core.errors import NotFoundError, ProjectError, QcodeError
from qcode.storage import SCHEMA_VERSION, Store
from qcode.storage.sqlite_files import (
    BackupInfo,
    backup_database,
    list_backups,
    restore_database,
    verify_database,
)
from qcode.usecases.settings import DATA_DIR, DB_FILE, load_settings

if TYPE_CHECKING:
    from qcode.usecases.project import Project


@dataclass
class RestoreReport:
    restored: Path
    saved: Path | None
    """The backup of the database as it was before the restore (None when there was none)."""
    saved_raw: bool
    """True when the old database was damaged and saved byte for byte instead."""
    version: int


def _paths(root: Path) -> tuple[Path, Path]:
    settings = load_settings(root)
    if settings.database:
        raise ProjectError(
            "This project's database is on a server; its backups are the server's (pg_dump).",
            hint="Ask the server's administrator to restore it.",
        )
    return root / DATA_DIR / DB_FILE, root / DATA_DIR / "backups"


def backup_now(project: Project, reason: str = "manual") -> Path:
    """Take a verified backup of the open project's database (``pg_dump`` on a team server)."""
    return project.store.backup(project.data_dir / "backups", reason=reason)


def backups(root: Path) -> list[BackupInfo]:
    """The project's backups, newest first."""
    return list_backups(_paths(root)[1])


def resolve_backup(root: Path, ref: str) -> Path:
    """A backup by its number in `qcode backups` (1 = newest), its file name, or a path."""
    found = backups(root)
    if ref.isdigit() and 1 <= int(ref) <= len(found):
        return found[int(ref) - 1].path
    for b in found:
        if b.path.name == ref:
            return b.path
    p = Path(ref)
    if p.is_file():
        return p
    raise NotFoundError(
        f"No backup '{ref}' in this project ({len(found)} backups).",
        hint="List them with `qcode backups`; give the number shown there, the file name or a path.",
    )


def restore(root: Path, ref: str) -> RestoreReport:
    """Replace the project's database by backup *ref*, after verifying it and backing up the current one."""
    db, backup_dir = _paths(root)
    source = resolve_backup(root, ref)
    version = verify_database(source, where=f"Backup {source.name}")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"Backup {source.name} was made by a newer qcode (schema version {version}).",
            hint="Upgrade qcode (`pip install -U qcode`) to restore it. Nothing was changed.",
        )
    saved, raw = _save_current(db, backup_dir)
    restore_database(source, db)
    try:
        Store.open_sqlite(db, backup_dir=backup_dir).close()  # the usual checks (and migration) on the result
    except QcodeError as exc:
        raise ProjectError(
            f"The restored database does not open ({exc.message}).",
            hint=f"The database as it was before is saved as {saved}." if saved else "",
        ) from exc
    return RestoreReport(source, saved, raw, version)


def _save_current(db: Path, backup_dir: Path) -> tuple[Path | None, bool]:
    if not db.exists() or db.stat().st_size == 0:
        return None, False
    try:
        verify_database(db)
        return backup_database(db, backup_dir, "before-restore", str(db)), False
    except QcodeError:
        pass
    # Too damaged to copy through SQLite: keep its bytes (and its -wal, which may hold the latest changes).
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_dir / f"{db.stem}-{now().strftime('%Y%m%d-%H%M%S')}-damaged-before-restore.sqlite"
    shutil.copyfile(db, target)
    wal = Path(f"{db}-wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{target}-wal"))
    return target, True
