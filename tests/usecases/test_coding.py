"""Coding use cases: each action is one transaction, undo/redo restores exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import CodingError, NotFoundError
from qcode.usecases import coding as uc
from qcode.usecases.project import Project


def _span(project: Project, needle: str) -> tuple[int, int]:
    text = project.transcript("interview-01").text
    start = text.index(needle)
    return start, start + len(needle)


def test_apply_code_stores_quote_context_and_codebook_version(project: Project) -> None:
    s, e = _span(project, "Piece rates, very low")
    c = uc.apply_code(project, "interview-01", s, e, "piece-rates", memo="clear")
    stored = project.store.codings.get(c.id)
    assert stored.quote == "Piece rates, very low"
    assert stored.prefix.endswith("\n\n") and stored.suffix.startswith(". You are paid")
    assert stored.coder == "tester" and stored.memo == "clear" and stored.origin == "manual"
    assert stored.codebook_hash == project.store.codes.record().content_hash


def test_apply_code_by_file_name_and_id(project: Project) -> None:
    tid = project.transcript("interview-01").id
    uc.apply_code(project, "interview-01.txt", 0, 3, "pay")
    uc.apply_code(project, str(tid), 0, 3, "instability")
    assert len(project.store.codings.list()) == 2


@pytest.mark.parametrize(
    ("start", "end", "code", "error", "fragment"),
    [
        (0, 99999, "pay", CodingError, "outside transcript"),
        (5, 5, "pay", CodingError, "the end (5) is the same as the start (5)"),
        (0, 5, "payy", NotFoundError, "Did you mean 'pay'?"),
    ],
)
def test_bad_input_changes_nothing(project: Project, start: int, end: int, code: str, error: type, fragment: str) -> None:
    with pytest.raises(error) as err:
        uc.apply_code(project, "interview-01", start, end, code)
    assert fragment in err.value.message
    assert project.store.codings.list() == []


def test_same_coding_twice_is_refused(project: Project) -> None:
    uc.apply_code(project, "interview-01", 0, 5, "pay")
    with pytest.raises(CodingError, match="already coded"):
        uc.apply_code(project, "interview-01", 0, 5, "pay")
    uc.apply_code(project, "interview-01", 0, 5, "pay", coder="colleague")  # another coder may
    assert len(project.store.codings.list()) == 2


def test_retired_code_is_not_offered(project: Project) -> None:
    from dataclasses import replace

    project.store.codes.upsert([replace(project.codebook.get("pay"), retired=True)], start_position=1)
    project.invalidate(codebook=True)
    with pytest.raises(CodingError, match="retired"):
        uc.apply_code(project, "interview-01", 0, 5, "pay")


def test_undo_redo_every_kind_of_action(project: Project) -> None:
    h = uc.History(project)
    c = uc.apply_code(project, "interview-01", 0, 5, "pay", history=h)
    uc.recode(project, c.id, "instability", history=h)
    uc.set_memo(project, c.id, "why", history=h)
    s, e = _span(project, "Unstable")
    uc.resize_coding(project, c.id, s, e, history=h)
    uc.remove_coding(project, c.id, history=h)
    assert project.store.codings.list() == []

    h.undo()  # remove
    assert project.store.codings.get(c.id).quote == "Unstable"
    h.undo()  # resize
    assert project.store.codings.get(c.id).start == 0
    h.undo()  # memo
    assert project.store.codings.get(c.id).memo == ""
    h.undo()  # recode
    assert project.store.codings.get(c.id).code_id == "pay"
    h.undo()  # add
    assert project.store.codings.list() == [] and not h.can_undo

    for _ in range(5):
        h.redo()
    assert project.store.codings.list() == [] and not h.can_redo
    h.undo()
    restored = project.store.codings.get(c.id)
    assert (restored.code_id, restored.memo, restored.quote, restored.guid) == ("instability", "why", "Unstable", c.guid)


def test_each_step_says_what_was_done_with_the_code_label_and_where(project: Project) -> None:
    h = uc.History(project)
    c = uc.apply_code(project, "interview-01", 0, 5, "pay", history=h)
    uc.recode(project, c.id, "instability", history=h)
    uc.set_memo(project, c.id, "why", history=h)
    uc.resize_coding(project, c.id, 29, 37, history=h)
    uc.mark_reviewed(project, c.id, history=h)
    uc.remove_coding(project, c.id, history=h)
    # the label, not the id, so "undone: coding 'Pay' …" reads as the coding undone, not the code
    assert [s.label for s in h.undo_stack] == [
        "coding 'Pay' on interview-01 0–5",
        "recoding 'Pay' → 'Job instability' on interview-01 0–5",
        "memo of coding 'Job instability' on interview-01 0–5",
        "resizing coding 'Job instability' on interview-01 0–5 → 29–37",
        "change to coding 'Job instability' on interview-01 29–37",
        "removing coding 'Job instability' on interview-01 29–37",
    ]


def test_grouped_actions_undo_together(project: Project) -> None:
    h = uc.History(project)
    with h.group("code all"):
        for i in range(3):
            uc.apply_code(project, "interview-01", i * 4, i * 4 + 3, "pay", history=h)
    assert len(project.store.codings.list()) == 3
    step = h.undo()
    assert step is not None and step.label == "code all"
    assert project.store.codings.list() == []


def test_new_action_clears_redo(project: Project) -> None:
    h = uc.History(project)
    uc.apply_code(project, "interview-01", 0, 5, "pay", history=h)
    h.undo()
    uc.apply_code(project, "interview-01", 0, 4, "pay", history=h)
    assert not h.can_redo


def test_a_group_that_failed_leaves_nothing_to_undo(project: Project) -> None:
    h = uc.History(project)
    with pytest.raises(CodingError):
        with project.store.transaction(), h.group("code all"):
            uc.apply_code(project, "interview-01", 0, 3, "pay", history=h)
            uc.apply_code(project, "interview-01", 0, 99999, "pay", history=h)
    assert project.store.codings.list() == []
    assert not h.can_undo


def test_forgetting_a_removed_transcript_drops_only_its_steps(project: Project, project_dir: Path) -> None:
    from qcode.usecases import importing
    from qcode.usecases.transcripts import remove_transcript

    (project_dir / "interview-02.txt").write_text("Interviewer: Pay?\nJo: Per task, and late.\n", encoding="utf-8")
    importing.import_paths(project, [project_dir / "interview-02.txt"])
    h = uc.History(project)
    uc.apply_code(project, "interview-01", 0, 5, "pay", history=h)
    gone = uc.apply_code(project, "interview-02", 0, 5, "pay", history=h)
    uc.set_memo(project, gone.id, "late", history=h)
    h.undo()  # the memo: a redo step on the transcript that goes
    remove_transcript(project, "interview-02", force=True)
    h.forget_transcript(gone.transcript_id)
    assert not h.can_redo and [s.label for s in h.undo_stack] == ["coding 'Pay' on interview-01 0–5"]
    h.undo()  # not stopped by the removed transcript's coding
    assert project.store.codings.list() == []


def test_undo_messages_name_the_transcript_by_its_title(project: Project) -> None:
    from qcode.usecases.attributes import set_attributes

    set_attributes(project, "interview-01", {"title": "Amina, Casablanca"})
    project.invalidate()
    h = uc.History(project)
    uc.apply_code(project, "interview-01", 0, 5, "pay", history=h)
    assert [s.label for s in h.undo_stack] == ["coding 'Pay' on Amina, Casablanca 0–5"]
