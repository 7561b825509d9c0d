"""Replacing a transcript's text with a corrected version, keeping every coding.

``qcode import --replace TRANSCRIPT NEWFILE``: the new file is parsed, the
project database is backed up, and then, in one transaction, the text, turns
and notes are replaced and every coding is re-anchored with its stored quote,
prefix and suffix (:func:`qcode.core.anchor.reanchor`):

* **kept**: the quote is unchanged with its context (offsets may shift);
* **moved**: the quote is unchanged but its surroundings changed; when
  several places fit equally well the coding is also flagged;
* **flagged**: the quoted text itself changed (or vanished); the coding is
  placed on the best match, or kept at its old position, and gets
  ``status="review"``.

No coding is ever dropped. Speaker-participant links are carried over for
labels that still exist. Pending suggestions on the old text are discarded
(their offsets point into the old text; run the suggester again).

The very same file again changes nothing, except the notes when this
version of qcode reads more of them than the one that imported it did (a
Transcriber file imported before its ``<Sync time>`` points were kept): then
only the notes are refreshed, and the codings, turns and pending suggestions
stay as they are (the text is the same, so their offsets still hold).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from qcode.core.anchor import Anchor, make_anchor, reanchor
from qcode.core.transcript import Note
from qcode.formats.importers import ImportOptions
from qcode.usecases.importing import default_options, parse_file
from qcode.usecases.project import Project


@dataclass
class CodingMove:
    coding_id: int
    code_id: str
    status: str
    """kept, moved or flagged."""
    old: tuple[int, int]
    new: tuple[int, int]
    old_quote: str
    new_quote: str


@dataclass
class ReplaceReport:
    transcript: str
    kept: int = 0
    moved: int = 0
    flagged: int = 0
    suggestions_dropped: int = 0
    backup: Path | None = None
    unchanged: bool = False
    notes_refreshed: dict[str, tuple[int, int]] = field(default_factory=dict)
    """The same file, its notes read anew: note kind -> (count before, count after), for the kinds that changed."""
    moves: list[CodingMove] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def replace_transcript(project: Project, ref: str, path: Path, options: ImportOptions | None = None) -> ReplaceReport:
    """Replace transcript *ref*'s content with *path*, re-anchoring its codings."""
    store = project.store
    tid = store.transcripts.find(ref)
    old = store.transcripts.get(tid)
    options = options or default_options(project)
    options = replace(options, name=old.name, kind=old.kind, language=options.language or old.language)
    new, data = parse_file(path, options)
    report = ReplaceReport(old.name, warnings=list(new.warnings))
    if new.text == old.text and (old.source and old.source.sha256 == hashlib.sha256(data).hexdigest()):
        if new.notes != old.notes:
            _refresh_notes(project, tid, old.notes, new.notes, report)
        else:
            report.unchanged = True
        return report
    new.speakers = {label: old.speakers.get(label) for label in new.speaker_labels()}
    codings = store.codings.list(transcript_id=tid)
    if store.path is not None:
        report.backup = store.backup(project.data_dir / "backups", reason=f"before-replace-{old.name}"[:60])
    with store.transaction():
        store.transcripts.replace_content(tid, new, source_bytes=data)
        for c in codings:
            quote = c.quote or old.text[c.start:c.end]
            anchor = Anchor(quote, c.prefix, c.suffix) if c.quote else make_anchor(old.text, c.start, c.end)
            p = reanchor(anchor, c.start, new.text, old.text)
            start, end = p.start, p.end
            if not (0 <= start < end <= len(new.text)):
                start = max(0, min(start, len(new.text) - 1))
                end = max(start + 1, min(end, len(new.text)))
            if p.status == "exact":
                status, flag = "kept", False
            elif p.status == "moved":
                status, flag = "moved", p.candidates > 1
            else:
                status, flag = "flagged", True
            fresh = make_anchor(new.text, start, end)
            updated = replace(
                c, start=start, end=end, quote=fresh.quote, prefix=fresh.prefix, suffix=fresh.suffix,
                status="review" if flag else c.status,
            )
            if updated != c:
                store.codings.update(updated)
            if status == "moved" and flag:
                status = "flagged"
            setattr(report, status, getattr(report, status) + 1)
            report.moves.append(CodingMove(c.id or 0, c.code_id, status, (c.start, c.end), (start, end), quote, fresh.quote))
        report.suggestions_dropped = store.suggestions.drop_pending(tid)
    project.invalidate(tid)
    return report


def _refresh_notes(project: Project, tid: int, old: list[Note], new: list[Note], report: ReplaceReport) -> None:
    store = project.store
    before, after = Counter(n.kind for n in old), Counter(n.kind for n in new)
    changed = {n.kind for n in set(old) ^ set(new)}
    report.notes_refreshed = {k: (before[k], after[k]) for k in sorted(changed)}
    if store.path is not None:
        report.backup = store.backup(project.data_dir / "backups", reason=f"before-notes-{report.transcript}"[:60])
    with store.transaction():
        store.transcripts.update_fields(tid, notes=new)
    project.invalidate(tid)
