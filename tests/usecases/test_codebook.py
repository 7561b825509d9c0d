"""Codebook use cases: switching versions without losing codings, edits written to the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import CodebookError, CodingError, NotFoundError
from qcode.formats.codebook_yaml import check_codebook, load_codebook
from qcode.usecases import codebook as uc
from qcode.usecases.coding import apply_code

V2 = """\
qcode_codebook: 1
title: Test codebook
version: 2.0.0
language: [en]
codes:
  - id: instability
    label: Job insecurity
    keywords: {en: [unstable, precarious]}
  - id: pay
    label: Pay
  - id: invisible-work
    label: Unrecognised work
    children:
      - id: unpaid-time
        label: Unpaid time
"""


def code_some(project) -> None:
    t = project.transcript("interview-01")
    start = t.text.index("Piece rates")
    apply_code(project, "interview-01", start, start + len("Piece rates"), "piece-rates")
    start = t.text.index("Unstable")
    apply_code(project, "interview-01", start, start + len("Unstable"), "instability")


def test_switch_version_retires_removed_code_with_codings(project, tmp_path: Path) -> None:
    code_some(project)
    (tmp_path / "v2.yaml").write_text(V2, encoding="utf-8")
    preview = uc.preview_codebook(project, tmp_path / "v2.yaml")
    assert preview.removed_with_codings == {"piece-rates": 1}
    change = uc.attach_codebook(project, tmp_path / "v2.yaml")
    kinds = {(c.kind, c.code_id) for c in change.diff.changes}
    assert kinds == {("relabelled", "instability"), ("added", "unpaid-time"), ("removed", "piece-rates")}
    assert change.retired == ["piece-rates"]
    cb = project.codebook
    assert cb.get("piece-rates").retired and cb.get("piece-rates").parent == "pay"
    assert project.store.codings.counts() == {"piece-rates": 1, "instability": 1}
    with pytest.raises(CodingError, match="retired"):
        apply_code(project, "interview-01", 0, 5, "piece-rates")
    assert "[codebook]\npath = \"v2.yaml\"" in (tmp_path / "qcode.toml").read_text(encoding="utf-8")
    rec = project.store.codes.record()
    assert rec.version == "2.0.0" and rec.content_hash == load_codebook(tmp_path / "v2.yaml")[0].content_hash()


def test_switch_version_can_delete_or_move_codings(project, tmp_path: Path) -> None:
    code_some(project)
    (tmp_path / "v2.yaml").write_text(V2, encoding="utf-8")
    change = uc.attach_codebook(project, tmp_path / "v2.yaml", removed="move:pay")
    assert change.moved_codings == 1
    assert project.store.codings.counts() == {"pay": 1, "instability": 1}
    assert "piece-rates" not in project.codebook


def test_switch_version_delete(project, tmp_path: Path) -> None:
    code_some(project)
    (tmp_path / "v2.yaml").write_text(V2, encoding="utf-8")
    change = uc.attach_codebook(project, tmp_path / "v2.yaml", removed="delete")
    assert change.deleted_codings == 1
    assert project.store.codings.counts() == {"instability": 1}


def test_bad_choices_change_nothing(project, tmp_path: Path) -> None:
    code_some(project)
    (tmp_path / "v2.yaml").write_text(V2, encoding="utf-8")
    before = project.store.codes.record()
    with pytest.raises(CodebookError, match="not in the new codebook"):
        uc.attach_codebook(project, tmp_path / "v2.yaml", removed="move:piece-rate")
    with pytest.raises(CodebookError, match="Unknown choice"):
        uc.attach_codebook(project, tmp_path / "v2.yaml", removed="drop")
    assert project.store.codes.record() == before
    assert "piece-rates" in project.store.codes.codebook()


def test_add_code_writes_yaml_keeping_comments(project, project_dir: Path) -> None:
    path = project_dir / "codebook.yaml"
    path.write_text("# Our team's codebook\n" + path.read_text(encoding="utf-8").replace(
        "  - id: pay\n", "  # money matters\n  - id: pay\n"), encoding="utf-8")
    old_hash = project.store.codes.record().content_hash
    code = uc.add_code(project, "Night work!", parent="instability")
    assert code.id == "night-work" and code.parent == "instability"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Our team's codebook\n") and "  # money matters\n  - id: pay\n" in text
    assert "    children:\n      - id: night-work\n        label: Night work!\n" in text
    assert check_codebook(path) == []
    assert project.store.codes.record().content_hash != old_hash
    # a coding made now records the new codebook version
    c = apply_code(project, "interview-01", 0, 5, "night-work")
    assert c.codebook_hash == project.store.codes.record().content_hash
    assert uc.add_code(project, "Night work!").id == "night-work-2"


def test_failed_edit_leaves_file_and_store_unchanged(project, project_dir: Path) -> None:
    path = project_dir / "codebook.yaml"
    before_text = path.read_text(encoding="utf-8")
    before_codes = project.store.codes.codebook().ids
    with pytest.raises(CodebookError, match="is not a colour"):
        uc.add_code(project, "Bad", color="blue")
    with pytest.raises(NotFoundError, match="Unknown code 'nope'"):
        uc.add_code(project, "Orphan", parent="nope")
    assert path.read_text(encoding="utf-8") == before_text
    assert project.store.codes.codebook().ids == before_codes


def test_merge_codes_moves_codings_and_children(project, project_dir: Path) -> None:
    code_some(project)
    n = uc.merge_codes(project, "pay", "instability")
    assert n == 0  # pay itself had no codings
    cb = project.codebook
    assert "pay" not in cb and cb.get("piece-rates").parent == "instability"
    n = uc.merge_codes(project, "piece-rates", "instability")
    assert n == 1
    assert project.store.codings.counts() == {"instability": 2}
    text = (project_dir / "codebook.yaml").read_text(encoding="utf-8")
    assert "id: pay\n" not in text and "piece-rates" not in text
    with pytest.raises(CodebookError, match="into itself"):
        uc.merge_codes(project, "instability", "instability")


def test_move_code(project, project_dir: Path) -> None:
    code_some(project)
    uc.move_code(project, "piece-rates", None)
    assert project.codebook.get("piece-rates").parent is None
    uc.move_code(project, "pay", "piece-rates")
    assert project.codebook.get("pay").parent == "piece-rates"
    with pytest.raises(CodebookError, match="cycle"):
        uc.move_code(project, "piece-rates", "pay")
    cb, _ = load_codebook(project_dir / "codebook.yaml")
    assert cb.get("pay").parent == "piece-rates"
    assert project.store.codings.counts()["piece-rates"] == 1


def test_split_code(project) -> None:
    made = uc.split_code(project, "pay", ["Hourly", "Per task"])
    assert [c.id for c in made] == ["hourly", "per-task"]
    assert [c.id for c in project.codebook.children("pay")] == ["piece-rates", "hourly", "per-task"]


def test_tree_with_counts(project) -> None:
    code_some(project)
    rows = {r["id"]: r for r in uc.codebook_tree(project)}
    assert rows["pay"]["codings"] == 0 and rows["pay"]["codings_with_subcodes"] == 1
    assert rows["piece-rates"]["depth"] == 1


BASE = "codes:\n  - id: a\n    label: A\n    definition: base\n  - id: b\n    label: B\n"


def test_merge_files_clean_keeps_our_comments(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "ours.yaml").write_text("# ours\n" + BASE.replace("label: A", "label: A2  # renamed"), encoding="utf-8")
    (tmp_path / "theirs.yaml").write_text(BASE + "  - id: c\n    label: C\n", encoding="utf-8")
    result = uc.merge_files(tmp_path / "base.yaml", tmp_path / "ours.yaml", tmp_path / "theirs.yaml", tmp_path / "out.yaml")
    assert result.clean
    text = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    assert text == ("# ours\ncodes:\n  - id: a\n    label: A2  # renamed\n    definition: base\n"
                    "  - id: b\n    label: B\n  - id: c\n    label: C\n")


def test_merge_files_conflict_markers(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "ours.yaml").write_text(BASE.replace("definition: base", "definition: ours"), encoding="utf-8")
    (tmp_path / "theirs.yaml").write_text(BASE.replace("definition: base", "definition: theirs"), encoding="utf-8")
    result = uc.merge_files(tmp_path / "base.yaml", tmp_path / "ours.yaml", tmp_path / "theirs.yaml", tmp_path / "out.yaml")
    assert [(c.code_id, c.field) for c in result.conflicts] == [("a", "definition")]
    text = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    assert text == (
        "codes:\n  - id: a\n    label: A\n"
        "<<<<<<< ours\n    definition: ours\n||||||| base\n    definition: base\n=======\n    definition: theirs\n"
        ">>>>>>> theirs (keep one side, then delete these marker lines)\n"
        "  - id: b\n    label: B\n"
    )
    problems = check_codebook(tmp_path / "out.yaml")
    assert [p.line for p in problems] == [4, 6, 8, 10]
    # resolving by keeping "theirs" gives a valid file
    lines = text.splitlines(keepends=True)
    resolved = "".join(lines[:3] + [lines[8]] + lines[10:])
    (tmp_path / "out.yaml").write_text(resolved, encoding="utf-8")
    assert check_codebook(tmp_path / "out.yaml") == []
    assert load_codebook(tmp_path / "out.yaml")[0].get("a").definition == "theirs"


def test_merge_files_keeps_the_comments_inside_a_code_added_on_their_side(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "ours.yaml").write_text(BASE, encoding="utf-8")
    theirs = BASE + ("  - id: c\n    label: C  # from the pilot\n    # ask Jo before using\n    definition: see memo\n"
                     "    children:\n      - id: c1\n        label: C one  # new too\n")
    (tmp_path / "theirs.yaml").write_text(theirs, encoding="utf-8")
    result = uc.merge_files(tmp_path / "base.yaml", tmp_path / "ours.yaml", tmp_path / "theirs.yaml", tmp_path / "out.yaml")
    assert result.clean
    assert (tmp_path / "out.yaml").read_text(encoding="utf-8") == theirs
