"""OpenDocument text (``.odt``) transcripts.

``content.xml`` is read through :mod:`qcode.formats.safezip` and parsed with
:mod:`qcode.formats.safexml` (odfpy parses with an unhardened SAX parser).
The walk keeps paragraphs and headings in order, including those in tables
(a two-column table is speaker | text, as for Word), lists, sections and
frames; ``text:s`` (repeated spaces), tabs and line breaks are expanded, within
the import limit (:class:`TextBudget`: a 672-byte file cannot become gigabytes);
tracked deletions (``text:tracked-changes``) and annotations are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import Transcript
from qcode.formats.importers.base import ImportOptions, TextBudget, check_size, finish, register
from qcode.formats.importers.docx import table_paras, take_speaker_tables
from qcode.formats.importers.speakers import Para, detect_turns
from qcode.formats.safexml import parse_xml
from qcode.formats.safezip import SafeZip

if TYPE_CHECKING:
    from lxml.etree import _Element

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
SKIP = {TEXT + "tracked-changes", OFFICE + "annotation", OFFICE + "annotation-end", TEXT + "note-citation",
        TEXT + "sequence-decls", TEXT + "variable-decls", TEXT + "user-field-decls"}


def _count(el: _Element) -> int:
    """The repeat count of a ``text:s`` element (1 when absent or not a number)."""
    try:
        return max(1, int(el.get(TEXT + "c", "1") or 1))
    except ValueError:
        return 1


def _inline(el: _Element, parts: list[str], budget: TextBudget) -> None:
    if el.text:
        parts.append(el.text[: budget.take(len(el.text))])
    for child in el:
        tag = child.tag
        if tag == TEXT + "s":
            parts.append(" " * budget.take(_count(child)))
        elif tag == TEXT + "tab":
            parts.append("\t" * budget.take(1))
        elif tag == TEXT + "line-break":
            parts.append("\n" * budget.take(1))
        elif tag not in SKIP and tag != TEXT + "note":
            _inline(child, parts, budget)
        if child.tail:
            parts.append(child.tail[: budget.take(len(child.tail))])


class _Walker:
    def __init__(self, budget: TextBudget) -> None:
        self.budget = budget
        self.paras: list[Para] = []
        self.after_table = False
        self.tables: list[tuple[int, int, list[list[str]]]] = []

    def block(self, el: _Element) -> None:
        for child in el:
            tag = child.tag
            if tag in SKIP:
                continue
            if tag in (TEXT + "p", TEXT + "h"):
                parts: list[str] = []
                _inline(child, parts, self.budget)
                self.paras.append(Para("".join(parts), break_before=self.after_table))
                self.after_table = False
            elif tag == TABLE + "table":
                self.table(child)
            else:
                self.block(child)

    def table(self, tbl: _Element) -> None:
        rows: list[list[str]] = []
        for row in tbl.iter(TABLE + "table-row"):
            cells = []
            for cell in row:
                if cell.tag != TABLE + "table-cell":
                    continue
                sub = _Walker(self.budget)
                sub.block(cell)
                cells.append("\n".join(p.text for p in sub.paras).strip())
            rows.append(cells)
        start = len(self.paras)
        self.paras.extend(table_paras(rows))
        self.tables.append((start, len(self.paras), rows))
        self.after_table = True


class OdtImporter:
    format = "odt"
    extensions = (".odt",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        check_size(data, filename, options)
        zf = SafeZip(data, filename, "OpenDocument .odt")
        root = parse_xml(zf.read("content.xml", limit=zf.limits.max_xml), f"{filename} (content.xml)")
        body = root.find(f"{OFFICE}body/{OFFICE}text")
        if body is None:
            raise ImportFormatError(f"{filename}: content.xml has no text body; this is not an .odt text document.")
        walker = _Walker(TextBudget(filename, options, source_size=len(data)))
        walker.block(body)
        warnings = []
        if body.find(TEXT + "tracked-changes") is not None:
            warnings.append("the document has tracked changes; the text was imported as if all were accepted")
        paras, known, table_notes = take_speaker_tables(walker.paras, walker.tables)
        detection = detect_turns(paras, options.speaker_pattern, known=known)
        return finish(detection.turns, data, filename, options, self.format, warnings=warnings,
                      notes_at=table_notes + detection.notes)


register(".odt")(OdtImporter)
