"""The agreement appendix of the Word, Markdown, HTML and XLSX reports (the latest kept computation)."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pytest

from qcode.usecases import agreement, coding
from qcode.usecases.project import Project
from qcode.usecases.reporting import ReportRequest, generate_report


@pytest.fixture
def agreed(project: Project) -> dict:
    for coder, end in (("amina", 49), ("bob", 60)):
        coding.apply_code(project, "interview-01", 41, end, "instability", coder=coder)
        coding.apply_code(project, "interview-01", 150, 161, "piece-rates", coder=coder)
    return agreement.compute(project, resamples=50, min_codings=1)


def test_reports_carry_the_latest_agreement(project: Project, agreed: dict, tmp_path: Path) -> None:
    inst = next(c for c in agreed["codes"] if c["code"] == "instability")
    alpha = f"{inst['alpha']:.3f}"
    md = generate_report(project, ReportRequest("md", tmp_path / "r.md"))
    text = md.read_text(encoding="utf-8")
    assert re.search(r"^## Appendix [A-Z]\. Agreement between coders$", text, re.M)
    assert "amina, bob" in text and alpha in text and "not reliable" in text and "overall (2 codes judged, stacked)" in text
    html = generate_report(project, ReportRequest("html", tmp_path / "r.html")).read_text(encoding="utf-8")
    assert "Agreement between coders" in html and alpha in html
    d = docx.Document(str(generate_report(project, ReportRequest("docx", tmp_path / "r.docx"))))
    assert any(p.text.endswith(". Agreement between coders") for p in d.paragraphs)
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    assert alpha in cells and "reliable" in cells
    wb = openpyxl.load_workbook(generate_report(project, ReportRequest("xlsx", tmp_path / "r.xlsx")))
    ws = wb["Agreement"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("code", "label", "percent", "positive", "kappa", "alpha")
    assert rows[1][0] == "instability" and rows[1][5] == pytest.approx(inst["alpha"])


def test_no_agreement_no_section(project: Project, tmp_path: Path) -> None:
    text = generate_report(project, ReportRequest("md", tmp_path / "r.md")).read_text(encoding="utf-8")
    assert "Agreement between coders" not in text
    wb = openpyxl.load_workbook(generate_report(project, ReportRequest("xlsx", tmp_path / "r.xlsx")))
    assert "Agreement" not in wb.sheetnames


def test_agreement_table_headers_never_break_inside_a_word(project: Project, agreed: dict, tmp_path: Path) -> None:
    from docx.oxml.ns import qn

    from qcode.formats.reports.layout import word_need

    d = docx.Document(str(generate_report(project, ReportRequest("docx", tmp_path / "r.docx"))))
    table = next(t for t in d.tables if t.rows[0].cells[0].text == "Code" and "Agreement" in t.rows[0].cells[1].text)
    grid = [int(c.get(qn("w:w"))) / 1440 for c in table._tbl.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}")]
    for cell, width in zip(table.rows[0].cells[1:], grid[1:], strict=True):
        assert word_need(cell.text) <= width + 0.01, cell.text
    interval = next(c.text for row in table.rows[1:] for c in row.cells if c.text.startswith("["))
    assert re.fullmatch(r"\[-?\d\.\d\d, -?\d\.\d\d\]", interval) and "-0.00" not in interval


def test_a_french_xlsx_names_the_agreement_sheet_and_columns_in_french(project: Project, agreed: dict, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(generate_report(project, ReportRequest("xlsx", tmp_path / "r.xlsx", lang="fr")))
    assert "Agreement" not in wb.sheetnames
    rows = list(wb["Accord"].iter_rows(values_only=True))
    assert rows[0] == ("Code", "Libellé", "Accord (%)", "Accord positif", "Kappa", "Alpha", "Alpha (borne basse)",
                       "Alpha (borne haute)", "Lecture", "Codages", "Cellules neutralisées")
    inst = next(c for c in agreed["codes"] if c["code"] == "instability")
    assert rows[1][0] == "instability" and rows[1][5] == pytest.approx(inst["alpha"])


def test_a_french_report_s_agreement_appendix_is_in_french(project: Project, agreed: dict, tmp_path: Path) -> None:
    text = generate_report(project, ReportRequest("md", tmp_path / "r.md", lang="fr")).read_text(encoding="utf-8")
    section = text[text.rindex("Accord entre codeurs"):]  # (the last one: the appendix, after the contents)
    assert "Alpha de Krippendorff" in section and "amina, bob" in section and "unité : caractère" in section
    inst = next(c for c in agreed["codes"] if c["code"] == "instability")
    assert f"{inst['alpha']:.3f}".replace(".", ",") in section  # French numbers
    assert re.search(r"\\\[\d,\d\d\u00a0;\u00a0\d,\d\d\\\]", section)  # an interval with decimal commas, on one line
    assert "ensemble (2 codes jugés, empilés)" in section and "non fiable" in section and "| Lecture |" in section
    assert "overall (" not in section and "not reliable" not in section
    d = docx.Document(str(generate_report(project, ReportRequest("docx", tmp_path / "r.docx", lang="fr"))))
    header = next(t for t in d.tables if t.rows[0].cells[0].text == "Code" and t.rows[0].cells[1].text == "Accord")
    assert [c.text for c in header.rows[0].cells] == ["Code", "Accord", "Kappa", "Alpha", "IC 95\u00a0%", "Lecture"]
    # No-break spaces reach the file, and the interval column is as wide as a whole interval: none wraps.
    from docx.shared import Inches

    from qcode.formats.reports.layout import CELL_PADDING, text_width

    col = [r.cells[4].text for r in header.rows[1:] if r.cells[4].text]
    assert col and all(re.fullmatch(r"\[-?\d,\d\d\u00a0;\u00a0-?\d,\d\d\]", c) for c in col)
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    body = header.rows[-1].cells  # the overall row: every cell filled
    assert [c.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT for c in body] == [False] + [True] * 4 + [False]
    width = header.columns[4].width or header.rows[1].cells[4].width
    assert width >= Inches(max(text_width(c) for c in col) + CELL_PADDING) - Inches(0.01)
    assert any(p.text.startswith("Calculé le ") for p in d.paragraphs)
