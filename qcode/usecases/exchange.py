"""Export and import of codings as JSON Lines / CSV (for scripts and other tools)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from qcode.core.anchor import make_anchor
from qcode.core.coding import Coding, now
from qcode.core.errors import ImportFormatError, QcodeError
from qcode.formats.atomic import atomic_write_text
from qcode.formats.codings_file import REQUIRED, file_format, read_rows, write_csv, write_jsonl
from qcode.usecases.project import Project
from qcode.usecases.sources import OFFSET_MODES, place_span


def coding_record(project: Project, c: Coding) -> dict[str, Any]:
    t = project.transcript(c.transcript_id)
    return {
        "id": c.id,
        "guid": c.guid,
        "transcript": t.name,
        "transcript_file": t.source.filename if t.source else None,
        "start": c.start,
        "end": c.end,
        "code": c.code_id,
        "coder": c.coder,
        "memo": c.memo,
        "origin": c.origin,
        "status": c.status,
        "created": c.created.isoformat(),
        "modified": c.modified.isoformat(),
        "quote": c.quote,
        "prefix": c.prefix,
        "suffix": c.suffix,
    }


def export_codings(project: Project, out: Path, *, force: bool = False, **filters: Any) -> int:
    """Write the codings matching *filters* to *out* (atomically), as JSONL or CSV by its extension.

    The formats are those :func:`import_codings` reads back.
    """
    import io

    from qcode.usecases.outputs import OutputPathError, check_output

    try:
        fmt = file_format(Path(out))
    except ImportFormatError as exc:
        raise OutputPathError(exc.message, hint=exc.hint) from None
    check_output(Path(out), fmt, force=force, project_root=project.root)
    buf = io.StringIO()
    records = (coding_record(project, c) for c in project.store.codings.iter(**filters))
    if fmt == "csv":
        n = write_csv(records, buf, tab=Path(out).suffix.lower() == ".tsv")
    else:
        n = write_jsonl(records, buf)
    atomic_write_text(out, buf.getvalue())
    return n


@dataclass
class CodingsImportReport:
    imported: int = 0
    placed_by_quote: int = 0
    placed_by_source: int = 0
    """Codings given by offsets into the source text (labels, times, CRLF included), mapped."""
    adjusted: list[str] = field(default_factory=list)
    """Lines whose quote matched only up to qcode's normalisation, and what was tolerated."""
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)
    committed: bool = False


def import_codings(project: Project, path: Path, *, skip_bad: bool = False, offsets: str = "auto") -> CodingsImportReport:
    """Import codings from *path*.

    All or nothing by default: when any line cannot be placed, nothing is
    imported and every problem is listed. With ``skip_bad`` the good lines
    are imported and the bad ones reported. *offsets* (or a line's
    ``"offsets"`` key) says what ``start``/``end`` count: ``text`` (qcode's
    text), ``source`` (the source text other tools show, see
    :mod:`qcode.usecases.sources`) or ``auto`` (the text, or the source when
    only there the quote is found).
    """
    report = CodingsImportReport()
    cb = project.codebook
    pending: list[tuple[int, Coding]] = []
    seen: set[tuple[int, int, int, str, str]] = set()
    existing: dict[int, set[tuple[int, int, str, str]]] = {}
    for row in read_rows(path):
        where = f"{path.name}, line {row.line}"
        d = row.data
        try:
            missing = [k for k in REQUIRED if d.get(k) in (None, "")]
            if missing:
                raise ImportFormatError(f"{where}: missing {', '.join(missing)}.")
            t = project.transcript(str(d["transcript"]))
            assert t.id is not None
            try:
                start, end = int(d["start"]), int(d["end"])
            except (TypeError, ValueError):
                raise ImportFormatError(f"{where}: start and end must be whole numbers.") from None
            code_id = str(d["code"])
            cb.get(code_id)
            quote = str(d.get("quote") or "")
            mode = str(d.get("offsets") or offsets).lower()
            if mode not in OFFSET_MODES:
                raise ImportFormatError(f"{where}: offsets must be one of {', '.join(OFFSET_MODES)}, not {mode!r}.")
            spot = place_span(project, t, start, end, quote, mode, where)
            start, end = spot.start, spot.end
            if spot.adjusted:
                report.adjusted.append(f"{where}: {', '.join(spot.adjusted)}")
            coder = str(d.get("coder") or project.coder)
            created = _parse_time(d.get("created"), where)
            if t.id not in existing:
                existing[t.id] = {(c.start, c.end, c.code_id, c.coder) for c in project.store.codings.list(transcript_id=t.id)}
            key = (t.id, start, end, code_id, coder)
            if key in seen or key[1:] in existing[t.id]:
                report.duplicates += 1
                continue
            seen.add(key)
            a = make_anchor(t.text, start, end)
            pending.append(
                (
                    row.line,
                    Coding(
                        transcript_id=t.id, start=start, end=end, code_id=code_id, coder=coder,
                        memo=str(d.get("memo") or ""), origin="imported", quote=a.quote, prefix=a.prefix,
                        suffix=a.suffix, created=created, modified=created,
                        codebook_hash=project.codebook_hash,
                    ),
                )
            )
            report.placed_by_quote += spot.how == "quote"
            report.placed_by_source += spot.how == "source"
        except QcodeError as exc:
            msg = exc.message if exc.message.startswith(path.name) else f"{where}: {exc.message}"
            report.failed.append(msg)
    if report.failed and not skip_bad:
        return report
    project.store.codings.add_many([c for _, c in pending])
    report.imported = len(pending)
    report.committed = True
    return report


def _parse_time(value: Any, where: str) -> datetime:
    if not value:
        return now()
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        raise ImportFormatError(f"{where}: created time {value!r} is not ISO 8601 (2024-05-01T10:00:00).") from None
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return dt
