"""Writing a REFI-QDA project: ``project.qde`` (XSD ``Project-mrt2019``) and a ``.qdpx`` archive.

Deterministic: GUIDs come from the model (qcode derives them with UUID5 from
stable ids), elements are written in the model's order, and the archive's
members have fixed names, order, times and permissions, so two exports of the
same project are byte-identical.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from typing import TYPE_CHECKING

from qcode.core.errors import ImportFormatError
from qcode.formats.qdc import NS_PROJECT, add_codes
from qcode.formats.refi.model import RefiProject, RefiSelection, RefiSource, VariableValue
from qcode.formats.refi.positions import Convention

if TYPE_CHECKING:
    from lxml.etree import _Element

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SIDE_FILE = "qcode.json"
"""qcode's own member: what REFI cannot carry (turn structure, codebook metadata); other tools ignore it."""


def _ts(dt: datetime | None) -> str | None:
    """``xsd:dateTime`` in UTC to the second (f-string: strftime is the slow part of 50,000 codings)."""
    if dt is None:
        return None
    if dt.utcoffset():
        from datetime import UTC

        dt = dt.astimezone(UTC)
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"


def _q(tag: str) -> str:
    return f"{{{NS_PROJECT}}}{tag}"


def _set(el: _Element, **attrs: str | None) -> None:
    for k, v in attrs.items():
        if v is not None:
            el.set(k, v)


def _value(parent: _Element, var_guid: str, vtype: str, value: VariableValue) -> None:
    from lxml import etree

    vv = etree.SubElement(parent, _q("VariableValue"))
    etree.SubElement(vv, _q("VariableRef")).set("targetGUID", var_guid)
    tag = {"Boolean": "BooleanValue", "Integer": "IntegerValue", "Float": "FloatValue", "Date": "DateValue",
           "DateTime": "DateTimeValue"}.get(vtype, "TextValue")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        from decimal import Decimal

        text = format(Decimal(repr(value)), "f")
    elif isinstance(value, (date, datetime)):
        text = value.isoformat()
    else:
        text = str(value)
    etree.SubElement(vv, _q(tag)).text = text


def _selection(parent: _Element, sel: RefiSelection, start: int, end: int) -> None:
    from lxml import etree

    el = etree.SubElement(parent, _q("PlainTextSelection"))
    _set(el, guid=sel.guid, name=sel.name or None, startPosition=str(start), endPosition=str(end),
         creatingUser=sel.user_guid, creationDateTime=_ts(sel.created),
         modifyingUser=sel.user_guid if sel.modified else None, modifiedDateTime=_ts(sel.modified))
    if sel.description:
        etree.SubElement(el, _q("Description")).text = sel.description
    for c in sel.codings:
        cel = etree.SubElement(el, _q("Coding"))
        _set(cel, guid=c.guid, creatingUser=c.user_guid, creationDateTime=_ts(c.created))
        etree.SubElement(cel, _q("CodeRef")).set("targetGUID", c.code_guid)
        for n in c.note_refs:
            etree.SubElement(cel, _q("NoteRef")).set("targetGUID", n)
    for n in sel.note_refs:
        etree.SubElement(el, _q("NoteRef")).set("targetGUID", n)


def source_member(src: RefiSource) -> str:
    return f"sources/{src.guid}.txt"


def project_xml(p: RefiProject, convention: Convention) -> bytes:
    """The ``project.qde`` document of *p*, positions written in *convention*."""
    from lxml import etree

    root = etree.Element(_q("Project"), nsmap={None: NS_PROJECT})
    _set(root, name=p.name, origin=p.origin or None)
    if p.users:
        users = etree.SubElement(root, _q("Users"))
        for u in p.users:
            _set(etree.SubElement(users, _q("User")), guid=u.guid, name=u.name)
    if len(p.codebook):
        codes = etree.SubElement(etree.SubElement(root, _q("CodeBook")), _q("Codes"))
        lang = p.codebook.languages[0] if p.codebook.languages else None
        add_codes(codes, p.codebook, NS_PROJECT, lang, p.code_notes)
    vtypes = {v.guid: v.type for v in p.variables}
    if p.variables:
        variables = etree.SubElement(root, _q("Variables"))
        for v in p.variables:
            el = etree.SubElement(variables, _q("Variable"))
            _set(el, guid=v.guid, name=v.name, typeOfVariable=v.type)
            if v.description:
                etree.SubElement(el, _q("Description")).text = v.description
    if p.cases:
        cases = etree.SubElement(root, _q("Cases"))
        for c in p.cases:
            el = etree.SubElement(cases, _q("Case"))
            _set(el, guid=c.guid, name=c.name)
            if c.description:
                etree.SubElement(el, _q("Description")).text = c.description
            for g, value in c.values.items():
                _value(el, g, vtypes.get(g, "Text"), value)
            for s in c.source_refs:
                etree.SubElement(el, _q("SourceRef")).set("targetGUID", s)
    if p.sources:
        sources = etree.SubElement(root, _q("Sources"))
        for src in p.sources:
            el = etree.SubElement(sources, _q("TextSource"))
            _set(el, guid=src.guid, name=src.name, plainTextPath=f"internal://{src.guid}.txt",
                 creatingUser=src.user_guid, creationDateTime=_ts(src.created),
                 modifyingUser=src.user_guid if src.modified else None, modifiedDateTime=_ts(src.modified))
            if src.description:
                etree.SubElement(el, _q("Description")).text = src.description
            flat = [x for s in src.selections for x in (s.start, s.end)]
            pos = convention.export_positions(src.text, flat)
            for i, sel in enumerate(src.selections):
                _selection(el, sel, pos[2 * i], pos[2 * i + 1])
            for n in src.note_refs:
                etree.SubElement(el, _q("NoteRef")).set("targetGUID", n)
            for g, value in src.values.items():
                _value(el, g, vtypes.get(g, "Text"), value)
    if p.notes:
        notes = etree.SubElement(root, _q("Notes"))
        for note in p.notes:
            el = etree.SubElement(notes, _q("Note"))
            _set(el, guid=note.guid, name=note.name or None, creatingUser=note.user_guid,
                 creationDateTime=_ts(note.created), modifyingUser=note.user_guid if note.modified else None,
                 modifiedDateTime=_ts(note.modified))
            etree.SubElement(el, _q("PlainTextContent")).text = note.text
    if p.description:
        etree.SubElement(root, _q("Description")).text = p.description
    for n in p.note_refs:
        etree.SubElement(root, _q("NoteRef")).set("targetGUID", n)
    try:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    except ValueError as exc:  # pragma: no cover - lxml checks on assignment already
        raise ImportFormatError(f"Cannot write the project: {exc}.") from exc


def write_qdpx(p: RefiProject, convention: Convention) -> bytes:
    """The ``.qdpx`` archive: ``project.qde``, ``sources/<guid>.txt`` (UTF-8, no BOM) and ``qcode.json``."""
    members: list[tuple[str, bytes]] = [("project.qde", project_xml(p, convention))]
    for src in p.sources:
        members.append((source_member(src), convention.written_text(src.text).encode("utf-8")))
    if p.extra:
        members.append((SIDE_FILE, json.dumps(p.extra, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()
