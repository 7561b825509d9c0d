"""Transcript and participant attributes from CSV sidecars.

(Foundation version: a CSV whose first column is ``participant`` or
``transcript`` and whose other columns are attributes. The import issue adds
YAML sidecars, types and command-line setting.)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import Participant
from qcode.usecases.project import Project


def import_attributes(project: Project, path: Path) -> int:
    """Apply the attributes in *path*; returns the number of rows applied."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"Cannot read attributes file {path}: {exc}.") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = reader.fieldnames or []
    if not fields or fields[0] not in ("participant", "transcript"):
        raise ImportFormatError(
            f"{path}, line 1: the first column must be 'participant' or 'transcript'.",
            hint="Example header: participant,country,gender,platform",
        )
    key = fields[0]
    n = 0
    with project.store.transaction():
        for row in reader:
            name = (row.pop(key) or "").strip()
            if not name:
                raise ImportFormatError(f"{path}, line {reader.line_num}: empty {key} name.")
            attrs = {k: v for k, v in row.items() if k and v not in (None, "")}
            if key == "participant":
                project.store.upsert_participant(Participant(name, attrs))
            else:
                tid = project.store.find_transcript(name)
                old = project.store.get_transcript(tid).attributes
                project.store.update_transcript_fields(tid, attributes={**old, **attrs})
            n += 1
    project.invalidate()
    return n
