"""Reports: load what the analyses need from a project and write a report file.

The CLI (`qcode report`, `qcode stats`) and the coding app call
:func:`load_analysis_data` and :func:`generate_report`. Every output is
written through :mod:`qcode.formats.atomic`, so a failure never leaves a
half-written file. The same project and options give the same content: the
date comes from ``request.date``, else ``SOURCE_DATE_EPOCH``, else today.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from qcode.core.analysis import AnalysisData, Filters, check_filters, find_interviewers
from qcode.core.errors import ReportError
from qcode.formats.reports.writers import WRITERS, WriteOptions, names_that
from qcode.usecases.project import Progress, Project, no_progress

FORMATS = tuple(WRITERS)
"""The report formats (the registry :data:`qcode.formats.reports.writers.WRITERS`)."""


@dataclass
class ReportRequest:
    format: str  # docx|md|html|csv|xlsx
    output: Path
    codes: list[str] | None = None
    transcripts: list[str] | None = None
    coders: list[str] | None = None
    by: list[str] = field(default_factory=list)  # attribute names for crosstabs
    where: dict[str, list[str]] = field(default_factory=dict)  # attribute filters
    template: Path | None = None
    template_timeout: float | None = None  # seconds for a user template (None: jinja.TEMPLATE_TIMEOUT)
    reference_docx: Path | None = None
    date: str | None = None
    title: str | None = None
    lang: str | None = None
    """Report language (``en``, ``fr``); None: the project's language when there is a catalogue for it."""
    max_words: int | None = None
    """Longest quote in words in Word/HTML/Markdown (the XLSX/CSV keep every quote whole)."""
    quote_mode: str = "span"
    """``span``: the coded passage; ``turn``: the whole speaker turn, the passage in bold."""
    include_interviewers: bool = False
    """Count interviewers as people (by default they are left out of participant/speaker counts)."""
    force: bool = False  # replace an existing file of another format (never a project file)

    def filters(self) -> Filters:
        return Filters(
            codes=tuple(self.codes) if self.codes else None,
            transcripts=tuple(self.transcripts) if self.transcripts else None,
            coders=tuple(self.coders) if self.coders else None,
            where={k: tuple(v) for k, v in self.where.items() if v},
        )


def report_languages() -> list[str]:
    """Languages a report can be written in (``--lang``)."""
    from qcode.formats.reports.i18n import languages

    return languages()


def parse_where(items: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """``["country=Kenya", "country=France", "gender=f"]`` -> ``{country: [Kenya, France], gender: [f]}``."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ReportError(
                f"--where '{item}' is not ATTRIBUTE=VALUE.",
                hint="Example: --where country=Kenya --where gender=f (repeat for several values).",
            )
        out.setdefault(name.strip(), []).append(value.strip())
    return out


def report_date(explicit: str | None = None) -> str:
    """The report date (YYYY-MM-DD): *explicit*, else SOURCE_DATE_EPOCH, else today (UTC)."""
    if explicit:
        try:
            return date.fromisoformat(explicit).isoformat()
        except ValueError:
            raise ReportError(f"Date '{explicit}' is not YYYY-MM-DD.", hint="Example: --date 2025-03-31") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise ReportError(
                f"SOURCE_DATE_EPOCH='{epoch}' is not a number of seconds since 1970.",
                hint="Unset it, or set it to e.g. 1700000000.",
            ) from None
    return datetime.now(UTC).date().isoformat()


def load_analysis_data(project: Project, request_or_filters: ReportRequest | Filters | None = None) -> AnalysisData:
    """Read transcripts, participants, codings and memos for the analyses.

    Interviewers (:func:`~qcode.core.analysis.find_interviewers`) are left out of the
    counts of people unless the request says ``include_interviewers``.
    Unknown codes, transcripts, coders or attributes raise a
    :class:`~qcode.core.errors.NotFoundError` naming them. Only the
    transcripts named by a transcript filter are loaded.
    """
    if isinstance(request_or_filters, ReportRequest):
        filters, by = request_or_filters.filters(), list(request_or_filters.by)
    else:
        filters, by = request_or_filters or Filters(), []
    store = project.store
    codebook = project.codebook
    for cid in filters.codes or ():
        codebook.get(cid)
    if filters.transcripts:
        ids = [store.transcripts.find(ref) for ref in filters.transcripts]
        names = [store.transcripts.get(i).name for i in ids]
        filters = Filters(filters.codes, tuple(names), filters.coders, filters.where)
    else:
        ids = [s.id for s in store.transcripts.summaries()]
    transcripts = tuple(project.transcript(i) for i in ids)
    wanted = set(ids)
    codings = tuple(c for c in store.codings.iter() if c.transcript_id in wanted)
    data = AnalysisData(
        codebook=codebook,
        transcripts=transcripts,
        participants=tuple(store.participants.list()),
        codings=codings,
        memos=tuple(store.memos.list()),
        project=project.settings.name,
        language=project.settings.language if _has_language(codebook, project.settings.language) else "",
    )
    include = isinstance(request_or_filters, ReportRequest) and request_or_filters.include_interviewers
    if not include:
        data = replace(data, interviewers=find_interviewers(data))
    check_filters(data, filters, by)
    if isinstance(request_or_filters, ReportRequest) and request_or_filters.transcripts:
        request_or_filters.transcripts = list(filters.transcripts or ())
    return data


def _has_language(codebook: Any, lang: str) -> bool:
    return any(lang in c.label for c in codebook.codes)


@dataclass(frozen=True)
class ReportResult:
    """What :func:`run_report` wrote."""

    path: Path
    """The main output file."""
    files: tuple[Path, ...]
    """Every file written (CSV writes one per table)."""
    neutralised: int = 0
    """CSV/XLSX cells that began with = + - @ TAB or CR and got a leading apostrophe."""


def generate_report(project: Project, request: ReportRequest, progress: Progress = no_progress) -> Path:
    """Write the report *request* asks for; returns the main output path (see :func:`run_report`)."""
    return run_report(project, request, progress).path


def run_report(project: Project, request: ReportRequest, progress: Progress = no_progress) -> ReportResult:
    """Write the report *request* asks for; returns the files written and how many cells were neutralised."""
    import qcode
    from qcode.formats.reports.data import ReportOptions, build_report

    fmt = (request.format or "").lower().lstrip(".")
    writer = WRITERS.get(fmt)
    if writer is None:
        raise ReportError(f"Unknown report format '{request.format}'.", hint="Use one of: " + ", ".join(FORMATS) + ".")
    if request.template is not None and not writer.templates:
        raise ReportError(f"--template works with --format {names_that('templates')} only.",
                          hint="For Word, use --reference-docx.")
    if request.reference_docx is not None and not writer.reference_docx:
        raise ReportError(f"--reference-docx works with --format {names_that('reference_docx')} only.")
    output = Path(request.output)
    if output.is_dir():
        raise ReportError(f"{output} is a folder.", hint=f"Give a file name, e.g. {output / ('report.' + fmt)}.")
    from qcode.formats.reports.data import QUOTE_MODES
    from qcode.formats.reports.i18n import resolve_language

    if request.quote_mode not in QUOTE_MODES:
        raise ReportError(f"Unknown quote mode '{request.quote_mode}'.", hint="Use --quotes span or --quotes turn.")
    if request.max_words is not None and request.max_words < 5:
        raise ReportError(f"--max-words {request.max_words} is too short for a quote.",
                          hint="Give at least 5 words, e.g. --max-words 80 (or leave it out for whole quotes).")
    lang = resolve_language(request.lang, project.settings.language)
    from qcode.usecases.outputs import check_output

    check_output(output, fmt, force=request.force, project_root=project.root)
    when = report_date(request.date)
    template_text = _read_template(request.template) if request.template else None
    progress(0, 100, "reading the project")
    data = load_analysis_data(project, request)
    record = project.store.codes.record()
    options = ReportOptions(
        title=request.title or "",
        date=when,
        by=tuple(request.by),
        filters=request.filters(),
        qcode_version=qcode.__version__,
        codebook_hash=(record.content_hash if record else None) or "",
        codebook_version=(record.version if record else None) or "",
        lang=lang,
        max_words=request.max_words,
        quote_mode=request.quote_mode,
        include_interviewers=request.include_interviewers,
        agreement=latest_agreement(project),
    )
    progress(10, 100, "analysing")
    report = build_report(data, options)
    colors = {c.id: c.color for c in data.codebook.codes if c.color and re.fullmatch(r"#[0-9a-fA-F]{6}", c.color)}

    def sub(lo: int, hi: int) -> Progress:
        return lambda done, total, label: progress(lo + (hi - lo) * done // max(total, 1), 100, label)

    write_options = WriteOptions(
        charts=_charts(report, colors, sub(20, 35)) if writer.charts else None,
        reference_docx=request.reference_docx,
        template_text=template_text,
        template_name=request.template.name if request.template else "the user template",
        timeout=request.template_timeout,
        memory_mb=project.settings.template_memory_mb,
        progress=sub(35, 100),
    )
    written = writer.write(report, output, write_options)
    progress(100, 100, "done")
    return ReportResult(output, written.paths, written.neutralised)


def latest_agreement(project: Project) -> dict[str, Any] | None:
    """The latest kept agreement computation (the reports' appendix), or None."""
    runs = project.store.team.agreement_runs()
    return runs[-1]["result"] if runs else None


def _read_template(path: Path) -> str:
    from qcode.formats.files import read_limited

    try:
        data = read_limited(Path(path), 8 * 2**20)
        if len(data) > 8 * 2**20:
            raise ReportError(f"Template {path} is larger than 8 MB; a template is a page of markup, not data.")
        return data.decode("utf-8").removeprefix("\ufeff")
    except FileNotFoundError:
        raise ReportError(f"Template {path} not found.", hint="Check the path given to --template.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"Cannot read template {path}: {exc}.", hint="Templates are UTF-8 text files.") from exc


def _charts(report: Any, colors: dict[str, str], progress: Progress) -> dict[str, bytes]:
    """The charts that carry information: frequencies when something is coded, one theme-by-group chart
    per ``--by`` attribute with people in its groups, co-occurrence when two themes overlap."""
    from qcode.formats.reports.charts import cooccurrence_heatmap, frequency_chart, groups_chart

    out: dict[str, bytes] = {}
    steps = 2 + len(report.crosstabs)
    if any(r.total_codings for r in report.frequencies):
        out["frequencies"] = frequency_chart(report.frequencies, colors, report.m)
    progress(1, steps, "charts")
    for i, table in enumerate(report.crosstabs):
        png = groups_chart(table, report.m)
        if png is not None:
            out[f"groups-{i}"] = png
        progress(2 + i, steps, "charts")
    if len(report.heatmap.codes) >= 2:
        out["cooccurrence"] = cooccurrence_heatmap(report.heatmap, report.m)
    progress(steps, steps, "charts")
    return out
