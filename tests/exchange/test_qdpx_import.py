"""qcode import of REFI-QDA projects written by the vendors' documented rules, and of hostile archives."""

from __future__ import annotations

import hashlib
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qcode.cli import cli
from qcode.core.errors import ImportFormatError, QcodeError
from qcode.usecases.project import Project
from qcode.usecases.refi_import import import_project

NS = "urn:QDA-XML:project:1.0"
U1, U2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
C_CAT, C_A, C_B = ("aaaaaaaa-0000-4000-8000-00000000000" + x for x in "123")
SRC = "bbbbbbbb-0000-4000-8000-000000000001"
TEXT = "Interviewer: Tell me 😀 about work.\nAmina: Work is unstable. Pay is low.\n\nInterviewer: Why?\nAmina: Piece rates.\n"


def qde(origin: str, selections: list[tuple[int, int, str, str, str]], *, attr: str = "") -> bytes:
    sels = "".join(
        f'<PlainTextSelection guid="cccccccc-0000-4000-8000-{i:012d}" name="{name}" startPosition="{s}" endPosition="{e}"'
        f' creatingUser="{user}" creationDateTime="2024-03-01T10:00:00Z"><Coding guid="dddddddd-0000-4000-8000-{i:012d}"'
        f' creatingUser="{user}" creationDateTime="2024-03-01T10:00:00Z"><CodeRef targetGUID="{code}"/></Coding>'
        "</PlainTextSelection>"
        for i, (s, e, name, code, user) in enumerate(selections))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="Study" origin="{origin}"{attr}>'
        f'<Users><User guid="{U1}" name="Ana"/><User guid="{U2}" name="Ana"/></Users>'
        f'<CodeBook><Codes><Code guid="{C_CAT}" name="Work" isCodable="false" color="#112233">'
        f'<Description>Everything about work</Description>'
        f'<Code guid="{C_A}" name="Instability" isCodable="true" color="#FF0000"><Description>Work that stops</Description></Code>'
        f'<Code guid="{C_B}" name="Pay" isCodable="true"/></Code></Codes></CodeBook>'
        f'<Sources><TextSource guid="{SRC}" name="Interview Amina" plainTextPath="internal://{SRC}.txt">{sels}'
        "</TextSource></Sources></Project>"
    ).encode()


def qdpx(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def utf16_pos(text: str, i: int) -> int:
    return len(text[:i].encode("utf-16-le")) // 2


@pytest.fixture
def empty(tmp_path: Path) -> Project:
    p = Project.init(tmp_path / "proj", language="en")
    yield p
    p.close()


def _codings(p: Project) -> list[tuple[str, str, str]]:
    return sorted((c.code_id, c.coder, c.quote) for c in p.store.codings.list())


def test_nvivo_utf16_bom_crlf_and_capital_sources(empty: Project, tmp_path: Path) -> None:
    text = TEXT.replace("\n", "\r\n")
    a, b = text.index("Work is unstable"), text.index("Pay is low.") + 11
    c = text.index("Why?")
    sels = [(utf16_pos(text, a), utf16_pos(text, b), "Work is unstable. Pay is low.", C_A, U1),
            (utf16_pos(text, c), utf16_pos(text, text.index("Piece rates.") + 12), "Why?", C_B, U2)]
    f = qdpx(tmp_path / "nvivo.qdpx", {"project.qde": qde("NVivo 14", sels),
                                        f"Sources/{SRC}.txt": "\ufeff".encode() + text.encode("utf-8")})
    r = import_project(empty, f)
    assert (r.tool, r.positions, r.exact, r.unplaced, r.codings) == ("NVivo", "utf16", 2, [], 2)
    assert _codings(empty) == [("instability", "Ana", "Work is unstable. Pay is low."),
                               ("pay", "Ana (2)", "Why?\n\nPiece rates.")]  # two users named Ana stay distinct
    cb = empty.codebook
    assert cb.get("work").codable is False and cb.get("instability").parent == "work"
    assert cb.get("instability").color == "#FF0000" and cb.get("instability").definition == "Work that stops"
    t = empty.transcript(empty.store.transcripts.summaries()[0].id)
    assert [x.speaker for x in t.turns] == ["Interviewer", "Amina", "Interviewer", "Amina"]


def test_maxqda_crlf_counted_over_a_lf_file(empty: Project, tmp_path: Path) -> None:
    a = TEXT.index("Piece rates")
    shift = TEXT[:a].count("\n")
    f = qdpx(tmp_path / "m.qdpx", {"project.qde": qde("MAXQDA 24", [(a + shift, a + shift + 11, "Piece rates", C_B, U1)]),
                                   f"sources/{SRC}.txt": TEXT.encode()})
    r = import_project(empty, f)
    assert (r.tool, r.positions, r.exact) == ("MAXQDA", "crlf", 1)
    assert _codings(empty) == [("pay", "Ana", "Piece rates")]


def test_atlas_named_qde_and_detection_from_selection_names(empty: Project, tmp_path: Path) -> None:
    # An unknown origin that counted UTF-16 units: the names tell which convention fits.
    a = TEXT.index("about work")
    sels = [(utf16_pos(TEXT, a), utf16_pos(TEXT, a + 10), "about work", C_A, U1)]
    f = qdpx(tmp_path / "atlas.qdpx", {"My Study.qde": qde("ATLAS.ti 24", sels), f"sources/{SRC}.txt": TEXT.encode()})
    r = import_project(empty, f)
    assert r.positions == "utf16" and r.exact == 1
    assert _codings(empty) == [("instability", "Ana", "about work")]


def test_adjusted_and_unplaced_selections_are_reported(empty: Project, tmp_path: Path) -> None:
    a = TEXT.index("Pay is low")
    label = TEXT.index("Amina:")
    sels = [(a + 3, a + 13, "Pay is low", C_B, U1),  # off by three: found again by its text
            (5000, 5010, "nowhere", C_A, U1),  # outside the text
            (label, label + 6, "Amina:", C_A, U1),  # a speaker label only
            (0, 4, "Not this text at all", C_A, U1)]  # its text is nowhere
    f = qdpx(tmp_path / "x.qdpx", {"project.qde": qde("Quirkos", sels), f"sources/{SRC}.txt": TEXT.encode()})
    r = import_project(empty, f)
    assert r.codings == 1 and r.exact == 0
    [adj] = r.adjusted
    assert "moved -3" in adj
    reasons = sorted(u.reason for u in r.unplaced)
    assert len(reasons) == 3
    assert any("outside its text" in x for x in reasons)
    assert any("not spoken text" in x for x in reasons)
    assert any("nor anywhere" in x for x in reasons)
    assert _codings(empty) == [("pay", "Ana", "Pay is low")]


def test_cli_import_prints_the_report(empty: Project, tmp_path: Path) -> None:
    a = TEXT.index("Piece rates")
    f = qdpx(tmp_path / "s.qdpx", {"project.qde": qde("QualCoder 3.5", [(a, a + 11, "Piece rates", C_B, U1)]),
                                   f"sources/{SRC}.txt": TEXT.encode()})
    root = empty.root
    empty.close()
    r = CliRunner().invoke(cli, ["-p", str(root), "import", str(f)])
    assert r.exit_code == 0, r.output
    assert "Imported s.qdpx (QualCoder" in r.output and "1 exact, 0 adjusted, 0 not placed" in r.output


def test_failed_import_leaves_the_project_as_it_was(project: Project, tmp_path: Path, monkeypatch) -> None:
    from qcode.formats.codebook_yaml import load_codebook  # noqa: F401

    cb_file = project.root / "codebook.yaml"
    before_yaml = cb_file.read_text(encoding="utf-8")
    before = (project.store.transcripts.summaries(), len(project.store.codings.list()), project.store.codes.codebook().ids)
    a = TEXT.index("Piece rates")
    f = qdpx(tmp_path / "s.qdpx", {"project.qde": qde("NVivo", [(a, a + 11, "Piece rates", C_B, U1)]),
                                   f"sources/{SRC}.txt": TEXT.encode()})

    def boom(*args: object, **kwargs: object) -> None:
        raise QcodeError("disk full while writing codings")

    monkeypatch.setattr(project.store.codings, "add_many", boom)
    with pytest.raises(QcodeError, match="disk full"):
        import_project(project, f)
    monkeypatch.undo()
    project.invalidate(codebook=True)
    assert (project.store.transcripts.summaries(), len(project.store.codings.list()), project.store.codes.codebook().ids) == before
    assert cb_file.read_text(encoding="utf-8") == before_yaml
    assert list((project.data_dir / "backups").glob("*before-import-project*.sqlite"))


def test_codes_added_to_the_projects_codebook_file(project: Project, tmp_path: Path) -> None:
    a = TEXT.index("Piece rates")
    f = qdpx(tmp_path / "s.qdpx", {"project.qde": qde("NVivo", [(a, a + 11, "Piece rates", C_B, U1)]),
                                   f"sources/{SRC}.txt": TEXT.encode()})
    r = import_project(project, f)
    assert r.codes_reused == 1 and r.codes_added == 2  # "Pay" is already there with the same label
    text = (project.root / "codebook.yaml").read_text(encoding="utf-8")
    assert "id: instability" in text and "id: work" in text and "codable: false" in text
    assert "# " not in text or text.count("id: pay\n") == 1
    assert [c.code_id for c in project.store.codings.list()] == ["pay"]


# ------------------------------------------------------------------ hostile archives
GOOD_QDE = qde("NVivo", [])


@pytest.mark.parametrize(("members", "links", "needle"), [
    ({"project.qde": GOOD_QDE, "../evil.txt": b"x"}, (), "unsafe path"),
    ({"project.qde": GOOD_QDE, "/etc/passwd": b"x"}, (), "unsafe path"),
    ({"project.qde": GOOD_QDE, "sources/link.txt": b"/etc/passwd"}, ("sources/link.txt",), "link"),
    ({"project.qde": b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x "y">]><Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'},
     (), "entities"),
    ({"project.qde": b'<!DOCTYPE Project SYSTEM "file:///etc/passwd"><Project xmlns="urn:QDA-XML:project:1.0" name="x"/>'},
     (), "DTD"),
    ({"a.qde": GOOD_QDE, "b.qde": GOOD_QDE}, (), "one .qde"),
    ({"project.qde": b"<Project><unclosed></Project>"}, (), "not well-formed"),
])
def test_hostile_archives_are_refused(empty: Project, tmp_path: Path, members, links, needle) -> None:
    f = qdpx(tmp_path / "bad.qdpx", members, links)
    with pytest.raises(ImportFormatError, match=needle):
        import_project(empty, f)
    assert empty.store.transcripts.summaries() == [] and empty.store.codes.codebook().ids == []


def test_zip_bomb_is_refused(empty: Project, tmp_path: Path) -> None:
    f = qdpx(tmp_path / "bomb.qdpx", {"project.qde": GOOD_QDE, f"sources/{SRC}.txt": b"\0" * (50 * 1024 * 1024)})
    assert f.stat().st_size < 200_000
    with pytest.raises(ImportFormatError, match="ZIP bomb"):
        import_project(empty, f)


def test_enormous_attribute_is_refused(empty: Project, tmp_path: Path) -> None:
    import random

    rng = random.Random(1)
    huge = qde("NVivo", [(0, 4, "".join(rng.choices("abcdefghijklmnopqrstuvwxyz ", k=2_000_000)), C_A, U1)])
    f = qdpx(tmp_path / "huge.qdpx", {"project.qde": huge, f"sources/{SRC}.txt": TEXT.encode()})
    with pytest.raises(ImportFormatError, match="characters long"):
        import_project(empty, f)


def test_not_a_zip_and_not_a_project(empty: Project, tmp_path: Path) -> None:
    f = tmp_path / "fake.qdpx"
    f.write_bytes(b"just text")
    with pytest.raises(ImportFormatError, match="not a valid"):
        import_project(empty, f)
    g = qdpx(tmp_path / "cb.qdpx", {"project.qde": b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'})
    with pytest.raises(ImportFormatError, match="not <Project>"):
        import_project(empty, g)


def test_source_path_outside_the_archive_is_not_followed(empty: Project, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Amina: secret words", encoding="utf-8")
    x = qde("NVivo", []).replace(f"internal://{SRC}.txt".encode(), f"absolute://{secret}".encode())
    f = qdpx(tmp_path / "abs.qdpx", {"project.qde": x})
    r = import_project(empty, f)
    assert r.sources == [] and any("outside the project" in w for w in r.warnings)
    assert hashlib.sha256(secret.read_bytes()).hexdigest()  # untouched, and never read into the project
    assert all("secret" not in (empty.transcript(s.id).text) for s in empty.store.transcripts.summaries())


def test_dry_run_stores_nothing(empty: Project, tmp_path: Path) -> None:
    a = TEXT.index("Piece rates")
    f = qdpx(tmp_path / "s.qdpx", {"project.qde": qde("NVivo 14", [(a, a + 11, "Piece rates", C_B, U1)]),
                                   f"sources/{SRC}.txt": TEXT.encode()})
    root = empty.root
    empty.close()
    r = CliRunner().invoke(cli, ["-p", str(root), "import", "--dry-run", str(f)])
    assert r.exit_code == 0, r.output
    assert "Would import (--dry-run: nothing was stored) s.qdpx (NVivo" in r.output and "1 new sources" in r.output
    assert "1 codings" in r.output and "Selections: 1 exact" in r.output
    with Project.open(root) as p:
        assert p.store.transcripts.summaries() == [] and p.store.codings.list() == []


def test_duplicate_codings_in_the_file_are_imported_once(empty: Project, tmp_path: Path) -> None:
    a = TEXT.index("Piece rates")
    sel = (a, a + 11, "Piece rates", C_B, U1)
    f = qdpx(tmp_path / "d.qdpx", {"project.qde": qde("NVivo", [sel, sel]), f"sources/{SRC}.txt": TEXT.encode()})
    r = import_project(empty, f)
    assert (r.codings, r.duplicates) == (1, 1)
    assert len(empty.store.codings.list()) == 1


def test_two_identical_sources_in_one_file_both_come_in_but_not_twice(empty: Project, tmp_path: Path) -> None:
    other = SRC[:-1] + "9"
    x = qde("NVivo", []).replace(b"</Sources>", f'<TextSource guid="{other}" name="Copy" plainTextPath="internal://{other}.txt"/></Sources>'.encode())
    f = qdpx(tmp_path / "t.qdpx", {"project.qde": x, f"sources/{SRC}.txt": TEXT.encode(), f"sources/{other}.txt": TEXT.encode()})
    assert len(import_project(empty, f).sources) == 2
    again = import_project(empty, f)
    assert again.sources == [] and len(again.reused_sources) == 2 and not again.skipped_sources


def test_a_selection_whose_code_is_not_in_the_file_is_counted_once_as_not_placed(empty: Project, tmp_path: Path) -> None:
    a, b = TEXT.index("Pay is low"), TEXT.index("Piece rates")
    unknown = "eeeeeeee-0000-4000-8000-000000000009"
    sels = [(a, a + 10, "Pay is low", C_B, U1), (b, b + 11, "Piece rates", unknown, U1)]
    f = qdpx(tmp_path / "u.qdpx", {"project.qde": qde("NVivo", sels), f"sources/{SRC}.txt": TEXT.encode()})
    preview = import_project(empty, f, dry_run=True)  # the dry run finds the problem too, and stores nothing
    assert empty.store.codings.list() == [] and [u.reason for u in preview.unplaced] == [f"its code {unknown} is not in the codebook"]
    r = import_project(empty, f)
    assert r.exact == 1 and len(r.unplaced) == 1 and r.codings == 1  # 2 selections: 1 exact, 1 not placed
    assert "Selections: 1 exact, 0 adjusted, 1 not placed." in r.lines()


def test_a_code_named_as_one_of_the_projects_in_another_language_is_that_code(tmp_path: Path) -> None:
    (tmp_path / "cb.yaml").write_text(
        "language: [en, fr]\ncodes:\n  - id: job-instability\n    label: {en: Job instability, fr: Instabilité de l'emploi}\n",
        encoding="utf-8")
    a = TEXT.index("Work is unstable")
    x = qde("NVivo 14", [(a, a + 16, "Work is unstable", C_A, U1)]).replace(b'name="Instability"', b"name=\"instabilite de l'emploi\"")
    f = qdpx(tmp_path / "n.qdpx", {"project.qde": x, f"sources/{SRC}.txt": TEXT.encode()})
    with Project.init(tmp_path / "p", codebook=tmp_path / "cb.yaml") as p:
        r = import_project(p, f)
        assert [c.code_id for c in p.store.codings.list()] == ["job-instability"]  # not a new code of the same label
        assert "instabilite-de-l-emploi" not in p.codebook
        assert r.codes_reused >= 1
