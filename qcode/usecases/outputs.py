"""The one check every output path goes through (reports, codings and codebook exports).

Two rules (issue 14, finding 3):

* never write over the project's own files: its database and the SQLite
  files beside it (``-wal``, ``-shm``, ``-journal``), anything else in
  ``.qcode/`` (backups, caches), ``qcode.toml`` and the codebook YAML named
  there. No option overrides this.
* never replace an existing file that is not of the format being written
  (a Word report over a spreadsheet, CSV over a database) unless the user
  passes ``--force``.

The project is found from the output's own folder too, so
``qcode codebook export --file x.yaml -o other-project/qcode.toml`` is refused
as well.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from qcode.core.errors import QcodeError, SettingsError

ZIP_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "qdpx": "project.qde"}
TEXT_SUFFIXES = {
    "md": (".md", ".markdown", ".txt"), "html": (".html", ".htm"), "csv": (".csv", ".tsv", ".txt"),
    "jsonl": (".jsonl", ".ndjson", ".json"), "yaml": (".yaml", ".yml"), "qdc": (".qdc", ".xml"),
}
"""An existing text file is replaced without --force only when its name says it holds that format."""
_NAMES = {"docx": "Word", "xlsx": "Excel", "qdpx": "REFI-QDA project", "qdc": "REFI-QDA codebook",
          "md": "Markdown", "html": "HTML", "csv": "CSV", "jsonl": "JSON Lines", "yaml": "YAML"}


class OutputPathError(QcodeError):
    title = "Will not write there"


def check_output(path: Path, fmt: str, *, force: bool = False, project_root: Path | None = None,
                 allow: Path | None = None) -> Path:
    """Raise :class:`OutputPathError` unless *path* may receive a *fmt* file; returns *path*.

    *allow* names the one file the caller is entitled to replace whatever it
    is (the codebook a merge reads, then writes back into).
    """
    path = Path(path)
    fmt = fmt.lower().lstrip(".")
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder.", hint=f"Give a file name, e.g. {path / ('output.' + fmt)}.")
    target = _resolved(path)
    if allow is not None and _resolved(allow) == target:
        return path
    for root in {r for r in (project_root, _project_of(target.parent)) if r is not None}:
        what = _project_file(_resolved(root), target)
        if what:
            raise OutputPathError(
                f"{path} is this project's {what}; qcode never writes an export or report over it.",
                hint="Choose another output file name (for example in the project folder, outside .qcode/).",
            )
    if not force and path.exists():
        kind = sniff(path)
        if kind is not None and not _compatible(kind, fmt, path.suffix.lower()):
            raise OutputPathError(
                f"{path} exists and is {_describe(kind)}, not a {_NAMES.get(fmt, fmt)} file; refusing to overwrite it.",
                hint="Choose another file name, or pass --force to replace it.",
            )
    return path


def _resolved(p: Path) -> Path:
    try:
        return Path(os.path.realpath(p))
    except OSError:
        return Path(os.path.abspath(p))


def _project_of(folder: Path) -> Path | None:
    from qcode.usecases.project import find_root

    try:
        return find_root(folder) if folder.exists() else None
    except (SettingsError, OSError):
        return None


def _project_file(root: Path, target: Path) -> str | None:
    from qcode.usecases.settings import DATA_DIR, SETTINGS_FILE, load_settings

    data = root / DATA_DIR
    if target == root / SETTINGS_FILE:
        return "settings file"
    if target.is_relative_to(data):
        name = target.name
        if name.startswith("project.sqlite"):
            return "database"
        return "backup" if "backups" in target.relative_to(data).parts else "data (in .qcode/)"
    try:
        settings = load_settings(root)
    except QcodeError:
        return None
    if settings.codebook and _resolved(root / settings.codebook) == target:
        return "codebook (edit it with `qcode codebook ...` or in the app)"
    return None


def sniff(path: Path) -> str | None:
    """What an existing file is: a zip format name, 'zip', 'sqlite', 'binary', 'text', or None (empty)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return "unreadable"
    if not head:
        return None
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return "zip"
        return next((fmt for fmt, marker in ZIP_MARKERS.items() if marker in names), "zip")
    from qcode.formats.encoding import describe_binary

    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) or describe_binary(head):
        return "binary"
    return "text"


def _compatible(kind: str, fmt: str, suffix: str) -> bool:
    if kind in ZIP_MARKERS:
        return kind == fmt
    return kind == "text" and suffix in TEXT_SUFFIXES.get(fmt, ())


def _describe(kind: str) -> str:
    return {"sqlite": "a SQLite database", "binary": "a binary file", "zip": "a ZIP archive",
            "text": "a text file", "unreadable": "a file qcode cannot read"}.get(kind, f"a {_NAMES.get(kind, kind)} file")
