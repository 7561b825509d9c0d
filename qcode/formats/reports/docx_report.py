"""The Word report (python-docx), laid out with Word's built-in styles.

Headings use ``Heading 1-3``, quotes ``Quote``, tables a built-in table style
and figures ``Caption``, so ``--reference-docx`` (a lab's house template)
restyles everything: its styles are used and its body text is dropped. A
style the template lacks is created with a plain look. The thousands of
quote paragraphs, runs and table rows are deep copies of elements prepared
once (:mod:`qcode.formats.reports.docx_xml`), the same XML python-docx writes
for the equivalent calls at a fraction of the cost; python-docx does the rest
(document, styles, table shells, pictures, fields, saving).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from qcode.core.errors import ReportError
from qcode.formats.atomic import atomic_write_with
from qcode.formats.reports.data import Report, share_text
from qcode.formats.reports.docx_xml import GREY, Xml

TABLE_STYLES = ("Light Grid Accent 1", "Table Grid")
"""Preferred built-in table style, then a fallback every Word template has."""
MAX_MATRIX_COLUMNS = 12
GROUPS_PER_TABLE = 4
"""Crosstab groups side by side in one Word table (two columns each)."""
Progress = Callable[[int, int, str], None]


def write_docx(
    report: Report,
    target: Path,
    *,
    charts: dict[str, bytes] | None = None,
    reference_docx: Path | None = None,
    progress: Progress | None = None,
) -> None:
    """Write *report* to *target* atomically (nothing is left behind on failure)."""
    doc = build_docx(report, charts=charts, reference_docx=reference_docx, progress=progress)
    atomic_write_with(target, lambda tmp: doc.save(str(tmp)))


def open_reference(reference_docx: Path | None) -> Any:
    """A new document: python-docx's default template, or the user's with its body emptied."""
    import docx

    if reference_docx is None:
        from docx.shared import Mm

        doc = docx.Document()
        # python-docx's template is US Letter; researchers here print on A4.
        for section in doc.sections:
            section.page_width, section.page_height = Mm(210), Mm(297)
            section.left_margin = section.right_margin = Mm(25)
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


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    """Text Word can store: characters XML forbids become U+FFFD (visible, never dropped silently)."""
    return _NOT_XML.sub("\ufffd", text)


def _clip(text: str, limit: int = 255) -> str:
    text = _x(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Writer:
    def __init__(self, doc: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Pt, RGBColor

        self.doc = doc
        self.Pt, self.RGB = Pt, RGBColor
        names = {s.name for s in doc.styles}
        self.table_style = next((s for s in TABLE_STYLES if s in names), None)
        for level, size in ((1, 16), (2, 13), (3, 12), (4, 11)):
            self._ensure(names, f"Heading {level}", WD_STYLE_TYPE.PARAGRAPH, size=size, bold=True)
        self._ensure(names, "Title", WD_STYLE_TYPE.PARAGRAPH, size=26)
        self._ensure(names, "Quote", WD_STYLE_TYPE.PARAGRAPH, italic=True, indent=0.4)
        self._ensure(names, "Caption", WD_STYLE_TYPE.PARAGRAPH, size=9, italic=True)
        self._ensure(names, "TOC Heading", WD_STYLE_TYPE.PARAGRAPH, size=16, bold=True)
        self._ensure(names, "TOC 1", WD_STYLE_TYPE.PARAGRAPH)
        self._ensure(names, "TOC 2", WD_STYLE_TYPE.PARAGRAPH, indent=0.25)
        self._ensure(names, "List Bullet", WD_STYLE_TYPE.PARAGRAPH, indent=0.25)
        self._ensure(names, "Table Text", WD_STYLE_TYPE.PARAGRAPH, size=8)
        tt = doc.styles["Table Text"].paragraph_format
        tt.space_after = Pt(0)
        tt.space_before = Pt(0)
        self.fig = 0
        self.tab = 0
        self._ids: dict[str, str] = {}
        sec = doc.sections[-1]
        try:
            self.usable = (sec.page_width - sec.left_margin - sec.right_margin) / 914400
        except TypeError:
            self.usable = 6.0
        self.usable = max(3.0, min(self.usable, 12.0))
        self.x = Xml(doc)
        self._attribution_rpr = self.x.rpr(italic=False, size=9)
        self._memo_rpr = self.x.rpr(italic=False, size=8, color=GREY)

    def _ensure(self, names: set[str], name: str, kind: Any, *, size: int | None = None, bold: bool = False,
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

    def add(self, style: str | None = None, text: str = "", rpr: Any = None) -> Any:
        """A new paragraph with *style* (by cached id) and *text*, appended to the body."""
        from docx.text.paragraph import Paragraph

        p = self.x.paragraph(self.style_id(style) if style else None)
        if text:
            self.x.run(p, _x(text), rpr)
        self.x.insert(p)
        return Paragraph(p, self.doc._body)

    def heading(self, text: str, level: int) -> None:
        self.add(f"Heading {min(level, 4)}", text)

    def para(self, text: str = "", style: str | None = None, *, bold_lead: str = "", size: float | None = None,
             grey: bool = False, indent: float = 0) -> Any:
        p = self.add(style)
        if bold_lead:
            self.x.run(p._p, _x(bold_lead), self.x.rpr(bold=True))
        if text:
            self.x.run(p._p, _x(text), self.x.rpr(size=size, color=GREY if grey else None))
        if indent:
            from docx.shared import Inches

            p.paragraph_format.left_indent = Inches(indent)
        return p

    def quote(self, text: str, attribution: str, memo: str) -> None:
        """The quote in the Quote style; attribution (9 pt) and memo (8 pt, grey) upright below it."""
        x = self.x
        p = x.paragraph(self.style_id("Quote"))
        if text:
            x.run(p, _x(text))
        x.run(p, "\n" + _x(attribution), self._attribution_rpr)
        if memo:
            x.run(p, "\nMemo: " + _x(memo), self._memo_rpr)
        x.insert(p)

    def caption(self, text: str, kind: str) -> None:
        if kind == "Figure":
            self.fig += 1
            n = self.fig
        else:
            self.tab += 1
            n = self.tab
        p = self.add("Caption", f"{kind} {n}. ", self.x.rpr(bold=True))
        self.x.run(p._p, _x(text))
        p.paragraph_format.keep_with_next = kind == "Table"

    def picture(self, png: bytes, width_in: float) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Inches

        p = self.add()
        p.add_run().add_picture(io.BytesIO(png), width=Inches(width_in))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True

    def table(self, header_rows: Sequence[Sequence[str]], rows: Sequence[Sequence[str]], widths: Sequence[float],
              merges: Sequence[tuple[int, int]] = (), numeric_from: int = 1, header: bool = True) -> Any:
        """A table with *header_rows* repeated on each page; numbers right-aligned."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Inches

        n_cols = len(widths)
        scale = self.usable / sum(widths)
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
        self.x.table_rows(table._tbl, header_rows, twips, text_style, header=True, merges=merges)
        self.x.table_rows(table._tbl, rows, twips, text_style, numeric_from=numeric_from)
        return table


_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema",
    "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
)


def _heading_plan(report: Report) -> list[tuple[int, str]]:
    plan = [(1, "1 Codebook"), (1, "2 Theme frequencies"), (1, "3 Themes and quotes")]
    plan += [(2, f"{t.number} {t.label}") for t in report.themes if t.depth == 0]
    n = 4
    if report.crosstabs:
        plan.append((1, f"{n} Themes across groups"))
        n += 1
    plan.append((1, f"{n} Co-occurrence of themes"))
    plan.append((1, f"{n + 1} Themes by transcript"))
    if report.memos:
        plan.append((1, "Appendix: memos"))
    if report.agreement:
        plan.append((1, "Appendix: agreement between coders"))
    return plan


def _toc(w: _Writer, plan: list[tuple[int, str]]) -> None:
    """A TOC field whose current result is the outline (Word refreshes page numbers on open)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    w.para("Contents", "TOC Heading")

    def fld(p: Any, kind: str, instr: str = "") -> None:
        r = OxmlElement("w:r")
        if instr:
            t = OxmlElement("w:instrText")
            t.set(qn("xml:space"), "preserve")
            t.text = instr
            r.append(t)
        else:
            c = OxmlElement("w:fldChar")
            c.set(qn("w:fldCharType"), kind)
            r.append(c)
        p._p.append(r)

    for i, (level, text) in enumerate(plan):
        p = w.add(f"TOC {min(level, 2)}")
        if i == 0:
            fld(p, "begin")
            fld(p, "", ' TOC \\o "1-2" \\h \\z \\u ')
            fld(p, "separate")
        p.add_run(_x(text))
        if i == len(plan) - 1:
            fld(p, "end")
    # Ask Word to refresh fields (page numbers) on open. CT_Settings is an
    # ordered sequence: insert before the first element that must follow it.
    settings = w.doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        el = OxmlElement("w:updateFields")
        el.set(qn("w:val"), "true")
        after = {qn(f"w:{n}") for n in _AFTER_UPDATE_FIELDS} | {qn("m:mathPr"), qn("sl:schemaLibrary")}
        nxt = next((c for c in settings if c.tag in after), None)
        if nxt is None:
            settings.append(el)
        else:
            nxt.addprevious(el)


def build_docx(
    report: Report,
    *,
    charts: dict[str, bytes] | None = None,
    reference_docx: Path | None = None,
    progress: Progress | None = None,
) -> Any:
    """The report as a python-docx Document (not saved)."""
    from docx.enum.text import WD_BREAK

    charts = charts or {}
    doc = open_reference(reference_docx)
    w = _Writer(doc)
    _properties(doc, report)
    total = len(report.quotes) + 10
    done = 0

    def tick(label: str, n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(min(done, total), total, label)

    # Title page and contents.
    w.para(report.title, "Title")
    w.para(f"Coded interview report · {report.date}", grey=True)
    w.table([], [[k, v] for k, v in report.provenance], [1.4, 4.6], numeric_from=99, header=False)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _toc(w, _heading_plan(report))
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tick("title page")

    # 1 Codebook.
    w.heading("1 Codebook", 1)
    w.para(f"{report.codebook_title}. {report.codebook_description}".strip())
    for e in report.codebook:
        ind = 0.3 * e.depth
        p = w.para(f"  ({e.code_id})", bold_lead=f"{e.number} {e.label}", size=8, grey=True, indent=ind)
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = w.Pt(8)
        if e.definition:
            w.para(e.definition, indent=ind)
        for lead, text in (("Include: ", e.include), ("Exclude: ", e.exclude)):
            if text:
                w.para(text, bold_lead=lead, indent=ind)
        for lead, items in (("Examples", e.examples), ("Counterexamples", e.counterexamples)):
            if items:
                w.para("", bold_lead=lead + ":", indent=ind).paragraph_format.keep_with_next = True
                for ex in items:
                    w.para(f"“{ex}”", "List Bullet", indent=ind + 0.25)
    tick("codebook")

    # 2 Frequencies.
    w.heading("2 Theme frequencies", 1)
    w.caption("Codings, transcripts, participants and words per theme. Sub-themes are indented; "
              "“with sub-themes” counts a theme together with its sub-themes.", "Table")
    rows = [
        ["    " * r.depth + r.label, f"{r.codings:,}", f"{r.total_codings:,}", f"{r.total_transcripts:,}",
         f"{r.total_participants:,}" if r.total_participants or not r.total_speakers else f"{r.total_speakers:,}*", f"{r.total_words:,}"]
        for r in report.frequencies
    ]
    w.table([["Theme", "Codings", "With sub-themes", "Transcripts", "Participants", "Words"]], rows,
            [1.75, 0.75, 0.85, 0.9, 0.95, 0.7])
    if any(r.total_participants == 0 and r.total_speakers for r in report.frequencies):
        w.para("* speakers not linked to participants.", size=8, grey=True)
    lead = w.para("How to read the numbers", size=9)
    lead.runs[0].bold = True
    lead.paragraph_format.space_before = w.Pt(10)
    lead.paragraph_format.keep_with_next = True
    for note in report.notes:
        w.para(note, "List Bullet", size=8, grey=True)
    if "frequencies" in charts:
        w.picture(charts["frequencies"], 6.0)
        w.caption("Codings per theme (a theme includes its sub-themes).", "Figure")
    tick("frequencies")

    # 3 Themes and quotes.
    w.heading("3 Themes and quotes", 1)
    if not report.themes:
        w.para("No coded passages match the report's filters.")
    for t in report.themes:
        w.heading(f"{t.number} {t.label}", 2 + min(t.depth, 2))
        if t.definition:
            w.para(t.definition.strip(), size=9, grey=True)
        w.para(t.summary())
        for q in t.quotes:
            w.quote(q.text, q.attribution() + (f" · {q.coded_by()}" if q.coded_by() else ""), q.memo)
        if t.quotes:
            tick(t.label, len(t.quotes))
    if report.uncoded:
        w.para("Themes with no coded passage: " + ", ".join(report.uncoded) + ".", size=9, grey=True)

    n = 4
    if report.crosstabs:
        w.heading(f"{n} Themes across groups", 1)
        for c in report.crosstabs:
            _crosstab(w, c)
        n += 1
    _cooccurrence(w, report, n, charts.get("cooccurrence"))
    _by_transcript(w, report, n + 1)
    tick("tables")
    if report.memos:
        w.heading("Appendix: memos", 1)
        for m in report.memos:
            p = w.para(f"  {m.coder}, {m.date}", bold_lead=m.about + (f": {m.title}" if m.title else ""), size=8, grey=True)
            p.paragraph_format.keep_with_next = True
            for chunk in m.text.split("\n\n"):
                w.para(chunk.strip())
    if report.agreement:
        _agreement(w, report.agreement)
    tick("memos", total)
    return doc


def _agreement(w: _Writer, result: dict[str, Any]) -> None:
    from qcode.formats.reports import agreement_section as a

    w.heading(a.TITLE, 1)
    w.para(a.summary(result))
    w.table([a.DISPLAY_HEADER], a.display_rows(result), [2.2, 0.9, 0.7, 0.7, 1.0, 1.1])


def _crosstab(w: _Writer, c: Any) -> None:
    groups = list(c.groups)
    for start in range(0, max(1, len(groups)), GROUPS_PER_TABLE):
        part = range(start, min(start + GROUPS_PER_TABLE, len(groups)))
        head1 = ["Theme"]
        head2 = [""]
        merges = []
        for g in part:
            head1 += [f"{groups[g]} ({c.sizes[g]})", ""]
            head2 += ["n", "%"]
            merges.append((len(head1) - 2, len(head1) - 1))
        rows = [
            ["    " * r.depth + r.label] + [x for g in part for x in (f"{r.counts[g]:,}", share_text(r.shares[g]))]
            for r in c.rows
        ]
        label = f"groups {start + 1}–{part[-1] + 1} of {len(groups)}; " if len(groups) > GROUPS_PER_TABLE else ""
        w.caption(f"Themes by {c.attribute} ({label}participants per group in brackets). n: codings; "
                  "%: share of the group's participants who said something coded with the theme.", "Table")
        name_w = 2.2
        w.table([head1, head2], rows, [name_w] + [(6.0 - name_w) / (2 * len(part))] * (2 * len(part)), merges=merges)
        w.para("")


def _cooccurrence(w: _Writer, report: Report, n: int, png: bytes | None) -> None:
    m = report.cooccurrence_table
    w.heading(f"{n} Co-occurrence of themes", 1)
    if len(m.codes) < 2:
        w.para("Fewer than two themes are coded, so there is no co-occurrence to show.")
        return
    if report.cooccurrence_note:
        w.para(report.cooccurrence_note, size=9, grey=True)
    w.caption("Pairs of overlapping codings of two themes (columns numbered as the rows); "
              "the diagonal holds each theme's own codings.", "Table")
    k = len(m.codes)
    cell = min(0.45, 3.6 / k)
    header = ["Theme"] + [str(i + 1) for i in range(k)]
    rows = [[f"{i + 1}. {m.labels[i]}"] + [f"{v:,}" if i != j else f"({v:,})" for j, v in enumerate(row)]
            for i, row in enumerate(m.values)]
    w.table([header], rows, [6.0 - cell * k] + [cell] * k)
    if not any(v for i, row in enumerate(m.values) for j, v in enumerate(row) if i != j):
        w.para("No two themes overlap in the coded passages.", size=9, grey=True)
    if png:
        w.picture(png, 5.0 if len(m.codes) > 6 else 4.0)
        w.caption("Co-occurrence heatmap (overlapping codings; the diagonal is left blank).", "Figure")


def _by_transcript(w: _Writer, report: Report, n: int) -> None:
    m = report.by_transcript
    w.heading(f"{n} Themes by transcript", 1)
    if not m.columns:
        w.para("No transcript matches the report's filters.")
        return
    cols = list(range(len(m.columns)))
    for start in range(0, len(cols), MAX_MATRIX_COLUMNS):
        part = cols[start : start + MAX_MATRIX_COLUMNS]
        label = f" (transcripts {start + 1}–{part[-1] + 1} of {len(cols)})" if len(cols) > MAX_MATRIX_COLUMNS else ""
        w.caption(f"Codings per theme (with sub-themes) in each transcript{label}.", "Table")
        cell = min(0.9, 3.8 / len(part))
        header = ["Theme"] + [m.column_labels[j] for j in part]
        rows = [["    " * m.depths[i] + m.row_labels[i]] + [f"{m.values[i][j]:,}" for j in part] for i in range(len(m.rows))]
        w.table([header], rows, [6.0 - cell * len(part)] + [cell] * len(part))
        w.para("")


def _properties(doc: Any, report: Report) -> None:
    """Fixed metadata so the same project and options give the same document."""
    cp = doc.core_properties
    cp.author = "qcode"
    cp.last_modified_by = "qcode"
    cp.title = _clip(report.title)
    cp.comments = _clip("; ".join(f"{k}: {v}" for k, v in report.provenance))
    cp.revision = 1
    try:
        stamp = datetime.fromisoformat(report.date)
    except ValueError:
        stamp = datetime(2000, 1, 1)
    cp.created = stamp
    cp.modified = stamp
    cp.last_printed = stamp
