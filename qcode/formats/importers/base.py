"""The importer interface and registry."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import SourceInfo, Transcript


@dataclass(frozen=True)
class ImportOptions:
    encoding: str | None = None
    """Force this encoding instead of detecting one."""
    speaker_pattern: str | None = None
    """A regular expression with a named group ``speaker`` (and optionally ``text``, ``time``)."""
    language: str | None = None
    max_bytes: int = 100 * 1024 * 1024
    name: str | None = None
    """Transcript name to use instead of one made from the file name."""


class Importer(Protocol):
    format: str
    """Short format name stored with the transcript (txt, docx, vtt, ...)."""
    extensions: tuple[str, ...]

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        """Parse *data* (the whole file) into a transcript."""
        ...


_REGISTRY: dict[str, Callable[[], Importer]] = {}


def register(*extensions: str) -> Callable[[Callable[[], Importer]], Callable[[], Importer]]:
    def deco(factory: Callable[[], Importer]) -> Callable[[], Importer]:
        for ext in extensions:
            _REGISTRY[ext.lower()] = factory
        return factory

    return deco


def registry() -> dict[str, Callable[[], Importer]]:
    """Extension (with dot) -> importer factory, for every known format."""
    _load_builtin()
    return dict(_REGISTRY)


def importer_for(path: Path) -> Importer:
    _load_builtin()
    ext = path.suffix.lower()
    factory = _REGISTRY.get(ext)
    if factory is None:
        known = ", ".join(sorted(_REGISTRY))
        raise ImportFormatError(
            f"{path.name}: qcode cannot import '{ext or 'files without an extension'}' files.",
            hint=f"Supported: {known}. Convert the file to one of these (for example .docx or .txt).",
        )
    return factory()


def _load_builtin() -> None:
    # Importing the modules registers them; kept lazy so `qcode --help` stays fast.
    from qcode.formats.importers import plain_text  # noqa: F401


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "transcript"


def source_info(data: bytes, filename: str, fmt: str, encoding: str | None = None, guessed: bool = False) -> SourceInfo:
    return SourceInfo(
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        encoding=encoding,
        encoding_guessed=guessed,
        size=len(data),
    )
