"""Quotes a reader can use: shortened between words, coded span or whole turn, full text kept in spreadsheets."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from qcode.core.analysis import AnalysisData
from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding
from qcode.core.transcript import Transcript, build_text
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.excerpt import excerpt
from qcode.formats.reports.tables import write_csv

WORDS = st.lists(st.text(st.characters(blacklist_categories=("Zs", "Cc", "Cs")), min_size=1, max_size=8),
                 max_size=40)


@given(WORDS, WORDS, WORDS, st.integers(min_value=1, max_value=30))
def test_a_cut_never_falls_inside_a_word(before: list[str], coded: list[str], after: list[str], limit: int) -> None:
    b = " ".join(before) + (" " if before else "")
    c = " ".join(coded) or "x"
    a = (" " if after else "") + " ".join(after)
    ex = excerpt(b, c, a, limit)
    words = ex.text.replace("[…]", " ").split()
    assert len([w for w in ex.text.split() if w != "[…]"]) <= max(limit, 0) or not ex.cut
    source = (b + c + a).split()
    # Every word shown is a whole word of the source, in order (no word cut in two).
    it = iter(source)
    assert all(any(w == s for s in it) for w in words)
    if not ex.cut:
        assert ex.text == b + c + a
    else:
        assert "[…]" in ex.text


def test_the_coded_passage_comes_first_then_context_on_both_sides() -> None:
    ex = excerpt("one two three four ", "CODED PART", " five six seven", 6)
    assert ex.text == "[…] three four CODED PART five six […]"
    assert (ex.before, ex.coded, ex.after) == ("[…] three four ", "CODED PART", " five six […]")
    long = excerpt("", "a b c d e f g h", "", 5)
    assert long.text == "a b c d e […]" and long.cut
    assert excerpt("x ", "a b", " y", None).text == "x a b y"


def _data() -> AnalysisData:
    turn = " ".join(f"w{i}" for i in range(300))  # a 300-word unpunctuated turn
    text, turns = build_text([("I", "Tell me.", None, None), ("Ana", turn, None, None)])
    t = Transcript("t1", "Interview", text, turns, speakers={"Ana": "Ana"}, id=1)
    start = text.index("w100 ")
    end = text.index("w200 ") + len("w200")
    cb = Codebook(title="C", codes=(Code("A", {"": "Alpha"}),))
    return AnalysisData(cb, (t,), (), (Coding(1, start, end, "A", "ann", id=1),), project="p")


def test_max_words_shortens_the_report_but_not_the_spreadsheet(tmp_path: Path) -> None:
    report = build_report(_data(), ReportOptions(max_words=40))
    q = report.themes[0].quotes[0]
    assert q.excerpt.text.split()[:40] == [f"w{i}" for i in range(100, 140)] and q.excerpt.text.endswith(" […]")
    assert len(q.excerpt.text.split()) == 41
    write_csv(report, tmp_path / "q.csv")
    with (tmp_path / "q.csv").open(encoding="utf-8-sig") as fh:
        row = next(csv.DictReader(fh))
    assert row["text"] == " ".join(f"w{i}" for i in range(100, 201))  # the full coded span, 101 words


def test_whole_turn_quotes_mark_the_coded_passage() -> None:
    whole = build_report(_data(), ReportOptions(quote_mode="turn")).themes[0].quotes[0]
    assert whole.marked and whole.excerpt.before.startswith("w0 ") and whole.excerpt.after.endswith(" w299")
    assert whole.excerpt.coded.startswith("w100") and whole.excerpt.coded.endswith("w200")
    short = build_report(_data(), ReportOptions(quote_mode="turn", max_words=120)).themes[0].quotes[0]
    shown = re.sub(r"\[…\]", "", short.excerpt.text).split()
    assert len(shown) == 120 and short.excerpt.coded.endswith("w200")  # the whole coded passage, 101 words
    assert short.excerpt.before.startswith("[…] ") and short.excerpt.after.endswith(" […]")
    span = build_report(_data(), ReportOptions()).themes[0].quotes[0]
    assert not span.marked and span.excerpt.before == span.excerpt.after == ""
