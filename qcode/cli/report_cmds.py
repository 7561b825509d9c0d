"""Commands: report (Word, Markdown, HTML, CSV, XLSX) and stats (analyses in the terminal)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from qcode.cli.common import cli, echo_json, project_option, say
from qcode.core.safe_text import label
from qcode.usecases.project import Project


class _Bar:
    """A progress callback drawing a click progress bar on stderr (only on a terminal)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int, what: str) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Writing report", file=sys.stderr, show_eta=False)
            self.bar.__enter__()
        self.bar.label = f"{label(what, 24):<24}"
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command("report")
@click.option("--format", "-f", "fmt", type=click.Choice(["docx", "md", "html", "csv", "xlsx"]), default=None,
              help="Output format (default: from the output file's extension).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output file.")
@click.option("--code", "codes", multiple=True, help="Only this code and its sub-codes (repeatable).")
@click.option("--transcript", "transcripts", multiple=True, help="Only this transcript: id, name or file name (repeatable).")
@click.option("--coder", "coders", multiple=True, help="Only codings by this coder (repeatable).")
@click.option("--by", multiple=True, help="Add a crosstab of themes by this attribute (repeatable), e.g. country.")
@click.option("--where", multiple=True, metavar="ATTR=VALUE", help="Only codings where ATTR is VALUE (repeat for OR within one attribute).")
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path), help="Your own Jinja2 template (md/html; runs sandboxed).")
@click.option("--template-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop a --template that takes longer than this to render (default: 60).")
@click.option("--reference-docx", type=click.Path(dir_okay=False, path_type=Path), help="Word file whose styles the report uses.")
@click.option("--date", help="Date printed on the report, YYYY-MM-DD (default: SOURCE_DATE_EPOCH or today).")
@click.option("--title", help="Report title (default: the project name).")
@click.option("--lang", help="Report language, e.g. en or fr (default: the project's language).")
@click.option("--max-words", type=click.IntRange(min=1), metavar="N",
              help="Shorten quotes longer than N words in Word/HTML/Markdown, cutting between words with […] "
              "(XLSX/CSV keep every quote whole).")
@click.option("--quotes", "quote_mode", type=click.Choice(["span", "turn"]), default="span", show_default=True,
              help="span: the coded passage; turn: the whole speaker turn with the coded passage in bold.")
@click.option("--include-interviewers", is_flag=True,
              help="Count interviewers as people in shares and counts (left out by default).")
@click.option("--force", is_flag=True, help="Replace OUTPUT even if it is a file of another format.")
@project_option
def report_cmd(project: Project, fmt: str | None, output: Path, codes: tuple[str, ...], transcripts: tuple[str, ...],
               coders: tuple[str, ...], by: tuple[str, ...], where: tuple[str, ...], template: Path | None,
               template_timeout: float | None, reference_docx: Path | None, date: str | None, title: str | None,
               lang: str | None, max_words: int | None, quote_mode: str, include_interviewers: bool,
               force: bool) -> None:
    """Write a report of the coded themes: quotes, counts, crosstabs, co-occurrence.

    Word reports use Word's built-in styles (pass --reference-docx to apply a
    house style). CSV writes the quotes to FILE and each table to FILE-<table>.csv;
    XLSX puts everything in one workbook. The file is replaced only once the
    report is complete. The text is in the project's language (--lang to
    change it). The same project, options and --date (or SOURCE_DATE_EPOCH)
    give byte-identical files. Word fills the contents' page numbers when it
    opens the report; in LibreOffice use Tools > Update > Update All.

    Example:

    \b
        qcode report -o report.docx --by country --by gender
        qcode report -f xlsx -o quotes.xlsx --code job-instability --where country=Kenya
        qcode report -o report.html --date 2025-03-31
        qcode report -o rapport.docx --lang fr --max-words 80 --quotes turn
    """
    from qcode.core.errors import ReportError
    from qcode.usecases.reporting import ReportRequest, parse_where, run_report

    if fmt is None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("docx", "md", "html", "csv", "xlsx"):
            raise ReportError(f"Cannot tell the report format from '{output.name}'.",
                              hint="Pass --format docx|md|html|csv|xlsx, or use one of those extensions.")
    request = ReportRequest(
        format=fmt, output=output, codes=list(codes) or None, transcripts=list(transcripts) or None,
        coders=list(coders) or None, by=list(by), where=parse_where(where), template=template,
        template_timeout=template_timeout, reference_docx=reference_docx, date=date, title=title,
        lang=lang, max_words=max_words, quote_mode=quote_mode, include_interviewers=include_interviewers,
        force=force,
    )
    bar = _Bar()
    try:
        result = run_report(project, request, bar)
    finally:
        bar.close()
    say(f"Wrote {result.path}.")
    if result.neutralised:
        n = result.neutralised
        say(f"{n:,} {'cell' if n == 1 else 'cells'} starting with = + - @ (or TAB/CR) "
                   f"{'was' if n == 1 else 'were'} prefixed with ' so spreadsheets show text, not formulas "
                   "(the 'neutralised' column names them).", err=True)


@cli.group("stats")
def stats_group() -> None:
    """Analyses in the terminal: frequencies, crosstabs, co-occurrence.

    Example:

    \b
        qcode stats frequencies
        qcode stats crosstab --by country
        qcode stats cooccurrence --json
    """


def _filter_options(fn: Any) -> Any:
    for opt in reversed([
        click.option("--code", "codes", multiple=True, help="Only this code and its sub-codes (repeatable)."),
        click.option("--transcript", "transcripts", multiple=True, help="Only this transcript (repeatable)."),
        click.option("--coder", "coders", multiple=True, help="Only codings by this coder (repeatable)."),
        click.option("--where", multiple=True, metavar="ATTR=VALUE", help="Only codings where ATTR is VALUE."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
    ]):
        fn = opt(fn)
    return fn


def _load(project: Project, codes: tuple[str, ...], transcripts: tuple[str, ...], coders: tuple[str, ...],
          where: tuple[str, ...], by: tuple[str, ...] = ()) -> tuple[Any, Any]:
    from qcode.usecases.reporting import ReportRequest, load_analysis_data, parse_where

    request = ReportRequest("md", Path("-"), codes=list(codes) or None, transcripts=list(transcripts) or None,
                            coders=list(coders) or None, by=list(by), where=parse_where(where))
    data = load_analysis_data(project, request)
    return data, request.filters()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> None:
    header, rows = [label(c) for c in header], [[label(c) for c in r] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    widths[0] = min(widths[0], 44)
    line = lambda r: "  ".join(  # noqa: E731
        (_clip(c, widths[0]).ljust(widths[0]) if j == 0 else c.rjust(widths[j])) for j, c in enumerate(r)
    )
    say(line(header))
    say("  ".join("-" * w for w in widths))
    for r in rows:
        say(line(r))


@stats_group.command("frequencies")
@click.option("--by", default=None, help="Split the counts by this attribute (same as `stats crosstab --by`).")
@_filter_options
@project_option
def stats_frequencies(project: Project, by: str | None, codes: tuple[str, ...], transcripts: tuple[str, ...],
                      coders: tuple[str, ...], where: tuple[str, ...], as_json: bool) -> None:
    """Codings, transcripts, participants and words per code (and with sub-codes).

    Example:

    \b
        qcode stats frequencies --where country=Kenya
    """
    from dataclasses import asdict

    from qcode.core.analysis_tables import frequencies

    if by:
        _print_crosstab(project, by, codes, transcripts, coders, where, as_json)
        return
    data, filters = _load(project, codes, transcripts, coders, where)
    rows = frequencies(data, filters)
    if as_json:
        echo_json([asdict(r) for r in rows])
        return
    _table(["Code", "Own codings", "Codings*", "Transcripts*", "Participants*", "Speakers*", "Words*"],
           [["  " * r.depth + r.label, str(r.codings), str(r.total_codings), str(r.total_transcripts),
             str(r.total_participants), str(r.total_speakers), str(r.total_words)] for r in rows])
    say("* with sub-themes: a code counts its own codings and those of all its sub-codes (a word covered by several "
        "of them counts once).")


@stats_group.command("crosstab")
@click.option("--by", required=True, help="Attribute to compare groups by (e.g. country, gender, kind).")
@_filter_options
@project_option
def stats_crosstab(project: Project, by: str, codes: tuple[str, ...], transcripts: tuple[str, ...],
                   coders: tuple[str, ...], where: tuple[str, ...], as_json: bool) -> None:
    """Codings and share of participants per code in each group of an attribute.

    Example:

    \b
        qcode stats crosstab --by gender --code job-instability
    """
    _print_crosstab(project, by, codes, transcripts, coders, where, as_json)


def _print_crosstab(project: Project, by: str, codes: tuple[str, ...], transcripts: tuple[str, ...],
                    coders: tuple[str, ...], where: tuple[str, ...], as_json: bool) -> None:
    from dataclasses import asdict

    from qcode.core.analysis_tables import crosstab
    from qcode.formats.reports.data import share_text

    data, filters = _load(project, codes, transcripts, coders, where, (by,))
    table = crosstab(data, by, filters)
    if as_json:
        echo_json(asdict(table))
        return
    header = ["Code"] + [f"{g} ({n})" for g, n in zip(table.groups, table.sizes, strict=True)]
    rows = [["  " * r.depth + r.label] + [f"{c} · {share_text(s)}" for c, s in zip(r.counts, r.shares, strict=True)]
            for r in table.rows]
    _table(header, rows)
    people = {"speakers": "speakers (no participant data)", "coders": "coders"}.get(table.unit, "participants")
    say(f"\nEach cell: codings · share of the group's {people} who mention the theme. Group sizes in brackets"
        " (interviewers left out).")


@stats_group.command("cooccurrence")
@click.option("--mode", type=click.Choice(["overlap", "turn"]), default="overlap", show_default=True,
              help="overlap: codings whose passages overlap; turn: codes in the same speaker turn.")
@click.option("--level", type=int, default=None, help="Roll codes up to this tree depth first (1 = top-level themes).")
@_filter_options
@project_option
def stats_cooccurrence(project: Project, mode: str, level: int | None, codes: tuple[str, ...],
                       transcripts: tuple[str, ...], coders: tuple[str, ...], where: tuple[str, ...], as_json: bool) -> None:
    """Code-by-code co-occurrence matrix (the diagonal is each code's own count).

    Example:

    \b
        qcode stats cooccurrence --mode turn --level 1
    """
    from dataclasses import asdict

    from qcode.core.analysis_tables import cooccurrence

    data, filters = _load(project, codes, transcripts, coders, where)
    m = cooccurrence(data, filters, mode=mode, level=level)
    if as_json:
        echo_json(asdict(m))
        return
    if len(m.codes) < 2:
        say("Fewer than two codes are coded: no co-occurrence to show.")
        return
    header = ["Code"] + [str(i + 1) for i in range(len(m.codes))]
    _table(header, [[f"{i + 1}. {m.labels[i]}"] + [str(v) for v in row] for i, row in enumerate(m.values)])
