"""qcode export --format qdpx: valid against the REFI-QDA schema, deterministic, positions per convention."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from qcode.cli import cli
from qcode.formats.refi.positions import Convention
from qcode.usecases.project import Project
from qcode.usecases.refi_export import build_model, export_qdpx
from qcode.usecases.refi_import import import_project
from tests.exchange.helpers import RICH_SOURCE, enrich, snapshot, validate


@pytest.fixture
def rich(project: Project, tmp_path: Path) -> Project:
    enrich(project, tmp_path)
    return project


def test_export_is_valid_and_byte_identical(rich: Project, tmp_path: Path) -> None:
    a, b = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    r = export_qdpx(rich, a)
    export_qdpx(rich, b)
    assert a.read_bytes() == b.read_bytes()
    assert (r.sources, r.codings, r.notes) == (2, 3, 3)
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        assert names[0] == "project.qde" and all(n.startswith("sources/") for n in names[1:-1])
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        qde = zf.read("project.qde")
    validate(qde)
    text = qde.decode("utf-8")
    assert re.search(r'<User guid="[0-9a-f-]{36}" name="amina"/>', text) and 'name="bob"' in text
    assert 'isCodable="true"' in text and "<NoteRef" in text and "<VariableValue>" in text
    assert "<Case " in text and "<SourceRef" in text and "Amina W." in text


def test_sources_are_written_as_the_tools_show_them(rich: Project, tmp_path: Path) -> None:
    model = build_model(rich)
    [src] = [s for s in model.sources if s.name == "rich"]
    assert src.text == RICH_SOURCE  # the decoded file: times, labels, CRLF and NFD kept
    t = rich.transcript("rich")
    for sel in src.selections:
        [coding] = [c for c in rich.store.codings.list(transcript_id=t.id) if c.guid == sel.codings[0].guid]
        spoken = re.sub(r"\[\d\d:\d\d:\d\d\] \w+: ", "", src.text[sel.start:sel.end])
        assert "".join(spoken.split()) == "".join(t.text[coding.start:coding.end].split()).replace("é", "e\u0301")


@pytest.mark.parametrize("name", ["codepoints", "utf16", "crlf", "utf16+crlf"])
def test_positions_follow_the_receiving_tools_convention(rich: Project, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.qdpx"
    export_qdpx(rich, out, positions=name)
    conv = Convention.parse(name)
    model = build_model(rich)
    with zipfile.ZipFile(out) as zf:
        qde = zf.read("project.qde").decode("utf-8")
        for src in model.sources:
            written = zf.read(f"sources/{src.guid}.txt").decode("utf-8")
            assert written == conv.written_text(src.text)
            if conv.crlf:
                assert "\n" not in written.replace("\r\n", "")
            for sel in src.selections:
                m = re.search(rf'guid="{sel.guid}"[^>]*startPosition="(\d+)" endPosition="(\d+)"', qde)
                assert m, sel.guid
                s, e = int(m.group(1)), int(m.group(2))
                got = (written.encode("utf-16-le")[2 * s:2 * e].decode("utf-16-le") if conv.utf16 else written[s:e])
                assert got.replace("\r\n", "\n") == src.text[sel.start:sel.end].replace("\r\n", "\n")


def test_export_then_import_gives_the_same_project(rich: Project, tmp_path: Path) -> None:
    out = tmp_path / "p.qdpx"
    export_qdpx(rich, out, positions="utf16+crlf")
    with Project.init(tmp_path / "fresh", language="en") as fresh:
        r = import_project(fresh, out)
        assert (len(r.adjusted), r.unplaced) == (0, [])
        assert r.exact == 3 and r.codings == 3 and sorted(r.coders) == ["amina", "bob"]
        assert snapshot(fresh) == snapshot(rich)


def test_cli_export(project_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.qdpx"
    r = CliRunner().invoke(cli, ["-p", str(project_dir), "export", "--format", "qdpx", "-o", str(out),
                                 "--positions", "utf16"])
    assert r.exit_code == 0, r.output
    assert "1 sources" in r.output and "positions: utf16" in r.output
    assert zipfile.ZipFile(io.BytesIO(out.read_bytes())).read("project.qde").startswith(b"<?xml")
    again = CliRunner().invoke(cli, ["-p", str(project_dir), "export", "-o", str(out)])
    assert again.exit_code != 0 and "already exists" in str(again.exception or again.output)


def test_importing_a_projects_own_export_adds_nothing_and_a_colleagues_adds_only_their_new_codings(
        rich: Project, tmp_path: Path) -> None:
    from qcode.core.coding import Memo
    from qcode.usecases.coding import apply_code

    first = rich.store.codings.list()[0]
    rich.store.memos.add(Memo("coding", str(first.id), "a memo on a coding", "amina"))
    own = tmp_path / "own.qdpx"
    export_qdpx(rich, own)
    before = snapshot(rich)
    r = import_project(rich, own)
    assert r.sources == [] and len(r.reused_sources) == len(before["transcripts"])
    assert r.codings == 0 and r.already == len(before["codings"]) and r.memos == 0
    assert snapshot(rich) == before  # no transcript, coding or memo twice
    # A colleague starts from the export, codes one more passage, and sends their export back.
    with Project.init(tmp_path / "colleague") as other:
        import_project(other, own)
        t = other.transcript(other.store.transcripts.summaries()[0].id)
        code = before["codings"][0][3]
        added = apply_code(other, t.id, 0, 12, code, coder="lucas")
        export_qdpx(other, tmp_path / "lucas.qdpx")
    r = import_project(rich, tmp_path / "lucas.qdpx")
    assert r.sources == [] and r.codings == 1 and r.already == len(before["codings"])
    after = snapshot(rich)
    assert [c for c in after["codings"] if c not in before["codings"]] == [
        (t.name, 0, 12, code, "lucas", added.memo, t.text[0:12], added.created.replace(microsecond=0))]
    assert after["transcripts"] == before["transcripts"]


def test_dry_run_reports_what_an_import_would_do_and_stores_nothing(rich: Project, tmp_path: Path) -> None:
    own = tmp_path / "own.qdpx"
    export_qdpx(rich, own)
    real_coders = sorted({c.coder for c in rich.store.codings.list()})
    with Project.init(tmp_path / "fresh") as fresh:
        files = sorted(p.name for p in fresh.root.iterdir())
        toml = (fresh.root / "qcode.toml").read_text(encoding="utf-8")
        r = import_project(fresh, own, dry_run=True)
        assert r.dry_run and len(r.sources) == len(snapshot(rich)["transcripts"]) and r.codings == len(snapshot(rich)["codings"])
        assert r.coders == real_coders  # (found before the import is undone)
        assert fresh.store.transcripts.summaries() == [] and fresh.store.codings.list() == []
        assert r.backup is None and r.lines()[0].startswith("Would import (--dry-run: nothing was stored)")
        # No codebook file was written, not even for a moment, and qcode.toml is as it was.
        assert sorted(p.name for p in fresh.root.iterdir()) == files
        assert (fresh.root / "qcode.toml").read_text(encoding="utf-8") == toml and not fresh.settings.codebook
        with fresh.store.transaction(), pytest.raises(RuntimeError, match="cannot join one already open"):
            import_project(fresh, own, dry_run=True)  # inside another transaction nothing could be undone


def test_the_codebook_title_version_authors_and_description_survive_a_qcode_to_qcode_exchange(tmp_path: Path) -> None:
    from qcode.usecases.codebook_exchange import import_codebook

    (tmp_path / "cb.yaml").write_text(
        "qcode_codebook: 1\ntitle: Data work\nversion: 2.1.0\nauthors: [Amina K., Lucas M.]\n"
        "description: Themes of platform work.\ncodes:\n  - id: pay\n    label: Pay\n", encoding="utf-8")
    with Project.init(tmp_path / "a", codebook=tmp_path / "cb.yaml") as a:
        export_qdpx(a, tmp_path / "a.qdpx")
    cb = import_codebook(tmp_path / "a.qdpx", tmp_path / "back.yaml")
    assert (cb.title, cb.version, cb.authors, cb.description) == ("Data work", "2.1.0", ("Amina K.", "Lucas M."),
                                                                  "Themes of platform work.")
    with Project.init(tmp_path / "b") as b:  # a project without a codebook takes the file's, with its details
        import_project(b, tmp_path / "a.qdpx")
        got = b.store.codes.codebook()
        assert (got.title, got.version, got.authors, got.description) == (cb.title, cb.version, cb.authors, cb.description)


def test_an_accepted_suggestion_stays_one_through_a_qcode_to_qcode_exchange(project: Project, tmp_path: Path) -> None:
    # (evaluate leaves accepted suggestions out of the human codings: after an exchange they must not count as such)
    from qcode.usecases.coding import apply_code

    evidence = {"summary": "keyword “unstable”", "score": 0.8}
    apply_code(project, "interview-01", 41, 49, "instability", coder="amina", origin="suggestion", evidence=evidence)
    apply_code(project, "interview-01", 150, 161, "piece-rates", coder="amina")
    export_qdpx(project, tmp_path / "p.qdpx")
    with Project.init(tmp_path / "other") as other:
        import_project(other, tmp_path / "p.qdpx")
        got = {c.code_id: (c.origin, c.evidence) for c in other.store.codings.list()}
    assert got == {"instability": ("suggestion", evidence), "piece-rates": ("imported", None)}
