"""OpenDocument text (``.odt``) transcripts.

``content.xml`` is read through :mod:`qcode.formats.safezip` and parsed with
:mod:`qcode.formats.safexml` (odfpy parses with an unhardened SAX parser).
The walk keeps paragraphs and headings in order, including those in tables
(a two-column table is speaker | text, as for Word), lists, sections and
frames; ``text:s`` (repeated spaces), tabs and line breaks are expanded;
tracked deletions (``text:tracked-changes``) and annotations are left out.
"""

from __future__ import annotations

from typing import Any

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import Transcript
from qcode.formats.importers.base import ImportOptions, check_size, finish, register
from qcode.formats.importers.docx import _is_header, _speaker_layout
from qcode.formats.importers.speakers import Para, detect_turns, parse_time
from qcode.formats.safexml import parse_xml
from qcode.formats.safezip import SafeZip

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
SKIP = {TEXT + "tracked-changes", OFFICE + "annotation", OFFICE + "annotation-end", TEXT + "note-citation",
        TEXT + "sequence-decls", TEXT + "variable-decls", TEXT + "user-field-decls"}


def _inline(el: Any, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if tag == TEXT + "s":
            parts.append(" " * int(child.get(TEXT + "c", "1") or 1))
        elif tag == TEXT + "tab":
            parts.append("\t")
        elif tag == TEXT + "line-break":
            parts.append("\n")
        elif tag not in SKIP and tag != TEXT + "note":
            _inline(child, parts)
        if child.tail:
            parts.append(child.tail)


class _Walker:
    def __init__(self) -> None:
        self.paras: list[Para] = []
        self.after_table = False

    def block(self, el: Any) -> None:
        for child in el:
            tag = child.tag
            if tag in SKIP:
                continue
            if tag in (TEXT + "p", TEXT + "h"):
                parts: list[str] = []
                _inline(child, parts)
                self.paras.append(Para("".join(parts), break_before=self.after_table))
                self.after_table = False
            elif tag == TABLE + "table":
                self.table(child)
            else:
                self.block(child)

    def table(self, tbl: Any) -> None:
        rows: list[list[str]] = []
        for row in tbl.iter(TABLE + "table-row"):
            cells = []
            for cell in row:
                if cell.tag != TABLE + "table-cell":
                    continue
                sub = _Walker()
                sub.block(cell)
                cells.append("\n".join(p.text for p in sub.paras).strip())
            rows.append(cells)
        layout = _speaker_layout(rows)
        if layout is None:
            for cells in rows:
                for cell in cells:
                    self.paras.append(Para(cell, break_before=True))
        else:
            t_col, s_col, x_col = layout
            for i, cells in enumerate(rows):
                if i == 0 and _is_header(cells):
                    continue
                speaker = cells[s_col].strip() if s_col < len(cells) else ""
                text = cells[x_col] if x_col < len(cells) else ""
                t = parse_time(cells[t_col]) if t_col is not None and t_col < len(cells) else None
                if speaker:
                    self.paras.append(Para(text, speaker=speaker.rstrip(":").strip(), time=t, explicit=True))
                elif text.strip():
                    self.paras.append(Para(text))
        self.after_table = True


class OdtImporter:
    format = "odt"
    extensions = (".odt",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        check_size(data, filename, options)
        zf = SafeZip(data, filename, "OpenDocument .odt")
        root = parse_xml(zf.read("content.xml"), f"{filename} (content.xml)")
        body = root.find(f"{OFFICE}body/{OFFICE}text")
        if body is None:
            raise ImportFormatError(f"{filename}: content.xml has no text body; this is not an .odt text document.")
        walker = _Walker()
        walker.block(body)
        warnings = []
        if body.find(TEXT + "tracked-changes") is not None:
            warnings.append("the document has tracked changes; the text was imported as if all were accepted")
        detection = detect_turns(walker.paras, options.speaker_pattern)
        return finish(detection.turns, data, filename, options, self.format, warnings=warnings)


register(".odt")(OdtImporter)
