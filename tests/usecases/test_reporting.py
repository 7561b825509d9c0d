"""Reports from a real project: every format, filters, reproducibility, clear errors."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from qcode.core.analysis import Filters
from qcode.core.errors import NotFoundError, ReportError
from qcode.core.transcript import Participant
from qcode.usecases import coding as uc
from qcode.usecases.project import Project
from qcode.usecases.reporting import (
    ReportRequest,
    generate_report,
    load_analysis_data,
    parse_where,
    report_date,
    run_report,
)


def _code(project: Project, phrase: str, code: str, coder: str = "tester") -> None:
    t = project.transcript("interview-01")
    i = t.text.index(phrase)
    uc.apply_code(project, "interview-01", i, i + len(phrase), code, coder=coder)


@pytest.fixture
def coded(project: Project) -> Project:
    _code(project, "Unstable.", "instability")
    _code(project, "Piece rates, very low.", "piece-rates")
    _code(project, "You are paid per task", "pay", coder="other")
    tid = project.store.transcripts.find("interview-01")
    project.store.participants.link_speaker(tid, "Amina", "Amina")
    project.store.participants.upsert(Participant("Amina", {"country": "Kenya"}))
    project.invalidate()
    return project


def test_load_analysis_data_reads_everything(coded: Project) -> None:
    data = load_analysis_data(coded)
    assert [t.name for t in data.transcripts] == ["interview-01"]
    assert sorted(c.code_id for c in data.codings) == ["instability", "pay", "piece-rates"]
    assert data.participants[0].attributes == {"country": "Kenya"}
    assert data.transcripts[0].speakers["Amina"] == "Amina"
    assert "country" in data.attribute_names()


def test_load_accepts_a_transcript_file_name(coded: Project) -> None:
    request = ReportRequest("md", Path("x.md"), transcripts=["interview-01.txt"])
    data = load_analysis_data(coded, request)
    assert request.transcripts == ["interview-01"]
    assert len(data.transcripts) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"codes": ["pai"]}, "Unknown code 'pai'"),
        ({"coders": ["nobody"]}, "No codings by coder 'nobody'"),
        ({"by": ["contry"]}, "Did you mean 'country'"),
        ({"transcripts": ["interview-02"]}, "No transcript 'interview-02'"),
    ],
)
def test_unknown_names_are_clear_errors_and_write_nothing(coded: Project, tmp_path: Path, kwargs: dict, message: str) -> None:
    out = tmp_path / "r.docx"
    with pytest.raises(NotFoundError, match=message):
        generate_report(coded, ReportRequest("docx", out, **kwargs))
    assert not out.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "pdf"}, "Unknown report format 'pdf'"),
        ({"format": "docx", "template": Path("t.j2")}, "--template works with --format md or html only"),
        ({"format": "md", "reference_docx": Path("r.docx")}, "--reference-docx works with --format docx only"),
        ({"format": "md", "date": "31/03/2025"}, "is not YYYY-MM-DD"),
        ({"format": "md", "template": Path("missing.j2")}, "Template missing.j2 not found"),
    ],
)
def test_bad_requests(coded: Project, tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        generate_report(coded, ReportRequest(output=tmp_path / "r.out", **kwargs))
    assert list(tmp_path.glob("r.*")) == []


@pytest.mark.parametrize("fmt", ["docx", "md", "html", "csv", "xlsx"])
def test_every_format_is_written_with_progress(coded: Project, tmp_path: Path, fmt: str) -> None:
    seen: list[tuple[int, int, str]] = []
    out = generate_report(coded, ReportRequest(fmt, tmp_path / f"r.{fmt}", by=["country"], date="2025-03-31"),
                          lambda d, t, label: seen.append((d, t, label)))
    assert out == tmp_path / f"r.{fmt}" and out.stat().st_size > 0
    assert seen[-1][0] == seen[-1][1] and all(d <= t for d, t, _ in seen)
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)


def test_run_report_lists_the_files_and_counts_neutralised_cells(coded: Project, tmp_path: Path) -> None:
    result = run_report(coded, ReportRequest("csv", tmp_path / "q.csv"))
    assert result.path == tmp_path / "q.csv" and result.neutralised == 0
    assert sorted(p.name for p in result.files) == sorted(
        ["q.csv", "q-frequencies.csv", "q-cooccurrence.csv", "q-by-transcript.csv", "q-codebook.csv"])
    coded.store.participants.upsert(Participant("Amina", {"country": "-Kenya"}))
    coded.invalidate()
    # '-Kenya' in the country column of the three quotes Amina said.
    assert run_report(coded, ReportRequest("xlsx", tmp_path / "q.xlsx")).neutralised == 3
    assert run_report(coded, ReportRequest("md", tmp_path / "q.md")).files == (tmp_path / "q.md",)


def test_filters_reach_the_report(coded: Project, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    generate_report(coded, ReportRequest("xlsx", out, codes=["pay"], coders=["tester"], where={"country": ["kenya"]}))
    rows = list(openpyxl.load_workbook(out)["Quotes"].iter_rows(values_only=True))
    header = rows[0]
    assert [r[header.index("text")] for r in rows[1:]] == ["Piece rates, very low."]
    about = {r[0]: r[1] for r in openpyxl.load_workbook(out)["About"].iter_rows(values_only=True)}
    assert about["Filters"] == "codes: pay (with sub-codes); coders: tester; country = kenya"


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in sorted(z.namelist())}


def test_same_project_and_options_give_the_same_content(coded: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1743379200")  # 2025-03-31
    a = generate_report(coded, ReportRequest("docx", tmp_path / "a.docx", by=["country"]))
    b = generate_report(coded, ReportRequest("docx", tmp_path / "b.docx", by=["country"]))
    assert _parts(a) == _parts(b)
    assert a.read_bytes() == b.read_bytes()
    assert "31 March 2025" in "\n".join(p.text for p in docx.Document(str(a)).paragraphs)
    m1 = generate_report(coded, ReportRequest("md", tmp_path / "a.md"))
    m2 = generate_report(coded, ReportRequest("md", tmp_path / "b.md"))
    assert m1.read_text() == m2.read_text() and "**Date:** 31 March 2025" in m1.read_text()


def test_user_template(coded: Project, tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{% for t in themes %}{{ t.label }}: {{ t.quotes|length }}\n{% endfor %}", encoding="utf-8")
    out = generate_report(coded, ReportRequest("md", tmp_path / "r.md", template=tmp_path / "t.j2"))
    assert out.read_text() == "Job instability: 1\nPay: 1\nPiece rates: 1\n"


@pytest.mark.skipif(sys.platform != "linux", reason="the template memory limit uses RLIMIT_AS (Linux)")
def test_user_template_memory_limit_comes_from_the_settings(coded: Project, tmp_path: Path) -> None:
    coded.settings.template_memory_mb = 48
    (tmp_path / "t.j2").write_text("{{ ('x' * 3000).replace('x', 'y' * 100000)|length }}", encoding="utf-8")
    out = tmp_path / "r.md"
    with pytest.raises(ReportError, match="used more than 48 MB"):
        generate_report(coded, ReportRequest("md", out, template=tmp_path / "t.j2"))
    assert not out.exists()


def test_existing_report_survives_a_failure(coded: Project, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    out.write_text("previous report")
    (tmp_path / "t.j2").write_text("{{ ''.__class__ }}", encoding="utf-8")
    with pytest.raises(ReportError):
        generate_report(coded, ReportRequest("md", out, template=tmp_path / "t.j2"))
    assert out.read_text() == "previous report"


def test_parse_where_and_report_date(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_where(["country=Kenya", "country = France", "gender=f"]) == {"country": ["Kenya", "France"], "gender": ["f"]}
    with pytest.raises(ReportError, match="is not ATTRIBUTE=VALUE"):
        parse_where(["country"])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert report_date() == "1970-01-01"
    assert report_date("2024-02-29") == "2024-02-29"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(ReportError, match="SOURCE_DATE_EPOCH"):
        report_date()


def test_load_with_plain_filters(coded: Project) -> None:
    data = load_analysis_data(coded, Filters(coders=("other",)))
    assert len(data.codings) == 3  # filters are applied by the analyses, not at load


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "html", "md", "csv"])
def test_reports_are_byte_for_byte_reproducible(coded: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                fmt: str) -> None:
    import time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1743379200")  # 2025-03-31 00:00 UTC
    real = time.time
    a = run_report(coded, ReportRequest(fmt, tmp_path / f"a.{fmt}", by=["country"]))
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86400 + 7)  # the wall clock moves on between runs
    b = run_report(coded, ReportRequest(fmt, tmp_path / f"b.{fmt}", by=["country"]))
    assert [p.read_bytes() for p in a.files] == [p.read_bytes() for p in b.files]
    if fmt in ("docx", "xlsx"):
        with zipfile.ZipFile(a.path) as z:
            assert {i.date_time for i in z.infolist()} == {(2025, 3, 31, 0, 0, 0)}
            core = z.read("docProps/core.xml").decode()
        assert re.search(r"<dcterms:created[^>]*>2025-03-31T00:00:00Z<", core)
        assert re.search(r"<dcterms:modified[^>]*>2025-03-31T00:00:00Z<", core)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1743465600")  # a day later: a different report
    c = run_report(coded, ReportRequest(fmt, tmp_path / f"c.{fmt}", by=["country"]))
    assert (c.path.read_bytes() != a.path.read_bytes()) == (fmt != "csv")  # the CSV holds no date


def test_charts_only_when_they_carry_information(coded: Project) -> None:
    from qcode.formats.reports.data import ReportOptions, build_report
    from qcode.usecases.reporting import _charts

    data = load_analysis_data(coded)
    report = build_report(data, ReportOptions(by=("country",)))
    # No two codings overlap: no co-occurrence chart (it would be blank).
    assert sorted(_charts(report, {}, lambda *a: None)) == ["frequencies", "groups-0"]
    assert report.heatmap.codes == ()
    _code(coded, "Piece rates", "pay")  # inside the piece-rates coding
    report = build_report(load_analysis_data(coded), ReportOptions(by=("country",)))
    assert sorted(_charts(report, {}, lambda *a: None)) == ["cooccurrence", "frequencies", "groups-0"]
    assert report.heatmap.codes == ("pay", "piece-rates")
    lone = build_report(data, ReportOptions(filters=Filters(codes=("instability",))))
    assert sorted(_charts(lone, {}, lambda *a: None)) == ["frequencies"]


def test_interviewers_are_left_out_unless_asked(coded: Project, tmp_path: Path) -> None:
    data = load_analysis_data(coded)
    t = data.transcripts[0]
    assert data.interviewers == {(t.id, "Interviewer")}
    assert load_analysis_data(coded, ReportRequest("md", tmp_path / "x.md", include_interviewers=True)).interviewers == set()
    out = generate_report(coded, ReportRequest("md", tmp_path / "r.md", include_interviewers=True))
    assert "Interviewers are counted as people" in out.read_text(encoding="utf-8")


def test_report_options_are_checked(coded: Project, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="No report text in language 'xx'"):
        generate_report(coded, ReportRequest("md", tmp_path / "r.md", lang="xx"))
    with pytest.raises(ReportError, match="too short"):
        generate_report(coded, ReportRequest("md", tmp_path / "r.md", max_words=2))
    with pytest.raises(ReportError, match="Unknown quote mode"):
        generate_report(coded, ReportRequest("md", tmp_path / "r.md", quote_mode="sentence"))
    assert not (tmp_path / "r.md").exists()


def test_formats_come_from_the_writer_registry(coded: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace as changed

    from qcode.formats.reports.writers import WRITERS, ReportFiles, ReportWriter
    from qcode.usecases.reporting import FORMATS

    assert FORMATS == ("docx", "md", "html", "csv", "xlsx")
    calls: dict[str, object] = {}

    def spy(name: str):
        def write(report, output, options):
            calls[name] = options
            output.write_text(report.title, encoding="utf-8")
            return ReportFiles((output, output.with_suffix(".extra")), 3)
        return write

    monkeypatch.setitem(WRITERS, "txt", ReportWriter("txt", ".txt", spy("txt"), templates=True))
    monkeypatch.setitem(WRITERS, "html", changed(WRITERS["html"], write=spy("html")))
    monkeypatch.setitem(WRITERS, "md", changed(WRITERS["md"], write=spy("md")))
    (tmp_path / "t.j2").write_text("{{ report.title }}", encoding="utf-8")
    result = run_report(coded, ReportRequest("txt", tmp_path / "r.txt", template=tmp_path / "t.j2", title="T"))
    assert (result.path, result.files, result.neutralised) == (tmp_path / "r.txt", (tmp_path / "r.txt", tmp_path / "r.extra"), 3)
    assert (tmp_path / "r.txt").read_text(encoding="utf-8") == "T"
    assert calls["txt"].template_text == "{{ report.title }}" and calls["txt"].charts is None
    run_report(coded, ReportRequest("html", tmp_path / "r.html", template_timeout=5))
    run_report(coded, ReportRequest("md", tmp_path / "r.md"))
    assert set(calls["html"].charts) >= {"frequencies"} and calls["html"].timeout == 5
    assert calls["md"].charts is None and calls["md"].memory_mb == coded.settings.template_memory_mb
