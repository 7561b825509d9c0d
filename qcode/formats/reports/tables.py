"""CSV and XLSX exports: one row per quote, and the matrices as sheets or files.

**Formula injection.** A cell whose text begins with ``=``, ``+``, ``-``,
``@``, TAB or CR would run as a formula in Excel or LibreOffice. Such a
cell gets a leading apostrophe (``'=SUM(A1)``), as OWASP recommends. Because
interview turns often start with a dialogue dash, the change is visible and
reversible: the ``neutralised`` column lists the columns changed in that row,
and the XLSX ``About`` sheet says so. The writers return how many cells they
changed (:class:`Written`), so the caller can say so only when it happened.

**Long cells.** Excel stores at most 32,767 characters in a cell. A longer
quote is split over the columns ``text``, ``text (2)``, ... and every part
but the last ends with a continuation marker; nothing is cut silently.

Each file is written atomically (temporary file, then moved into place).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qcode.formats.atomic import atomic_write_text, atomic_write_with
from qcode.formats.reports.data import Report
from qcode.formats.safexml import xml_text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | float | None
"""A value in a table: text, a count or a share ("" or None: an empty cell)."""

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767
CONTINUED = " [continued in next column]"
NEUTRALISED_NOTE = (
    "Cells that began with = + - @ TAB or CR were prefixed with an apostrophe (') so that spreadsheet "
    "programs show them as text instead of running them as formulas; the 'neutralised' column names the "
    "columns changed in each row. Remove the apostrophe to get the original text."
)


@dataclass
class Written:
    """What a spreadsheet writer wrote: the files, and how many cells it neutralised (header cells included)."""

    paths: list[Path] = field(default_factory=list)
    neutralised: int = 0


def neutralise(value: str) -> tuple[str, bool]:
    """(safe text, whether it was changed): prefix ``'`` to text a spreadsheet would run."""
    if value and value.startswith(DANGEROUS_START):
        return "'" + value, True
    return value, False


def split_long(text: str, limit: int = EXCEL_CELL_LIMIT) -> list[str]:
    """Parts of at most *limit* characters; each part but the last ends with the marker."""
    if len(text) <= limit:
        return [text]
    size = limit - len(CONTINUED)
    parts = [text[i : i + size] for i in range(0, len(text), size)]
    return [p + CONTINUED for p in parts[:-1]] + [parts[-1]]


def quote_header(report: Report) -> list[str]:
    depth = max((len(q.code_path) for q in report.quotes), default=1)
    return (
        ["coding_id", "transcript", "transcript_title", "speaker", "participant", "turn", "time"]
        + list(report.attributes)
        + [f"code_level_{i + 1}" for i in range(depth)]
        + ["code_id", "text", "memo", "coder", "start", "end"]
    )


def quote_rows(report: Report) -> Iterable[list[Cell]]:
    """Rows under :func:`quote_header` (values not yet neutralised)."""
    depth = max((len(q.code_path) for q in report.quotes), default=1)
    for q in report.quotes:
        path = [_label(report, c) for c in q.code_path] + [""] * (depth - len(q.code_path))
        first: list[Cell] = [q.coding_id, q.transcript, q.transcript_title, "; ".join(q.speakers), "; ".join(q.participants),
                             q.turn if q.turn is not None else "", q.where if q.time is not None else ""]
        yield (
            first
            + [q.attributes.get(a, "") for a in report.attributes]
            + path
            + [q.code_id, q.text, "\n\n".join(m for m in (q.memo, *q.notes) if m), q.coder, q.start, q.end]
        )


def _label(report: Report, code_id: str) -> str:
    for e in report.codebook:
        if e.code_id == code_id:
            return e.label
    return code_id


def _safe_row(header: Sequence[str], row: Sequence[Cell], written: Written) -> list[Cell]:
    """Neutralise every text cell (counted in *written*); append the 'neutralised' column."""
    changed = []
    out: list[Cell] = []
    for name, value in zip(header, row, strict=True):
        if isinstance(value, str):
            value, hit = neutralise(value)
            if hit:
                changed.append(name)
        out.append(value)
    written.neutralised += len(changed)
    return out + [", ".join(changed)]


def _safe_header(header: Sequence[str], written: Written) -> list[str]:
    """Header cells (attribute values, transcript names) neutralised too (counted), plus 'neutralised'."""
    cells = [neutralise(h) for h in header]
    written.neutralised += sum(hit for _, hit in cells)
    return [h for h, _ in cells] + ["neutralised"]


def matrices(report: Report) -> dict[str, tuple[list[str], list[list[Cell]]]]:
    """Name -> (header, rows) of every summary table."""
    out: dict[str, tuple[list[str], list[list[Cell]]]] = {}
    out["frequencies"] = (
        ["code_id", "theme", "depth", "codings", "transcripts", "speakers", "participants", "words",
         "codings_with_subthemes", "transcripts_with_subthemes", "speakers_with_subthemes",
         "participants_with_subthemes", "words_with_subthemes"],
        [[r.code_id, r.label, r.depth, r.codings, r.transcripts, r.speakers, r.participants, r.words,
          r.total_codings, r.total_transcripts, r.total_speakers, r.total_participants, r.total_words]
         for r in report.frequencies],
    )
    for c in report.crosstabs:
        header = ["code_id", "theme"]
        for g, n in zip(c.groups, c.sizes, strict=True):
            header += [f"{g}: codings", f"{g}: {c.unit} ({n})", f"{g}: share"]
        rows = []
        for r in c.rows:
            row: list[Cell] = [r.code_id, r.label]
            for k in range(len(c.groups)):
                share = r.shares[k]
                row += [r.counts[k], r.people[k], round(share, 4) if share is not None else ""]
            rows.append(row)
        out[f"by {c.attribute}"] = (header, rows)
    m = report.cooccurrence
    out["cooccurrence"] = (["code_id", "theme", *m.codes], [[c, lab, *vals] for c, lab, vals in zip(m.codes, m.labels, m.values, strict=True)])
    b = report.by_transcript
    out["by transcript"] = (
        ["code_id", "theme", *b.columns],
        [[c, lab, *vals] for c, lab, vals in zip(b.rows, b.row_labels, b.values, strict=True)],
    )
    if report.agreement:
        from qcode.formats.reports import agreement_section

        out["agreement"] = (agreement_section.HEADER, agreement_section.rows(report.agreement))
    out["codebook"] = (
        ["number", "code_id", "label", "depth", "definition", "include", "exclude", "examples"],
        [[e.number, e.code_id, e.label, e.depth, e.definition, e.include, e.exclude, "\n".join(e.examples)]
         for e in report.codebook],
    )
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "table"


def write_csv(report: Report, target: Path) -> Written:
    """Quotes to *target*; each matrix to ``<stem>-<name>.csv`` beside it. Returns every path and the count."""
    target = Path(target)
    header = quote_header(report)
    written = Written([target])
    atomic_write_text(target, _csv_text(_safe_header(header, written),
                                        (_safe_row(header, r, written) for r in quote_rows(report))))
    for name, (head, rows) in matrices(report).items():
        path = target.with_name(f"{target.stem}-{_slug(name)}{target.suffix or '.csv'}")
        atomic_write_text(path, _csv_text(_safe_header(head, written), (_safe_row(head, r, written) for r in rows)))
        written.paths.append(path)
    return written


def _csv_text(header: list[str], rows: Iterable[list[Cell]]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # so Excel opens UTF-8 correctly
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def write_xlsx(report: Report, target: Path) -> Written:
    """A workbook: Quotes, the matrices, the codebook, and About (with the neutralising note)."""
    from qcode.formats.reports.reproducible import fix_zip, stamp

    written = Written([Path(target)])

    def save(tmp: Path) -> None:
        wb = _workbook(report, written)
        when = stamp(report.date).replace(tzinfo=None)
        wb.properties.created = wb.properties.modified = when
        wb.properties.creator = wb.properties.lastModifiedBy = "qcode"
        wb.properties.title = report.title[:255]
        wb.properties.language = report.m.tag
        wb.save(str(tmp))
        fix_zip(tmp, report.date)

    atomic_write_with(Path(target), save)
    return written


_cell_text = xml_text  # characters XLSX cannot hold become visible U+FFFD


def _put(ws: Worksheet, rows: Iterable[Sequence[Cell]], widths: Sequence[float] = ()) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, w in enumerate(widths):
        ws.column_dimensions[_col(j)].width = w
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=i, column=j, value=_cell_text(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text
                if i > 1 and len(value) > 60:
                    cell.alignment = wrap
            if i == 1:
                cell.font = bold


def _col(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def _workbook(report: Report, written: Written) -> Workbook:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the default sheet
    header = quote_header(report)
    text_at = header.index("text")
    rows = [_safe_row(header, r, written) for r in quote_rows(report)]
    parts_needed = max((len(split_long(str(r[text_at]))) for r in rows), default=1)  # the quote: text
    extra = [f"text ({k})" for k in range(2, parts_needed + 1)]
    full_header = _safe_header(header[: text_at + 1] + extra + header[text_at + 1 :], written)

    def expand(r: list[Cell]) -> list[Cell]:
        parts = split_long(str(r[text_at]))
        parts += [""] * (parts_needed - len(parts))
        tail = r[text_at + 1 :]
        tail = [split_long(v)[0] if isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT else v for v in tail]
        return r[:text_at] + parts + tail

    ws = wb.create_sheet("Quotes")
    ws.freeze_panes = "A2"
    widths = [10 if h in ("coding_id", "turn", "start", "end") else 60 if h.startswith("text") else 18 for h in full_header]
    _put(ws, [full_header, *(expand(r) for r in rows)], widths)
    used = {"Quotes"}
    for name, (head, mrows) in matrices(report).items():
        title = _sheet_title(name.capitalize(), used)
        ws = wb.create_sheet(title)
        ws.freeze_panes = "C2"
        _put(ws, [_safe_header(head, written), *(_safe_row(head, r, written) for r in mrows)],
             [22, 36] + [14] * (len(head) - 2))
    about = wb.create_sheet("About")
    _put(about, [["key", "value"], *[[k, v] for k, v in report.provenance],
                 ["Formula cells", NEUTRALISED_NOTE],
                 ["Long cells", f"Text longer than Excel's {EXCEL_CELL_LIMIT:,}-character cell limit is split over "
                  f"the columns text, text (2), ...; each part but the last ends with '{CONTINUED.strip()}'."],
                 *[["How to read", n] for n in report.notes]], [22, 120])
    return wb


def _sheet_title(name: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, no []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title
