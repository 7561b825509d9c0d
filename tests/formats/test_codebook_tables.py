"""Codebook tables: CSV/XLSX import (code path, description, colour) and exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import CodebookError
from qcode.formats import codebook_tables as tables
from qcode.formats.codebook_yaml import load_codebook

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo():
    return load_codebook(REPO / "codebooks" / "data-work.yaml")[0]


def test_import_minimal_csv_builds_the_tree(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(
        "Code path;Description;Colour\nPay;How work is paid;#8c564b\nPay > Piece rates;Per task;\n"
        "Control/Surveillance;Watching;ff0000\n",
        encoding="utf-8",
    )
    cb = tables.import_table(path)
    assert [(c.id, c.parent) for c in cb] == [
        ("pay", None), ("piece-rates", "pay"), ("control", None), ("surveillance", "control")]
    assert cb.get("pay").definition == "How work is paid" and cb.get("pay").color == "#8c564b"
    assert cb.get("surveillance").color == "#ff0000"
    assert cb.title == "codes"


def test_csv_export_import_round_trip(tmp_path: Path, demo) -> None:
    path = tmp_path / "cb.csv"
    path.write_text(tables.export_csv(demo, "en"), encoding="utf-8")
    back = tables.import_table(path)
    assert back.ids == demo.ids
    for a, b in zip(demo, back, strict=True):
        assert (a.parent, a.color, a.definition, a.include, a.exclude, a.examples) == (
            b.parent, b.color, b.definition, b.include, b.exclude, b.examples)
        assert b.label == {"": a.display("en")}


def test_xlsx_export_import_round_trip(tmp_path: Path, demo) -> None:
    path = tmp_path / "cb.xlsx"
    path.write_bytes(tables.export_xlsx(demo, "fr"))
    back = tables.import_table(path)
    assert back.ids == demo.ids
    assert back.get("job-instability").label == {"": "Instabilité de l'emploi"}


def test_formula_cells_neutralised(tmp_path: Path) -> None:
    from qcode.core.codebook import Code, Codebook

    cb = Codebook(codes=(Code(id="a", label={"": "=HYPERLINK(\"x\")"}, definition="+1"),))
    text = tables.export_csv(cb)
    assert "'=HYPERLINK" in text and ",'+1," in text
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    back = tables.import_table(path)
    assert back.codes[0].definition == "+1"


@pytest.mark.parametrize(
    ("content", "needle"),
    [("Name of thing,Other\nx,y\n", "Pay"), ("", "empty"), ("code path,colour\nA,blue\n", "row 2: 'blue' is not a colour"),
     ("code path\n\nA\n,\n", None)],
)
def test_bad_tables(tmp_path: Path, content: str, needle: str | None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    if needle is None:  # blank rows are skipped
        assert tables.import_table(path).ids == ["a"]
        return
    with pytest.raises(CodebookError) as info:
        tables.import_table(path)
    if needle == "Pay":
        assert "no 'code path' column" in info.value.message
    else:
        assert needle in info.value.message


def test_markdown_export(demo) -> None:
    md = tables.export_markdown(demo, "en")
    assert md.startswith("# Data work in Europe\n")
    assert "## Job instability (`job-instability`)" in md
    assert "### Unpredictable income (`unpredictable-income`)" in md
    assert "**Exclude.** Talk about how much a task pays" in md


def test_word_export_has_a_table_per_theme(tmp_path: Path, demo) -> None:
    import docx

    path = tmp_path / "cb.docx"
    path.write_bytes(tables.export_docx(demo, "en"))
    doc = docx.Document(str(path))
    assert len(doc.tables) == len(demo.roots())
    first = doc.tables[0]
    assert [c.text for c in first.rows[0].cells] == ["Code", "Definition", "Include", "Exclude", "Examples"]
    assert first.rows[1].cells[0].text == "Job instability"
    assert first.rows[2].cells[0].text.strip() == "Unpredictable income"
    assert "“I never know if there will be work next week.”" in first.rows[1].cells[4].text
