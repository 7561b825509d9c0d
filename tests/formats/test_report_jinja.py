"""Markdown and HTML reports: a golden Markdown file, the sandbox, HTML escaping, time and memory limits."""

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
from qcode.formats.reports import template_process
from qcode.formats.reports.data import ReportOptions, build_report
from qcode.formats.reports.jinja import (
    builtin_template,
    make_environment,
    render,
    write_template_report,
)


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


# Checked by hand against the data above (counts, numbering, attribution, the
# sections in registry order with consecutive numbers), line by line. Beta's passage is coded by ann and bob:
# two codings, one quote "coded by ann, bob".
GOLDEN = """\
# Mini report

Report on coded interviews · 2 January 2025

- **Project:** mini
- **Codebook:** Mini, version 1
- **Codebook hash:** abc123
- **Coders:** ann, bob
- **Transcripts:** 1 with codings, of 1
- **Codings:** 3
- **Filters:** none (all codings)
- **Quotes:** coded passage
- **Interviewers:** left out of the counts of people
- **Language:** en-GB
- **Date:** 2 January 2025
- **Made with:** qcode 9.9

## Contents

- 1 Corpus
- 2 Findings by theme
  - 2.1 Alpha
  - 2.2 Beta
- 3 Analysis tables and charts
  - 3.1 Theme frequencies
  - 3.2 Co-occurrence of themes
  - 3.3 Themes by transcript
- Appendix A. Codebook

## 1 Corpus

The report covers 1 transcript (1 interview), 4 words in all, coded by ann and bob (3 codings).

The participant data describes 1 participant; shares in the tables are shares of participants.

| Transcript | Kind | Words | Participants | Codings |
|---|---|--:|--:|--:|
| Interview one | interview | 4 | 1 | 3 |

## 2 Findings by theme

Each theme lists its coded passages, with who said them and where. Quotes show the coded passage.

### 2.1 Alpha

*About alpha.*

1 coding in 1 transcript from 1 participant (1 word).

> Alpha
>
> — Amina, Interview one, turn 2 · coded by ann
>
> Memo: first

### 2.2 Beta

2 codings in 1 transcript from 1 participant (1 word).

> beta.
>
> — Amina, Interview one, turn 2 · coded by ann, bob

Themes with no coded passage: Alpha one.

## 3 Analysis tables and charts

### 3.1 Theme frequencies

| Theme | Codings | Codings, with sub-themes | Transcripts, with sub-themes | Participants, with sub-themes | Words, with sub-themes |
|---|--:|--:|--:|--:|--:|
| Alpha | 1 | 1 | 1 | 1 | 1 |
| ↳ Alpha one | 0 | 0 | 0 | 0 | 0 |
| Beta | 2 | 2 | 1 | 1 | 1 |

**How to read the numbers**

- Codings: coded passages. Transcripts, participants: how many have at least one.
- Words: words in the text the code covers; overlapping codings of one code are merged first.
- With sub-themes: a theme counts its own codings and those of all its sub-themes (a word covered by several of them counts once). In the frequency table only the first Codings column counts the theme's own codings; the columns headed “with sub-themes” (codings, transcripts, participants, words) count them together. Each theme's section in the findings gives both counts.
- Share: participants of a group who said something coded with the theme, over all participants of that group in the transcripts, coded or not.
- Interviewers are left out of the counts of people.
- Co-occurrence: pairs of codings whose passages overlap; the diagonal holds each theme's own codings.

### 3.2 Co-occurrence of themes

No two themes overlap in the coded passages: there is no co-occurrence to chart.

### 3.3 Themes by transcript

| Theme | 1 |
|---|--:|
| Alpha | 1 |
| ↳ Alpha one | 0 |
| Beta | 2 |

**Columns:** 1: Interview one.

## Appendix A. Codebook

Mini, version 1.

**A.1 Alpha** (`A`)

About alpha.

*Include:* Yes.

*Examples:*

- “an alpha”

*Counterexamples:*

- “a beta”

**A.1.1 Alpha one** (`A1`)

**A.2 Beta** (`B`)

"""


def test_golden_markdown(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    write_template_report(_report(), out, "md")
    assert out.read_text(encoding="utf-8") == GOLDEN


def test_markdown_escapes_markup_in_data() -> None:
    text = render("{{ themes[1].quotes[0].text|md }} | {{ themes[0].label|cell }}",
                  _report(_mini(label_a="A*b*|c", quote_b="<script>x</script>")), "md")
    assert text == "\\<script>x\\</script> | A\\*b\\*\\|c"


def _hostile() -> AnalysisData:
    """Text that would break Markdown structure, or show HTML entities, if escaped for HTML."""
    cb = Codebook(title="Mini", version="1", codes=(
        Code("job_instability", {"": "# Not a heading"}, definition="- not a list\n1. not numbered\n\n    not code"),
        Code("B", {"": "Pay | rates"}),
    ))
    text, turns = build_text([("Sara", "We both said it", None, None), ("Mateo", "> not a quote\n<b>x</b> & &amp; ok", None, None)])
    t = Transcript("t1", "Sara & Mateo's interview", text, turns, speakers={"Sara": "Sara", "Mateo": "Mateo"}, id=1)
    codings = (Coding(1, 0, len(text), "job_instability", "ann", memo="first line\n\n# second paragraph", id=1),
               Coding(1, 0, 5, "B", "ann", id=2))
    return AnalysisData(cb, (t,), (), codings, project="mini")


def test_markdown_escapes_for_markdown_not_html(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    write_template_report(_report(_hostile()), out, "md")
    md = out.read_text(encoding="utf-8")
    assert "&amp;" not in md.replace("\\&amp;", "")  # only the user's own '&amp;', escaped
    assert "> — Sara & Mateo, Sara & Mateo's interview, turn 1\n" in md
    assert "**A.1 \\# Not a heading** (`job_instability`)" in md
    assert "| Pay \\| rates |" in md
    assert "> \\> not a quote\n> \\<b>x\\</b> & \\&amp; ok\n" in md
    assert "\\- not a list\n1\\. not numbered\n\nnot code\n" in md
    assert "> Memo: first line\n> \n> \\# second paragraph\n" in md


def test_markdown_report_renders_user_text_as_text(tmp_path: Path) -> None:
    markdown_it = pytest.importorskip("markdown_it")  # comes with textual (rich)
    out = tmp_path / "r.md"
    write_template_report(_report(_hostile()), out, "md")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(out.read_text(encoding="utf-8"))
    shown_text = lambda tok: "".join(c.content for c in tok.children or () if c.type in ("text", "code_inline"))  # noqa: E731
    headings = [shown_text(tokens[i + 1]) for i, tok in enumerate(tokens) if tok.type == "heading_open"]
    assert headings == ["Mini report", "Contents", "1 Corpus", "2 Findings by theme", "2.1 # Not a heading",
                        "2.2 Pay | rates", "3 Analysis tables and charts", "3.1 Theme frequencies",
                        "3.2 Co-occurrence of themes", "3.3 Themes by transcript", "Appendix A. Codebook"]
    assert not any(t.type in ("html_block", "html_inline", "code_block", "ordered_list_open") for t in tokens)
    inline = [c for t in tokens if t.type == "inline" for c in t.children or ()]
    assert [c.content for c in inline if c.type == "code_inline"] == ["job_instability", "B"]
    texts = "\n".join(shown_text(t) for t in tokens if t.type == "inline")
    for shown in ("# Not a heading", "- not a list", "1. not numbered", "not code", "> not a quote", "<b>x</b> & &amp; ok",
                  "— Sara & Mateo, Sara & Mateo's interview, turn 1", "# second paragraph", "Pay | rates"):
        assert shown in texts, shown
    # The memo's second paragraph stays inside the quote: one block quote per quote, nothing after it.
    quote_levels = [t.level for t in tokens if t.type == "blockquote_open"]
    assert quote_levels == [0, 0]


def test_html_report_still_escapes_for_html(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    write_template_report(_report(_hostile()), out, "html")
    html = out.read_text(encoding="utf-8")
    assert "— Sara &amp; Mateo, Sara &amp; Mateo&#39;s interview, turn 1" in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &amp;amp; ok" in html and "<b>x</b>" not in html


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
    # No two themes overlap here, so the co-occurrence chart is left out even when one is passed.
    assert parser.tags.count("img") == 1
    assert all(s.startswith("data:image/png;base64,") for s in parser.srcs) and len(parser.srcs) == 1
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
        ("{{ title.ljust(100001) }}", "forbids: padding or formatting text wider than 100,000 characters"),
        ("{{ title.zfill(10**9) }}", "forbids: padding"),
        ("{{ title|center(10**9) }}", "forbids: padding"),
        ("{{ 'a\nb'|indent(10**9) }}", "forbids: padding"),
        ("{{ '%999999999s' % title }}", "forbids: padding"),
        ("{{ '%*d' % (10**9, 1) }}", "forbids: padding"),
        ("{{ '%999999999s'|format(title) }}", "forbids: padding"),
        ("{{ '{:>999999999}'.format(title) }}", "forbids: padding"),
        ("{{ '{:{}}'.format(title, 10**9) }}", "forbids: padding"),
        ("{% for i in range(100001) %}{% endfor %}", "failed: OverflowError: Range too big"),  # Jinja2's own MAX_RANGE
        ("{% include '/etc/passwd' %}", "uses {% include %}: a report template must be a single file"),
        ("{% for %}", "syntax error"),
        ("{{ no_such_name }}", "'no_such_name' is undefined"),
    ],
)
def test_sandbox_refuses_escapes_with_a_clear_error(template: str, fragment: str) -> None:
    with pytest.raises(ReportError) as err:
        render(template, _report(), "html", name="mine.j2")
    assert "mine.j2" in err.value.message
    assert fragment in err.value.message


# In-process (no limits), in a thread (time limit) and, on Linux, in the child process (memory limit):
# the three ways a user's template is rendered give the same messages.
MODES = [{}, {"timeout": 30}, pytest.param({"memory_mb": 64}, marks=pytest.mark.skipif(
    not template_process.available(), reason="the template memory limit needs Linux (RLIMIT_AS)"))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ title|nosuchfilter }}", "Template mine.j2 (line 1) has a syntax error: No filter named 'nosuchfilter'."),
        ("{{ ''.__class__ }}", "Template mine.j2 (line 1) uses something the sandbox forbids: "
                               "access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ title.ljust(100001) }}", "Template mine.j2 (line 1) uses something the sandbox forbids: "
                                      "padding or formatting text wider than 100,000 characters."),
        ("\n{{ 1/0 }}", "Template mine.j2 (line 2) failed: ZeroDivisionError: division by zero."),
        ("{{ no_such_name }}", "Template mine.j2 (line 1): 'no_such_name' is undefined."),
    ],
)
def test_error_messages_end_with_exactly_one_full_stop(template: str, message: str, mode: dict[str, float]) -> None:
    with pytest.raises(ReportError) as err:
        render(template, _report(), "md", name="mine.j2", **mode)
    assert err.value.message == message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("template", "tag", "line"),
    [
        ("{% include 'header.j2' %}", "{% include %}", 1),
        ("# Report\n\n{% import 'macros.j2' as m %}{{ m.quote(q) }}", "{% import %}", 3),
        ("one\n{% from 'macros.j2' import quote %}", "{% from ... import %}", 2),
        ("{# my layout #}\n{% extends 'base.j2' %}", "{% extends %}", 2),
        ("{% if false %}\n{% include 'never.j2' %}{% endif %}", "{% include %}", 2),  # refused even where not run
    ],
)
def test_include_import_and_extends_say_a_template_is_one_file(template: str, tag: str, line: int,
                                                               mode: dict[str, float]) -> None:
    with pytest.raises(ReportError) as err:
        render(template, _report(), "md", name="mine.j2", **mode)
    assert err.value.message == (f"Template mine.j2 (line {line}) uses {tag}: a report template must be a single "
                                 "file, so include, import and extends are not supported.")
    assert "{% macro %}" in err.value.hint
    assert "TypeError" not in err.value.message and "loader" not in err.value.message


@pytest.mark.parametrize("mode", MODES)
def test_missing_field_lists_the_fields_of_that_value(mode: dict[str, float]) -> None:
    with pytest.raises(ReportError) as err:
        render("{% for t in themes %}\n{{ t.lable }}{% endfor %}", _report(), "md", name="mine.j2", **mode)
    assert err.value.message == "Template mine.j2 (line 2): this value has no field 'lable'. Did you mean 'label'?"
    # The keys of a theme (see to_context), not the top-level names.
    assert err.value.hint.startswith("Its fields: code, label, depth, number, heading, anchor, definition, summary, counts, quotes.")
    assert "Available names" not in err.value.hint and "cooccurrence" not in err.value.hint
    with pytest.raises(ReportError) as err:
        render("{% for t in themes %}{% for q in t.quotes %}{{ q.attributes.country }}{% endfor %}{% endfor %}",
               _report(), "md", name="mine.j2", **mode)
    assert err.value.message == "Template mine.j2 (line 1): this value has no field 'country'."
    assert err.value.hint == "It has no fields. For a field only some values have, write .get('country', '')."


def test_missing_top_level_name_and_fields_of_lists_and_text() -> None:
    with pytest.raises(ReportError) as err:
        render("{{ thems }}", _report(), "md", name="mine.j2")
    assert err.value.message == "Template mine.j2 (line 1): 'thems' is undefined. Did you mean 'themes'?"
    assert err.value.hint.startswith("Available names: agreement, by_transcript, captions, charts, codebook,")
    with pytest.raises(ReportError) as err:
        render("{{ themes.label }}", _report(), "md", name="mine.j2")
    assert err.value.message == "Template mine.j2 (line 1): 'label' was looked up on a list of 2 items, not on one item."
    assert "{% for item in ... %}{{ item.label }}{% endfor %}" in err.value.hint
    with pytest.raises(ReportError) as err:
        render("{{ title.lable }}", _report(), "md", name="mine.j2")
    assert err.value.message == "Template mine.j2 (line 1): 'str object' has no attribute 'lable'."
    assert err.value.hint == "This value is a str, not a mapping with fields."


def test_sandbox_size_checks_leave_ordinary_formatting_alone() -> None:
    template = ("{{ title.ljust(14) }}|{{ title|center(15) }}|{{ '%5s|%.2f|%d' % ('ab', 2.5, 1000000) }}|"
                "{{ '%-4s'|format('x') }}|{{ '{:>8,}'.format(1234567) }}|{{ '{:{}}'.format('y', 3) }}|{{ 17 % 5 }}|"
                "{{ 'a\nb'|indent(2) }}")
    assert render(template, _report(), "md") == "Mini report   |  Mini report  |   ab|2.50|1000000|x   |1,234,567|y  |2|a\n  b"


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
    # (two coders in the report: each quote names its own)
    assert "<footer>— Amina, Interview one, turn 2 · coded by ann<br>" in html
    assert "<footer>— Amina, Interview one, turn 2 · coded by ann, bob</footer>" in html


def _keys(value: object) -> set[str]:
    """Every dict key in *value*, at any depth (the values of 'attributes', 'charts', 't', 'headings' and 'captions' are keyed by data, not names)."""
    if isinstance(value, dict):
        return {k for k, v in value.items() for k in [k, *(() if k in ("attributes", "charts", "t", "headings", "captions") else _keys(v))]}
    if isinstance(value, list):
        return {k for item in value for k in _keys(item)}
    return set()


def test_context_reference_names_every_key_and_no_other() -> None:
    from dataclasses import replace

    from qcode.core.coding import Memo
    from qcode.formats.reports import context

    data = replace(_mini(), memos=(Memo("project", "", "A memo.", "ann", title="Plan"),))
    report = build_report(data, ReportOptions(by=("speaker",)))
    ctx = context.to_context(report, {"frequencies": "data:image/png;base64,AA=="})
    assert ctx["crosstabs"] and ctx["memos"] and ctx["themes"][0]["quotes"]  # every kind of entry is present
    documented = set(re.findall(r"``([a-z_]+)``", context.__doc__ or ""))
    assert _keys(ctx) - documented == set()
    filters = {"md", "cell", "blockquote", "code", "percent", "thousands"}
    assert documented - _keys(ctx) - filters == set()
    assert filters <= set(make_environment(autoescape=False).filters)


def test_attribution_has_no_leading_dash_and_the_shipped_templates_add_it(tmp_path: Path) -> None:
    quotes = render("{% for t in themes %}{% for q in t.quotes %}— {{ q.attribution }}\n{% endfor %}{% endfor %}",
                    _report(), "md")
    assert quotes == "— Amina, Interview one, turn 2\n— Amina, Interview one, turn 2\n"
    write_template_report(_report(), tmp_path / "r.md", "md")
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == GOLDEN  # '> — Amina, Interview one, turn 2'
    write_template_report(_report(), tmp_path / "r.html", "html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<footer>— Amina, Interview one, turn 2 · coded by ann<br>" in html and "— —" not in html


def test_context_lists_the_coders_of_a_merged_quote() -> None:
    text = render("{% for t in themes %}{% for q in t.quotes %}{{ q.coders|join('+') }}/{{ q.coded_by }};{% endfor %}{% endfor %}",
                  _report(), "md")
    assert text == "ann/coded by ann;ann+bob/coded by ann, bob;"  # two coders in the report: each quote names its own


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


needs_memory_limit = pytest.mark.skipif(not template_process.available(),
                                        reason="the template memory limit needs Linux (RLIMIT_AS)")


def _children() -> set[int]:
    """Process ids of this process's live children (Linux ``/proc``)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            with open(task / "children", encoding="ascii") as f:
                found.update(int(pid) for pid in f.read().split())
        except FileNotFoundError:  # the thread ended between the listing and the read: it has no children
            continue
    return found


DOUBLING = ("{# grows a string to 2**28 characters #}\n"
            "{% set ns = namespace(s='x') %}\n"
            "{% for i in range(28) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}\n")
# Each template below needs a few hundred MB at most, so a broken limit fails the test without
# endangering the machine.


@needs_memory_limit
@pytest.mark.parametrize(
    ("template", "where"),
    [
        (DOUBLING, " (line 3)"),  # '~' is not capped by the sandbox: only the memory limit stops it
        ("title\n\n\n{{ ('x' * 3000).replace('x', 'y' * 100000)|length }}", " (line 4)"),  # 300 MB in one C call
        ("{{ (['y' * 100000] * 3000)|join|length }}", " (line 1)"),
        # 10^10 characters of output, 100,000 at a time (MAX_OUTPUT would stop it at 2*10^8).
        # The MemoryError lands in the template or in qcode's output list: line 2 or no line.
        ("{% for i in range(100000) %}\n{{ 'y' * 100000 }}{% endfor %}", "( \\(line 2\\))?"),
    ],
)
def test_user_template_that_uses_too_much_memory_is_stopped_with_a_clear_error(
        tmp_path: Path, template: str, where: str) -> None:
    import resource

    limits = resource.getrlimit(resource.RLIMIT_AS)
    children = _children()
    out = tmp_path / "r.md"
    with pytest.raises(ReportError) as err:
        write_template_report(_report(), out, "md", template_text=template, template_name="big.j2", memory_mb=64)
    pattern = re.escape("Template big.j2") + (where if where.startswith("(") else re.escape(where))
    assert re.fullmatch(pattern + re.escape(" used more than 64 MB of memory while rendering; stopped."),
                        err.value.message), err.value.message
    assert "template_memory_mb under [report] in qcode.toml" in err.value.hint
    assert list(tmp_path.iterdir()) == []
    assert resource.getrlimit(resource.RLIMIT_AS) == limits  # the cap was on the child, not on qcode
    assert _children() == children  # and the child is gone


@needs_memory_limit
def test_user_template_in_the_child_process_gives_the_same_bytes(tmp_path: Path) -> None:
    # The shipped templates given as user templates: rendered in the child process,
    # the text (with “quotes”, ↳ and the chart data URIs) comes back byte for byte.
    write_template_report(_report(), tmp_path / "u.md", "md", template_text=builtin_template("md"), memory_mb=64)
    assert (tmp_path / "u.md").read_text(encoding="utf-8") == GOLDEN
    charts = {"frequencies": b"\x89PNG fake \xff\x00", "cooccurrence": b"\x89PNG fake2"}
    data = _mini(label_a="Été <b>", quote_b="naïve 🙂 beta.")
    write_template_report(_report(data), tmp_path / "shipped.html", "html", charts=charts)
    write_template_report(_report(data), tmp_path / "user.html", "html", charts=charts,
                          template_text=builtin_template("html"), memory_mb=64)
    shipped = (tmp_path / "shipped.html").read_bytes()
    assert (tmp_path / "user.html").read_bytes() == shipped
    assert "naïve 🙂 beta." in shipped.decode("utf-8") and "Été &lt;b&gt;" in shipped.decode("utf-8")


@needs_memory_limit
def test_memory_limit_counts_what_the_template_allocates_not_the_report_data() -> None:
    big = _report(_mini(quote_b="word " * 10_000_000 + "end."))  # a 50 MB quote
    assert render("{{ title }}", big, "md", memory_mb=16, timeout=60) == "Mini report"
    with pytest.raises(ReportError, match="used more than 16 MB"):
        render("{{ ('x' * 1000).replace('x', 'y' * 20000)|length }}", big, "md", memory_mb=16, timeout=60)


@needs_memory_limit
def test_errors_from_the_child_process_keep_their_message() -> None:
    with pytest.raises(ReportError) as err:
        render("ok\n{{ no_such_name }}", _report(), "md", name="mine.j2", memory_mb=64)
    assert err.value.message == "Template mine.j2 (line 2): 'no_such_name' is undefined."
    assert "Available names:" in err.value.hint and "themes" in err.value.hint
    with pytest.raises(ReportError, match=r"^Template mine\.j2 \(line 1\): this value has no field 'lable'"):
        render("{% for t in themes %}{{ t.lable }}{% endfor %}", _report(), "md", name="mine.j2", memory_mb=64)
    with pytest.raises(ReportError, match=r"mine\.j2 \(line 1\) uses something the sandbox forbids"):
        render("{{ ''.__class__.__mro__ }}", _report(), "md", name="mine.j2", memory_mb=64)


@needs_memory_limit
def test_time_limit_kills_the_child_process(tmp_path: Path) -> None:
    children = _children()
    with pytest.raises(ReportError) as err:
        write_template_report(_report(), tmp_path / "r.md", "md", template_text=SLOW, template_name="slow.j2",
                              timeout=0.3, memory_mb=64)
    assert err.value.message == "Template slow.j2 took longer than 0.3 s to render; stopped."
    assert list(tmp_path.iterdir()) == []
    assert _children() == children


def test_without_a_memory_limit_the_time_limit_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows and macOS: no RLIMIT_AS, so the template renders in a thread with the time limit only.
    monkeypatch.setattr(template_process, "available", lambda: False)
    monkeypatch.setattr(template_process, "render_in_child", None)  # would fail if called
    assert render("{{ title }}", _report(), "md", timeout=30, memory_mb=64) == "Mini report"
    with pytest.raises(ReportError, match="took longer than 0.3 s"):
        write_template_report(_report(), tmp_path / "r.md", "md", template_text=SLOW, timeout=0.3, memory_mb=64)
    assert list(tmp_path.iterdir()) == []
    assert _template_threads() == []


def test_shipped_templates_render_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_process, "render_in_child", None)  # trusted: no child process
    write_template_report(_report(), tmp_path / "r.md", "md", memory_mb=1e-9)
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == GOLDEN


@pytest.mark.parametrize(("lang", "uncoded", "corpus", "filtered"), [
    ("en", "No passage is coded yet.", "nothing is coded yet", "No coded passages match the report's filters."),
    ("fr", "Aucun passage n’est encore codé.", "rien n’est encore codé", "Aucun passage codé ne correspond aux filtres du rapport."),
])
def test_a_report_without_codings_says_nothing_is_coded_not_that_filters_match_nothing(lang, uncoded, corpus, filtered):
    from dataclasses import replace

    from qcode.core.analysis_tables import Filters

    data = _mini()
    empty = replace(data, codings=())
    md = render(builtin_template("md"), build_report(empty, ReportOptions(date="2025-01-02", lang=lang)), "md")
    assert uncoded in md and corpus in md and filtered not in md
    assert "by (none)" not in md and "par (aucun)" not in md and "(0 cod" not in md
    only_b = build_report(data, ReportOptions(date="2025-01-02", lang=lang, filters=Filters(coders=("nobody",))))
    md = render(builtin_template("md"), only_b, "md")
    assert filtered in md and uncoded not in md and corpus not in md  # coded, but the filters keep nothing
    assert ("no coding matches the report's filters" if lang == "en" else "aucun codage ne correspond aux filtres") in md


def test_a_report_by_one_coder_does_not_name_the_coder_of_each_quote(tmp_path: Path) -> None:
    report = build_report(_hostile(), ReportOptions())  # every coding by ann
    assert [q.coded_by for t in report.themes for q in t.quotes] == ["", ""]
    write_template_report(report, tmp_path / "r.md", "md")
    assert "· coded by" not in (tmp_path / "r.md").read_text(encoding="utf-8")  # (the corpus section names ann once)
