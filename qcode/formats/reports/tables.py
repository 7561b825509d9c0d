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

**Column names.** The CSV's column names are stable field names, the same
in every report language (``coding_id``, ``code_level_1``, ``France: share``),
so that a script reading them works on any report: :data:`FIELDS`. The XLSX
workbook is for people: its column headers, sheet names, continuation marker
and About sheet are in the report's language, from the ``x_<key>`` messages of
the report catalogue (:class:`Names`; in English they are the CSV's names).
Attribute names and values, group names, code ids and transcript names are
the project's own and are never translated.

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

    from qcode.formats.reports.i18n import Messages

Cell = str | int | float | None
"""A value in a table: text, a count or a share ("" or None: an empty cell)."""

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767
CONTINUED = " [continued in next column]"

_COLUMNS = (
    # quotes
    "coding_id", "transcript", "transcript_title", "speaker", "participant", "turn", "time", "code_id", "text",
    "memo", "coder", "start", "end", "neutralised",
    # summary tables
    "theme", "depth", "codings", "transcripts", "speakers", "participants", "words", "codings_with_subthemes",
    "transcripts_with_subthemes", "speakers_with_subthemes", "participants_with_subthemes", "words_with_subthemes",
    # agreement (agreement_section.HEADER) and codebook
    "code", "label", "percent", "positive", "kappa", "alpha", "alpha_low", "alpha_high", "reading",
    "number", "definition", "include", "exclude", "examples",
)
FIELDS: dict[str, str] = {
    **{c: c for c in _COLUMNS},
    "code_level": "code_level_{n}",
    "text_part": "text ({n})",
    "group_codings": "{group}: codings",
    "group_people": "{group}: {people} ({n})",
    "group_share": "{group}: share",
    "people_participants": "participants",
    "people_speakers": "speakers",
    "people_coders": "coders",
    "sheet_frequencies": "frequencies",
    "sheet_by": "by {attribute}",
    "sheet_cooccurrence": "cooccurrence",
    "sheet_by_transcript": "by transcript",
    "sheet_agreement": "agreement",
    "sheet_codebook": "codebook",
}
"""The CSV's column names (and the matrices' file-name parts): stable, whatever the report's language."""


class Names:
    """Column and sheet names: the CSV's stable :data:`FIELDS`, or, given the report's messages, the XLSX's
    words in its language (the catalogue's ``x_<key>``)."""

    def __init__(self, m: Messages | None = None) -> None:
        self.m = m

    def __call__(self, key: str, **values: object) -> str:
        if self.m is None:
            return FIELDS[key].format(**values)
        return self.m(f"x_{key}", **values)


CSV_NAMES = Names()


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


def split_long(text: str, limit: int = EXCEL_CELL_LIMIT, marker: str = CONTINUED) -> list[str]:
    """Parts of at most *limit* characters; each part but the last ends with *marker*."""
    if len(text) <= limit:
        return [text]
    size = limit - len(marker)
    parts = [text[i : i + size] for i in range(0, len(text), size)]
    return [p + marker for p in parts[:-1]] + [parts[-1]]


def quote_header(report: Report, names: Names = CSV_NAMES) -> list[str]:
    depth = max((len(q.code_path) for q in report.quotes), default=1)
    return (
        [names(c) for c in ("coding_id", "transcript", "transcript_title", "speaker", "participant", "turn", "time")]
        + list(report.attributes)
        + [names("code_level", n=i + 1) for i in range(depth)]
        + [names(c) for c in ("code_id", "text", "memo", "coder", "start", "end")]
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


def _safe_header(header: Sequence[str], written: Written, names: Names = CSV_NAMES) -> list[str]:
    """Header cells (attribute values, transcript names) neutralised too (counted), plus 'neutralised'."""
    cells = [neutralise(h) for h in header]
    written.neutralised += sum(hit for _, hit in cells)
    return [h for h, _ in cells] + [names("neutralised")]


def matrices(report: Report, names: Names = CSV_NAMES) -> dict[str, tuple[list[str], list[list[Cell]]]]:
    """Name -> (header, rows) of every summary table (names and headers by *names*: the CSV's by default)."""
    out: dict[str, tuple[list[str], list[list[Cell]]]] = {}
    out[names("sheet_frequencies")] = (
        [names(c) for c in ("code_id", "theme", "depth", "codings", "transcripts", "speakers", "participants", "words",
                            "codings_with_subthemes", "transcripts_with_subthemes", "speakers_with_subthemes",
                            "participants_with_subthemes", "words_with_subthemes")],
        [[r.code_id, r.label, r.depth, r.codings, r.transcripts, r.speakers, r.participants, r.words,
          r.total_codings, r.total_transcripts, r.total_speakers, r.total_participants, r.total_words]
         for r in report.frequencies],
    )
    for c in report.crosstabs:
        header = [names("code_id"), names("theme")]
        people = names(f"people_{c.unit}")
        for g, n in zip(c.groups, c.sizes, strict=True):
            header += [names("group_codings", group=g), names("group_people", group=g, people=people, n=str(n)),
                       names("group_share", group=g)]
        rows = []
        for r in c.rows:
            row: list[Cell] = [r.code_id, r.label]
            for k in range(len(c.groups)):
                share = r.shares[k]
                row += [r.counts[k], r.people[k], round(share, 4) if share is not None else ""]
            rows.append(row)
        out[names("sheet_by", attribute=c.attribute)] = (header, rows)
    m = report.cooccurrence
    out[names("sheet_cooccurrence")] = (
        [names("code_id"), names("theme"), *m.codes],
        [[c, lab, *vals] for c, lab, vals in zip(m.codes, m.labels, m.values, strict=True)],
    )
    b = report.by_transcript
    out[names("sheet_by_transcript")] = (
        [names("code_id"), names("theme"), *b.columns],
        [[c, lab, *vals] for c, lab, vals in zip(b.rows, b.row_labels, b.values, strict=True)],
    )
    if report.agreement:
        from qcode.formats.reports import agreement_section

        out[names("sheet_agreement")] = ([names(h) for h in agreement_section.HEADER], agreement_section.rows(report.agreement))
    out[names("sheet_codebook")] = (
        [names(c) for c in ("number", "code_id", "label", "depth", "definition", "include", "exclude", "examples")],
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
    """The workbook, in the report's language (:class:`Names`): its headers, sheets and About sheet."""
    from openpyxl import Workbook

    names = Names(report.m)
    marker = names("continued")
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the default sheet
    fields = quote_header(report)  # the field names, for the layout
    header = quote_header(report, names)
    text_at = fields.index("text")
    rows = [_safe_row(header, r, written) for r in quote_rows(report)]
    parts_needed = max((len(split_long(str(r[text_at]), marker=marker)) for r in rows), default=1)  # the quote: text
    extra = [names("text_part", n=k) for k in range(2, parts_needed + 1)]
    full_header = _safe_header(header[: text_at + 1] + extra + header[text_at + 1 :], written, names)
    full_fields = fields[: text_at + 1] + ["text"] * len(extra) + fields[text_at + 1 :] + ["neutralised"]

    def expand(r: list[Cell]) -> list[Cell]:
        parts = split_long(str(r[text_at]), marker=marker)
        parts += [""] * (parts_needed - len(parts))
        tail = r[text_at + 1 :]
        tail = [split_long(v, marker=marker)[0] if isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT else v for v in tail]
        return r[:text_at] + parts + tail

    ws = wb.create_sheet(names("sheet_quotes"))
    ws.freeze_panes = "A2"
    widths = [10 if f in ("coding_id", "turn", "start", "end") else 60 if f == "text" else 18 for f in full_fields]
    _put(ws, [full_header, *(expand(r) for r in rows)], widths)
    used = {ws.title}
    for name, (head, mrows) in matrices(report, names).items():
        ws = wb.create_sheet(_sheet_title(name, used))
        ws.freeze_panes = "C2"
        _put(ws, [_safe_header(head, written, names), *(_safe_row(head, r, written) for r in mrows)],
             [22, 36] + [14] * (len(head) - 2))
    about = wb.create_sheet(_sheet_title(names("sheet_about"), used))
    long_note = names("long_note", limit=EXCEL_CELL_LIMIT, text=names("text"), text2=names("text_part", n=2),
                      marker=marker.strip())
    _put(about, [[names("about_key"), names("about_value")], *[[k, v] for k, v in report.provenance],
                 [names("formula_cells"), names("formula_note", column=names("neutralised"))],
                 [names("long_cells"), long_note],
                 *[[names("how_to_read"), n] for n in report.notes]], [22, 120])
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
