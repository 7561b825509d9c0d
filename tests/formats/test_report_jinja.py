"""Markdown and HTML reports: a golden Markdown file, the sandbox, HTML escaping."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qcode.core.analysis import AnalysisData
from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding
from qcode.core.errors import ReportError
from qcode.core.transcript import Transcript, build_text
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.jinja import render, write_template_report


def _mini(label_a: str = "Alpha", quote_b: str = "beta.") -> AnalysisData:
    cb = Codebook(
        title="Mini", version="1",
        codes=(
            Code("A", {"": label_a}, definition="About alpha.", include="Yes.", examples=("an alpha",),
                 counterexamples=("a beta",)),
            Code("A1", {"": "Alpha one"}, parent="A"),
            Code("B", {"": "Beta"}),
        ),
    )
    text, turns = build_text([("Q", "Hi?", None, None), ("Amina", "Alpha and " + quote_b, None, None)])
    t = Transcript("t1", "Interview one", text, turns, speakers={"Amina": "Amina"}, id=1)
    b_start = text.index(quote_b)
    b_end = b_start + len(quote_b)
    # Coding 3 is bob's coding of the very passage ann coded B (shown once, "coded by ann, bob").
    codings = (Coding(1, 5, 10, "A", "ann", memo="first", id=1), Coding(1, b_start, b_end, "B", "ann", id=2),
               Coding(1, b_start, b_end, "B", "bob", id=3))
    return AnalysisData(cb, (t,), (), codings, project="mini")


def _report(data: AnalysisData | None = None):
    return build_report(data or _mini(), ReportOptions(title="Mini report", date="2025-01-02", qcode_version="9.9",
                                                       codebook_hash="abc123"))


# Written by hand from the data above (counts, numbering, attribution), then
# compared line by line with the output. Beta's passage is coded by ann and bob:
# two codings, one quote "coded by ann, bob".
GOLDEN = """\
# Mini report

- **Project:** mini
- **Codebook:** Mini, version 1
- **Codebook hash:** abc123
- **Coders:** ann, bob
- **Transcripts:** 1 with codings, of 1
- **Codings:** 3
- **Filters:** none (all codings)
- **Date:** 2025-01-02
- **Made with:** qcode 9.9

## 1 Codebook

**1.1 Alpha** (`A`)

About alpha.

*Include:* Yes.

*Examples:*

- “an alpha”

*Counterexamples:*

- “a beta”

**1.1.1 Alpha one** (`A1`)

**1.2 Beta** (`B`)

## 2 Theme frequencies

| Theme | Codings | With sub-themes | Transcripts | Participants | Words |
|---|--:|--:|--:|--:|--:|
| Alpha | 1 | 1 | 1 | 1 | 1 |
| ↳ Alpha one | 0 | 0 | 0 | 0 | 0 |
| Beta | 2 | 2 | 1 | 1 | 1 |

- Codings: coded passages. Transcripts, speakers and participants: how many have at least one.
- Words: words in the text the code covers; overlapping codings of one code are merged first.
- With sub-themes: a theme counts its own codings and those of all its sub-themes.
- Share of participants: participants of a group who said something coded with the theme, over the participants of that group. Speakers not linked to a participant count as persons of their own when some of their speech is coded.
- Co-occurrence: pairs of codings whose passages overlap; the diagonal holds each code's own codings.

## 3 Themes and quotes

### 3.1 Alpha

*About alpha.*

1 coding in 1 transcript from 1 participant (1 word).

> Alpha
>
> — Amina, Interview one, turn 2
>
> Memo: first

### 3.2 Beta

2 codings in 1 transcript from 1 participant (1 word).

> beta.
>
> — Amina, Interview one, turn 2 · coded by ann, bob

Themes with no coded passage: Alpha one.

## Co-occurrence of themes

Pairs of overlapping codings; the diagonal (in brackets) holds each theme's own codings.

| Theme | 1 | 2 |
|---|--:|--:|
| 1. Alpha | (1) | 0 |
| 2. Beta | 0 | (2) |

## Themes by transcript

| Theme | Interview one |
|---|--:|
| Alpha | 1 |
| ↳ Alpha one | 0 |
| Beta | 2 |
"""


def test_golden_markdown(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    write_template_report(_report(), out, "md")
    assert out.read_text(encoding="utf-8") == GOLDEN


def test_markdown_escapes_markup_in_data() -> None:
    text = render("{{ themes[1].quotes[0].text|md }} | {{ themes[0].label|cell }}",
                  _report(_mini(label_a="A*b*|c", quote_b="<script>x</script>")), "md")
    assert text == "&lt;script&gt;x&lt;/script&gt; | A\\*b\\*\\|c"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcs += [v or "" for k, v in attrs if k in ("src", "href") and v and not v.startswith("#")]


def test_html_escapes_script_in_labels_and_quotes_and_is_self_contained(tmp_path: Path) -> None:
    data = _mini(label_a="<script>alert(1)</script>", quote_b='</blockquote><img src=x onerror="alert(2)">')
    out = tmp_path / "r.html"
    charts = {"frequencies": b"\x89PNG fake", "cooccurrence": b"\x89PNG fake2"}
    write_template_report(_report(data), out, "html", charts=charts)
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags
    assert parser.tags.count("img") == 2
    assert all(s.startswith("data:image/png;base64,") for s in parser.srcs) and len(parser.srcs) == 2
    assert "Content-Security-Policy" in html


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "(line 1) uses something the sandbox forbids"),
        ("line one\n{{ cycler.__init__.__globals__ }}", "(line 2) uses something the sandbox forbids"),
        ("{{ title|attr('__class__') }}", "forbids"),
        ("{{ title.format.__globals__ }}", "forbids"),
        ("{{ 'x' * 10**9 }}", "forbids"),
        ("{{ 'x' * 100000000 }}", "forbids"),
        ("{% for i in range(10**9) %}{% endfor %}", "failed"),
        ("{{ themes.append(1) }}", "forbids"),
        ("{% include '/etc/passwd' %}", "failed"),
        ("{% for %}", "syntax error"),
        ("{{ no_such_name }}", "'no_such_name' is undefined"),
    ],
)
def test_sandbox_refuses_escapes_with_a_clear_error(template: str, fragment: str) -> None:
    with pytest.raises(ReportError) as err:
        render(template, _report(), "html", name="mine.j2")
    assert "mine.j2" in err.value.message
    assert fragment in err.value.message


def test_user_template_sees_plain_data() -> None:
    text = render("{{ title }}: {% for t in themes %}{{ t.label }}={{ t.quotes|length }};{% endfor %}", _report(), "md")
    assert text == "Mini report: Alpha=1;Beta=1;"


def test_failed_template_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    with pytest.raises(ReportError):
        write_template_report(_report(), out, "md", template_text="{{ 1/0 }}")
    assert list(tmp_path.iterdir()) == []


def test_builtin_html_has_every_theme_and_quote(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    write_template_report(_report(), out, "html")
    html = out.read_text(encoding="utf-8")
    assert re.findall(r"<h\d id=\"theme-(\w+)\">", html) == ["A", "B"]
    assert html.count("<blockquote>") == 2  # Beta's passage, coded by ann and bob, is quoted once
    assert "<footer>— Amina, Interview one, turn 2<br>" in html
    assert "<footer>— Amina, Interview one, turn 2 · coded by ann, bob</footer>" in html


def test_context_lists_the_coders_of_a_merged_quote() -> None:
    text = render("{% for t in themes %}{% for q in t.quotes %}{{ q.coders|join('+') }}/{{ q.coded_by }};{% endfor %}{% endfor %}",
                  _report(), "md")
    assert text == "ann/;ann+bob/coded by ann, bob;"


SLOW = "{% for i in range(100000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}"
"""2*10^8 empty iterations (tens of seconds), no output: only the time limit stops it early.
Finite, so a broken limit fails the test instead of hanging the suite."""


def _template_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "qcode-template"]


def test_user_template_that_runs_too_long_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    with pytest.raises(ReportError) as err:
        write_template_report(_report(), out, "md", template_text=SLOW, template_name="slow.j2", timeout=0.3)
    assert err.value.message == "Template slow.j2 took longer than 0.3 s to render; stopped."
    assert "--template-timeout" in err.value.hint
    assert list(tmp_path.iterdir()) == []
    assert _template_threads() == []  # the rendering thread was stopped, not left running


def test_time_limited_render_returns_the_text_and_passes_errors_on() -> None:
    assert render("{{ title }}", _report(), "md", timeout=30) == "Mini report"
    with pytest.raises(ReportError, match=r"mine\.j2 \(line 1\) failed: ZeroDivisionError"):
        render("{{ 1/0 }}", _report(), "md", name="mine.j2", timeout=30)
    assert _template_threads() == []


def test_shipped_templates_have_no_time_limit(tmp_path: Path) -> None:
    # timeout applies to a user's template only: a tiny one does not stop the built-in one.
    write_template_report(_report(), tmp_path / "r.md", "md", timeout=1e-9)
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == GOLDEN
