"""Removing a transcript from the project (``qcode transcripts remove REF``).

A wrongly imported file must be able to go. What the researchers did on it
(codings, memos, decisions on suggestions, reviews of disagreements) goes
with it, so the removal is refused while there is any unless it is forced;
pending suggestions are the suggester's output and go without asking. The
database is backed up first (``qcode restore`` undoes the removal), then
everything of the transcript is deleted in one transaction: an error half way
leaves the project as it was. The participants its speakers were linked to
stay: they are the project's, with their attributes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from qcode.core.errors import ProjectError
from qcode.usecases.project import Project


@dataclass
class RemoveReport:
    id: int
    name: str
    source: str | None
    """The file it was imported from."""
    words: int
    codings: int = 0
    coders: dict[str, int] = field(default_factory=dict)
    """Coder -> number of their codings on the transcript."""
    memos: int = 0
    """Memos on the transcript and on its codings."""
    suggestions_decided: int = 0
    suggestions_pending: int = 0
    reviews: int = 0
    speakers_linked: int = 0
    """Speakers linked to a participant (the links go, the participants stay)."""
    removed: bool = False
    backup: Path | None = None

    @property
    def has_work(self) -> bool:
        """Something a researcher did is on the transcript."""
        return bool(self.codings or self.memos or self.suggestions_decided or self.reviews)

    def work_summary(self) -> str:
        """'12 codings by 2 coders (amina 8, jo 4), 1 memo': what a forced removal deletes."""
        parts = []
        if self.codings:
            by = ", ".join(f"{c} {n}" for c, n in sorted(self.coders.items(), key=lambda kv: (-kv[1], kv[0])))
            parts.append(f"{_n(self.codings, 'coding')} by {_n(len(self.coders), 'coder')} ({by})")
        if self.memos:
            parts.append(_n(self.memos, "memo"))
        if self.suggestions_decided:
            parts.append(_n(self.suggestions_decided, "decided suggestion"))
        if self.reviews:
            parts.append(_n(self.reviews, "review") + " of disagreements")
        return ", ".join(parts) if parts else "no codings, memos or decisions"


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def removal_preview(project: Project, ref: str | int) -> RemoveReport:
    """What removing transcript *ref* (id, name or file name) would delete; changes nothing."""
    store = project.store
    tid = store.transcripts.find(ref)
    summary = next(s for s in store.transcripts.summaries() if s.id == tid)
    codings = store.codings.list(transcript_id=tid)
    coding_ids = {str(c.id) for c in codings}
    memos = len(store.memos.list("transcript", str(tid))) + sum(
        1 for m in store.memos.list("coding") if m.target_id in coding_ids
    )
    suggestions = Counter(s.status for s in store.suggestions.list(status=None, transcript_id=tid))
    return RemoveReport(
        id=tid,
        name=summary.name,
        source=summary.source,
        words=summary.words,
        codings=len(codings),
        coders=dict(Counter(c.coder for c in codings)),
        memos=memos,
        suggestions_decided=sum(n for status, n in suggestions.items() if status != "pending"),
        suggestions_pending=suggestions.get("pending", 0),
        reviews=sum(1 for r in store.team.reviews() if r["transcript_id"] == tid),
        speakers_linked=sum(1 for (t, _label) in store.participants.speakers() if t == tid),
    )


def remove_transcript(project: Project, ref: str | int, *, force: bool = False) -> RemoveReport:
    """Remove transcript *ref* with everything on it, after a backup.

    Refused (ProjectError, nothing changed) when codings, memos, decided
    suggestions or reviews are on it, unless *force*.
    """
    store = project.store
    report = removal_preview(project, ref)
    if report.has_work and not force:
        raise ProjectError(
            f"Transcript '{report.name}' has {report.work_summary()}; nothing was removed.",
            hint=(f"To keep the codings, export them first (`qcode codings export --transcript {report.id} -o FILE`). "
                  f"To remove the transcript with all of it: `qcode transcripts remove {report.id} --force` "
                  "(a backup is taken first, and `qcode restore` brings it back)."),
            title="Transcript not removed",
        )
    if store.path is not None:
        report.backup = store.backup(project.data_dir / "backups", reason=f"before-remove-{report.name}"[:60])
    with store.transaction():
        # Someone on a team server may have coded it since the check above.
        if not force and removal_preview(project, report.id).has_work:
            raise ProjectError(f"Transcript '{report.name}' was coded meanwhile; nothing was removed.",
                               hint="Run the command again to see what is on it now.")
        gone = store.transcripts.get(report.id)
        store.transcripts.delete(report.id)
    project.invalidate(report.id)
    report.removed = True
    # Its parse holds its text: not kept in the suggestion caches (the backup has it).
    from qcode.usecases.suggesting import forget_transcript

    forget_transcript(project, report.id, gone.text, [(t.start, t.end) for t in gone.turns])
    return report
