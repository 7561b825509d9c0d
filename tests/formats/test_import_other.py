"""OpenDocument, RTF and PDF import, and the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import ImportFormatError
from qcode.formats.importers import importer_for, registry
from qcode.formats.importers.base import ImportOptions
from tests.formats.fixtures import minimal_pdf, odt_bytes


def spoken(t):
    return [(tr.speaker, t.text[tr.start:tr.end]) for tr in t.turns]


def test_registry_covers_every_format() -> None:
    assert {".txt", ".md", ".docx", ".odt", ".rtf", ".vtt", ".srt", ".trs", ".xml", ".pdf"} <= set(registry())
    with pytest.raises(ImportFormatError, match="cannot import '.doc'"):
        importer_for(Path("old.doc"))


def test_odt_paragraphs_spaces_table_and_tracked_changes() -> None:
    body = ('<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
            "<text:p>deleted words</text:p></text:deletion></text:changed-region></text:tracked-changes>"
            "<text:h>Entretien</text:h>"
            '<text:p>Enquêteur : Bonjour<text:s text:c="2"/>Lucie</text:p>'
            "<text:p>Lucie : Bonjour<text:line-break/>à vous</text:p>"
            "<table:table><table:table-row><table:table-cell><text:p>Lucie</text:p></table:table-cell>"
            "<table:table-cell><text:p>Dans un tableau</text:p></table:table-cell></table:table-row>"
            "<table:table-row><table:table-cell><text:p>Enquêteur</text:p></table:table-cell>"
            "<table:table-cell><text:p>Merci</text:p></table:table-cell></table:table-row></table:table>")
    t = importer_for(Path("x.odt")).read(odt_bytes(body), "x.odt", ImportOptions())
    assert spoken(t) == [(None, "Entretien"), ("Enquêteur", "Bonjour  Lucie"), ("Lucie", "Bonjour\nà vous"),
                         ("Lucie", "Dans un tableau"), ("Enquêteur", "Merci")]
    assert "deleted" not in t.text
    assert any("tracked changes" in w for w in t.warnings)


def test_odt_speaker_table_then_name_colon_paragraphs() -> None:
    cell = "<table:table-cell><text:p>{}</text:p></table:table-cell>"
    rows = [["Lucie", "enquêtée"], ["Jo", "enquêteur"]]
    body = ("<table:table>" + "".join("<table:table-row>" + "".join(cell.format(c) for c in r) + "</table:table-row>"
                                      for r in rows) + "</table:table>"
            "<text:p>Jo : Vous êtes payée comment ?</text:p><text:p>Lucie : À la tâche.</text:p>")
    t = importer_for(Path("x.odt")).read(odt_bytes(body), "x.odt", ImportOptions())
    assert spoken(t) == [("Jo", "Vous êtes payée comment ?"), ("Lucie", "À la tâche.")]
    assert [n.text for n in t.notes] == ["speakers: Lucie (enquêtée); Jo (enquêteur)"]


def test_rtf_with_codepage_escapes() -> None:
    rtf = (rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}"
           rb"\f0 Enqu\'eateur : Vous \'eates pay\'e9e ?\par LUCIE : \'c0 la t\'e2che, 5 \'80.\par}")
    t = importer_for(Path("x.rtf")).read(rtf, "x.rtf", ImportOptions())
    assert spoken(t) == [("Enquêteur", "Vous êtes payée ?"), ("LUCIE", "À la tâche, 5 €.")]


def test_rtf_that_is_not_rtf() -> None:
    with pytest.raises(ImportFormatError, match="not an RTF"):
        importer_for(Path("x.rtf")).read(b"hello", "x.rtf", ImportOptions())


def test_pdf_text_with_layout_warning() -> None:
    data = minimal_pdf(["Interviewer: How is the pay?", "Amina: Eight cents a task.", "Interviewer: Thanks."])
    t = importer_for(Path("x.pdf")).read(data, "x.pdf", ImportOptions())
    assert [s for s, _ in spoken(t)] == ["Interviewer", "Amina", "Interviewer"]
    assert "Eight cents a task." in t.text
    assert any("layout may be lost" in w for w in t.warnings)


def test_pdf_garbage() -> None:
    with pytest.raises(ImportFormatError):
        importer_for(Path("x.pdf")).read(b"%PDF-1.4\ngarbage", "x.pdf", ImportOptions())
