"""The codebook format registry: which names and extensions read and write what."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import CodebookError
from qcode.formats import codebook_formats as reg
from qcode.formats import codebook_tables, qdc
from qcode.formats.codebook_yaml import load_codebook

DEMO = Path(__file__).resolve().parents[2] / "codebooks" / "data-work.yaml"


def test_names_and_extensions() -> None:
    assert reg.export_formats() == ("qdc", "csv", "xlsx", "md", "docx")
    assert reg.import_extensions() == (".qdc", ".qdpx", ".qde", ".csv", ".xlsx")
    assert reg.export_format_of(Path("a/B.MD")) == "md"
    assert reg.export_format_of(Path("x.qdpx")) == ""  # read, never written
    assert reg.export_format_of(Path("x")) == ""


def test_writers_are_the_format_modules() -> None:
    cb = load_codebook(DEMO)[0]
    assert reg.writer("qdc")(cb, "fr") == qdc.export_qdc(cb)
    assert reg.writer("CSV")(cb, "fr") == codebook_tables.export_csv(cb, "fr")
    assert reg.writer("md")(cb, "") == codebook_tables.export_markdown(cb, "")
    with pytest.raises(CodebookError, match="Unknown export format 'qdpx'") as err:
        reg.writer("qdpx")
    assert err.value.hint == "Use --format with one of: qdc, csv, xlsx, md, docx."


def test_readers_by_extension(tmp_path: Path) -> None:
    cb = load_codebook(DEMO)[0]
    (tmp_path / "c.QDC").write_bytes(qdc.export_qdc(cb))
    (tmp_path / "t.csv").write_text(codebook_tables.export_csv(cb), encoding="utf-8")
    assert [c.id for c in reg.reader_for(tmp_path / "c.QDC")(tmp_path / "c.QDC").codes] == [c.id for c in cb.codes]
    assert len(reg.reader_for(tmp_path / "t.csv")(tmp_path / "t.csv")) == len(cb)
    with pytest.raises(CodebookError, match="Cannot import a codebook from 'c.md'") as err:
        reg.reader_for(tmp_path / "c.md")
    assert err.value.hint == "Use a .qdc, .qdpx, .qde, .csv or .xlsx file."
