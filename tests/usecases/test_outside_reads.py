"""Finding 10 of issue 14: qcode reads nothing outside the project it was not explicitly given."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from qcode.core.errors import CodebookError, ImportFormatError, QcodeError, SettingsError
from qcode.usecases.settings import load_settings

SECRET = "root:$6$secrethash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


def _project(tmp_path: Path, toml: str) -> Path:
    root = tmp_path / "study"
    root.mkdir()
    (root / "qcode.toml").write_text(toml, encoding="utf-8")
    return root


@pytest.mark.parametrize("seed", ["../secret.txt", "/etc/hostname", "transcripts/../../secret.txt", "link.txt"])
def test_seed_paths_outside_the_project_are_refused(tmp_path: Path, seed: str) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    root = _project(tmp_path, f'[project]\nname = "s"\n\n[seed]\ntranscripts = ["{seed}"]\n')
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(SettingsError, match="outside the project folder") as err:
        load_settings(root)
    assert "line 5" in err.value.message


def test_seed_paths_inside_the_project_are_fine(tmp_path: Path) -> None:
    root = _project(tmp_path, '[seed]\ntranscripts = ["transcripts/", "a.txt"]\n')
    assert load_settings(root).seed_transcripts == ["transcripts/", "a.txt"]


def test_a_codebook_path_to_a_non_codebook_does_not_echo_its_lines(tmp_path: Path) -> None:
    from qcode.usecases.project import Project

    (tmp_path / "shadow").write_text(SECRET)
    root = _project(tmp_path, f'[project]\nname = "s"\n\n[codebook]\npath = "{tmp_path / "shadow"}"\n')
    with pytest.raises(CodebookError) as err:
        Project.open(root)
    text = str(err.value)
    assert "not a qcode codebook" in text and "secrethash" not in text and "daemon" not in text


def test_folder_import_does_not_follow_links_out_of_the_folder(project, tmp_path: Path) -> None:
    from qcode.usecases import importing

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.txt").write_text("Other: private interview of another study\n")
    folder = project.root / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text("Amina: inside\n")
    (folder / "inner-link.txt").symlink_to(folder / "a.txt")
    (folder / "out-link.txt").symlink_to(outside / "private.txt")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    report = importing.import_paths(project, [folder])
    assert {r.path.name for r in report.imported} == {"a.txt"}  # inner-link: same contents, skipped
    failed = {r.path.name: r.message for r in report.failed}
    assert "out-link.txt" in failed and "outside" in failed["out-link.txt"]
    texts = [project.store.transcripts.get(s.id).text for s in project.store.transcripts.summaries()]
    assert not any("private interview" in t for t in texts)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_device_files_and_fifos_are_refused_without_hanging(project, tmp_path: Path, kind: str) -> None:
    from qcode.usecases import importing

    if kind == "fifo":
        target = tmp_path / "pipe.txt"
        os.mkfifo(target)
    else:
        target = tmp_path / "zero.txt"
        target.symlink_to("/dev/zero")
    done: list[BaseException | None] = []

    def attempt() -> None:
        try:
            importing.import_file(project, target)
            done.append(None)
        except BaseException as exc:  # recorded for the assertion below
            done.append(exc)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(15)  # a liveness bound, not a speed target: a FIFO would block the reader forever
    hung = t.is_alive()
    if hung and kind == "fifo":
        with open(target, "wb"):  # unblock the reader so the thread can end
            pass
    assert not hung
    assert done and isinstance(done[0], ImportFormatError), done
    assert "not a regular file" in str(done[0])


@pytest.mark.parametrize("reader", ["codebook", "settings", "codings"])
def test_other_readers_refuse_fifos(tmp_path: Path, reader: str, project) -> None:
    target = {"codebook": tmp_path / "cb.yaml", "settings": tmp_path / "study" / "qcode.toml",
              "codings": tmp_path / "c.jsonl"}[reader]
    target.parent.mkdir(exist_ok=True)
    os.mkfifo(target)
    result: list[BaseException | None] = []

    def attempt() -> None:
        try:
            if reader == "codebook":
                from qcode.formats.codebook_yaml import load_codebook

                load_codebook(target)
            elif reader == "settings":
                load_settings(target.parent)
            else:
                from qcode.usecases.exchange import import_codings

                import_codings(project, target)
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(15)  # a liveness bound, not a speed target
    hung = t.is_alive()
    if hung:
        with open(target, "wb"):
            pass
        t.join(5)
    assert not hung
    assert result and isinstance(result[0], QcodeError), result
