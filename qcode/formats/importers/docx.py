"""Word ``.docx`` transcripts.

python-docx's ``Document.paragraphs`` skips tables and loses text inside
tracked insertions (``w:ins``), text boxes and content controls (python-docx
#1123, #803), and a transcript must not lose words silently. So this adapter walks ``word/document.xml``
itself, read through :mod:`qcode.formats.safezip` and parsed with
:mod:`qcode.formats.safexml`, and takes Word's "final" view:

* paragraphs in body order, including those in tables, content controls
  (``w:sdt``), smart tags, hyperlinks and text boxes (the ``mc:Fallback`` copy
  of a text box is skipped, it repeats the ``mc:Choice`` one);
* tracked insertions (``w:ins``, ``w:moveTo``) kept, deletions (``w:del``,
  ``w:moveFrom``) left out, with a warning that changes were taken as accepted;
* a two-column (or time | speaker | text) table is read as speaker | text;
* a bold run opening a paragraph ("**Interviewer:** ...") marks a speaker.

Nothing outside the package is ever read: external relationships (linked
templates, sub-documents, linked images) are ignored with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from qcode.core.transcript import Note, Transcript
from qcode.formats.importers.base import ImportOptions, check_size, finish, register
from qcode.formats.importers.speakers import Para, _valid_label, detect_turns, parse_time
from qcode.formats.safexml import parse_xml
from qcode.formats.safezip import SafeZip

if TYPE_CHECKING:
    from lxml.etree import _Element

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
T_P, T_R, T_T, T_TAB, T_BR, T_CR = W + "p", W + "r", W + "t", W + "tab", W + "br", W + "cr"
T_TBL, T_TR, T_TC, T_SDT = W + "tbl", W + "tr", W + "tc", W + "sdt"
T_DEL, T_MOVEFROM, T_INS, T_MOVETO = W + "del", W + "moveFrom", W + "ins", W + "moveTo"
T_RPR, T_B, T_TXBX, T_NBH = W + "rPr", W + "b", W + "txbxContent", W + "noBreakHyphen"
T_PPR, T_FALLBACK = W + "pPr", MC + "Fallback"
SKIP = {T_DEL, T_MOVEFROM, T_FALLBACK, W + "instrText", W + "delText", T_PPR, W + "commentReference"}
HEADER_WORDS = {"speaker", "locuteur", "intervenant", "name", "nom", "qui", "who", "time", "temps", "texte", "text",
                "role", "rôle", "fonction", "description"}


class _Walker:
    def __init__(self) -> None:
        self.paras: list[Para] = []
        self.tracked = 0
        self._after_table = False
        self.tables: list[tuple[int, int, list[list[str]]]] = []
        """(first paragraph index, end index, cell texts) of each top-level table."""

    # -- paragraphs -----------------------------------------------------
    def paragraph(self, p: _Element) -> None:
        parts: list[str] = []
        boxes: list[_Element] = []
        bold_prefix: list[str] | None = []
        self._collect(p, parts, boxes, bold_prefix)
        text = "".join(parts)
        lead = "".join(bold_prefix or [])
        if lead.strip() and text.startswith(lead):
            label = lead.strip().rstrip(":").strip()
            rest = text[len(lead):]
            if _valid_label(label) and (lead.strip().endswith(":") or rest.lstrip(" \t").startswith((":", "\t"))):
                text = f"**{label}:** " + rest.lstrip(" \t:").lstrip()
        self.paras.append(Para(text, break_before=self._after_table))
        self._after_table = False
        for box in boxes:
            self.block(box)

    def _collect(self, el: _Element, parts: list[str], boxes: list[_Element], bold: list[str] | None) -> list[str] | None:
        for child in el:
            tag = child.tag
            if tag in SKIP:
                if tag in (T_DEL, T_MOVEFROM):
                    self.tracked += 1
                continue
            if tag == T_R:
                run_bold = _is_bold(child)
                for sub in child:
                    st = sub.tag
                    if st == T_T:
                        s = sub.text or ""
                        parts.append(s)
                        if bold is not None:
                            if run_bold:
                                bold.append(s)
                            elif s.strip():
                                bold = None
                    elif st == T_TAB:
                        parts.append("\t")
                    elif st in (T_BR, T_CR):
                        parts.append("\n")
                    elif st == T_NBH:
                        parts.append("-")
                    elif st not in SKIP and len(sub):
                        for box in sub.iter(T_TXBX):
                            if not _inside_fallback(box, sub):
                                boxes.append(box)
                continue
            if tag in (T_INS, T_MOVETO):
                self.tracked += 1
            if tag == T_TXBX:
                boxes.append(child)
                continue
            if tag == T_P:  # paragraph nested in an odd place: keep its text
                bold = self._collect(child, parts, boxes, bold)
                parts.append("\n")
                continue
            bold = self._collect(child, parts, boxes, bold)
        return bold

    # -- blocks ---------------------------------------------------------
    def block(self, container: _Element) -> None:
        for child in container:
            tag = child.tag
            if tag == T_P:
                self.paragraph(child)
            elif tag == T_TBL:
                self.table(child)
            elif tag in SKIP:
                if tag in (T_DEL, T_MOVEFROM):
                    self.tracked += 1
                continue
            elif tag in (T_INS, T_MOVETO):
                self.tracked += 1
                self.block(child)
            elif tag == T_SDT or len(child):
                self.block(child)

    def table(self, tbl: _Element) -> None:
        rows: list[list[str]] = []
        for tr in _direct(tbl, T_TR):
            cells = []
            for tc in _direct(tr, T_TC):
                sub = _Walker()
                sub.block(tc)
                self.tracked += sub.tracked
                cells.append("\n".join(p.text for p in sub.paras).strip())
            rows.append(cells)
        start = len(self.paras)
        self.paras.extend(table_paras(rows))
        self.tables.append((start, len(self.paras), rows))
        self._after_table = True


def take_speaker_tables(paras: list[Para], tables: list[tuple[int, int, list[list[str]]]]) -> tuple[
        list[Para], frozenset[str], list[tuple[int, int, Note]]]:
    """A table that lists the speakers (one row per name) before ``Name: text`` paragraphs is
    not speech: its rows become a ``speakers`` metadata note and its names known speakers."""
    drop: set[int] = set()
    known: set[str] = set()
    notes: list[tuple[int, int, Note]] = []
    for start, end, rows in tables:
        body = [r for i, r in enumerate(rows) if r and not (i == 0 and _is_header(r)) and any(c.strip() for c in r)]
        names = [r[0].strip().rstrip(":").strip() for r in body]
        if not names or len(set(names)) < len(names) or not all(_valid_label(n) for n in names):
            continue
        later = [q.text for q in paras[end:] if not q.explicit]
        if not any(re.match(rf"{re.escape(n)}\s*:", line) for n in names for line in later):
            continue
        drop.update(range(start, end))
        known.update(names)
        described = "; ".join(f"{r[0].strip()} ({', '.join(c.strip() for c in r[1:] if c.strip())})"
                              if any(c.strip() for c in r[1:]) else r[0].strip() for r in body)
        notes.append((0, 0, Note(0, "metadata", f"speakers: {described}")))
    return [q for i, q in enumerate(paras) if i not in drop], frozenset(known), notes


def table_paras(rows: list[list[str]]) -> list[Para]:
    """Paragraphs of a table: speaker turns when its columns look like (time |) speaker | text.

    Shared by the .docx and .odt importers. Other tables keep every cell's text, line by line.
    """
    out: list[Para] = []
    layout = _speaker_layout(rows)
    if layout is None:
        for cells in rows:
            for cell in cells:
                for i, line in enumerate(cell.split("\n")):
                    out.append(Para(line, break_before=i == 0))
        return out
    t_col, s_col, x_col = layout
    for i, cells in enumerate(rows):
        if i == 0 and _is_header(cells):
            continue
        speaker = cells[s_col].strip() if s_col < len(cells) else ""
        text = cells[x_col] if x_col < len(cells) else ""
        t = parse_time(cells[t_col]) if t_col is not None and t_col < len(cells) else None
        if speaker:
            out.append(Para(text, speaker=speaker.rstrip(":").strip(), time=t, explicit=True))
        elif text.strip():
            out.append(Para(text))
    return out


def _is_bold(run: _Element) -> bool:
    rpr = run.find(T_RPR)
    if rpr is None:
        return False
    b = rpr.find(T_B)
    return b is not None and b.get(W + "val", "true").lower() not in ("0", "false", "off")


def _inside_fallback(el: _Element, stop: _Element) -> bool:
    p = el.getparent()
    while p is not None and p is not stop:
        if p.tag == T_FALLBACK:
            return True
        p = p.getparent()
    return False


def _direct(parent: _Element, tag: str) -> Iterator[_Element]:
    """Children with *tag*, also those wrapped in content controls (w:sdt/w:sdtContent)."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == T_SDT:
            for content in child:
                if content.tag == W + "sdtContent":
                    yield from _direct(content, tag)


def _is_header(cells: list[str]) -> bool:
    return all(c.strip().lower().rstrip(":") in HEADER_WORDS or not c.strip() for c in cells)


def _speaker_layout(rows: list[list[str]]) -> tuple[int | None, int, int] | None:
    """(time column, speaker column, text column) when the table is a transcript."""
    body = [r for i, r in enumerate(rows) if not (i == 0 and _is_header(r))]
    body = [r for r in body if any(c.strip() for c in r)]
    if not body or max(len(r) for r in body) < 2:
        return None
    width = max(len(r) for r in body)
    t_col = None
    if width >= 3:
        times = sum(1 for r in body if r and parse_time(r[0]) is not None)
        if times >= 0.6 * len(body):
            t_col = 0
    s_col = 1 if t_col == 0 else 0
    x_col = s_col + 1
    labels = [r[s_col].strip() for r in body if len(r) > s_col and r[s_col].strip()]
    if not labels:
        return None
    good = sum(1 for lab in labels if _valid_label(lab.rstrip(":")) and "\n" not in lab)
    repeated = len(set(labels)) < len(labels) or len(labels) <= 2
    if good >= 0.8 * len(labels) and repeated:
        return t_col, s_col, x_col
    return None


_EXTERNAL = re.compile(rb'TargetMode="External"')
_HYPERLINK = re.compile(rb'<Relationship[^>]*relationships/hyperlink"[^>]*TargetMode="External"|'
                        rb'<Relationship[^>]*TargetMode="External"[^>]*relationships/hyperlink"')


class DocxImporter:
    format = "docx"
    extensions = (".docx",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        check_size(data, filename, options)
        zf = SafeZip(data, filename, "Word .docx")
        part = "word/document.xml"
        if not zf.has(part):
            rels = zf.read("_rels/.rels") if zf.has("_rels/.rels") else b""
            m = re.search(rb'relationships/officeDocument"[^>]*Target="/?([^"]+)"|Target="/?([^"]+)"[^>]*relationships/officeDocument"', rels)
            if m:
                part = (m.group(1) or m.group(2)).decode("utf-8", "replace")
        root = parse_xml(zf.read(part, limit=zf.limits.max_xml), f"{filename} ({part})")
        body = root.find(W + "body")
        if body is None:
            from qcode.core.errors import ImportFormatError

            raise ImportFormatError(f"{filename}: {part} has no document body; this is not a Word document.")
        walker = _Walker()
        walker.block(body)
        warnings: list[str] = []
        if walker.tracked:
            warnings.append(
                f"the document has {walker.tracked} tracked changes; the text was imported as if all were accepted "
                "(insertions kept, deletions left out)"
            )
        rels_name = part.rsplit("/", 1)[0] + "/_rels/" + part.rsplit("/", 1)[-1] + ".rels"
        if zf.has(rels_name):
            rels = zf.read(rels_name)
            n_ext = len(_EXTERNAL.findall(rels)) - len(_HYPERLINK.findall(rels))
            if n_ext > 0:
                warnings.append(
                    f"the document refers to {n_ext} external files (linked templates, images or sub-documents); "
                    "they were not opened and their content is not imported"
                )
            if b"relationships/aFChunk" in rels:
                warnings.append("the document embeds other documents (altChunk); their text is not imported")
        paras, known, table_notes = take_speaker_tables(walker.paras, walker.tables)
        detection = detect_turns(paras, options.speaker_pattern, known=known)
        return finish(detection.turns, data, filename, options, self.format, warnings=warnings,
                      notes_at=table_notes + detection.notes)


def iter_text(data: bytes, filename: str = "document.docx") -> Iterator[str]:
    """Every paragraph's text, in order (used by tests and the benchmark)."""
    zf = SafeZip(data, filename, "Word .docx")
    walker = _Walker()
    walker.block(parse_xml(zf.read("word/document.xml", limit=zf.limits.max_xml), filename).find(W + "body"))
    for p in walker.paras:
        yield p.text


register(".docx")(DocxImporter)
