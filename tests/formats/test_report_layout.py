"""Readable Word reports: table layout rules (tested against page width), contents, page numbers, sections."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from qcode.core.analysis import AnalysisData, Filters
from qcode.core.coding import Coding
from qcode.core.transcript import Transcript, build_text
from qcode.formats.reports import sections
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.docx_report import WRITERS, write_docx
from qcode.formats.reports.layout import CELL_PADDING, TABLE_PT, plan_table, text_width, word_need
from tests.core.test_analysis import _data

DATA = _data()
LONG_NAMES = [f"ESLO1_INTPERS_{400 + i}_C" for i in range(14)]


def _wide_data() -> AnalysisData:
    """14 transcripts with long one-word names: the code-by-transcript table cannot fit a page as is."""
    base = DATA.transcripts[1]
    ts = [replace(base, name=n.lower(), title=n, id=i + 10) for i, n in enumerate(LONG_NAMES)]
    codings = [Coding(t.id, 10, 21, "A1", "ann", id=100 + k) for k, t in enumerate(ts)]
    return AnalysisData(DATA.codebook, (*DATA.transcripts, *ts), DATA.participants, (*DATA.codings, *codings),
                        project="wide")


@pytest.mark.parametrize("n", [1, 3, 6, 10, 14, 40])
def test_plan_keeps_every_header_word_whole_and_the_table_on_the_page(n: int) -> None:
    headers = LONG_NAMES[:n] if n <= 14 else [f"Transcript {i}" for i in range(n)]
    plan = plan_table("Theme", ["Alpha one"], headers, portrait=6.69, landscape=10.1)
    page = 10.1 if plan.landscape else 6.69
    shown = [str(i + 1) if plan.keyed else h for i, h in enumerate(headers)]
    assert sorted(j for part in plan.parts for j in part) == list(range(n))
    for part in plan.parts:
        assert plan.total(part) <= page + 1e-9
        for j in part:
            assert word_need(shown[j]) <= plan.widths[j] + 1e-9
    if n == 1:
        assert not plan.landscape and not plan.keyed  # a small table stays as it is
    sizes = [len(p) for p in plan.parts]
    assert max(sizes) - min(sizes) <= 1  # parts of about equal size


def test_header_need_is_the_longest_word_not_the_whole_header() -> None:
    assert word_need("With sub-themes") == pytest.approx(text_width("sub-themes", TABLE_PT, True) + CELL_PADDING)
    assert text_width("WWWW") > text_width("iiii")


def _table_widths(tbl) -> list[float]:
    return [int(c.get(qn("w:w"))) / 1440 for c in tbl.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}")]


def test_every_header_word_fits_its_column_in_the_written_report(tmp_path: Path) -> None:
    report = build_report(_wide_data(), ReportOptions(date="2025-03-31", by=("country", "transcript")))
    out = tmp_path / "r.docx"
    write_docx(report, out)
    doc = docx.Document(str(out))
    body = doc.element.body
    # Each table's section: the first sectPr after it (in a paragraph) or the body's.
    checked = 0
    for table in doc.tables[1:]:  # the title page's provenance table has no header
        tbl = table._tbl
        sect = next((p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") for p in tbl.itersiblings()
                     if p.tag == qn("w:p") and p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None),
                    body.find(qn("w:sectPr")))
        width = int(sect.find(qn("w:pgSz")).get(qn("w:w"))) / 1440
        margins = sect.find(qn("w:pgMar"))
        usable = width - (int(margins.get(qn("w:left"))) + int(margins.get(qn("w:right")))) / 1440
        grid = _table_widths(tbl)
        assert sum(grid) <= usable + 0.01
        for row in tbl.findall(qn("w:tr")):
            if row.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is None:
                break
            col = 0
            for tc in row.findall(qn("w:tc")):
                span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                n = int(span.get(qn("w:val"))) if span is not None else 1
                text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                if col > 0:  # data columns (the label column wraps between words)
                    assert word_need(text) <= sum(grid[col : col + n]) + 0.01, text
                    checked += 1
                col += n
    assert checked > 20
    styles = doc.styles
    assert styles["Table Text"].font.size.pt >= 9
    # 16 transcripts with long names: numbered columns with a key below the table; the crosstab of
    # 16 transcript groups (not numbered) goes on landscape pages, split into tables of equal size.
    texts = [p.text for p in doc.paragraphs]
    key = next(t for t in texts if t.startswith("Columns: "))
    assert "1: focus group Nairobi 2" in key and f"16: {LONG_NAMES[-1]}" in key
    orientations = [s.orientation for s in doc.sections]
    assert len(orientations) >= 3 and orientations[0] == orientations[-1] == 0 and 1 in orientations
    parts = [t for t in texts if t.startswith("Table ") and "Themes by transcript (groups" in t]
    assert len(parts) >= 2 and "(groups 1–" in parts[0]


def test_contents_has_a_pageref_to_every_heading_outside_any_toc_field(tmp_path: Path) -> None:
    report = build_report(DATA, ReportOptions(date="2025-03-31", by=("country",)))
    write_docx(report, tmp_path / "r.docx")
    doc = docx.Document(str(tmp_path / "r.docx"))
    xml = doc.element.body.xml
    assert " TOC " not in xml  # (LibreOffice would show a TOC field as saved: without page numbers)
    lines = [p for p in doc.paragraphs if p.style.name.startswith("TOC ") and p.style.name != "TOC Heading"]
    assert [p.text.strip() for p in lines] == [h.text for h in report.outline if h.level <= 2]
    marks = {b.get(qn("w:name")) for b in doc.element.body.iter(qn("w:bookmarkStart"))}
    refs = [t.text.split()[1] for t in doc.element.body.iter(qn("w:instrText")) if t.text.strip().startswith("PAGEREF")]
    toc_heads = [h for h in report.outline if h.level <= 2]
    assert len(refs) == len(toc_heads) and set(refs) <= marks
    # Every heading paragraph carries the bookmark its contents line points to.
    headings = [p for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert [p.text for p in headings] == [h.text for h in report.outline]
    assert all(p._p.find(qn("w:bookmarkStart")) is not None for p in headings)
    assert doc.settings.element.find(qn("w:updateFields")) is not None
    # Numbering has no gap: 2.1, 2.2 ... and 3.1, 3.2 ...
    nums = [h.number for h in report.outline if h.level == 2]
    assert nums == ["2.1", "2.2", "3.1", "3.2", "3.3", "3.4"]


def test_page_numbers_in_the_footer_and_the_title_in_the_header(tmp_path: Path) -> None:
    report = build_report(DATA, ReportOptions(title="Study", date="2025-03-31"))
    write_docx(report, tmp_path / "r.docx")
    doc = docx.Document(str(tmp_path / "r.docx"))
    first = doc.sections[0]
    assert first.different_first_page_header_footer  # nothing on the title page
    assert first.header.paragraphs[0].text == "Study"
    instr = " ".join(t.text for t in first.footer._element.iter(qn("w:instrText")))
    assert "PAGE" in instr.split() and "NUMPAGES" in instr.split()
    assert first.footer.paragraphs[0].text.startswith("Page 1 of 1")


def test_a_registered_section_is_numbered_and_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sections, "SECTIONS", list(sections.SECTIONS))
    from qcode.formats.reports import i18n

    monkeypatch.setitem(i18n.catalogue("en"), "sec_example", "An example section")
    sections.register(sections.Section("example", "sec_example",
                                       subheadings=lambda r: [("example-kappa", "Kappa", 2)]), after="analysis")
    monkeypatch.setitem(WRITERS, "example", lambda w, report, h: (w.heading(h), w.heading(report.heading("example-kappa"))))
    report = build_report(DATA, ReportOptions(date="2025-03-31"))
    assert [h.text for h in report.outline if h.level == 1] == [
        "1 Corpus", "2 Findings by theme", "3 Analysis tables and charts", "4 An example section",
        "Appendix A. Codebook", "Appendix B. Memos"]
    assert report.heading("example-kappa").number == "4.1"
    write_docx(report, tmp_path / "r.docx")
    headings = [p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs if p.style.name.startswith("Heading")]
    assert "4 An example section" in headings and "4.1 Kappa" in headings
    with pytest.raises(ValueError, match="already registered"):
        sections.register(sections.Section("example", "sec_example"))


def test_codes_without_codings_leave_no_gap_in_theme_numbers() -> None:
    report = build_report(DATA, ReportOptions(filters=Filters(coders=("bob",))))  # bob coded Alpha only
    assert [(t.number, t.label) for t in report.themes] == [("2.1", "Alpha")]
    assert [e.number for e in report.codebook] == ["A.1", "A.1.1", "A.2", "A.3"]


def test_unused_text_helpers_are_exact() -> None:
    text, turns = build_text([("A", "x", None, None)])
    assert Transcript("t", "t", text, turns).words == 1


def test_the_key_of_numbered_columns_stands_between_the_caption_and_its_table_kept_with_both(tmp_path: Path) -> None:
    """A key after its table could be left alone at the top of the next page (the demo's "Themes by
    transcript"): it comes before the table, and it and the caption above it keep with what follows."""
    out = tmp_path / "r.docx"
    write_docx(build_report(_wide_data(), ReportOptions(date="2025-03-31")), out)
    doc = docx.Document(str(out))
    keys = [p for p in doc.paragraphs if p.text.startswith("Columns: ")]
    assert keys
    for p in keys:
        after = p._p.getnext()
        assert after is not None and after.tag == qn("w:tbl"), "the key is right above its table"
        caption = p._p.getprevious()
        assert "".join(caption.itertext()).startswith("Table ")
        assert p.paragraph_format.keep_with_next and p.paragraph_format.keep_together
        assert docx.text.paragraph.Paragraph(caption, p._parent).paragraph_format.keep_with_next


LONG_THEME = "North–South dependencies and outsourcing chains"


def _lines(text: str, width: float) -> int:
    """Lines *text* takes in a cell *width* inches wide (greedy breaks between words, as a word processor)."""
    lines, line = 1, ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and text_width(trial) + CELL_PADDING > width:
            lines, line = lines + 1, word
        else:
            line = trial
    return lines


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_frequency_table_numeric_columns_are_narrow_and_the_theme_column_gets_the_rest(tmp_path: Path, lang: str) -> None:
    """The demo's frequency table wrapped a long theme onto three lines beside wide, nearly empty number
    columns: each number column is no wider than its own header word (or a number) needs, the group header
    "With sub-themes" spanning four of them no longer widens one (it needed 1.1 in), and the theme column
    takes the rest."""
    report = build_report(DATA, ReportOptions(date="2025-03-31", lang=lang))
    report = replace(report, frequencies=tuple(replace(r, label=LONG_THEME) if r.code_id == "B" else r
                                               for r in report.frequencies))
    out = tmp_path / "r.docx"
    write_docx(report, out)
    doc = docx.Document(str(out))
    caption = next(p for p in doc.paragraphs if p.text.startswith(("Table 3.", "Tableau 3.")))
    tbl = caption._p.getnext()
    assert tbl.tag == qn("w:tbl")
    assert tbl.find(f"{qn('w:tblPr')}/{qn('w:tblLayout')}").get(qn("w:type")) == "fixed"  # autofit off
    grid = _table_widths(tbl)
    assert len(grid) == 6
    rows = tbl.findall(qn("w:tr"))
    second = ["".join(tc.itertext()) for tc in rows[1].findall(qn("w:tc"))]
    numbers = [text_width("00 000") + CELL_PADDING]
    for j in range(1, 6):
        header = "".join(rows[0].findall(qn("w:tc"))[1].itertext()) if j == 1 else second[j]
        assert grid[j] <= max(word_need(header), *numbers) + 0.01, (j, header)
    # Every cell of every row carries its column's width (Word and LibreOffice read either).
    for tr in rows[2:]:
        assert [int(tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w"))) / 1440 for tc in tr.findall(qn("w:tc"))] \
            == pytest.approx(grid, abs=0.001)
    assert sum(grid) == pytest.approx(6.69, abs=0.01)  # the theme column takes the rest of the A4 page
    assert grid[0] > max(grid[1:])
    # English: two lines (three in the 1.86 in the theme column had). French headers have longer words
    # ("Transcriptions"), which set their columns' width: the theme column is narrower there.
    assert grid[0] >= (2.15 if lang == "en" else 1.8)
    if lang == "en":
        assert _lines(LONG_THEME, grid[0]) <= 2
