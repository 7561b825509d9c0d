"""Importing transcript files into a project, all or nothing per file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qcode.core.errors import ImportFormatError, QcodeError
from qcode.formats.importers import ImportOptions, importer_for, registry
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


def collect_files(paths: list[Path]) -> list[Path]:
    """Expand folders to the supported files inside them (sorted)."""
    known = set(registry())
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in known and not f.name.startswith(".")))
        else:
            out.append(p)
    return out


def import_file(project: Project, path: Path, options: ImportOptions | None = None) -> FileResult:
    """Import one file. Raises :class:`QcodeError`; the project is unchanged on failure."""
    options = options or ImportOptions(language=project.settings.language, max_bytes=int(project.settings.import_max_mb * 1024 * 1024))
    importer = importer_for(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFormatError(f"Cannot read {path}: {exc.strerror}.", hint="Check the path and permissions.") from exc
    if size > options.max_bytes:
        raise ImportFormatError(
            f"{path.name} is {size / 1e6:.0f} MB, over the import limit of {options.max_bytes / 1e6:.0f} MB.",
            hint="Raise the limit with [import] max_mb in qcode.toml (or --max-mb) if this is really a transcript.",
        )
    data = path.read_bytes()
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    dup = project.store.transcript_by_source_hash(sha)
    if dup is not None:
        return FileResult(path, "skipped", dup[0], dup[1], f"already imported as '{dup[1]}' (same file contents)")
    transcript = importer.read(data, path.name, options)
    if transcript.language is None:
        transcript.language = options.language or project.settings.language
    transcript.name = _unique_name(project, transcript.name)
    tid = project.store.add_transcript(transcript, source_bytes=data)
    return FileResult(
        path, "imported", tid, transcript.name, "; ".join(transcript.warnings), transcript.words,
        len(transcript.turns), transcript.speaker_labels(),
    )


def _unique_name(project: Project, name: str) -> str:
    taken = {s["name"] for s in project.store.transcript_summaries()}
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def import_paths(
    project: Project, paths: list[Path], options: ImportOptions | None = None, progress: Progress = no_progress
) -> ImportReport:
    """Import every file; a bad file is reported and does not stop the others."""
    files = collect_files(paths)
    report = ImportReport()
    for i, f in enumerate(files):
        progress(i, len(files), f.name)
        try:
            report.results.append(import_file(project, f, options))
        except QcodeError as exc:
            report.results.append(FileResult(f, "failed", message=str(exc)))
    progress(len(files), len(files), "")
    project.invalidate()
    return report
