"""`qcode report` and `qcode stats` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from qcode.usecases import coding as uc
from qcode.usecases.project import Project
from tests.helpers import run_cli as run


@pytest.fixture
def proj(project_dir: Path) -> str:
    with Project.open(project_dir) as p:
        t = p.transcript("interview-01")
        for phrase, code in (("Unstable.", "instability"), ("Piece rates, very low.", "piece-rates"),
                             ("Piece rates", "pay")):
            i = t.text.index(phrase)
            uc.apply_code(p, "interview-01", i, i + len(phrase), code)
    return str(project_dir)


def test_report_docx_from_the_extension(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.docx"
    code, stdout, err = run(capsys, "report", "-p", proj, "-o", str(out), "--by", "kind", "--date", "2025-03-31",
                            "--title", "My study")
    assert code == 0, err
    assert f"Wrote {out}" in stdout
    doc = docx.Document(str(out))
    assert doc.paragraphs[0].text == "My study"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["1 Corpus", "2 Findings by theme"] and "3.2 Themes by kind" in headings


def test_report_csv_with_filters(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q.csv"
    code, _, err = run(capsys, "-p", proj, "report", "--format", "csv", "-o", str(out), "--code", "pay",
                       "--where", "speaker=Amina", "--coder", "tester")
    assert code == 0, err
    assert "prefixed" not in err  # no cell of this project starts with = + - @
    text = out.read_text(encoding="utf-8-sig")
    assert "Piece rates, very low." in text and "Unstable." not in text
    assert (tmp_path / "q-frequencies.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_report_says_how_many_cells_were_neutralised(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     fmt: str) -> None:
    with Project.open(Path(proj)) as p:
        first, second = (c.id for c in p.store.codings.iter() if c.code_id in ("instability", "pay"))
        uc.set_memo(p, first, "=1+1 looks like a formula")
        uc.set_memo(p, second, "-- a dialogue dash")
    out = tmp_path / f"q.{fmt}"
    code, stdout, err = run(capsys, "-p", proj, "report", "-f", fmt, "-o", str(out))
    assert code == 0, err
    assert f"Wrote {out}." in stdout
    # Two memo cells in the quotes table, nothing else: counted by hand.
    assert "2 cells starting with = + - @ (or TAB/CR) were prefixed with '" in err
    with Project.open(Path(proj)) as p:
        uc.set_memo(p, second, "")
    code, _, err = run(capsys, "-p", proj, "report", "-f", fmt, "-o", str(out))
    assert code == 0 and "1 cell starting with = + - @ (or TAB/CR) was prefixed with '" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "r.pdf"], "Cannot tell the report format from 'r.pdf'"),
        (["-o", "r.docx", "--code", "paye"], "Did you mean 'pay'"),
        (["-o", "r.docx", "--where", "country"], "is not ATTRIBUTE=VALUE"),
        (["-o", "r.md", "--date", "tomorrow"], "is not YYYY-MM-DD"),
    ],
)
def test_report_errors_exit_2_without_traceback(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                args: list[str], message: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = [str(out_dir / a) if a.startswith("r.") else a for a in args]
    code, _, err = run(capsys, "-p", proj, "report", *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_user_template_time_limit(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slow = tmp_path / "slow.j2"
    # About 2*10^8 empty loop steps (tens of seconds) that print nothing.
    slow.write_text("{% for i in range(100000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = run(capsys, "report", "-p", proj, "-o", str(out_dir / "r.md"), "--template", str(slow),
                       "--template-timeout", "0.3")
    assert code == 2
    assert "Template slow.j2 took longer than 0.3 s to render; stopped." in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []
    code, _, err = run(capsys, "report", "-p", proj, "-o", str(out_dir / "r.md"), "--template", str(slow),
                       "--template-timeout", "0")
    assert code == 2 and "--template-timeout" in err


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ title|nosuchfilter }}", "Template mine.j2 (line 1) has a syntax error: No filter named 'nosuchfilter'.\n"),
        ("# {{ title }}\n{% include 'other.j2' %}", "Template mine.j2 (line 2) uses {% include %}: a report template "
                                                    "must be a single file"),
        ("{% for t in themes %}\n- {{ t.lable }}\n{% endfor %}",
         "Template mine.j2 (line 2): this value has no field 'lable'. Did you mean 'label'?\n"
         "Its fields: code, label, depth,"),
    ],
)
def test_user_template_errors(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str,
                              message: str) -> None:
    (tmp_path / "mine.j2").write_text(template, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = run(capsys, "report", "-p", proj, "-o", str(out_dir / "r.md"), "--template", str(tmp_path / "mine.j2"))
    assert code == 2
    assert message in err and ".." not in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_stats_frequencies_table_and_json(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-p", proj, "stats", "frequencies")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Code", "Own", "codings", "Codings*", "Transcripts*", "Participants*", "Speakers*", "Words*"]
    assert lines[-1].startswith("* with sub-themes: a code counts its own codings and those of all its sub-codes")
    pay = next(line for line in lines if line.startswith("Pay "))
    assert pay.split()[1:3] == ["1", "2"]  # own coding, and with its sub-code piece-rates
    code, out, _ = run(capsys, "-p", proj, "stats", "frequencies", "--json")
    rows = {r["code_id"]: r for r in json.loads(out)}
    assert (rows["pay"]["codings"], rows["pay"]["total_codings"], rows["invisible-work"]["codings"]) == (1, 2, 0)


def test_stats_crosstab_and_cooccurrence(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-p", proj, "stats", "crosstab", "--by", "speaker", "--json")
    table = json.loads(out)
    assert table["groups"] == ["Amina"]
    code, out, _ = run(capsys, "-p", proj, "stats", "cooccurrence", "--json")
    m = json.loads(out)
    assert m["codes"] == ["instability", "pay", "piece-rates"]
    # "Piece rates" (pay) lies inside the piece-rates coding; "Unstable." overlaps nothing.
    assert m["values"] == [[1, 0, 0], [0, 1, 1], [0, 1, 1]]
    code, out, _ = run(capsys, "-p", proj, "stats", "frequencies", "--by", "speaker")
    assert code == 0 and "Amina" in out.splitlines()[0]


def test_stats_unknown_attribute(proj: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "-p", proj, "stats", "crosstab", "--by", "contry")
    assert code == 2 and "Unknown attribute 'contry'" in err


def test_help_ends_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["report", "--help"], ["stats", "--help"], ["stats", "crosstab", "--help"]):
        code, out, _ = run(capsys, *args)
        assert code == 0 and "Example:" in out


def test_report_language_and_quote_options(proj: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.md"
    code, _, err = run(capsys, "-p", proj, "report", "-o", str(out), "--lang", "fr", "--max-words", "5",
                       "--quotes", "turn", "--include-interviewers", "--date", "2025-03-31")
    assert code == 0, err
    md = out.read_text(encoding="utf-8")
    assert "## 2 Résultats par thème" in md and "31 mars 2025" in md
    assert "> **Unstable.** Some weeks there is \\[…\\]\n" in md  # the coded part in bold, its turn cut at 5 words
    assert "tour de parole entier, 5 mots au plus" in md
    assert "Les enquêteurs sont comptés comme des personnes" in md
    code, _, err = run(capsys, "-p", proj, "report", "-o", str(out), "--lang", "xx")
    assert code == 2 and "No report text in language 'xx'" in err
