"""Writing files so that they are either old-complete or new-complete, never torn.

A process killed while writing leaves its temporary file behind (it may hold
interview text). The next atomic write of the same file removes such stale
siblings, and :func:`sweep_stale` clears a whole folder (the project's, on
open).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from qcode.core.errors import StorageError


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside *target*; on success it replaces *target*.

    The temporary file is private (0600), fsynced, then renamed over the
    target; on any failure it is removed and the target is untouched.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise StorageError(f"Folder {folder} does not exist.", hint="Create it first or choose another output path.")
    sweep_stale(folder, pattern=f".{glob.escape(target.name)}.*.tmp")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the temporary file private (0600); the result gets the
        # target's existing mode, or the usual one for a new file (0666 - umask).
        os.chmod(tmp, _final_mode(target))
        os.replace(tmp, target)
        with contextlib.suppress(OSError):
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"Could not write {target}: {exc.strerror or exc}.", hint="Check free space and permissions; the previous file (if any) is unchanged.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _final_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_with(target: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result into place."""
    with atomic_path(target) as tmp:
        writer(tmp)


STALE_SECONDS = 600
"""A temporary file older than this was left by a killed process (no write takes 10 minutes)."""
_TEMP = re.compile(r"^\..+\.(?:[A-Za-z0-9_]{8}\.tmp|part)$")


def is_temp_name(name: str) -> bool:
    """Whether *name* is one of qcode's temporary files (``.<name>.<8 chars>.tmp``, backups' ``.<name>.part``)."""
    return bool(_TEMP.match(name))


def sweep_stale(folder: Path, *, pattern: str = ".*", empty_backups: bool = False, now: float | None = None) -> list[Path]:
    """Remove qcode's stale temporary files in *folder* (and 0-byte ``.sqlite`` files when *empty_backups*).

    Only files older than :data:`STALE_SECONDS` go, so a write in progress in
    another process is left alone. Returns what was removed.
    """
    removed: list[Path] = []
    limit = (now or time.time()) - STALE_SECONDS
    try:
        candidates = list(Path(folder).glob(pattern)) + (list(Path(folder).glob("*.sqlite")) if empty_backups else [])
    except OSError:
        return removed
    for p in candidates:
        try:
            st = p.lstat()
            if not stat.S_ISREG(st.st_mode):
                continue
            if (is_temp_name(p.name) and st.st_mtime < limit) or (empty_backups and p.suffix == ".sqlite" and st.st_size == 0):
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed
