"""Coding progress: the share of turns coded by me and by others (read through store.progress)."""

from __future__ import annotations

from qcode.core import Coding
from qcode.usecases.progress import coding_progress


def test_progress_counts_turns_coded_by_me_and_by_others(project) -> None:
    store = project.store
    [tid] = store.progress.coverage().transcript_ids
    turns = project.transcript(tid).turns
    code = store.codes.codebook().ids[0]
    store.codings.add(Coding(transcript_id=tid, code_id=code, start=turns[0].start, end=turns[1].end, coder="tester"))
    store.codings.add(Coding(transcript_id=tid, code_id=code, start=turns[3].start, end=turns[3].end, coder="bob"))
    p = coding_progress(project, "tester")[tid]
    assert (p.turns, p.coded_by_me, p.coded_by_others, p.codings) == (len(turns), 2, 1, 2)
    assert p.share_me == 2 / len(turns)
