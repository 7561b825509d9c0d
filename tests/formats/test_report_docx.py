"""The Word report, read back with python-docx.

The data is the hand-computed project of tests/core/test_analysis.py: codes
A (Alpha) > A1 (Alpha one), B (Beta), C (Gamma, never coded); seven codings.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from qcode.core.analysis import AnalysisData, Filters
from qcode.core.coding import Coding
from qcode.core.errors import QcodeError, ReportError
from qcode.formats.reports.charts import cooccurrence_heatmap, frequency_chart
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.docx_report import write_docx
from tests.core.test_analysis import _data

DATA = _data()


def _write(tmp_path: Path, data: AnalysisData = DATA, *, by: tuple[str, ...] = ("country",), charts: bool = True,
           reference: Path | None = None, filters: Filters | None = None) -> docx.document.Document:
    report = build_report(data, ReportOptions(title="Test report", date="2025-03-31", by=by, filters=filters or Filters(),
                                              qcode_version="9.9"))
    pngs = {"frequencies": frequency_chart(report.frequencies)} if charts else {}
    if charts and report.heatmap.codes:
        pngs["cooccurrence"] = cooccurrence_heatmap(report.heatmap)
    out = tmp_path / "r.docx"
    write_docx(report, out, charts=pngs, reference_docx=reference)
    return docx.Document(str(out))


def _headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]


def _quotes_by_heading(doc) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading"):
            current = p.text
            out[current] = []
        elif p.style.name == "Quote" and current is not None:
            out[current].append(p.text)
    return out


def test_headings_follow_the_codebook_and_skip_uncoded_themes(tmp_path: Path) -> None:
    doc = _write(tmp_path)
    assert _headings(doc) == [
        "1 Corpus", "2 Findings by theme", "2.1 Alpha", "2.1.1 Alpha one", "2.2 Beta",
        "3 Analysis tables and charts", "3.1 Theme frequencies", "3.2 Themes by country", "3.3 Co-occurrence of themes",
        "3.4 Themes by transcript", "Appendix A. Codebook", "Appendix B. Memos",
    ]
    styles = {p.text: p.style.name for p in doc.paragraphs if p.style.name.startswith("Heading")}
    assert (styles["2.1 Alpha"], styles["2.1.1 Alpha one"], styles["2 Findings by theme"]) == ("Heading 2", "Heading 3", "Heading 1")
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Themes with no coded passage: Gamma." in body


def test_quotes_per_theme_with_attribution_and_memo(tmp_path: Path) -> None:
    quotes = _quotes_by_heading(_write(tmp_path))
    # Codings 1 and 5 are the same passage coded by ann and bob: quoted once.
    assert [len(quotes[h]) for h in ("2.1 Alpha", "2.1.1 Alpha one", "2.2 Beta")] == [2, 2, 2]
    assert quotes["2.1 Alpha"][0] == "Work is unstable\n— Amina, focus group Nairobi 2, 00:00:05 · coded by ann, bob"
    # Two coders in the report: every quote names its coder.
    assert quotes["2.1 Alpha"][1] == "Same for me here.\n— Brian, focus group Nairobi 2, 00:12:34 · coded by bob"
    assert quotes["2.1.1 Alpha one"][0] == "Work is unstable and pay is low.\n— Amina, focus group Nairobi 2, 00:00:05 · coded by ann\nMemo: m3"
    assert quotes["2.1.1 Alpha one"][1] == "No contract\n— Chloe, interview Paris, turn 2 · coded by ann"


def test_title_page_provenance_and_contents(tmp_path: Path) -> None:
    doc = _write(tmp_path, filters=Filters(coders=("ann",)))
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == "Test report"
    prov = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert prov["Project"] == "demo"
    assert prov["Coders"] == "ann"
    assert prov["Filters"] == "coders: ann"
    assert prov["Codings"] == "5"
    assert prov["Date"] == "31 March 2025"
    assert prov["Made with"] == "qcode 9.9"
    assert prov["Codebook hash"] == DATA.codebook.content_hash()[:16]
    xml = doc.element.body.xml
    assert "PAGEREF" in xml and any(p.style.name == "TOC 1" for p in doc.paragraphs)
    assert doc.core_properties.title == "Test report"
    assert doc.core_properties.created.year == 2025


def _table_after(doc, caption_start: str):
    """The table that follows the caption paragraph starting with *caption_start*."""
    body = doc.element.body
    found = False
    for el in body.iterchildren():
        if el.tag.endswith("}p") and "".join(el.itertext()).startswith(caption_start):
            found = True
        elif found and el.tag.endswith("}tbl"):
            return next(t for t in doc.tables if t._tbl is el)
    raise AssertionError(caption_start)


def _rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def test_frequency_crosstab_cooccurrence_and_transcript_tables(tmp_path: Path) -> None:
    doc = _write(tmp_path)
    corpus = _rows(_table_after(doc, "Table 1."))
    assert corpus == [["Transcript", "Kind", "Words", "Participants", "Codings"],
                      ["focus group Nairobi 2", "focus group", "14", "2", "5"], ["interview Paris", "interview", "6", "1", "2"]]
    assert _rows(_table_after(doc, "Table 2.")) == [["Attribute", "Values"], ["gender", "f (2); m (1)"]]
    freq = _rows(_table_after(doc, "Table 3."))
    # Two header rows: the theme's own codings, then four columns under one "With sub-themes" (python-docx
    # repeats a merged cell's text in each grid column it spans).
    assert freq[0] == ["Theme", "Codings"] + ["With sub-themes"] * 4
    assert freq[1] == ["", "", "Codings", "Transcripts", "Participants", "Words"]
    assert freq[2] == ["Alpha", "3", "5", "2", "3", "13"]
    assert freq[3] == ["\u2003Alpha one", "2", "2", "2", "2", "9"]
    assert freq[5] == ["Gamma", "0", "0", "0", "0", "0"]
    cross = _rows(_table_after(doc, "Table 4."))
    assert cross[0][:2] == ["Theme", "France (1)"] and cross[0][3] == "Kenya (2)"
    assert cross[1] == ["", "n", "%", "n", "%"]
    assert cross[2] == ["Alpha", "1", "100%", "4", "100%"]
    assert cross[4] == ["Beta", "1", "100%", "1", "50%"]
    cooc = _rows(_table_after(doc, "Table 5."))
    assert cooc == [["Theme", "1", "2", "3"], ["1. Alpha", "(3)", "2", "0"], ["2. Alpha one", "2", "(2)", "1"],
                    ["3. Beta", "0", "1", "(2)"]]
    by_t = _rows(_table_after(doc, "Table 6."))
    assert by_t[0] == ["Theme", "focus group Nairobi 2", "interview Paris"]
    assert by_t[1] == ["Alpha", "4", "1"]
    assert all(t.style is not None and t.style.name == "Light Grid Accent 1" for t in doc.tables)


def test_two_charts_are_embedded(tmp_path: Path) -> None:
    assert len(_write(tmp_path).inline_shapes) == 2
    assert len(_write(tmp_path, charts=False).inline_shapes) == 0


def test_memos_appendix(tmp_path: Path) -> None:
    texts = [p.text for p in _write(tmp_path).paragraphs]
    start = len(texts) - 1 - texts[::-1].index("Appendix B. Memos")
    assert texts[start + 1].startswith("Coding 6 (Alpha one, interview Paris)")
    assert texts[start + 2] == "check with Chloe's second interview"


def test_reference_docx_styles_are_used_and_its_body_dropped(tmp_path: Path) -> None:
    from docx.shared import Pt

    ref = docx.Document()
    ref.styles["Quote"].font.name = "Courier New"
    ref.styles["Quote"].font.size = Pt(13)
    ref.add_paragraph("TEMPLATE BODY TEXT")
    ref.save(str(tmp_path / "house.docx"))
    doc = _write(tmp_path, reference=tmp_path / "house.docx")
    assert doc.styles["Quote"].font.name == "Courier New"
    assert doc.styles["Quote"].font.size == Pt(13)
    assert all("TEMPLATE BODY" not in p.text for p in doc.paragraphs)


def test_reference_without_quote_or_table_styles_still_works(tmp_path: Path) -> None:
    ref = docx.Document()
    for name in ("Quote", "Light Grid Accent 1"):
        el = ref.styles[name].element
        el.getparent().remove(el)
    ref.save(str(tmp_path / "bare.docx"))
    doc = _write(tmp_path, reference=tmp_path / "bare.docx")
    assert sum(len(v) for v in _quotes_by_heading(doc).values()) == 6
    assert doc.tables[1].style.name == "Table Grid"


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_bad_reference_docx_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.docx").write_bytes(content)
    with pytest.raises(ReportError, match="is not a Word .docx file"):
        _write(tmp_path, reference=tmp_path / "bad.docx")
    with pytest.raises(ReportError, match="not found"):
        _write(tmp_path, reference=tmp_path / "missing.docx")


def test_reference_docx_without_page_size_is_a_clear_error(tmp_path: Path) -> None:
    from docx.oxml.ns import qn

    ref = docx.Document()
    sect = ref.element.body.find(qn("w:sectPr"))
    sect.remove(sect.find(qn("w:pgSz")))
    ref.save(str(tmp_path / "no-size.docx"))
    with pytest.raises(ReportError, match="sets no page size or no margins") as caught:
        _write(tmp_path, reference=tmp_path / "no-size.docx")
    assert "Layout" in caught.value.hint
    assert not (tmp_path / "r.docx").exists()


def test_control_characters_and_markup_are_kept_visible(tmp_path: Path) -> None:
    t1 = DATA.transcripts[0]
    from dataclasses import replace

    t = replace(t1, text=t1.text[:14] + "Work\x07is <b>&" + t1.text[25:])
    data = AnalysisData(DATA.codebook, (t,), DATA.participants, (Coding(1, 14, 30, "A", "ann", id=1),))
    quotes = _quotes_by_heading(_write(tmp_path, data, by=()))
    assert quotes["2.1 Alpha"][0].startswith("Work\ufffdis <b>&")


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.docx"
    out.write_bytes(b"old report")

    def broken_save(self, path):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    report = build_report(DATA, ReportOptions(date="2025-03-31"))
    with pytest.raises(QcodeError, match="No space left"):
        write_docx(report, out)
    assert out.read_bytes() == b"old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.docx"]


def test_frequency_chart_ticks_count_whole_codings() -> None:
    """With few codings matplotlib would tick at 0.5, 1.5...: a count has whole ticks only."""
    from qcode.core.analysis_tables import CodeFrequency
    from qcode.formats.reports.charts import frequency_figure

    rows = [CodeFrequency("a", "A", 0, 2, 1, 1, 1, 10, 2, 1, 1, 1, 10),
            CodeFrequency("b", "B", 0, 1, 1, 1, 1, 5, 1, 1, 1, 1, 5)]
    fig = frequency_figure(rows)
    ticks = [t for t in fig.axes[0].get_xticks() if 0 <= t <= fig.axes[0].get_xlim()[1]]
    assert len(ticks) >= 2
    assert all(float(t).is_integer() for t in ticks), ticks


def test_codebook_entries_are_headed_at_body_size_with_the_id_small_after(tmp_path: Path) -> None:
    doc = _write(tmp_path)
    paras = doc.paragraphs
    start = next(i for i, p in enumerate(paras) if p.text == "Appendix A. Codebook")
    entries = [p for p in paras[start:] if p.runs and p.runs[0].bold and p.text.endswith(")") and "  (" in p.text]
    assert [p.text for p in entries][:2] == ["A.1 Alpha  (A)", "A.1.1 Alpha one  (A1)"]
    for p in entries:
        label, code_id = p.runs[0], p.runs[-1]
        assert label.font.size is None  # the body's size, not smaller than the definition below it
        assert code_id.font.size is not None and code_id.font.size.pt == 9
        assert p.paragraph_format.keep_with_next


def test_each_theme_sentence_names_both_bases_with_the_numbers_of_the_frequency_table(tmp_path: Path) -> None:
    """Alpha has 3 codings of its own (1 transcript, 2 participants, 7 words) and 5 with its sub-theme (2, 3,
    13): the sentence of section 2.1 gives both, each named, and they are the numbers of the table's own
    Codings column and of its "With sub-themes" columns; "How to read the numbers" says which is which."""
    import re

    doc = _write(tmp_path)
    texts = [p.text for p in doc.paragraphs]
    alpha = texts[texts.index("2.1 Alpha") + 1]
    assert alpha == ("This theme itself: 3 codings in 1 transcript from 2 participants (7 words); with its sub-themes: "
                     "5 codings in 2 transcripts from 3 participants (13 words).")
    table = {r[0].strip("\u2003"): r[1:] for r in _rows(_table_after(doc, "Table 3."))[2:]}
    rolled = re.search(r"with its sub-themes: (\d+) codings in (\d+) transcripts from (\d+) participants \((\d+) words",
                       alpha)
    assert rolled is not None and list(rolled.groups()) == table["Alpha"][1:]
    assert alpha.startswith(f"This theme itself: {table['Alpha'][0]} codings")
    # A theme whose sub-themes add nothing has one set of numbers, the same on both bases.
    beta = texts[texts.index("2.2 Beta") + 1]
    assert beta == "2 codings in 2 transcripts from 2 participants (5 words)."
    assert table["Beta"] == ["2", "2", "2", "2", "5"]
    notes = "\n".join(texts)
    assert "only the first Codings column counts the theme's own codings; the columns headed “with sub-themes” " \
           "(codings, transcripts, participants, words) count them together" in notes


def test_a_theme_coded_only_through_its_sub_themes_gives_all_its_rolled_up_numbers() -> None:
    from qcode.core.analysis_tables import CodeFrequency
    from qcode.formats.reports.data import _summary
    from qcode.formats.reports.i18n import Messages

    c = CodeFrequency("A", "Alpha", 0, 0, 0, 0, 0, 0, 4, 2, 3, 3, 21)
    assert _summary(Messages("en"), c, "participants") == (
        "No passage is coded with this theme itself; with its sub-themes: 4 codings in 2 transcripts from "
        "3 participants (21 words).")
    assert _summary(Messages("fr"), c, "speakers") == (
        "Aucun passage n’est codé avec ce thème lui-même ; avec ses sous-thèmes : 4 codages dans 2 transcriptions, "
        "de 3 locuteurs (21 mots).")


def test_frequency_chart_wraps_long_theme_labels_on_two_lines_instead_of_cutting_them() -> None:
    """The demo's chart showed "Over-qualification and wasted ski…": labels now wrap (whole, on two lines
    at most), and the figure is tall enough that no two labels touch and every label is on the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from qcode.core.analysis_tables import CodeFrequency
    from qcode.formats.reports.charts import frequency_figure

    labels = ["Over-qualification and wasted skills", "North–South dependencies and outsourcing chains",
              "Pay", "Unrecognised or invisible work", "Exposure to disturbing content"]
    rows = [CodeFrequency(f"c{i}", lab, i % 2, 1, 1, 1, 1, 5, 2 + i, 1, 1, 1, 5) for i, lab in enumerate(labels)]
    fig = frequency_figure(rows)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ticks = fig.axes[0].get_yticklabels()
    shown = [t.get_text() for t in ticks]
    assert [" ".join(s.split()) for s in shown] == labels  # whole: no "…"
    assert all(s.count("\n") <= 1 for s in shown) and any("\n" in s for s in shown)
    assert all(len(line.strip()) <= 30 for s in shown for line in s.split("\n"))
    renderer = canvas.get_renderer()
    boxes = sorted((t.get_window_extent(renderer) for t in ticks), key=lambda b: b.y0)
    page = fig.bbox
    for a, b in zip(boxes, boxes[1:], strict=False):
        assert a.y1 <= b.y0, "two labels overlap"
    assert all(b.x0 >= page.x0 and b.y0 >= page.y0 and b.y1 <= page.y1 for b in boxes)


def test_a_short_table_stays_on_one_page_and_a_long_one_never_leaves_its_header_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qcode.formats.reports import docx_report

    def kept(table) -> list[bool]:
        return [all(p.paragraph_format.keep_with_next for c in r.cells for p in c.paragraphs) for r in table.rows]

    def unsplittable(table) -> bool:
        return all(r._tr.trPr is not None and r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)

    from docx.oxml.ns import qn

    doc = _write(tmp_path)
    table = _table_after(doc, "Table 1.")
    assert len(table.rows) <= docx_report.KEEP_WHOLE_ROWS
    assert kept(table) == [True] * (len(table.rows) - 1) + [False]  # each row kept with the next: one page
    assert unsplittable(table)
    monkeypatch.setattr(docx_report, "KEEP_WHOLE_ROWS", 2)  # as if every table were longer than a page
    monkeypatch.setattr(docx_report, "KEEP_FIRST_ROWS", 0)
    table = _table_after(_write(tmp_path), "Table 1.")
    assert len(table.rows) == 3  # a header and two transcripts: only the header is kept with the next row
    assert kept(table) == [True, False, False]
