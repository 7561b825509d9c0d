"""What an unexpected error (a bug) shows: where it happened, never the data it was handling.

Exception messages and a traceback's local variables can quote interview text
(an SQL statement's parameters, a transcript line being parsed). On the
terminal qcode shows only the exception type and the code location; the full
traceback (without local variables) goes to a private crash file the user may
read before deciding to share it. ``QCODE_DEBUG=1`` lets the exception through
unchanged, for developers.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path


def debugging() -> bool:
    return os.environ.get("QCODE_DEBUG", "") not in ("", "0")


def crash_dir() -> Path:
    try:
        from platformdirs import user_log_dir

        return Path(user_log_dir("qcode", appauthor=False))
    except Exception:  # no home folder: fall back to the temp folder
        import tempfile

        return Path(tempfile.gettempdir()) / "qcode-crashes"


def write_report(exc: BaseException) -> Path | None:
    """The full traceback (no local variables) in a private (0600) file; None if it cannot be written."""
    folder = crash_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"crash-{stamp}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("qcode crash report. It may quote interview text: read it before sharing it.\n\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def location(exc: BaseException) -> str:
    """'KeyError at qcode/x.py:12 in f': the exception's type and the deepest qcode frame, never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "qcode" in f.filename] or frames
    where = f" at {_short(ours[-1].filename)}:{ours[-1].lineno} in {ours[-1].name}" if ours else ""
    return type(exc).__name__ + where


def details(report: Path | None) -> str:
    """The sentence pointing to the crash file ('' when none could be written)."""
    if report is None:
        return ""
    return f"Details are in {report} (it may quote interview text: read it before sharing it with the developers)."


def summary(exc: BaseException, report: Path | None) -> str:
    """One paragraph for the terminal: type and location, not the message."""
    text = (f"qcode stopped on an internal error ({location(exc)}). This is a bug in qcode, "
            "not something you did; the last completed action was saved.")
    return text + (" " + details(report) if report is not None else "")


def _short(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[parts.index("qcode"):]) if "qcode" in parts else Path(filename).name
