"""The Word report's prepared-element builder writes the XML python-docx writes for the same calls."""

from __future__ import annotations

import docx
import pytest
from docx.shared import Inches, Pt, RGBColor
from lxml import etree

from qcode.formats.reports.docx_xml import Xml


def _xml(el) -> bytes:
    """Canonical XML with only the namespaces used (a detached element declares fewer)."""
    return etree.tostring(el, method="c14n", exclusive=True)


@pytest.mark.parametrize(
    "text",
    ["plain", " leading and trailing ", "two\nlines", "tab\there", "\nstarts with a break", "ends with a tab\t",
     "cr\r\nlf", "a\n\n b", "\u00a0non-breaking edges\u00a0", "<b>&amp;</b> “quotes”"],
)
def test_runs_match_python_docx(text: str) -> None:
    doc = docx.Document()
    x = Xml(doc)
    ours = x.paragraph()
    x.run(ours, text)
    theirs = doc.add_paragraph()
    theirs.add_run(text)
    assert _xml(ours) == _xml(theirs._p)


def test_run_properties_match_python_docx() -> None:
    doc = docx.Document()
    x = Xml(doc)
    ours = x.paragraph(doc.styles["Quote"].style_id)
    x.run(ours, "\n— Amina, interview, 00:12:34", x.rpr(italic=False, size=9))
    x.run(ours, "\nMemo: m", x.rpr(italic=False, size=8, color="595959"))
    x.run(ours, "Table 1. ", x.rpr(bold=True))
    theirs = doc.add_paragraph(style="Quote")
    r = theirs.add_run("\n— Amina, interview, 00:12:34")
    r.italic = False
    r.font.size = Pt(9)
    m = theirs.add_run("\nMemo: m")
    m.italic = False
    m.font.size = Pt(8)
    m.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    theirs.add_run("Table 1. ").bold = True
    assert _xml(ours) == _xml(theirs._p)
    assert x.rpr() is None


def test_table_rows_match_python_docx_cells_alignment_and_merge() -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    header = [["Theme", "Kenya (2)", "", "France (1)", ""], ["", "n", "%", "n", "%"]]
    rows = [["Alpha", "4", "100%", "1", "50%"], ["    Beta", "", "–", "0", "0%"]]
    widths = [2.0, 0.5, 0.5, 0.5, 0.5]
    doc = docx.Document()
    sid = doc.styles["Normal"].style_id
    x = Xml(doc)
    ours = doc.add_table(rows=0, cols=5)
    twips = [Inches(w).twips for w in widths]
    x.table_rows(ours._tbl, header, twips, sid, header=True, merges=[(1, 2), (3, 4)], keep=2)
    x.table_rows(ours._tbl, rows, twips, sid, numeric_from=1, keep=1)

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    theirs = doc.add_table(rows=4, cols=5)
    for i, (row, values) in enumerate(zip(theirs.rows, header + rows, strict=True)):
        tr_pr = row._tr.get_or_add_trPr()
        etree.SubElement(tr_pr, f"{w}cantSplit")  # no row breaks across pages
        if i < 2:
            etree.SubElement(tr_pr, f"{w}tblHeader").set(f"{w}val", "true")
        for j, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Inches(widths[j])
            p = cell.paragraphs[0]
            p._p.style = sid
            if value:
                p.add_run(value)
            if i < 3:  # the header rows and the first body row are kept with the next row
                p.paragraph_format.keep_with_next = True
            if i >= 2 and j >= 1:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for a, b in [(1, 2), (3, 4)]:
        top = theirs.rows[0].cells
        top[a].merge(top[b])
    assert [_xml(tr) for tr in ours._tbl.tr_lst] == [_xml(tr) for tr in theirs._tbl.tr_lst]
    assert [[c.text for c in r.cells] for r in ours.rows][0] == ["Theme", "Kenya (2)", "Kenya (2)", "France (1)", "France (1)"]


def test_merged_header_cells_must_be_empty() -> None:
    doc = docx.Document()
    x = Xml(doc)
    table = doc.add_table(rows=0, cols=2)
    with pytest.raises(ValueError, match="must be empty"):
        x.table_rows(table._tbl, [["a", "lost"]], [1000, 1000], "Normal", header=True, merges=[(0, 1)])


def test_paragraphs_go_before_the_section_properties() -> None:
    doc = docx.Document()
    x = Xml(doc)
    for text in ("one", "two"):
        p = x.paragraph()
        x.run(p, text)
        x.insert(p)
    doc.add_paragraph("three")  # python-docx's own insertion still lands after ours
    assert [p.text for p in doc.paragraphs] == ["one", "two", "three"]
    assert doc.element.body[-1].tag.endswith("}sectPr")
