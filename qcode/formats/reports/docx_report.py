"""The Word report (python-docx), laid out with Word's built-in styles.

Headings use ``Heading 1-4``, quotes ``Quote``, tables a built-in table style
and figures ``Caption``, so ``--reference-docx`` (a lab's house template)
restyles everything: its styles are used and its body text is dropped. A
style the template lacks is created with a plain look. The thousands of
quote paragraphs, runs and table rows are deep copies of elements prepared
once (:mod:`qcode.formats.reports.docx_xml`), the same XML python-docx writes
for the equivalent calls at a fraction of the cost; python-docx does the rest
(document, styles, table shells, pictures, fields, saving).

The order of the sections is :data:`qcode.formats.reports.sections.SECTIONS`;
:data:`WRITERS` maps each section key to the function that writes it. Tables
follow :mod:`qcode.formats.reports.layout` (landscape pages, numbered
columns with a key, or several tables, so that no header breaks inside a
word); language, contents, page numbers and sections are in
:mod:`qcode.formats.reports.docx_fields`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qcode.core.analysis_tables import Crosstab
from qcode.core.errors import ReportError
from qcode.formats.atomic import atomic_write_with
from qcode.formats.reports import docx_fields as fields
from qcode.formats.reports.data import Report
from qcode.formats.reports.docx_xml import GREY, Xml
from qcode.formats.reports.layout import TABLE_PT, fixed_widths, plan_table
from qcode.formats.reports.reproducible import fix_zip
from qcode.formats.reports.sections import Heading
from qcode.formats.safexml import xml_text

if TYPE_CHECKING:
    from docx.document import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml.etree import _Element

    from qcode.formats.reports.i18n import Messages

TABLE_STYLES = ("Light Grid Accent 1", "Table Grid")
"""Preferred built-in table style, then a fallback every Word template has."""
TOC_LEVELS = 2
KEEP_WHOLE_ROWS = 30
"""Tables of at most this many rows (9 pt: well under a page) are kept on one page, with their caption."""
KEEP_FIRST_ROWS = 3
"""A longer table starts with at least this many body rows under its header (no header alone at a page foot)."""
Progress = Callable[[int, int, str], None]


def write_docx(
    report: Report,
    target: Path,
    *,
    charts: dict[str, bytes] | None = None,
    reference_docx: Path | None = None,
    progress: Progress | None = None,
) -> None:
    """Write *report* to *target* atomically (nothing is left behind on failure); the same report gives the
    same bytes (zip entry times and document properties come from the report date)."""
    doc = build_docx(report, charts=charts, reference_docx=reference_docx, progress=progress)

    def save(tmp: Path) -> None:
        doc.save(str(tmp))
        fix_zip(tmp, report.date)

    atomic_write_with(target, save)


def open_reference(reference_docx: Path | None) -> Document:
    """A new document: python-docx's default template, or the user's with its body emptied."""
    import docx

    if reference_docx is None:
        from docx.shared import Mm

        doc = docx.Document()
        # python-docx's template is US Letter; researchers here print on A4.
        for section in doc.sections:
            section.page_width, section.page_height = Mm(210), Mm(297)
            section.left_margin = section.right_margin = Mm(20)
            section.top_margin = section.bottom_margin = Mm(22)
            section.header_distance = section.footer_distance = Mm(10)
        return doc
    path = Path(reference_docx)
    if not path.is_file():
        raise ReportError(f"Reference document {path} not found.", hint="Check the path given to --reference-docx.")
    try:
        doc = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for a bad package
        raise ReportError(
            f"{path} is not a Word .docx file python-docx can open ({type(exc).__name__}: {exc}).",
            hint="Save the template from Word or LibreOffice as .docx (not .doc, .dotx or .odt).",
        ) from exc
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    return doc


_x = xml_text


def _clip(text: str, limit: int = 255) -> str:
    text = _x(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Writer:
    def __init__(self, doc: Document, report: Report) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Pt, RGBColor

        self.doc, self.report, self.m = doc, report, report.m
        self.Pt, self.RGB = Pt, RGBColor
        names = {s.name for s in doc.styles}
        self.table_style = next((s for s in TABLE_STYLES if s in names), None)
        for level, size in ((1, 16), (2, 13), (3, 12), (4, 11)):
            self._ensure(names, f"Heading {level}", WD_STYLE_TYPE.PARAGRAPH, size=size, bold=True)
        self._ensure(names, "Title", WD_STYLE_TYPE.PARAGRAPH, size=26)
        self._ensure(names, "Quote", WD_STYLE_TYPE.PARAGRAPH, italic=True, indent=0.4)
        self._ensure(names, "Caption", WD_STYLE_TYPE.PARAGRAPH, size=9, italic=True)
        self._ensure(names, "TOC Heading", WD_STYLE_TYPE.PARAGRAPH, size=16, bold=True)
        for level in range(1, 5):
            self._ensure(names, f"TOC {level}", WD_STYLE_TYPE.PARAGRAPH, indent=0.25 * (level - 1) or None)
        self._ensure(names, "List Bullet", WD_STYLE_TYPE.PARAGRAPH, indent=0.25)
        self._ensure(names, "Table Text", WD_STYLE_TYPE.PARAGRAPH, size=TABLE_PT)
        tt = doc.styles["Table Text"].paragraph_format
        tt.space_after = Pt(0)
        tt.space_before = Pt(0)
        self.fig = 0
        self.tab = 0
        self._ids: dict[str, str] = {}
        self._bookmarks: dict[str, str] = {}
        sec = doc.sections[-1]
        self.portrait = max(3.0, min(fields.usable_width(sec, False), 12.0))
        self.landscape = max(self.portrait, min(fields.usable_width(sec, True), 16.0))
        self.usable = self.portrait
        self.x = Xml(doc)
        self._attribution_rpr = self.x.rpr(italic=False, size=9)
        self._memo_rpr = self.x.rpr(italic=False, size=8, color=GREY)
        self._coded_rpr = self.x.rpr(bold=True)
        self.charts: dict[str, bytes] = {}
        self.tick: Callable[..., None] = lambda label, n=1: None

    def _ensure(self, names: set[str], name: str, kind: WD_STYLE_TYPE, *, size: float | None = None, bold: bool = False,
                italic: bool = False, indent: float | None = None) -> None:
        if name in names:
            return
        from docx.shared import Inches

        style = self.doc.styles.add_style(name, kind)
        style.base_style = self.doc.styles["Normal"]
        if size:
            style.font.size = self.Pt(size)
        style.font.bold = bold or None
        style.font.italic = italic or None
        if indent:
            style.paragraph_format.left_indent = Inches(indent)
        names.add(name)

    # -------------------------------------------------------------- blocks
    def style_id(self, name: str) -> str:
        """The style id of *name*, looked up once: python-docx scans every style per lookup."""
        sid = self._ids.get(name)
        if sid is None:
            sid = self._ids[name] = self.doc.styles[name].style_id
        return sid

    def add(self, style: str | None = None, text: str = "", rpr: _Element | None = None) -> Paragraph:
        """A new paragraph with *style* (by cached id) and *text*, appended to the body."""
        from docx.text.paragraph import Paragraph

        p = self.x.paragraph(self.style_id(style) if style else None)
        if text:
            self.x.run(p, _x(text), rpr)
        self.x.insert(p)
        return Paragraph(p, self.doc._body)

    def bookmark_name(self, anchor: str) -> str:
        name = self._bookmarks.get(anchor)
        if name is None:
            name = self._bookmarks[anchor] = f"_Toc{len(self._bookmarks) + 1:08d}"
        return name

    def heading(self, h: Heading) -> None:
        p = self.add(f"Heading {min(h.level, 4)}", h.text)
        fields.bookmark(p._p, self.bookmark_name(h.anchor), len(self._bookmarks))

    def para(self, text: str = "", style: str | None = None, *, bold_lead: str = "", size: float | None = None,
             grey: bool = False, indent: float = 0) -> Paragraph:
        p = self.add(style)
        if bold_lead:
            self.x.run(p._p, _x(bold_lead), self.x.rpr(bold=True, size=size))
        if text:
            self.x.run(p._p, _x(text), self.x.rpr(size=size, color=GREY if grey else None))
        if indent:
            from docx.shared import Inches

            p.paragraph_format.left_indent = Inches(indent)
        return p

    def quote(self, before: str, coded: str, after: str, attribution: str, memo: str, marked: bool = False) -> None:
        """The quote in the Quote style (the coded part bold when context surrounds it); attribution (9 pt)
        and memo (8 pt, grey) upright below it."""
        x = self.x
        p = x.paragraph(self.style_id("Quote"))
        if before:
            x.run(p, _x(before))
        if coded:
            x.run(p, _x(coded), self._coded_rpr if marked else None)
        if after:
            x.run(p, _x(after))
        x.run(p, "\n— " + _x(attribution), self._attribution_rpr)
        if memo:
            x.run(p, "\n" + self.m("memo_lead") + _x(memo), self._memo_rpr)
        x.insert(p)

    def caption(self, text: str, kind: str) -> None:
        if kind == "figure":
            self.fig += 1
            label = self.m("figure_label", n=self.fig)
        else:
            self.tab += 1
            label = self.m("table_label", n=self.tab)
        p = self.add("Caption", label + " ", self.x.rpr(bold=True))
        self.x.run(p._p, _x(text))
        p.paragraph_format.keep_with_next = kind == "table"

    def picture(self, png: bytes, width_in: float) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Inches

        p = self.add()
        p.add_run().add_picture(io.BytesIO(png), width=Inches(min(width_in, self.usable)))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True

    def table(self, header_rows: Sequence[Sequence[str]], rows: Sequence[Sequence[str]], widths: Sequence[float],
              merges: Sequence[tuple[int, int]] = (), numeric_from: int = 1, header: bool = True,
              numeric_to: int = 99) -> Table:
        """A table with *header_rows* repeated on each page; numbers (columns *numeric_from* to *numeric_to*,
        excluded) right-aligned; *widths* in inches (scaled down to the page when wider)."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Inches

        n_cols = len(widths)
        scale = min(1.0, self.usable / sum(widths))
        widths = [w * scale for w in widths]
        table = self.doc.add_table(rows=0, cols=n_cols)
        if self.table_style:
            table.style = self.table_style
        look = table._tbl.tblPr.find(qn("w:tblLook"))
        if look is None:
            look = OxmlElement("w:tblLook")
            table._tbl.tblPr.append(look)
        for key, value in (("firstRow", header), ("firstColumn", False), ("lastRow", False),
                           ("lastColumn", False), ("noHBand", False), ("noVBand", True)):
            look.set(qn(f"w:{key}"), "1" if value else "0")
        # LibreOffice reads only the legacy bit mask: firstRow 0x20, noVBand 0x400.
        look.set(qn("w:val"), f"{(0x20 if header else 0) | 0x400:04X}")
        table.autofit = False
        for j, w in enumerate(widths):
            table.columns[j].width = Inches(w)
        twips = [Inches(w).twips for w in widths]
        text_style = self.style_id("Table Text")
        # A table that fits on a page is kept on one page (with its caption, kept with the table); a longer
        # one starts with at least KEEP_FIRST_ROWS body rows under its header.
        whole = len(header_rows) + len(rows) <= KEEP_WHOLE_ROWS
        self.x.table_rows(table._tbl, header_rows, twips, text_style, header=True, merges=merges,
                          keep=len(header_rows))
        self.x.table_rows(table._tbl, rows, twips, text_style, numeric_from=numeric_from, numeric_to=numeric_to,
                          keep=len(rows) - 1 if whole else KEEP_FIRST_ROWS)
        return table

    def landscape_on(self, on: bool) -> None:
        """Switch to landscape pages (or back) before the next block."""
        if on:
            fields.begin_landscape(self.doc)
            self.usable = self.landscape
        else:
            fields.end_landscape(self.doc)
            self.usable = self.portrait


def _contents(w: _Writer, report: Report) -> None:
    """The contents: every heading down to :data:`TOC_LEVELS`, linked, with its page as a ``PAGEREF`` field
    (:func:`~qcode.formats.reports.docx_fields.toc_entry`: LibreOffice and Word both fill them)."""
    from docx.shared import Inches

    w.para(report.m("contents"), "TOC Heading")
    tab = Inches(w.portrait).twips
    for h in report.outline:
        if h.level <= TOC_LEVELS:
            fields.toc_entry(w.add(f"TOC {h.level}")._p, _x(h.text), w.bookmark_name(h.anchor), tab)
    fields.update_fields_on_open(w.doc)


def _indent(depth: int) -> str:
    return "\u2003" * depth


def _num(m: Messages, value: int) -> str:
    return m.num(value)


def write_corpus(w: _Writer, report: Report, h: Heading) -> None:
    m, c = report.m, report.corpus
    w.heading(h)
    for sentence in c.text:
        w.para(sentence)
    people = m(f"h_{report.unit}")
    headers = [m("h_transcript"), m("h_kind"), m("h_words"), people, m("h_codings")]
    w.caption(m("cap_transcripts", people=report.people_word()), "table")
    rows = [[r.title, r.kind, _num(m, r.words), _num(m, r.people), _num(m, r.codings)] for r in c.transcripts]
    w.table([headers], rows, fixed_widths(headers, w.usable, numeric_from=2, rows=rows), numeric_from=2)
    if c.attributes:
        w.para("")
        w.caption(m("cap_attributes"), "table")
        rows = [[k, "; ".join(f"{v} ({_num(m, n)})" for v, n in values)] for k, values in c.attributes]
        w.table([[m("h_attribute"), m("h_values")]], rows, [1.8, w.usable - 1.8], numeric_from=99)


def write_findings(w: _Writer, report: Report, h: Heading) -> None:
    m = report.m
    w.heading(h)
    w.para(m("findings_lead") + " " + " ".join(report.quote_notes), size=9, grey=True)
    if not report.themes:
        w.para(report.no_themes)
    for t in report.themes:
        w.heading(report.heading(f"theme-{t.code_id}"))
        if t.definition:
            w.para(t.definition, size=9, grey=True)
        w.para(t.summary)
        for q in t.quotes:
            ex = q.excerpt
            w.quote(ex.before, ex.coded, ex.after, q.attribution + (f" · {q.coded_by}" if q.coded_by else ""), q.memo,
                    q.marked)
        w.tick(t.label, len(t.quotes))
    if report.uncoded:
        w.para(m("uncoded", labels=", ".join(report.uncoded)), size=9, grey=True)


def write_analysis(w: _Writer, report: Report, h: Heading) -> None:
    m = report.m
    w.heading(h)
    charts = w.charts
    w.heading(report.heading("analysis-frequencies"))
    people = m(f"h_{report.unit}")
    w.caption(m("cap_frequencies", people=report.people_word()), "table")
    # Two bases, each labelled: the theme's own codings, then four columns under one "With sub-themes" header
    # (the theme and its sub-themes together), as each theme's summary sentence names them.
    rolled = [m("h_codings"), m("h_transcripts"), people, m("h_words")]
    key = "total_participants" if report.unit == "participants" else "total_speakers"
    rows = [[_indent(r.depth) + r.label, _num(m, r.codings), _num(m, r.total_codings), _num(m, r.total_transcripts),
             _num(m, getattr(r, key)), _num(m, r.total_words)] for r in report.frequencies]
    widths = fixed_widths([m("h_theme"), m("h_codings"), *rolled], w.usable, rows=rows)
    w.table([[m("h_theme"), m("h_codings"), m("h_with_sub"), "", "", ""], ["", "", *rolled]], rows, widths,
            merges=[(2, 5)])
    lead = w.para(m("reading_head"), size=9)
    lead.runs[0].bold = True
    lead.paragraph_format.space_before = w.Pt(10)
    lead.paragraph_format.keep_with_next = True
    for note in report.notes:
        w.para(note, "List Bullet", size=9, grey=True)
    if "frequencies" in charts:
        w.picture(charts["frequencies"], 6.2)
        w.caption(m("cap_fig_frequencies"), "figure")
    for i, c in enumerate(report.crosstabs):
        _crosstab(w, report, c, report.heading(f"analysis-by-{i}"), charts.get(f"groups-{i}"))
    _cooccurrence(w, report, report.heading("analysis-cooccurrence"), charts.get("cooccurrence"))
    _by_transcript(w, report, report.heading("analysis-by-transcript"))


def _key(w: _Writer, names: Sequence[tuple[int, str]]) -> None:
    """The key of numbered columns, ``Columns: 1: Interview 1; 2: ...``, written between the caption and the
    table and kept with the table (the caption is kept with it in turn), so the three never part."""
    p = w.para("; ".join(f"{n}: {name}" for n, name in names) + ".", bold_lead=w.m("key_lead"), size=9)
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.keep_together = True
    p.paragraph_format.space_after = w.Pt(4)


def _crosstab(w: _Writer, report: Report, c: Crosstab, h: Heading, png: bytes | None) -> None:
    m = report.m
    groups = [f"{g} ({_num(m, n)})" for g, n in zip(c.groups, c.sizes, strict=True)]
    labels = [_indent(r.depth) + r.label for r in c.rows]
    cells = {_num(m, v) for r in c.rows for v in r.counts} | {m.pct(s) for r in c.rows for s in r.shares}
    plan = plan_table(m("h_theme"), labels, groups, portrait=w.portrait, landscape=w.landscape, group=2, keys=False,
                      cells=sorted(cells))
    unit = "speakers" if c.unit == "speakers" else "participants"
    people = m(f"word_{unit}")
    if plan.landscape:
        w.landscape_on(True)
    w.heading(h)
    for part in plan.parts:
        label = (m("groups_part", a=part[0] + 1, b=part[-1] + 1, n=len(groups)) if len(plan.parts) > 1 else "")
        w.caption(m("cap_crosstab", attribute=c.attribute, part=label, people=people,
                    people_cap=people[:1].upper() + people[1:]), "table")
        head1, head2, merges, widths = [m("h_theme")], [""], [], [plan.label_width]
        for g in part:
            head1 += [groups[g], ""]
            head2 += [m("col_n"), m("col_pct")]
            merges.append((len(head1) - 2, len(head1) - 1))
            widths += [plan.widths[g] / 2] * 2
        rows = [[labels[k]] + [x for g in part for x in (_num(m, r.counts[g]), m.pct(r.shares[g]))]
                for k, r in enumerate(c.rows)]
        w.table([head1, head2], rows, widths, merges=merges)
        w.para("")
    if png:
        w.picture(png, min(w.usable, 2.8 + 0.75 * len(c.groups)))
        w.caption(m("cap_fig_groups", people=people, attribute=c.attribute), "figure")
    if plan.landscape:
        w.landscape_on(False)


def _cooccurrence(w: _Writer, report: Report, h: Heading, png: bytes | None) -> None:
    m = report.m
    t = report.cooccurrence_table
    if len(t.codes) < 2 or not report.heatmap.codes:
        w.heading(h)
        w.para(m("cooc_too_few") if len(t.codes) < 2 else m("cooc_none"))
        return
    labels = [f"{i + 1}. {lab}" for i, lab in enumerate(t.labels)]
    cells = sorted({f"({_num(m, v)})" for row in t.values for v in row})
    plan = plan_table(m("h_theme"), labels, [str(i + 1) for i in range(len(t.codes))],
                      portrait=w.portrait, landscape=w.landscape, keys=False, cells=cells)
    if plan.landscape:
        w.landscape_on(True)
    w.heading(h)
    if report.cooccurrence_note:
        w.para(report.cooccurrence_note, size=9, grey=True)
    w.caption(m("cap_cooc"), "table")
    for part in plan.parts:
        rows = [[labels[i]] + [_num(m, row[j]) if i != j else f"({_num(m, row[j])})" for j in part]
                for i, row in enumerate(t.values)]
        w.table([[m("h_theme")] + [str(j + 1) for j in part]], rows, [plan.label_width] + [plan.widths[j] for j in part])
        w.para("")
    if png:
        w.picture(png, 5.5 if len(report.heatmap.codes) > 6 else 4.5)
        w.caption(m("cap_fig_cooc"), "figure")
    if plan.landscape:
        w.landscape_on(False)


def _by_transcript(w: _Writer, report: Report, h: Heading) -> None:
    m = report.m
    t = report.by_transcript
    if not t.columns:
        w.heading(h)
        w.para(m("no_transcripts"))
        return
    labels = [_indent(d) + lab for d, lab in zip(t.depths, t.row_labels, strict=True)]
    names = list(t.column_labels)
    plan = plan_table(m("h_theme"), labels, names, portrait=w.portrait, landscape=w.landscape,
                      cells=sorted({_num(m, v) for row in t.values for v in row}))
    if plan.landscape:
        w.landscape_on(True)
    w.heading(h)
    for part in plan.parts:
        label = m("transcripts_part", a=part[0] + 1, b=part[-1] + 1, n=len(names)) if len(plan.parts) > 1 else ""
        w.caption(m("cap_by_transcript", part=label), "table")
        header = [m("h_theme")] + [str(j + 1) if plan.keyed else names[j] for j in part]
        rows = [[labels[i]] + [_num(m, t.values[i][j]) for j in part] for i in range(len(t.rows))]
        if plan.keyed:  # above the table, kept with it: a key alone at the top of the next page explains nothing
            _key(w, [(j + 1, names[j]) for j in part])
        w.table([header], rows, [plan.label_width] + [plan.widths[j] for j in part])
        w.para("")
    if plan.landscape:
        w.landscape_on(False)


def write_codebook(w: _Writer, report: Report, h: Heading) -> None:
    m = report.m
    w.heading(h)
    w.para(" ".join(x for x in (report.codebook_lead, report.codebook_description) if x))
    for e in report.codebook:
        ind = 0.3 * e.depth
        # The code's number and label at body size (it heads its entry); its id small and grey after it.
        p = w.para(bold_lead=f"{e.number} {e.label}", indent=ind)
        w.x.run(p._p, _x(f"  ({e.code_id})"), w.x.rpr(size=9, color=GREY))
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = w.Pt(8)
        if e.definition:
            w.para(e.definition, indent=ind)
        for lead, text in ((m("cb_include"), e.include), (m("cb_exclude"), e.exclude)):
            if text:
                w.para(text, bold_lead=lead, indent=ind)
        for lead, items in ((m("cb_examples"), e.examples), (m("cb_counterexamples"), e.counterexamples)):
            if items:
                w.para("", bold_lead=lead, indent=ind).paragraph_format.keep_with_next = True
                for ex in items:
                    w.para(f"“{ex}”", "List Bullet", indent=ind + 0.25)


def write_memos(w: _Writer, report: Report, h: Heading) -> None:
    w.heading(h)
    for memo in report.memos:
        p = w.para(f"  {memo.coder}, {report.m.date(memo.date)}",
                   bold_lead=memo.about + (f": {memo.title}" if memo.title else ""), size=9, grey=True)
        p.paragraph_format.keep_with_next = True
        for chunk in memo.text.split("\n\n"):
            w.para(chunk.strip())


def write_agreement(w: _Writer, report: Report, h: Heading) -> None:
    from qcode.formats.reports import agreement_section as a

    w.heading(h)
    w.para(a.summary(report.agreement or {}, w.m))
    rows = a.display_rows(report.agreement or {}, w.m)
    header = a.display_header(w.m)
    w.table([header], rows, fixed_widths(header, w.usable, rows=rows), numeric_to=len(header) - 1)  # (the reading: text)


WRITERS: dict[str, Callable[[_Writer, Report, Heading], None]] = {
    "corpus": write_corpus,
    "findings": write_findings,
    "analysis": write_analysis,
    "codebook": write_codebook,
    "memos": write_memos,
    "agreement": write_agreement,
}
"""Section key -> the function writing it (headings included); see :mod:`qcode.formats.reports.sections`."""


def build_docx(
    report: Report,
    *,
    charts: dict[str, bytes] | None = None,
    reference_docx: Path | None = None,
    progress: Progress | None = None,
) -> Document:
    """The report as a python-docx Document (not saved)."""
    from docx.enum.text import WD_BREAK

    doc = open_reference(reference_docx)
    w = _Writer(doc, report)
    w.charts = charts or {}
    m = report.m
    fields.set_language(doc, m.tag)
    _properties(doc, report)
    if reference_docx is None or not any(p.text.strip() for p in doc.sections[0].footer.paragraphs):
        fields.page_furniture(doc, _x(report.title), m.raw("page_of"))
    total = len(report.quotes) + 10
    done = 0

    def tick(label: str, n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(min(done, total), total, label)

    w.tick = tick
    w.para(report.title, "Title")
    w.para(report.subtitle, grey=True)
    w.table([], [[k, v] for k, v in report.provenance], [1.9, w.usable - 1.9], numeric_from=99, header=False)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _contents(w, report)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tick("title page")
    for h in report.outline:
        if h.level == 1:
            WRITERS[h.key](w, report, h)
            tick(h.title)
    tick("done", total)
    return doc


def _properties(doc: Document, report: Report) -> None:
    """Fixed metadata so the same project and options give the same document."""
    cp = doc.core_properties
    cp.author = "qcode"
    cp.last_modified_by = "qcode"
    cp.title = _clip(report.title)
    cp.comments = _clip("; ".join(f"{k}: {v}" for k, v in report.provenance))
    cp.revision = 1
    try:
        stamp = datetime.fromisoformat(report.date).replace(tzinfo=UTC)
    except ValueError:
        stamp = datetime(2000, 1, 1, tzinfo=UTC)
    cp.created = stamp
    cp.modified = stamp
    cp.last_printed = stamp
