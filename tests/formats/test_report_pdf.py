"""Word reports through LibreOffice: PDF page count, a filled contents, no header word broken mid-word.

Skips with the reason when LibreOffice, its Python bridge or poppler-utils are
absent. tests/benchmarks/report_pdf_check.py runs the same checks on the demo
report and on the shared French interviews and prints the figures.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import docx
import pytest
from docx.shared import Inches

_spec = importlib.util.spec_from_file_location(
    "report_pdf_check", Path(__file__).resolve().parents[1] / "benchmarks" / "report_pdf_check.py")
assert _spec and _spec.loader
pdf_check = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("report_pdf_check", pdf_check)  # dataclasses look their module up there
_spec.loader.exec_module(pdf_check)

REASON = pdf_check.missing_tools()
needs_libreoffice = pytest.mark.skipif(bool(REASON), reason=REASON or "LibreOffice is available")


@needs_libreoffice
def test_the_check_sees_a_header_broken_inside_a_word(tmp_path: Path) -> None:
    # What the issue saw: a column too narrow for "Casablanca" breaks it ("Casablan ca").
    doc = docx.Document()
    table = doc.add_table(rows=2, cols=2)
    table.autofit = False
    from docx.oxml import OxmlElement

    tr_pr = OxmlElement("w:trPr")
    tr_pr.append(OxmlElement("w:tblHeader"))
    table.rows[0]._tr.insert(0, tr_pr)
    for row, (a, b) in zip(table.rows, (("Theme", "Casablanca"), ("Pay", "3")), strict=True):
        row.cells[0].text, row.cells[1].text = a, b
        row.cells[0].width, row.cells[1].width = Inches(2), Inches(0.35)
    table.columns[0].width, table.columns[1].width = Inches(2), Inches(0.35)
    path = tmp_path / "bad.docx"
    doc.save(str(path))
    pdf_check.to_pdf(path, tmp_path / "bad.pdf")
    result = pdf_check.check(path, tmp_path / "bad.pdf")
    assert result.broken and "(Casablanca, page 1)" in result.broken[0]


@needs_libreoffice
def test_demo_report_as_pdf(tmp_path: Path) -> None:
    report = pdf_check.demo_report(tmp_path, "--quotes", "turn", "--max-words", "60")
    pdf = tmp_path / "demo.pdf"
    pdf_check.to_pdf(report, pdf)
    result = pdf_check.check(report, pdf)
    assert 12 <= result.pages <= 30, result.pages
    assert result.broken == [] and result.missing == []
    assert result.toc_without_page == []
    # The contents lists the sections with their pages (filled by LibreOffice at conversion).
    import subprocess

    contents = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert "Contents" in contents and "Appendix A. Codebook" in contents
    numbers = [int(line.rsplit(".", 1)[-1]) for line in contents.splitlines() if "....." in line]
    assert numbers == sorted(numbers) and numbers[0] >= 3 and numbers[-1] <= result.pages
