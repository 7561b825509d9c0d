"""Importing files into a project: batches, duplicates, failures, limits, attributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import ImportFormatError, QcodeError
from qcode.core.transcript import AttributeDef
from qcode.usecases import importing
from qcode.usecases.attributes import import_attributes, set_attributes

REPO = Path(__file__).resolve().parents[2]


def names(project) -> list[str]:
    return [s.name for s in project.store.transcripts.summaries()]


def test_demo_transcripts_import_with_sidecars(project) -> None:
    report = importing.import_paths(project, [REPO / "transcripts"])
    assert not report.failed, [r.message for r in report.failed]
    formats = {s.format for s in project.store.transcripts.summaries()}
    assert {"txt", "docx", "vtt", "srt"} <= formats
    assert "readme" not in names(project)
    fg = project.transcript("focus-group-annotators")
    assert fg.kind == "focus_group" and len(fg.speaker_labels()) >= 5
    assert import_attributes(project, REPO / "transcripts" / "transcripts.csv") == 5
    assert import_attributes(project, REPO / "transcripts" / "participants.csv") == 8
    links = project.store.participants.speakers()
    tid = project.store.transcripts.find("entretien-lucie")
    assert links[(tid, "LUCIE")] == "Lucie"
    assert project.transcript("entretien-hery").attributes["date"] == "2024-05-22"
    assert AttributeDef("date", "date", "transcript") in project.store.attributes.definitions()
    amina = next(p for p in project.store.participants.list() if p.name == "Amina")
    assert amina.attributes["platform"] == "TaskHive"


def test_same_file_again_is_skipped(project, tmp_path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("I: hello\nR: hi\n", encoding="utf-8")
    assert importing.import_file(project, f).status == "imported"
    r = importing.import_file(project, tmp_path / "a.txt")
    assert r.status == "skipped" and "already imported as 'a'" in r.message
    assert "qcode import --replace a " in r.message


def test_bad_file_does_not_stop_others_and_leaves_nothing(project, tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("I: hello\nR: hi\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "empty.vtt").write_bytes(b"")
    (folder / "bomb.docx").write_bytes(b"PK\x03\x04 not really")
    before = names(project)
    report = importing.import_paths(project, [folder])
    assert [r.path.name for r in report.imported] == ["good.txt"]
    failed = {r.path.name: r.message for r in report.failed}
    assert set(failed) == {"binary.txt", "empty.vtt", "bomb.docx"}
    assert "PNG image" in failed["binary.txt"] and "empty" in failed["empty.vtt"]
    assert names(project) == before + ["good"]


def test_failure_inside_the_store_rolls_back(project, tmp_path, monkeypatch) -> None:
    f = tmp_path / "x.txt"
    f.write_text("I: hello\nR: hi\n", encoding="utf-8")
    before = names(project)

    def boom(*a, **k):
        raise QcodeError("disk full")

    monkeypatch.setattr(project.store.transcripts, "_write_speakers", boom)
    with pytest.raises(QcodeError):
        importing.import_file(project, f)
    assert names(project) == before


def test_size_limit_from_settings_without_writing_200_mb(project, tmp_path) -> None:
    big = tmp_path / "huge.txt"
    with big.open("wb") as fh:  # sparse: 200 MB size, no data written
        fh.truncate(200 * 1024 * 1024)
    with pytest.raises(ImportFormatError, match="200 MB, over the import limit of 100 MB"):
        importing.import_file(project, big)
    opts = importing.default_options(project, max_bytes=1000)
    small = tmp_path / "s.txt"
    small.write_text("I: x\n" * 400, encoding="utf-8")
    with pytest.raises(ImportFormatError, match="over the import limit"):
        importing.import_file(project, small, opts)


def test_dry_run_preview_stores_nothing(project) -> None:
    before = names(project)
    p = importing.preview_file(project, REPO / "transcripts" / "interview-amina.txt")
    assert names(project) == before
    by = {s.label: s for s in p.speakers}
    assert by["Amina"].turns == 14 and by["Amina"].first_line.startswith("In my own words?")
    assert p.unlabelled_turns == 1 and p.error is None


def test_dry_run_names_files_as_the_import_will(project, tmp_path) -> None:
    (tmp_path / "x.txt").write_text("I: hello\nR: hi\n", encoding="utf-8")
    (tmp_path / "x.md").write_text("I: other\nR: words\n", encoding="utf-8")
    (tmp_path / "y.txt").write_text("I: third\nR: file\n", encoding="utf-8")
    importing.import_file(project, tmp_path / "y.txt")
    files = [tmp_path / "x.txt", tmp_path / "x.md", tmp_path / "y.txt"]
    before = names(project)
    previews = importing.preview_files(project, files)
    assert names(project) == before
    assert [(p.name, p.duplicate_of) for p in previews] == [("x", None), ("x-2", None), ("y", "y")]
    report = importing.import_paths(project, files[:2])
    assert [r.name for r in report.results] == ["x", "x-2"]


def test_attr_option_and_name(project, tmp_path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("I: hello\nR: hi\n", encoding="utf-8")
    opts = importing.default_options(project, name="kenya-7", attributes={"country": "Kenya", "age": "29"})
    r = importing.import_file(project, f, opts)
    t = project.transcript(r.transcript_id)
    assert t.name == "kenya-7" and t.attributes == {"country": "Kenya", "age": 29}


def test_set_attributes_typed_and_errors(project) -> None:
    set_attributes(project, "interview-01", {"date": "2024-01-02", "hours:number": "12.5"})
    attrs = project.transcript("interview-01").attributes
    assert attrs["date"] == "2024-01-02" and attrs["hours"] == 12.5
    with pytest.raises(QcodeError, match="is not a number"):
        set_attributes(project, "interview-01", {"hours": "many"})
    with pytest.raises(QcodeError, match="No transcript 'nope'"):
        set_attributes(project, "nope", {"a": "b"})


def test_attribute_csv_error_leaves_project_unchanged(project, tmp_path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("participant,transcript,speaker,age:number\nAmina,interview-01,Amina,29\n"
                 "Bob,interview-01,Nobody,30\n", encoding="utf-8")
    with pytest.raises(QcodeError, match=r"p.csv, line 3: transcript 'interview-01' has no speaker 'Nobody'"):
        import_attributes(project, f)
    assert project.store.participants.list() == []


def test_attribute_yaml_sidecar(project, tmp_path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("types: {age: number}\ntranscripts:\n  interview-01: {kind: interview, country: Kenya}\n"
                 "participants:\n  Amina: {age: 29, gender: woman}\nspeakers:\n  interview-01: {Amina: Amina}\n",
                 encoding="utf-8")
    assert import_attributes(project, f) == 2
    tid = project.store.transcripts.find("interview-01")
    assert project.store.participants.speakers()[(tid, "Amina")] == "Amina"
    assert next(p for p in project.store.participants.list()).attributes == {"age": 29, "gender": "woman"}
