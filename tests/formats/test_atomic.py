"""Atomic writes: the target is old-complete or new-complete, never torn; modes are kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qcode.formats.atomic import atomic_path, atomic_write_text


def test_new_file_gets_the_usual_mode_not_the_temp_files_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "report.md"
        atomic_write_text(target, "hello")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_text() == "hello"


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "new"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.docx"
    target.write_text("previous report")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half a rep")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    from qcode.core.errors import StorageError

    with pytest.raises(StorageError, match="does not exist"):
        atomic_write_text(tmp_path / "nope" / "x.md", "x")
