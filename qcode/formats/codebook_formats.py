"""The codebook formats qcode reads and writes, in one registry (name -> reader/writer, extensions).

A new codebook format is one entry here; ``qcode codebook export/import``
and the app find it through :mod:`qcode.usecases.codebook_exchange`. The
readers and writers import their libraries (lxml, openpyxl, python-docx)
only when called, so listing the formats stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qcode.core.codebook import Codebook
from qcode.core.errors import CodebookError

Writer = Callable[[Codebook, str], "str | bytes"]
"""writer(codebook, lang) -> the file's content (text or bytes); *lang* picks labels ('' = the default)."""
Reader = Callable[[Path], Codebook]


@dataclass(frozen=True)
class CodebookFormat:
    name: str
    extensions: tuple[str, ...]
    """File name endings (with the dot); the first is the one written."""
    read: Reader | None = None
    write: Writer | None = None


def _write_qdc(codebook: Codebook, lang: str) -> bytes:
    from qcode.formats.qdc import export_qdc

    return export_qdc(codebook)


def _read_refi(path: Path) -> Codebook:
    from qcode.formats.qdc import import_codebook_file

    return import_codebook_file(path)


def _read_table(path: Path) -> Codebook:
    from qcode.formats.codebook_tables import import_table

    return import_table(path)


def _table_writer(name: str) -> Writer:
    def write(codebook: Codebook, lang: str) -> str | bytes:
        from qcode.formats import codebook_tables

        fn: Writer = getattr(codebook_tables, name)
        return fn(codebook, lang)

    return write


FORMATS: dict[str, CodebookFormat] = {
    f.name: f
    for f in (
        CodebookFormat("qdc", (".qdc",), read=_read_refi, write=_write_qdc),
        CodebookFormat("qdpx", (".qdpx", ".qde"), read=_read_refi),
        CodebookFormat("csv", (".csv",), read=_read_table, write=_table_writer("export_csv")),
        CodebookFormat("xlsx", (".xlsx",), read=_read_table, write=_table_writer("export_xlsx")),
        CodebookFormat("md", (".md",), write=_table_writer("export_markdown")),
        CodebookFormat("docx", (".docx",), write=_table_writer("export_docx")),
    )
}
"""Every codebook format by name, in the order messages list them."""


def export_formats() -> tuple[str, ...]:
    """The names of the formats qcode writes."""
    return tuple(name for name, f in FORMATS.items() if f.write is not None)


def import_extensions() -> tuple[str, ...]:
    """The file name endings qcode reads codebooks from."""
    return tuple(ext for f in FORMATS.values() if f.read is not None for ext in f.extensions)


def writer(fmt: str) -> Writer:
    """The writer of format *fmt* (CodebookError naming the formats there are)."""
    found = FORMATS.get(fmt.lower())
    if found is None or found.write is None:
        raise CodebookError(f"Unknown export format '{fmt}'.", hint=f"Use --format with one of: {', '.join(export_formats())}.")
    return found.write


def export_format_of(path: Path) -> str:
    """The export format a file name asks for by its extension ('' when none does)."""
    ext = path.suffix.lower()
    return next((f.name for f in FORMATS.values() if f.write is not None and f.extensions[0] == ext), "")


def reader_for(path: Path) -> Reader:
    """The reader of a codebook file, by its extension (CodebookError when qcode reads no such file)."""
    ext = path.suffix.lower()
    for f in FORMATS.values():
        if f.read is not None and ext in f.extensions:
            return f.read
    exts = list(import_extensions())
    raise CodebookError(f"Cannot import a codebook from '{path.name}'.",
                        hint=f"Use a {', '.join(exts[:-1])} or {exts[-1]} file.")
