"""Word report plumbing: language, table of contents, page numbers, bookmarks, landscape sections.

* **Language**: the default run language (``w:docDefaults``), every style
  that sets one, the theme font language and the core ``language`` property
  carry the report's BCP 47 tag, so Word and LibreOffice spell-check and
  hyphenate in the study's language.
* **Table of contents**: every heading, linked, with a ``PAGEREF`` field to
  the heading's bookmark (not wrapped in a ``TOC`` field: LibreOffice shows a
  TOC field as saved, without page numbers, while it computes bare
  ``PAGEREF`` fields as it lays the pages out, so the page numbers are right
  in a PDF converted headless); Word fills them on open (``w:updateFields``).
* **Headers and footers**: the title in the header, ``Page N of M`` (``PAGE``
  and ``NUMPAGES`` fields) in the footer, none on the title page.
* **Landscape sections**: :func:`begin_landscape` / :func:`end_landscape`
  around a wide table (section breaks; page numbers continue).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document
    from docx.section import Section
    from docx.shared import Length
    from lxml.etree import _Element

_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "attachedSchema",
    "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
)


def _el(tag: str, **attrs: str) -> _Element:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(k.replace("_", ":", 1)), v)
    return el


def field_runs(p: _Element, instr: str, result: str = "", rpr: _Element | None = None) -> None:
    """Append a complex field (begin, instruction, separate, cached *result*, end) to paragraph element *p*."""
    from copy import deepcopy

    def run(child: _Element) -> None:
        r = _el("w:r")
        if rpr is not None:
            r.append(deepcopy(rpr))
        r.append(child)
        p.append(r)

    run(_el("w:fldChar", w_fldCharType="begin"))
    instr_el = _el("w:instrText")
    instr_el.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr_el.text = f" {instr} "
    run(instr_el)
    run(_el("w:fldChar", w_fldCharType="separate"))
    t = _el("w:t")
    t.text = result
    run(t)
    run(_el("w:fldChar", w_fldCharType="end"))


def set_language(doc: Document, tag: str) -> None:
    """Make *tag* (``fr-FR``) the language of the document's text, styles and properties."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if rpr_default is not None:
        rpr = rpr_default.find(qn("w:rPr"))
        if rpr is None:
            rpr = _el("w:rPr")
            rpr_default.append(rpr)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = _el("w:lang")
            rpr.append(lang)  # w:lang is last but for eastAsianLayout/specVanish, absent here
        lang.set(qn("w:val"), tag)
        lang.set(qn("w:eastAsia"), tag)
    for lang in styles.iter(qn("w:lang")):
        if lang.get(qn("w:val")):
            lang.set(qn("w:val"), tag)
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), tag)
    doc.core_properties.language = tag


def update_fields_on_open(doc: Document) -> None:
    """``w:updateFields`` in settings, at its place in the schema sequence."""
    from docx.oxml.ns import qn

    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is not None:
        return
    el = _el("w:updateFields", w_val="true")
    after = {qn(f"w:{n}") for n in _AFTER_UPDATE_FIELDS} | {qn("m:mathPr"), qn("sl:schemaLibrary")}
    nxt = next((c for c in settings if c.tag in after), None)
    if nxt is None:
        settings.append(el)
    else:
        nxt.addprevious(el)


def bookmark(p: _Element, name: str, ident: int) -> None:
    """Wrap the content of paragraph element *p* in bookmark *name*."""
    from docx.oxml.ns import qn

    start = _el("w:bookmarkStart", w_id=str(ident), w_name=name)
    ppr = p.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        p.insert(0, start)
    p.append(_el("w:bookmarkEnd", w_id=str(ident)))


def toc_entry(p: _Element, text: str, anchor: str, tab_pos_twips: int) -> None:
    """One line of the contents: hyperlink text, dot-leader tab, ``PAGEREF`` page number.

    The lines are not wrapped in a ``TOC`` field: LibreOffice shows a TOC
    field as it was saved (no page numbers, since qcode cannot lay out pages),
    while it computes bare ``PAGEREF`` fields as it lays out the document, so
    a plain ``soffice --convert-to pdf`` prints the right pages; Word fills
    them when it updates the fields on opening (:func:`update_fields_on_open`).
    """
    from docx.oxml.ns import qn

    ppr = p.find(qn("w:pPr"))
    if ppr is None:  # an entry paragraph has its style's pPr; a bare one gets an empty pPr first
        ppr = _el("w:pPr")
        p.insert(0, ppr)
    tabs = _el("w:tabs")
    tabs.append(_el("w:tab", w_val="right", w_leader="dot", w_pos=str(tab_pos_twips)))
    ppr.append(tabs)
    link = _el("w:hyperlink", w_anchor=anchor, w_history="1")
    r = _el("w:r")
    t = _el("w:t")
    t.text = text
    r.append(t)
    link.append(r)
    tab = _el("w:r")
    tab.append(_el("w:tab"))
    link.append(tab)
    field_runs(link, f"PAGEREF {anchor} \\h")
    p.append(link)


def page_furniture(doc: Document, header_text: str, page_of: str, size_half_points: int = 16) -> None:
    """Title in the header and ``Page N of M`` in the footer of every page but the title page."""
    from copy import deepcopy

    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section = doc.sections[0]
    section.different_first_page_header_footer = True
    rpr = _el("w:rPr")
    rpr.append(_el("w:color", w_val="595959"))
    rpr.append(_el("w:sz", w_val=str(size_half_points)))
    hp = section.header.paragraphs[0]
    hp.text = ""
    r = hp.add_run(header_text)
    r._r.insert(0, deepcopy(rpr))
    hp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fp = section.footer.paragraphs[0]
    fp.text = ""
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in re.split(r"(\{page\}|\{pages\})", page_of):
        if piece == "{page}":
            field_runs(fp._p, "PAGE", "1", rpr)
        elif piece == "{pages}":
            field_runs(fp._p, "NUMPAGES", "1", rpr)
        elif piece:
            run = fp.add_run(piece)
            run._r.insert(0, deepcopy(rpr))


def _page(section: Section) -> tuple[Length, Length, Length, Length]:
    """The long and short sides of *section*'s page and its left and right margins, in EMU."""
    width, height = section.page_width, section.page_height
    left, right = section.left_margin, section.right_margin
    if width is None or height is None or left is None or right is None:
        from qcode.core.errors import ReportError

        raise ReportError("The Word template sets no page size or no margins.",
                          hint="Open the reference .docx in Word, set the page size and margins (Layout), save it, "
                               "and write the report again.")
    return max(width, height), min(width, height), left, right


def _set_orientation(section: Section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT

    long, short, _, _ = _page(section)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)


def begin_landscape(doc: Document) -> None:
    """End the current section here; what follows is on landscape pages."""
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False
    _set_orientation(section, True)


def end_landscape(doc: Document) -> None:
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False
    _set_orientation(section, False)


def usable_width(section: Section, landscape: bool) -> float:
    """Inches between the margins of *section* turned to portrait or landscape."""
    long, short, left, right = _page(section)
    width = long if landscape else short
    return float(width - left - right) / 914400
