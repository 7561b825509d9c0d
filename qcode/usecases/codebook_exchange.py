"""Codebooks to and from other tools' files, through the registry of :mod:`qcode.formats.codebook_formats`.

``qcode codebook export/import`` call these, and so can the app: the
formats, the output checks and the all-or-nothing writes are here, not in
a front end.
"""

from __future__ import annotations

from pathlib import Path

from qcode.core.codebook import Codebook
from qcode.core.errors import CodebookError
from qcode.formats import codebook_formats
from qcode.usecases.outputs import check_output


def export_format(output: Path, fmt: str | None = None) -> str:
    """The format to write *output* in: *fmt*, else the one its extension names.

    Raises CodebookError (listing the formats there are) when qcode writes no such format.
    """
    name = (fmt or codebook_formats.export_format_of(output) or output.suffix.lstrip(".")).lower()
    codebook_formats.writer(name)
    return name


def export_codebook(codebook: Codebook | Path, output: Path, fmt: str, lang: str = "", *, force: bool = False,
                    project_root: Path | None = None) -> Path:
    """Write *codebook* (or the YAML codebook file it names) to *output* in format *fmt*, labels in *lang*.

    The output path is checked first; the file is written whole or not at all.
    """
    from qcode.formats.atomic import atomic_write_bytes, atomic_write_text

    write = codebook_formats.writer(fmt)
    check_output(output, fmt, force=force, project_root=project_root)
    if not isinstance(codebook, Codebook):
        from qcode.formats.codebook_yaml import load_codebook

        codebook = load_codebook(codebook)[0]
    content = write(codebook, lang)
    if isinstance(content, str):
        atomic_write_text(output, content)
    else:
        atomic_write_bytes(output, content)
    return output


def import_codebook(file: Path, output: Path, *, force: bool = False) -> Codebook:
    """Convert another tool's codebook *file* into the qcode YAML codebook *output*; returns the codebook.

    The YAML written is checked as qcode would load it before it is written.
    """
    from qcode.formats.atomic import atomic_write_text
    from qcode.formats.codebook_write import dump_codebook
    from qcode.formats.codebook_yaml import parse_codebook_text, problems_error

    if output.exists() and not force:
        raise CodebookError(f"{output} already exists.", hint="Choose another name, or pass --force to overwrite it.")
    check_output(output, "yaml", force=force)
    codebook = codebook_formats.reader_for(file)(file)
    text = dump_codebook(codebook)
    _, problems = parse_codebook_text(text, str(output))
    if problems:
        raise problems_error(output, problems)
    atomic_write_text(output, text)
    return codebook
