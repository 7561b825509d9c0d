"""Reading other tools' projects for an import: which paths are projects, the exchange model of a file or
folder (REFI-QDA ``.qdpx``/``.qde``, QualCoder, Taguette), and the position convention its writer used
(:mod:`qcode.usecases.refi_import` places what is read)."""

from __future__ import annotations

from pathlib import Path

from qcode.core.errors import ImportFormatError
from qcode.formats.refi.model import RefiProject, RefiSelection, RefiSource
from qcode.formats.refi.positions import Convention, for_origin

NAME_CHECK = 200
"""Selections per project used to choose the position convention."""
PROJECT_SUFFIXES = (".qdpx", ".qde", ".qda", ".sqlite3")


def is_project_path(path: Path) -> bool:
    """True for the files and folders `qcode import` takes as other tools' projects (not transcripts)."""
    if path.is_dir():
        return (path / "data.qda").is_file()
    return path.suffix.lower() in PROJECT_SUFFIXES


def read_any(path: Path) -> RefiProject:
    """The exchange model of *path*, whatever tool wrote it."""
    from qcode.formats.refi import reader

    suffix = path.suffix.lower()
    try:
        if path.is_dir():
            from qcode.formats.refi.qualcoder import read_qualcoder

            return read_qualcoder(path / "data.qda")
        if suffix == ".qda":
            from qcode.formats.refi.qualcoder import read_qualcoder

            return read_qualcoder(path)
        if suffix == ".sqlite3":
            from qcode.formats.refi.taguette import read_taguette

            return read_taguette(path)
        if suffix == ".qde":
            return reader.read_qde(path)
        return reader.read_qdpx(path.read_bytes(), path.name)
    except OSError as exc:
        raise ImportFormatError(f"Cannot read {path}: {exc.strerror or exc}.", hint="Check the path and permissions.") from exc


def choose_convention(model: RefiProject) -> Convention:
    """The writer's position convention: from its origin, or the one under which the selections' names fit best."""
    first = for_origin(model.origin)
    if model.origin.lower().startswith(("qualcoder", "taguette")):
        return first
    checks: list[tuple[RefiSource, list[RefiSelection]]] = []
    left = NAME_CHECK
    for src in model.sources:
        named = [sel for sel in src.selections if sel.name.strip()][:left]
        if named:
            checks.append((src, named))
            left -= len(named)
    if not checks:
        return first
    total = sum(len(sels) for _, sels in checks)

    def score(conv: Convention) -> int:
        n = 0
        for src, sels in checks:
            pos = conv.import_positions(src.text, [x for sel in sels for x in (sel.start, sel.end)])
            for i, sel in enumerate(sels):
                a, b = pos[2 * i], pos[2 * i + 1]
                if a is not None and b is not None and names_match(src.text[a:b], sel.name):
                    n += 1
        return n

    best, best_score = first, score(first)
    if best_score < total:
        for conv in (Convention(), Convention(utf16=True), Convention(crlf=True), Convention(True, True)):
            s = score(conv)
            if s > best_score:
                best, best_score = conv, s
    return best


def names_match(selected: str, name: str) -> bool:
    """Tools write the selected text (often cut, sometimes ending in '...') as the selection's name."""
    import unicodedata

    # NFD: a name cut inside "e + combining accent" is still a prefix of the selected text.
    a = "".join(unicodedata.normalize("NFD", selected).split())
    full = "".join(unicodedata.normalize("NFD", name).split())
    if not full or a.startswith(full):
        return True
    cut = full.rstrip(".…")
    return bool(cut) and cut != full and a.startswith(cut)
