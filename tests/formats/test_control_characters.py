"""Finding 6 of issue 14: control characters in code labels are refused on reading, and writers defend anyway."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from qcode.core import Code, Codebook
from qcode.core.errors import CodebookError
from qcode.formats.codebook_yaml import check_codebook, load_codebook

BAD = "Pay \x1b]52;c;ZWNobw==\x07"


@pytest.mark.parametrize(("yaml_value", "where"), [
    ('"Pay \\e]52;c;ZWNobw==\\a"', "label"),
    ('"Pay \\x9b2J"', "label"),
    ('"Pay \\u202eyap"', "label"),
])
def test_codebook_check_and_load_refuse_control_characters_in_labels(tmp_path: Path, yaml_value: str, where: str) -> None:
    f = tmp_path / "cb.yaml"
    f.write_text(f"codes:\n  - id: ok\n    label: Fine\n  - id: pay\n    label: {yaml_value}\n", encoding="utf-8")
    [problem] = check_codebook(f)
    assert (problem.line, problem.path) == (5, "codes[1].label") and "control character" in problem.message
    with pytest.raises(CodebookError, match="line 5|:5:"):
        load_codebook(f)


def test_definitions_keep_line_breaks_and_tabs_but_not_escapes(tmp_path: Path) -> None:
    f = tmp_path / "cb.yaml"
    f.write_text('codes:\n  - id: a\n    label: A\n    definition: "two\\nlines\\tand a tab"\n', encoding="utf-8")
    assert check_codebook(f) == []
    f.write_text('codes:\n  - id: a\n    label: A\n    definition: "bell \\a"\n', encoding="utf-8")
    [problem] = check_codebook(f)
    assert problem.path == "codes[0].definition"


def _hostile() -> Codebook:
    """A codebook as an older qcode may have stored it (labels were not checked then)."""
    return Codebook(title="T\x01", codes=(
        Code("pay", {"": BAD}, definition="d\x00x", examples=("e\x0b",)),
        Code("sub", {"": "Sub\x08"}, parent="pay"),
    ))


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_codebook_writers_do_not_crash_on_control_characters(fmt: str) -> None:
    from qcode.formats import codebook_tables

    data = getattr(codebook_tables, f"export_{fmt}")(_hostile(), "")
    if fmt == "xlsx":
        import openpyxl

        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        assert any("Pay \ufffd]52" in str(c.value) for row in ws.iter_rows() for c in row)
    else:
        import docx

        doc = docx.Document(io.BytesIO(data))
        assert any("Pay \ufffd]52" in c.text for t in doc.tables for r in t.rows for c in r.cells)


@pytest.mark.filterwarnings("error::UserWarning")  # matplotlib: "Glyph 27 missing" means a control character reached a chart
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_reports_do_not_crash_on_control_characters(project, tmp_path: Path, fmt: str) -> None:
    from qcode.usecases import coding, reporting

    code = project.codebook.get("pay")
    project.store.codes.upsert([dataclasses.replace(code, label={"": BAD}, definition="d\x01")], start_position=1)
    project.invalidate(codebook=True)
    coding.apply_code(project, "interview-01", 0, 12, "pay", memo="memo \x1b[2J")
    out = tmp_path / f"r.{fmt}"
    reporting.run_report(project, reporting.ReportRequest(fmt, out))
    assert out.stat().st_size > 0


def test_adding_a_code_with_a_control_character_is_refused(project) -> None:
    from qcode.usecases.codebook import add_code

    before = (project.root / "codebook.yaml").read_text(encoding="utf-8")
    with pytest.raises(CodebookError, match="control character"):
        add_code(project, BAD, None)
    assert (project.root / "codebook.yaml").read_text(encoding="utf-8") == before
