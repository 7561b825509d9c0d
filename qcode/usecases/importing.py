"""Importing transcript files into a project, all or nothing per file.

* :func:`import_file` stores one file (text, turns, notes, original bytes and
  their hash, encoding) in one transaction; the same contents imported again
  are skipped.
* :func:`import_paths` imports files and folders; a bad file is reported with
  its reason and does not stop the others, and nothing of it stays behind.
* :func:`preview_file` parses without storing (``qcode import --dry-run``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from qcode.core.errors import ImportFormatError, QcodeError
from qcode.core.transcript import Transcript
from qcode.formats.importers import ImportOptions, importer_for, registry
from qcode.formats.importers.base import size_error
from qcode.formats.source_text import attach_source
from qcode.usecases.project import Progress, Project, no_progress


@dataclass
class FileResult:
    path: Path
    status: str
    """imported, skipped (already in the project) or failed."""
    transcript_id: int | None = None
    name: str = ""
    message: str = ""
    words: int = 0
    turns: int = 0
    speakers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: str = ""
    encoding: str | None = None
    encoding_guessed: bool = False


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)

    @property
    def imported(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "imported"]

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def skipped(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "skipped"]


@dataclass
class SpeakerPreview:
    label: str
    turns: int
    first_line: str


@dataclass
class Preview:
    """What an import would store (``--dry-run``)."""

    path: Path
    name: str
    format: str
    kind: str
    encoding: str | None
    encoding_guessed: bool
    words: int
    turns: int
    speakers: list[SpeakerPreview]
    unlabelled_turns: int
    warnings: list[str]
    duplicate_of: str | None = None
    error: str | None = None
    metadata: list[str] = field(default_factory=list)
    """Facts from the file's header kept as notes (title, date, keywords, speakers table)."""


def default_options(project: Project, **overrides: object) -> ImportOptions:
    """Import options from the project's settings, with *overrides* applied."""
    base = ImportOptions(language=project.settings.language, max_bytes=int(project.settings.import_max_mb * 1024 * 1024))
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]


def collect_files(paths: list[Path], refused: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Expand folders to the supported files inside them (sorted; hidden files skipped).

    Links inside a folder are followed only when they lead to a file inside
    that folder: a link out of it (to ``~/.ssh`` or another study's data) is
    not read, and is reported in *refused* with its reason.
    """
    known = set(registry())
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            base = Path(os.path.realpath(p))
            for f in sorted(p.rglob("*")):
                if f.suffix.lower() not in known or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                if not Path(os.path.realpath(f)).is_relative_to(base):  # a link, or inside a linked folder
                    if refused is not None:
                        refused.append((f, f"a link to {os.path.realpath(f)}, outside {p}; not followed"))
                    continue
                if f.is_file():
                    out.append(f)
        else:
            out.append(p)
    return out


def read_source(path: Path, options: ImportOptions) -> bytes:
    """The file's bytes, after checking the size limit *before* reading."""
    from qcode.formats.files import NotRegularFileError, read_limited

    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise size_error(path.name, size, options.max_bytes)
        data = read_limited(path, options.max_bytes)
    except NotRegularFileError as exc:
        raise ImportFormatError(f"{exc}; qcode imports files only.", hint="Give the path of a transcript file.") from exc
    except OSError as exc:
        raise ImportFormatError(f"Cannot read {path}: {exc.strerror}.", hint="Check the path and permissions.") from exc
    if len(data) > options.max_bytes:  # it grew, or its size was not what stat said
        raise size_error(path.name, len(data), options.max_bytes)
    return data


def parse_file(path: Path, options: ImportOptions) -> tuple[Transcript, bytes]:
    """Read and parse one file without touching the project."""
    importer = importer_for(path)
    data = read_source(path, options)
    if not data.strip():
        raise ImportFormatError(f"{path.name}: the file is empty.", hint="Check that this is the right file.")
    try:
        transcript = importer.read(data, path.name, options)
    except QcodeError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise ImportFormatError(f"{path.name}: too deeply nested or too large to read ({type(exc).__name__}).") from exc
    except Exception as exc:  # a library choked on a malformed file
        raise ImportFormatError(
            f"{path.name}: could not be read as {importer.format} ({type(exc).__name__}: {exc}).",
            hint="The file may be damaged; open and re-save it in its application, or export it as .txt.",
        ) from exc
    attach_source(transcript, data, options.encoding)
    return transcript, data


def import_file(project: Project, path: Path, options: ImportOptions | None = None) -> FileResult:
    """Import one file. Raises :class:`QcodeError`; the project is unchanged on failure."""
    options = options or default_options(project)
    importer_for(path)  # unsupported extensions fail before reading anything
    data = read_source(path, options)
    sha = hashlib.sha256(data).hexdigest()
    dup = project.store.transcripts.by_source_hash(sha)
    if dup is not None:
        return FileResult(
            path, "skipped", dup[0], dup[1],
            f"already imported as '{dup[1]}' (same file contents); "
            f"`qcode import --replace {dup[1]} {path.name}` reads it again, codings kept",
        )
    transcript, data = parse_file(path, options)
    if transcript.language is None:
        transcript.language = options.language or project.settings.language
    with project.store.transaction():
        if options.name and _name_taken(project, options.name):
            raise ImportFormatError(
                f"A transcript named '{options.name}' already exists.",
                hint="Choose another --name, or replace it with `qcode import --replace`.",
            )
        transcript.name = _unique_name(project, transcript.name)
        if options.attributes:
            from qcode.usecases.attributes import typed_transcript_attributes

            raw = {k: str(v) for k, v in options.attributes.items()}
            transcript.attributes = typed_transcript_attributes(project, raw)
            if "kind" in raw and not options.kind:
                transcript.kind = raw["kind"]
        tid = project.store.transcripts.add(transcript, source_bytes=data)
    project.invalidate(tid)
    src = transcript.source
    warnings = list(transcript.warnings)
    mismatch = language_mismatch(transcript.text, transcript.language)
    if mismatch:
        guess, why = mismatch
        warnings.append(f"{why}; set it with `qcode attributes set {transcript.name} language={guess}`")
    return FileResult(
        path, "imported", tid, transcript.name, "; ".join(transcript.warnings), transcript.words,
        len(transcript.turns), transcript.speaker_labels(), warnings, transcript.kind,
        src.encoding if src else None, bool(src and src.encoding_guessed),
    )


def language_mismatch(text: str, language: str | None) -> tuple[str, str] | None:
    """(the language *text* reads as, a warning) when that is clearly not *language*, else None."""
    from qcode.core.language import NAMES, guess_language

    guess = guess_language(text)
    given = (language or "").split("-")[0].lower()
    if guess is None or not given or guess == given:
        return None
    return guess, (f"the text reads as {NAMES[guess]} ({guess}) but is imported as '{given}': suggestions would "
                   f"use the '{given}' pipeline")


def preview_file(project: Project, path: Path, options: ImportOptions | None = None) -> Preview:
    """Parse *path* as an import would, without storing anything."""
    options = options or default_options(project)
    try:
        transcript, data = parse_file(path, options)
    except QcodeError as exc:
        return Preview(path, "", "", "", None, False, 0, 0, [], 0, [], error=str(exc))
    dup = project.store.transcripts.by_source_hash(hashlib.sha256(data).hexdigest())
    speakers: dict[str, SpeakerPreview] = {}
    unlabelled = 0
    for t in transcript.turns:
        if t.speaker is None:
            unlabelled += 1
            continue
        sp = speakers.get(t.speaker)
        if sp is None:
            first = transcript.text[t.start:t.end].split("\n", 1)[0]
            speakers[t.speaker] = SpeakerPreview(t.speaker, 1, first[:100])
        else:
            sp.turns += 1
    src = transcript.source
    warnings = list(transcript.warnings)
    mismatch = language_mismatch(transcript.text, transcript.language or options.language or project.settings.language)
    if mismatch:
        guess, why = mismatch
        warnings.append(f"{why}; import with --language {guess}")
    return Preview(
        path, transcript.name, src.format if src else "", transcript.kind,
        src.encoding if src else None, bool(src and src.encoding_guessed), transcript.words,
        len(transcript.turns), list(speakers.values()), unlabelled, warnings,
        duplicate_of=dup[1] if dup else None,
        metadata=[n.text for n in transcript.notes if n.kind == "metadata"],
    )


def preview_files(project: Project, files: list[Path], options: ImportOptions | None = None) -> list[Preview]:
    """:func:`preview_file` for each file, named as importing them in this order would name them (a name taken
    by the project or by an earlier file of the batch gets ``-2``, ``-3``...; a duplicate is not imported)."""
    taken = {s.name for s in project.store.transcripts.summaries()}
    out = []
    for f in files:
        p = preview_file(project, f, options)
        if p.name and not p.error and p.duplicate_of is None:
            p.name = _first_free(p.name, taken)
            taken.add(p.name)
        out.append(p)
    return out


def _name_taken(project: Project, name: str) -> bool:
    return any(s.name == name for s in project.store.transcripts.summaries())


def _unique_name(project: Project, name: str) -> str:
    return _first_free(name, {s.name for s in project.store.transcripts.summaries()})


def _first_free(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def import_paths(
    project: Project, paths: list[Path], options: ImportOptions | None = None, progress: Progress = no_progress
) -> ImportReport:
    """Import every file; a bad file is reported and does not stop the others."""
    refused: list[tuple[Path, str]] = []
    files = collect_files(paths, refused)
    report = ImportReport([FileResult(f, "failed", message=why) for f, why in refused])
    for i, f in enumerate(files):
        progress(i, len(files), f.name)
        try:
            report.results.append(import_file(project, f, options))
        except QcodeError as exc:
            report.results.append(FileResult(f, "failed", message=exc.message + (f" {exc.hint}" if exc.hint else "")))
    progress(len(files), len(files), "")
    project.invalidate()
    return report
