"""Fast WordprocessingML building for the Word report: prepared elements, deep-copied.

python-docx re-validates and searches child sequences on every call: each
``document.add_paragraph`` scans the whole body for the final ``w:sectPr``
(quadratic over a 5,000-quote report), and each ``run.font.size`` or
``paragraph.alignment`` walks the schema sequence. The report writes the
same few shapes thousands of times (a quote paragraph, an attribution run, a
table cell), so each shape is built once as an lxml element with its
``pPr``/``rPr``/``tcPr`` in schema order and ``copy.deepcopy``-ed per use,
and new body elements go straight before the ``w:sectPr`` kept at hand.

The XML is the same python-docx writes for the equivalent calls (the
elements are created by python-docx's own parser, so they are its element
classes and python-docx can keep working on them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import deepcopy
from typing import TYPE_CHECKING

from qcode.formats.safexml import xml_text

if TYPE_CHECKING:
    from docx.document import Document
    from docx.oxml.text.paragraph import CT_P
    from docx.oxml.xmlchemy import BaseOxmlElement
    from lxml.etree import _Element

_SPECIAL = re.compile(r"([\t\r\n])")
GREY = "595959"


class Xml:
    """Element factory and body insertion point for one document."""

    def __init__(self, doc: Document) -> None:
        from docx.oxml.ns import nsdecls, qn

        self._decl = nsdecls("w")
        self.body = doc.element.body
        self.sect = self.body.find(qn("w:sectPr"))
        self.R, self.T, self.BR, self.TAB = qn("w:r"), qn("w:t"), qn("w:br"), qn("w:tab")
        self.SPACE = qn("xml:space")
        self._p: dict[str | None, CT_P] = {}
        self._rpr: dict[tuple[bool, bool | None, float | None, str | None], BaseOxmlElement] = {}

    def parse(self, xml: str) -> BaseOxmlElement:
        """An element from *xml* written with the ``w:`` prefix (namespace declared here)."""
        from docx.oxml.parser import parse_xml

        head, sep, rest = xml.partition(">")
        if head.endswith("/"):
            return parse_xml(f"{head[:-1]} {self._decl}/>{rest}")
        return parse_xml(f"{head} {self._decl}>{rest}")

    # ------------------------------------------------------------ body
    def insert(self, el: _Element) -> None:
        """Append *el* to the body, before the final section properties."""
        if self.sect is not None:
            self.sect.addprevious(el)
        else:
            self.body.append(el)

    def paragraph(self, style_id: str | None = None) -> CT_P:
        """A new, not yet inserted ``w:p`` with paragraph style *style_id*."""
        tpl = self._p.get(style_id)
        if tpl is None:
            from docx.oxml.text.paragraph import CT_P

            el = self.parse(f'<w:p><w:pPr><w:pStyle w:val="{_attr(style_id)}"/></w:pPr></w:p>' if style_id else "<w:p/>")
            assert isinstance(el, CT_P)  # python-docx's parser gives each w: tag its element class
            tpl = self._p[style_id] = el
        return deepcopy(tpl)

    # ------------------------------------------------------------ runs
    def rpr(self, *, bold: bool = False, italic: bool | None = None, size: float | None = None,
            color: str | None = None) -> BaseOxmlElement | None:
        """A prepared ``w:rPr`` (children in schema order: b, i, color, sz), or None when plain."""
        key = (bold, italic, size, color)
        if key == (False, None, None, None):
            return None
        el = self._rpr.get(key)
        if el is None:
            parts = []
            if bold:
                parts.append("<w:b/>")
            if italic is not None:
                parts.append("<w:i/>" if italic else '<w:i w:val="0"/>')
            if color:
                parts.append(f'<w:color w:val="{color}"/>')
            if size:
                parts.append(f'<w:sz w:val="{round(size * 2)}"/>')
            el = self._rpr[key] = self.parse("<w:rPr>" + "".join(parts) + "</w:rPr>")
        return el

    def run(self, p: _Element, text: str, rpr: _Element | None = None) -> _Element:
        """Append a run with *text* to *p*: tabs become ``w:tab``, line ends ``w:br``, as python-docx does."""
        from lxml.etree import SubElement

        r = SubElement(p, self.R)
        if rpr is not None:
            r.append(deepcopy(rpr))
        if "\n" not in text and "\t" not in text and "\r" not in text:
            self._t(r, text)
            return r
        for piece in _SPECIAL.split(text):
            if piece == "\t":
                SubElement(r, self.TAB)
            elif piece == "\n" or piece == "\r":
                SubElement(r, self.BR)
            else:
                self._t(r, piece)
        return r

    def _t(self, r: _Element, text: str) -> None:
        if not text:
            return
        from lxml.etree import SubElement

        t = SubElement(r, self.T)
        t.text = xml_text(text)
        if text[0].isspace() or text[-1].isspace():
            t.set(self.SPACE, "preserve")

    # ------------------------------------------------------------ tables
    def table_rows(self, tbl: _Element, rows: Sequence[Sequence[str]], widths: Sequence[int], text_style: str, *,
                   header: bool = False, numeric_from: int = 99, merges: Sequence[tuple[int, int]] = (),
                   numeric_to: int = 99, keep: int = 0) -> None:
        """Append *rows* to *tbl*: one prepared row per shape, deep-copied, its cells' runs filled.

        *widths* are twips per grid column. Header rows repeat on each page
        (``w:tblHeader``); body cells from column *numeric_from* to *numeric_to* (excluded) are
        right-aligned. *merges* (grid columns ``a``..``b``, first row only)
        become one cell with ``w:gridSpan``, as python-docx's ``merge`` makes. The first *keep*
        rows are kept with the next one (``w:keepNext`` on their paragraphs), and no row
        breaks across pages (``w:cantSplit``).
        """
        style = _attr(text_style)

        def row_template(spans: dict[int, int], keep_next: bool = False) -> tuple[BaseOxmlElement, list[int]]:
            cells, cols = [], []
            j = 0
            while j < len(widths):
                span = spans.get(j, 1)
                width = sum(widths[j : j + span])
                grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
                jc = '<w:jc w:val="right"/>' if not header and numeric_from <= j < numeric_to else ""
                kn = "<w:keepNext/>" if keep_next else ""
                cells.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{grid}</w:tcPr>'
                             f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{kn}{jc}</w:pPr></w:p></w:tc>')
                cols.append(j)
                j += span
            tr_pr = '<w:trPr><w:cantSplit/>' + ('<w:tblHeader w:val="true"/>' if header else "") + '</w:trPr>'
            return self.parse("<w:tr>" + tr_pr + "".join(cells) + "</w:tr>"), cols

        shapes = {(m, k): row_template({a: b - a + 1 for a, b in merges} if m else {}, k)
                  for m in ({False, True} if merges else {False}) for k in {False, keep > 0}}
        for i, values in enumerate(rows):
            tpl, cols = shapes[(bool(merges) and i == 0, i < keep)]
            tr = deepcopy(tpl)
            tcs = list(tr)[1:]  # after w:trPr
            for tc, j in zip(tcs, cols, strict=True):
                value = values[j] if j < len(values) else ""
                if value:
                    self.run(tc[1], value)  # tc[1]: the cell's w:p, after w:tcPr
            if i == 0 and any(values[k] for a, b in merges for k in range(a + 1, min(b + 1, len(values)))):
                raise ValueError("merged header cells must be empty after the first")
            tbl.append(tr)


def _attr(value: str | None) -> str:
    """*value* escaped for an XML attribute."""
    return (value or "").replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
