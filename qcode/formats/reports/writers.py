"""The report formats, in one registry: format name -> writer, with what each format takes.

A new report format is one :class:`ReportWriter` in :data:`WRITERS`;
:func:`qcode.usecases.reporting.run_report` (``qcode report``, the app's
Reports screen) finds it there. Writers import their libraries (python-docx,
jinja2, openpyxl) only when called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qcode.formats.reports.data import Report


def _no_progress(done: int, total: int, label: str) -> None:
    """Draw nothing."""


@dataclass(frozen=True)
class WriteOptions:
    """What a writer may use besides the report; each format reads the fields it takes."""

    charts: dict[str, bytes] | None = None
    reference_docx: Path | None = None
    template_text: str | None = None
    template_name: str = "the user template"
    timeout: float | None = None
    memory_mb: float | None = None
    progress: Callable[[int, int, str], None] = _no_progress


@dataclass(frozen=True)
class ReportFiles:
    """What a writer wrote: every file (the main one first) and the spreadsheet cells it neutralised."""

    paths: tuple[Path, ...]
    neutralised: int = 0


@dataclass(frozen=True)
class ReportWriter:
    name: str
    extension: str
    write: Callable[[Report, Path, WriteOptions], ReportFiles]
    charts: bool = False
    """The format shows charts (they are drawn only for these)."""
    templates: bool = False
    """The format can be written with a user's Jinja template (``--template``)."""
    reference_docx: bool = False
    """The format takes its styles from a reference Word file (``--reference-docx``)."""


def _docx(report: Report, output: Path, o: WriteOptions) -> ReportFiles:
    from qcode.formats.reports.docx_report import write_docx

    write_docx(report, output, charts=o.charts, reference_docx=o.reference_docx, progress=o.progress)
    return ReportFiles((output,))


def _template(fmt: str) -> Callable[[Report, Path, WriteOptions], ReportFiles]:
    def write(report: Report, output: Path, o: WriteOptions) -> ReportFiles:
        from qcode.formats.reports.jinja import TEMPLATE_TIMEOUT, write_template_report

        write_template_report(report, output, fmt, template_text=o.template_text, charts=o.charts,
                              template_name=o.template_name, timeout=o.timeout or TEMPLATE_TIMEOUT,
                              memory_mb=o.memory_mb)
        return ReportFiles((output,))

    return write


def _csv(report: Report, output: Path, o: WriteOptions) -> ReportFiles:
    from qcode.formats.reports.tables import write_csv

    written = write_csv(report, output)
    return ReportFiles(tuple(written.paths), written.neutralised)


def _xlsx(report: Report, output: Path, o: WriteOptions) -> ReportFiles:
    from qcode.formats.reports.tables import write_xlsx

    return ReportFiles((output,), write_xlsx(report, output).neutralised)


WRITERS: dict[str, ReportWriter] = {
    w.name: w
    for w in (
        ReportWriter("docx", ".docx", _docx, charts=True, reference_docx=True),
        ReportWriter("md", ".md", _template("md"), templates=True),
        ReportWriter("html", ".html", _template("html"), charts=True, templates=True),
        ReportWriter("csv", ".csv", _csv),
        ReportWriter("xlsx", ".xlsx", _xlsx),
    )
}
"""Every report format by name, in the order messages and menus list them."""


def names_that(flag: str) -> str:
    """'md or html': the formats with *flag* (``templates``, ``reference_docx``, ``charts``), for messages."""
    names = [w.name for w in WRITERS.values() if getattr(w, flag)]
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]
