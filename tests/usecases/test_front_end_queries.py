"""The small use cases the CLI and the app call instead of the store."""

from __future__ import annotations

import pytest

from qcode.core.errors import NotFoundError
from qcode.usecases import attributes, backups, coding
from qcode.usecases.project import transcript_names, transcript_summaries


def test_transcripts_by_name_id_and_file(project):
    [summary] = transcript_summaries(project)
    assert (summary["name"], summary["turns"], summary["source"]) == ("interview-01", len(project.transcript(1).turns), "interview-01.txt")
    assert transcript_names(project) == {summary["id"]: "interview-01"}
    assert project.find_transcript("interview-01") == project.find_transcript("interview-01.txt") == summary["id"]
    with pytest.raises(NotFoundError, match="No transcript 'nope'"):
        project.find_transcript("nope")


def test_project_state_for_messages(project):
    assert project.read_only is False
    assert project.server is None
    assert project.where == str(project.root / ".qcode" / "project.sqlite")


def test_codings_by_id_and_filters(project):
    a = coding.apply_code(project, "interview-01", 29, 37, "instability", coder="amina")
    b = coding.apply_code(project, "interview-01", 115, 126, "piece-rates", coder="omar")
    assert coding.get_coding(project, b.id) == b
    with pytest.raises(NotFoundError):
        coding.get_coding(project, 99999)
    assert [c.id for c in coding.list_codings(project)] == [a.id, b.id]
    assert [c.id for c in coding.list_codings(project, coders=["omar"])] == [b.id]
    assert [c.id for c in coding.list_codings(project, code_ids=["instability"], transcript_id=a.transcript_id)] == [a.id]


def test_attribute_names_are_unique_and_sorted(project):
    attributes.set_attributes(project, "interview-01", {"site": "Lyon", "age": "34"})
    assert attributes.attribute_names(project) == ["age", "site"]


def test_backup_now_writes_a_copy_in_the_backups_folder(project):
    path = backups.backup_now(project)
    assert path.is_file() and path.parent == project.data_dir / "backups"
    assert [b.path for b in backups.backups(project.root)] == [path]
