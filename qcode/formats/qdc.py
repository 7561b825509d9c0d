"""REFI-QDA codebooks: export ``.qdc``, import ``.qdc`` / the CodeBook of a ``.qdpx``.

Export: the code tree with colours; GUIDs are UUID5 values derived from the
code ids (:func:`qcode.core.coding.stable_guid`, the same the project
database uses), and nothing time-dependent is written, so exporting the same
codebook twice gives byte-identical files. The structured fields go into
``Description`` in a stable, readable layout (the definition first, then one
``Header: value`` line per field, ending with ``qcode id: ...``), which other
tools show as the code's memo and which qcode reads back intact.

Import: NVivo, ATLAS.ti, MAXQDA and QualCoder files (their Description
becomes the definition). Parsing is hardened: no DTDs, no entities, no
network (lxml with ``resolve_entities=False``), size limits, and ``.qdpx``
archives are read member by member in memory with path and size checks.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qcode.core.codebook import Code, Codebook, new_code_id
from qcode.core.coding import stable_guid
from qcode.core.errors import CodebookError
from qcode.formats.codebook_yaml import CODE_ID_RE

if TYPE_CHECKING:
    from lxml.etree import _Element

NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_PROJECT = "urn:QDA-XML:project:1.0"
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 100_000
MAX_RATIO = 200
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_HEADER_RE = re.compile(
    r"^(Include|Exclude|Examples|Counterexamples|Keywords|Keywords \((\w+)\)|Label \((\w+)\)|Pattern|See also|Retired|qcode id):(?: (.*))?$"
)


def code_guid(code_id: str) -> str:
    """The REFI-QDA GUID of a code: stable, derived from its id."""
    return stable_guid("code", code_id)


# ------------------------------------------------------------------ export
def describe(code: Code) -> str:
    """The ``Description`` text of *code* (readable, and parsed back by :func:`parse_description`)."""
    lines: list[str] = []
    if code.definition:
        lines += [code.definition, ""]
    for name, value in (("Include", code.include), ("Exclude", code.exclude)):
        if value:
            lines.append(f"{name}: {_cont(value)}")
    for name, items in (("Examples", code.examples), ("Counterexamples", code.counterexamples)):
        if items:
            lines.append(f"{name}:")
            lines += [f"- {_cont(x)}" for x in items]
    for lang, words in code.keywords.items():
        lines.append(f"Keywords{f' ({lang})' if lang else ''}: " + "; ".join(words))
    if len(code.label) > 1 or (code.label and "" not in code.label):
        lines += [f"Label ({lang}): {text}" for lang, text in code.label.items() if lang]
    lines += [f"Pattern: {json.dumps(p, ensure_ascii=False, sort_keys=True)}" for p in code.patterns]
    if code.extra.get("see_also"):
        lines.append("See also: " + ", ".join(code.extra["see_also"]))
    if code.retired:
        lines.append("Retired: yes")
    lines.append(f"qcode id: {code.id}")
    return "\n".join(lines)


def _cont(value: str) -> str:
    """Continuation lines of a multi-line value are indented by two spaces."""
    return value.replace("\n", "\n  ")


def add_codes(parent: _Element, codebook: Codebook, ns: str, lang: str | None,
              note_refs: dict[str, list[str]] | None = None) -> None:
    """Append the code tree of *codebook* to *parent* as REFI ``Code`` elements in namespace *ns*.

    *note_refs* (code id -> note GUIDs) adds ``NoteRef``s, valid in a project (``.qde``) only.
    """
    from lxml import etree

    def add(el_parent: _Element, code: Code) -> None:
        el = etree.SubElement(el_parent, f"{{{ns}}}Code")
        el.set("guid", code_guid(code.id))
        el.set("name", code.display(lang))
        el.set("isCodable", "false" if code.retired or not code.codable else "true")
        if code.color and _COLOR_RE.match(code.color):
            el.set("color", code.color)
        etree.SubElement(el, f"{{{ns}}}Description").text = describe(code)
        for guid in (note_refs or {}).get(code.id, ()):
            etree.SubElement(el, f"{{{ns}}}NoteRef").set("targetGUID", guid)
        for child in codebook.children(code.id):
            add(el, child)

    try:
        for code in codebook.roots():
            add(parent, code)
    except ValueError as exc:  # lxml refuses characters XML cannot hold
        raise CodebookError(f"Cannot export the codebook: {exc}.",
                            hint="Remove control characters from the codebook's texts.") from exc


def export_qdc(codebook: Codebook, lang: str | None = None) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` file (UTF-8 XML, byte-stable)."""
    from lxml import etree

    lang = lang if lang is not None else (codebook.languages[0] if codebook.languages else None)
    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK})
    root.set("origin", "qcode")
    codes = etree.SubElement(root, f"{{{NS_CODEBOOK}}}Codes")
    add_codes(codes, codebook, NS_CODEBOOK, lang)
    if not len(codes):
        raise CodebookError("The codebook has no codes to export.", hint="REFI-QDA requires at least one code.")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ------------------------------------------------------------------ import
@dataclass
class DescriptionFields:
    """The fields of a code's ``Description``: all of them when :func:`describe` wrote it,
    else only the definition (the foreign text)."""

    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    counterexamples: list[str] = field(default_factory=list)
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Language (``""``: every language) -> keywords."""
    label: dict[str, str] = field(default_factory=dict)
    """Language -> label, for the languages other than the exported name's."""
    patterns: list[object] = field(default_factory=list)
    """spaCy Matcher patterns as JSON gave them (checked when the codebook is validated)."""
    see_also: list[str] = field(default_factory=list)
    retired: bool = False
    id: str | None = None
    """The qcode id written by :func:`describe` (None in a foreign file)."""


def parse_description(text: str) -> DescriptionFields:
    """Fields of a Description written by :func:`describe`; foreign text becomes the definition."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if not any(line.startswith("qcode id: ") for line in lines):
        return DescriptionFields(definition=(text or "").strip())
    out = DescriptionFields()
    texts = {"include": "", "exclude": ""}
    lists: dict[str, list[str]] = {"examples": out.examples, "counterexamples": out.counterexamples}
    body: list[str] = []
    started = False
    current: str | None = None  # the field receiving continuation lines (a key of texts or lists)
    for line in lines:
        m = _HEADER_RE.match(line)
        if m and (started or not line.startswith(" ")):
            started = True
            name, kw_lang, label_lang, value = m.group(1), m.group(2), m.group(3), m.group(4) or ""
            current = None
            if name in ("Include", "Exclude"):
                current = name.lower()
                texts[current] = value
            elif name in ("Examples", "Counterexamples"):
                current = name.lower()
            elif name.startswith("Keywords"):
                out.keywords[kw_lang or ""] = tuple(w for w in value.split("; ") if w)
            elif name.startswith("Label"):
                out.label[label_lang] = value
            elif name == "Pattern":
                out.patterns.append(json.loads(value))
            elif name == "See also":
                out.see_also = [x.strip() for x in value.split(",") if x.strip()]
            elif name == "Retired":
                out.retired = value.strip().lower() == "yes"
            elif name == "qcode id":
                out.id = value.strip()
            continue
        if not started:
            body.append(line)
        elif current in lists and line.startswith("- "):
            lists[current].append(line[2:])
        elif current and line.startswith("  "):
            if current in lists:
                lists[current][-1] += "\n" + line[2:]
            else:
                texts[current] += "\n" + line[2:]
    out.include, out.exclude = texts["include"], texts["exclude"]
    out.definition = "\n".join(body).strip()
    return out


def parse_xml(data: bytes, name: str) -> _Element:
    """Parse untrusted XML: no DTD, no entities, no network, bounded size."""
    from lxml import etree

    if len(data) > MAX_XML_BYTES:
        raise CodebookError(f"{name}: the XML is {len(data) / 1e6:.0f} MB; the limit is {MAX_XML_BYTES / 1e6:.0f} MB.")
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise CodebookError(f"{name}: the file contains a DTD; REFI-QDA files do not use DTDs, so it was refused.",
                            hint="Export the codebook again from the original program.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise CodebookError(f"{name}: not well-formed XML ({exc}).", hint="Check that this is a .qdc or .qdpx export.") from exc


def _local(el: _Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def codebook_from_xml(root: _Element, name: str, title: str = "") -> Codebook:
    """The codebook in a ``CodeBook`` root, or in the ``CodeBook`` of a ``Project`` root."""
    book = root if _local(root) == "CodeBook" else next((c for c in root if _local(c) == "CodeBook"), None)
    if book is None:
        raise CodebookError(f"{name}: no CodeBook element found.", hint="Is this a REFI-QDA .qdc or .qdpx file?")
    codes_el = next((c for c in book if _local(c) == "Codes"), None)
    codes: list[Code] = []
    taken: set[str] = set()
    langs: dict[str, None] = {}

    def rec(el: _Element, parent: str | None) -> None:
        for child in el:
            if _local(child) != "Code":
                continue
            label = (child.get("name") or "").strip() or "Unnamed code"
            desc_el = next((d for d in child if _local(d) == "Description"), None)
            fields = parse_description((desc_el.text or "") if desc_el is not None else "")
            cid = fields.id
            if not cid or cid in taken or not CODE_ID_RE.match(cid):
                cid = new_code_id(label, taken)
            taken.add(cid)
            color = child.get("color")
            labels = fields.label or {"": label}
            # The language whose label is the exported name comes first (it was the primary one).
            langs.update(dict.fromkeys(sorted((k for k in labels if k), key=lambda k: labels[k] != label)))
            langs.update(dict.fromkeys(k for k in fields.keywords if k))
            extra = {"see_also": fields.see_also} if fields.see_also else {}
            codes.append(Code(
                id=cid, label=labels, parent=parent,
                color=color if color and _COLOR_RE.match(color) else None,
                definition=fields.definition, include=fields.include,
                exclude=fields.exclude, examples=tuple(fields.examples),
                counterexamples=tuple(fields.counterexamples),
                keywords=fields.keywords, patterns=tuple(fields.patterns),
                retired=fields.retired, extra=extra,
                # isCodable="false" is a category, unless qcode wrote it for a retired code.
                codable=child.get("isCodable", "true").strip().lower() != "false" or fields.retired,
            ))
            rec(child, cid)

    if codes_el is not None:
        rec(codes_el, None)
    return Codebook(title=title or Path(name).stem, languages=tuple(langs), codes=tuple(codes))


def import_qdc(data: bytes, name: str = "codebook.qdc") -> Codebook:
    """The codebook of a ``.qdc`` file's bytes."""
    return codebook_from_xml(parse_xml(data, name), name)


def read_qde_from_qdpx(data: bytes, name: str) -> bytes:
    """The ``.qde`` XML inside a ``.qdpx`` archive, read in memory with safety checks."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CodebookError(f"{name}: not a valid .qdpx (zip) archive.") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise CodebookError(f"{name}: the archive has {len(infos)} members; refused.")
        seen: set[str] = set()
        for info in infos:
            n = info.filename
            if n.startswith("/") or "\\" in n or "\x00" in n or ".." in n.split("/") or re.match(r"^[A-Za-z]:", n):
                raise CodebookError(f"{name}: unsafe path in archive: {n!r}; refused.")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise CodebookError(f"{name}: the archive contains a link ({n!r}); refused.")
            if n.casefold() in seen:
                raise CodebookError(f"{name}: ambiguous archive (two members named {n!r}).")
            seen.add(n.casefold())
        qdes = [i for i in infos if i.filename.lower().endswith(".qde") and "/" not in i.filename.strip("/")]
        if len(qdes) != 1:
            raise CodebookError(f"{name}: expected exactly one .qde project file at the top of the archive, found {len(qdes)}.")
        info = qdes[0]
        if info.file_size > MAX_XML_BYTES or (info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20):
            raise CodebookError(f"{name}: {info.filename} expands to {info.file_size / 1e6:.0f} MB; refused.")
        with zf.open(info) as fh:
            out = fh.read(MAX_XML_BYTES + 1)
        if len(out) > MAX_XML_BYTES:
            raise CodebookError(f"{name}: {info.filename} is larger than its header says; refused.")
        return out


def import_codebook_file(path: Path) -> Codebook:
    """A codebook from a ``.qdc``, ``.qde`` or ``.qdpx`` file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_XML_BYTES * 4:
            raise CodebookError(f"{path}: the file is {size / 1e6:.0f} MB; refused.")
        data = path.read_bytes()
    except OSError as exc:
        raise CodebookError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    meta: dict[str, Any] = {}
    if path.suffix.lower() == ".qdpx" or data[:4] == b"PK\x03\x04":
        meta = _qcode_codebook_meta(data)
        data = read_qde_from_qdpx(data, path.name)
    return with_codebook_meta(codebook_from_xml(parse_xml(data, path.name), path.name, title=path.stem), meta)


def with_codebook_meta(codebook: Codebook, meta: dict[str, Any]) -> Codebook:
    """*codebook* with the title, version, authors and description a qcode export kept beside the REFI-QDA
    XML (which has no place for them); unchanged without them."""
    from dataclasses import replace

    if not isinstance(meta, dict) or not meta:
        return codebook
    return replace(
        codebook,
        title=str(meta.get("title") or codebook.title),
        version=str(meta.get("version") or codebook.version),
        authors=tuple(str(a) for a in meta.get("authors") or codebook.authors),
        description=str(meta.get("description") or codebook.description),
    )


def _qcode_codebook_meta(data: bytes) -> dict[str, Any]:
    """The ``codebook`` entry of the qcode side file of a ``.qdpx`` written by qcode ({} otherwise)."""
    import json

    from qcode.formats.refi.writer import SIDE_FILE

    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            info = zf.getinfo(SIDE_FILE)
            if info.file_size > MAX_XML_BYTES:
                return {}
            meta = json.loads(zf.read(info).decode("utf-8")).get("codebook") or {}
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, ValueError, AttributeError, OSError):
        return {}
    return meta if isinstance(meta, dict) else {}
