"""How far coding has got: the share of turns coded, by me and by others."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from qcode.usecases.blind import is_blind
from qcode.usecases.project import Project


@dataclass(frozen=True)
class TranscriptProgress:
    transcript_id: int
    turns: int
    coded_by_me: int
    """Turns with at least one coding by the current coder."""
    coded_by_others: int
    """Turns with at least one coding by another coder."""
    codings: int

    @property
    def share_me(self) -> float:
        return self.coded_by_me / self.turns if self.turns else 0.0

    @property
    def share_others(self) -> float:
        return self.coded_by_others / self.turns if self.turns else 0.0


def coding_progress(project: Project, coder: str | None = None) -> dict[int, TranscriptProgress]:
    """Progress of every transcript (one read transaction, no per-transcript queries)."""
    coder = coder or project.coder
    rows = project.store.progress.coverage()
    turns: dict[int, tuple[list[int], list[int]]] = {}
    for turn in rows.turns:
        s, e = turns.setdefault(turn.transcript_id, ([], []))
        s.append(turn.start)
        e.append(turn.end)
    mine: dict[int, set[int]] = {}
    others: dict[int, set[int]] = {}
    counts: dict[int, int] = {}
    hide_others = is_blind(project, coder)
    for r in rows.codings:
        if hide_others and r.coder != coder:
            continue  # blind coding: other coders' work is not shown, not even counted
        counts[r.transcript_id] = counts.get(r.transcript_id, 0) + 1
        starts, ends = turns.get(r.transcript_id, ([], []))
        bucket = (mine if r.coder == coder else others).setdefault(r.transcript_id, set())
        i = max(0, bisect_right(starts, r.start) - 1)
        while i < len(starts) and starts[i] < r.end:
            if ends[i] > r.start:
                bucket.add(i)
            i += 1
    out: dict[int, TranscriptProgress] = {}
    for tid in rows.transcript_ids:
        n = len(turns.get(tid, ([], []))[0])
        out[tid] = TranscriptProgress(tid, n, len(mine.get(tid, ())), len(others.get(tid, ())), counts.get(tid, 0))
    return out
