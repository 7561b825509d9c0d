"""Merging a colleague's project or codings export: matched, nothing overwritten, twice a no-op."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from qcode.core.errors import ImportFormatError, ProjectError
from qcode.usecases import coding, exchange, importing, memos
from qcode.usecases.merge import MERGED_MEMO_TITLE, merge_path
from qcode.usecases.project import Project
from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT
from tests.helpers import raw_connection


def _snapshot(p: Project) -> dict[str, list[tuple]]:
    with raw_connection(p.store) as conn:
        return {
            "codings": sorted(conn.exec_driver_sql(
                "SELECT c.guid, c.transcript_id, c.code_id, k.name, c.start, c.\"end\", c.memo, c.modified"
                " FROM codings c JOIN coders k ON k.id = c.coder_id").fetchall()),
            "memos": sorted(conn.exec_driver_sql("SELECT target_kind, target_id, text, title FROM memos").fetchall()),
            "transcripts": sorted(conn.exec_driver_sql("SELECT name, text_sha256 FROM transcripts").fetchall()),
        }


@pytest.fixture
def colleague(tmp_path: Path) -> Path:
    """Bob's project: the same interview under another file name, one more interview, his codings and memos."""
    root = tmp_path / "bob"
    root.mkdir()
    (root / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (root / "bob-copy.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    (root / "interview-02.txt").write_text("Interviewer: Hello?\nBo: Precarious, yes.\n", encoding="utf-8")
    with Project.init(root, codebook=root / "codebook.yaml") as p:
        assert not importing.import_paths(p, [root / "bob-copy.txt", root / "interview-02.txt"]).failed
        coding.apply_code(p, "bob-copy", 41, 60, "instability", coder="bob", memo="bob's view")
        coding.apply_code(p, "bob-copy", 150, 161, "piece-rates", coder="amina", memo="amina, other memo")
        coding.apply_code(p, "interview-02", 8, 18, "instability", coder="bob")
        memos.write_memo(p, "code", "pay", "Bob: pay means money received.", coder="bob")
        memos.write_memo(p, "project", "", "Shared aim.", coder="amina")
    return root


@pytest.fixture
def mine(project: Project) -> Project:
    coding.apply_code(project, "interview-01", 150, 161, "piece-rates", coder="amina", memo="amina's memo")
    memos.write_memo(project, "code", "pay", "Bob: an older note.", coder="bob")
    memos.write_memo(project, "project", "", "Shared aim.", coder="amina")
    return project


def test_merge_project_adds_without_overwriting_and_twice_is_a_no_op(mine: Project, colleague: Path) -> None:
    before = _snapshot(mine)
    r = merge_path(mine, colleague)
    assert r.committed and r.backup is not None and r.backup.exists()
    assert (r.transcripts_matched, r.transcripts_added) == (1, ["interview-02"])
    assert (r.codings_added, r.codings_identical, r.codings_skipped) == (2, 1, [])
    after = _snapshot(mine)
    # Nothing that was here changed.
    assert set(before["codings"]) <= set(after["codings"])
    assert set(before["memos"]) <= set(after["memos"])
    tid = mine.store.transcripts.find("interview-01")
    [bob] = mine.store.codings.list(transcript_id=tid, coders=["bob"])
    assert (bob.start, bob.end, bob.code_id, bob.memo) == (41, 60, "instability", "bob's view")
    assert mine.store.codings.list(transcript_id=mine.store.transcripts.find("interview-02"))[0].coder == "bob"
    # Conflicting memos: both kept (code memo by bob; the identical coding's other memo).
    pay = [m.text for m in mine.store.memos.list("code", "pay")]
    assert sorted(pay) == ["Bob: an older note.", "Bob: pay means money received."]
    [amina] = mine.store.codings.list(transcript_id=tid, coders=["amina"])
    assert amina.memo == "amina's memo"
    assert [(m.text, m.title) for m in mine.store.memos.list("coding", str(amina.id))] == [("amina, other memo", MERGED_MEMO_TITLE)]
    assert r.memos_identical == 1  # the identical project memo
    again = merge_path(mine, colleague)
    assert not again.changed and again.codings_identical == 3
    assert _snapshot(mine) == after
    assert any("nothing new" in line for line in again.lines())


def test_codes_are_matched_by_guid_when_renamed(mine: Project, colleague: Path) -> None:
    with Project.open(colleague) as p:
        with raw_connection(p.store) as conn:  # two codes that are one, renamed
            conn.execute(sa.text("UPDATE codes SET guid = 'g-shared' WHERE id = 'instability'"))
    with raw_connection(mine.store) as conn:
        conn.execute(sa.text("UPDATE codes SET guid = 'g-shared' WHERE id = 'invisible-work'"))
    merge_path(mine, colleague)
    tid = mine.store.transcripts.find("interview-01")
    assert [c.code_id for c in mine.store.codings.list(transcript_id=tid, coders=["bob"])] == ["invisible-work"]


def test_merge_codings_export_and_twice_is_a_no_op(mine: Project, colleague: Path, tmp_path: Path) -> None:
    with Project.open(colleague) as p:
        # The export names bob's copy of the transcript; rename it to ours to place it.
        p.store.transcripts.update_fields(p.store.transcripts.find("bob-copy"), name="interview-01")
        exchange.export_codings(p, tmp_path / "bob.jsonl", transcript_id=p.store.transcripts.find("interview-01"))
    r = merge_path(mine, tmp_path / "bob.jsonl")
    assert (r.codings_added, r.codings_identical, r.memo_conflicts) == (1, 1, 1)
    after = _snapshot(mine)
    again = merge_path(mine, tmp_path / "bob.jsonl")
    assert (again.codings_added, again.memos_added) == (0, 0)
    assert _snapshot(mine) == after


def test_a_failed_merge_changes_nothing(mine: Project, tmp_path: Path) -> None:
    before = _snapshot(mine)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"transcript": "interview-01", "start": 0, "end": 5, "code": "pay", "coder": "bob"}) + "\n"
        + json.dumps({"transcript": "nowhere", "start": 0, "end": 5, "code": "pay", "coder": "bob"}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFormatError, match="nothing was merged"):
        merge_path(mine, bad)
    assert _snapshot(mine) == before
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectError, match="not a qcode project"):
        merge_path(mine, tmp_path / "empty")
    with pytest.raises(ProjectError, match="this project itself"):
        merge_path(mine, mine.root)


def test_merge_a_qdpx_from_another_tool(mine: Project, colleague: Path, tmp_path: Path) -> None:
    from qcode.usecases.refi_export import export_qdpx

    with Project.open(colleague) as p:
        export_qdpx(p, tmp_path / "bob.qdpx")
    before = _snapshot(mine)
    r = merge_path(mine, tmp_path / "bob.qdpx")
    assert r.committed and r.transcripts_matched == 1 and r.transcripts_added == ["interview-02"]
    assert r.codings_added == 2 and r.codings_identical == 1 and r.codings_skipped == []
    after = _snapshot(mine)
    assert set(before["codings"]) <= set(after["codings"])
    tid = mine.store.transcripts.find("interview-01")
    assert [(c.start, c.end, c.code_id) for c in mine.store.codings.list(transcript_id=tid, coders=["bob"])] == [(41, 60, "instability")]
    again = merge_path(mine, tmp_path / "bob.qdpx")
    assert not again.changed
    assert _snapshot(mine) == after


def test_dry_run_says_what_would_be_merged_and_changes_nothing(mine: Project, colleague: Path) -> None:
    before = _snapshot(mine)
    backups = sorted((mine.data_dir / "backups").glob("*")) if (mine.data_dir / "backups").exists() else []
    r = merge_path(mine, colleague, dry_run=True)
    assert r.dry_run and not r.committed and r.backup is None
    assert (r.transcripts_added, r.codings_added, r.codings_identical) == (["interview-02"], 2, 1)  # as a real merge
    assert r.lines()[0].startswith("Would merge from") and "nothing was changed" in r.lines()[0]
    assert _snapshot(mine) == before
    assert (sorted((mine.data_dir / "backups").glob("*")) if (mine.data_dir / "backups").exists() else []) == backups


def test_a_merge_that_changes_nothing_keeps_no_backup(mine: Project, colleague: Path) -> None:
    first = merge_path(mine, colleague)
    assert first.backup is not None and first.backup.exists()
    again = merge_path(mine, colleague)
    assert not again.changed and again.backup is None
    assert sorted(p.name for p in (mine.data_dir / "backups").glob("*before-merge*")) == [first.backup.name]


def test_codes_this_codebook_lacks_or_means_otherwise_are_named_with_what_to_do(mine: Project, colleague: Path) -> None:
    from qcode.usecases.codebook import add_code, attach_codebook

    cb = colleague / "codebook.yaml"
    cb.write_text(SMALL_CODEBOOK.replace("label: Job instability", "label: Precarity (his sense)")
                  .replace("label: Piece rates", "label: PIECE RATES"), encoding="utf-8")  # (case only: the same label)
    with Project.open(colleague) as p:
        # Bob's "instability" now means something else; he also made a code of his own.
        attach_codebook(p, cb)
        add_code(p, "New code by Bob")
        coding.apply_code(p, "interview-02", 0, 11, "new-code-by-bob", coder="bob")
    r = merge_path(mine, colleague)
    assert list(r.unknown_codes) == ["new-code-by-bob"] and r.unknown_codes["new-code-by-bob"][1] == 1
    text = "\n".join(r.lines())
    assert "1 codings not merged: their codes are not in this project's codebook: new-code-by-bob (“New code by Bob”, 1)" in text
    assert "`qcode codebook add LABEL`" in text and "then merge again" in text
    assert "code instability is “Precarity (his sense)” there and “Job instability” here: its codings were filed under" in text
    assert not any("piece-rates" in line for line in r.relabelled)  # (same labels: nothing to check)


def _edited_copy(tmp_path: Path) -> Path:
    """Lucas's project: interview-01 with one word corrected (so another text under the same name)."""
    root = tmp_path / "lucas"
    root.mkdir()
    (root / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (root / "interview-01.txt").write_text(SMALL_TRANSCRIPT.replace("very low", "quite low"), encoding="utf-8")
    with Project.init(root, codebook=root / "codebook.yaml") as p:
        assert not importing.import_paths(p, [root / "interview-01.txt"]).failed
    return root


def test_a_transcript_of_the_same_name_with_another_text_comes_in_renamed_with_what_to_check(mine: Project, tmp_path: Path) -> None:
    root = _edited_copy(tmp_path)
    dry = merge_path(mine, root, dry_run=True)
    assert "so it would come in as 'interview-01-2'" in "\n".join(dry.lines()) and "do not merge yet" in "\n".join(dry.lines())
    r = merge_path(mine, root)
    assert r.transcripts_added == ["interview-01-2"]
    text = "\n".join(r.lines())
    assert "'interview-01' there has another text than 'interview-01' here, so it came in as 'interview-01-2'" in text
    assert "`qcode import --replace interview-01 FILE`" in text


def test_the_renamed_transcript_note_survives_a_merge_of_another_tools_project(mine: Project, tmp_path: Path) -> None:
    from qcode.usecases.refi_export import export_qdpx

    with Project.open(_edited_copy(tmp_path)) as p:
        export_qdpx(p, tmp_path / "lucas.qdpx")
    r = merge_path(mine, tmp_path / "lucas.qdpx", dry_run=True)
    assert any("there has another text than 'interview-01' here" in line for line in r.lines())
