"""Reading REFI-QDA projects (``.qdpx`` archives and bare ``.qde`` files) into the exchange model.

Untrusted input: the archive is read member by member in memory through
:class:`qcode.formats.safezip.SafeZip` (no extraction, no links, no ``..``,
size and ratio limits), the XML through :func:`qcode.formats.safexml.parse_xml`
(no DTD, no entities, no network), and no attribute may be longer than
:data:`MAX_ATTRIBUTE`. Source files are looked up inside the archive only
(``internal://``); ``relative://`` and ``absolute://`` paths are not followed.
Positions are converted to code points over each source's text with the
convention of the tool that wrote the file (:mod:`.positions`).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from qcode.core.errors import ImportFormatError
from qcode.formats.encoding import decode_bytes
from qcode.formats.qdc import codebook_from_xml
from qcode.formats.refi.model import (
    RefiCase,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
    RefiVariable,
    VariableValue,
)
from qcode.formats.refi.model import (
    parse_time as _time,
)
from qcode.formats.refi.writer import SIDE_FILE
from qcode.formats.safexml import parse_xml
from qcode.formats.safezip import SafeZip, ZipLimits

if TYPE_CHECKING:
    from lxml.etree import _Element

MAX_ATTRIBUTE = 1_000_000
"""Longest attribute value accepted (characters); real exports stay far below."""
MAX_QDE = 512 * 1024 * 1024
LIMITS = ZipLimits(max_members=200_000, max_total=2 * 1024**3, max_member=MAX_QDE, max_ratio=200.0)
_GUIDISH = re.compile(r"^[\w.\- {}]+$")


class Members:
    """Source files of a project: inside an archive, or in the ``sources`` folder next to a ``.qde``."""

    def __init__(self, zf: SafeZip | None = None, folder: Path | None = None) -> None:
        self.zf = zf
        self.folder = folder
        self._names = {n.casefold(): n for n in (zf.names if zf else [])}

    def read(self, internal: str) -> bytes | None:
        if not _GUIDISH.match(internal) or internal.startswith("."):
            return None
        for sub in ("sources/", ""):
            key = (sub + internal).casefold()
            if self.zf is not None and key in self._names:
                return self.zf.read(self._names[key])
        if self.folder is not None:
            for sub in ("sources", "Sources"):
                p = self.folder / sub / internal
                if p.is_file() and not p.is_symlink():
                    return p.read_bytes()
        return None


def _local(el: _Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _kids(el: _Element, name: str) -> list[_Element]:
    return [c for c in el if _local(c) == name]


def _kid(el: _Element, name: str) -> _Element | None:
    return next((c for c in el if _local(c) == name), None)


def _int(value: str | None, what: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise ImportFormatError(f"{what}: {value!r} is not a whole number.") from None


def _check_attributes(root: _Element, name: str) -> None:
    for el in root.iter():
        for k, v in el.attrib.items():
            if len(v) > MAX_ATTRIBUTE:
                raise ImportFormatError(
                    f"{name}, line {el.sourceline}: attribute {k} of <{_local(el)}> is {len(v):,} characters long "
                    f"(limit {MAX_ATTRIBUTE:,}); refusing the file.",
                    hint="A genuine REFI-QDA export never has such attributes; export the project again.",
                )


def _value(vv: _Element) -> tuple[str | None, VariableValue]:
    ref = _kid(vv, "VariableRef")
    guid = ref.get("targetGUID") if ref is not None else None
    for c in vv:
        kind = _local(c)
        text = (c.text or "").strip()
        if kind == "TextValue":
            return guid, c.text or ""
        if kind == "BooleanValue":
            return guid, text.lower() in ("true", "1")
        if kind == "IntegerValue":
            return guid, int(text) if re.fullmatch(r"[+-]?\d+", text) else text
        if kind == "FloatValue":
            try:
                return guid, int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
            except ValueError:
                return guid, text
        if kind == "DateValue":
            try:
                return guid, date.fromisoformat(text[:10])
            except ValueError:
                return guid, text
        if kind == "DateTimeValue":
            return guid, text
    return guid, None


def _text_of(el: _Element, members: Members, what: str, warnings: list[str]) -> str | None:
    content = _kid(el, "PlainTextContent")
    if content is not None:
        return content.text or ""
    path = el.get("plainTextPath") or ""
    if path.startswith("internal://"):
        data = members.read(path[len("internal://"):])
        if data is None:
            warnings.append(f"{what}: its text file {path} is not in the archive; its selections cannot be placed.")
            return None
        return decode_bytes(data, path).text
    if path:
        warnings.append(f"{what}: its text is outside the project ({path}); qcode only reads files inside it.")
    else:
        warnings.append(f"{what}: has no plain text; only text sources are imported.")
    return None


def read_project_xml(data: bytes, name: str, members: Members) -> RefiProject:
    """The model of a ``project.qde`` document (positions still in the writer's units,
    see :meth:`qcode.formats.refi.positions.Convention.import_positions`)."""
    root = parse_xml(data, name)
    if _local(root) != "Project":
        raise ImportFormatError(f"{name}: the root element is <{_local(root)}>, not <Project>.",
                                hint="Is this a REFI-QDA .qdpx or .qde project?")
    _check_attributes(root, name)
    p = RefiProject(name=root.get("name") or Path(name).stem, origin=root.get("origin") or "")
    users = _kid(root, "Users")
    for u in _kids(users, "User") if users is not None else []:
        p.users.append(RefiUser(u.get("guid") or "", u.get("name") or u.get("id") or ""))
    book = _kid(root, "CodeBook")
    if book is not None:
        p.codebook = codebook_from_xml(root, name, title=p.name)
        guids: list[tuple[str, list[str]]] = []

        def walk(el: _Element) -> None:
            for c in _kids(el, "Code"):
                guids.append((c.get("guid") or "", [n.get("targetGUID") or "" for n in _kids(c, "NoteRef")]))
                walk(c)

        codes_el = _kid(book, "Codes")
        if codes_el is not None:
            walk(codes_el)
        for code, (guid, notes) in zip(p.codebook.codes, guids, strict=True):
            p.code_guids[guid] = code.id
            if notes:
                p.code_notes[code.id] = notes
    variables = _kid(root, "Variables")
    for v in _kids(variables, "Variable") if variables is not None else []:
        d = _kid(v, "Description")
        p.variables.append(RefiVariable(v.get("guid") or "", v.get("name") or "", v.get("typeOfVariable") or "Text",
                                        (d.text or "") if d is not None else ""))
    cases = _kid(root, "Cases")
    for c in _kids(cases, "Case") if cases is not None else []:
        values = dict(_value(vv) for vv in _kids(c, "VariableValue"))
        d = _kid(c, "Description")
        p.cases.append(RefiCase(c.get("guid") or "", c.get("name") or "", {k: v for k, v in values.items() if k},
                                [s.get("targetGUID") or "" for s in _kids(c, "SourceRef")],
                                (d.text or "") if d is not None else ""))
    sources = _kid(root, "Sources")
    for s in sources if sources is not None else []:
        kind = _local(s)
        what = f"{name}: source '{s.get('name') or s.get('guid')}'"
        if kind != "TextSource":
            if kind:
                p.warnings.append(f"{what} is a {kind}; only text sources are imported.")
            continue
        text = _text_of(s, members, what, p.warnings)
        src = RefiSource(s.get("guid") or "", s.get("name") or "", text if text is not None else "",
                         user_guid=s.get("creatingUser"), created=_time(s.get("creationDateTime")),
                         modified=_time(s.get("modifiedDateTime")))
        src.note_refs = [n.get("targetGUID") or "" for n in _kids(s, "NoteRef")]
        src.values = {k: v for k, v in (_value(vv) for vv in _kids(s, "VariableValue")) if k}
        if text is None:
            src.description = "missing"
        for sel in _kids(s, "PlainTextSelection"):
            d = _kid(sel, "Description")
            where = f"{what}, selection {sel.get('guid')} (line {sel.sourceline})"
            rs = RefiSelection(
                sel.get("guid") or "", _int(sel.get("startPosition"), where), _int(sel.get("endPosition"), where),
                name=sel.get("name") or "", description=(d.text or "") if d is not None else "",
                user_guid=sel.get("creatingUser"), created=_time(sel.get("creationDateTime")),
                modified=_time(sel.get("modifiedDateTime")),
                note_refs=[n.get("targetGUID") or "" for n in _kids(sel, "NoteRef")])
            for c in _kids(sel, "Coding"):
                ref = _kid(c, "CodeRef")
                rs.codings.append(RefiCoding(c.get("guid") or "", (ref.get("targetGUID") if ref is not None else None) or "",
                                             c.get("creatingUser") or rs.user_guid, _time(c.get("creationDateTime")) or rs.created,
                                             [n.get("targetGUID") or "" for n in _kids(c, "NoteRef")]))
            src.selections.append(rs)
        p.sources.append(src)
    notes_el = _kid(root, "Notes")
    for n in _kids(notes_el, "Note") if notes_el is not None else []:
        text = _text_of(n, members, f"{name}: note '{n.get('name') or n.get('guid')}'", p.warnings)
        p.notes.append(RefiNote(n.get("guid") or "", n.get("name") or "", text or "", n.get("creatingUser"),
                                _time(n.get("creationDateTime")), _time(n.get("modifiedDateTime"))))
    d = _kid(root, "Description")
    p.description = (d.text or "") if d is not None else ""
    p.note_refs = [n.get("targetGUID") or "" for n in _kids(root, "NoteRef")]
    return p


def read_qdpx(data: bytes, name: str) -> RefiProject:
    """The model of a ``.qdpx`` archive."""
    zf = SafeZip(data, name, ".qdpx", LIMITS)
    qdes = [n for n in zf.names if n.lower().endswith(".qde") and "/" not in n]
    if len(qdes) != 1:
        raise ImportFormatError(f"{name}: expected one .qde project file at the top of the archive, found {len(qdes)}.",
                                hint="Is this a REFI-QDA project export (.qdpx)?")
    p = read_project_xml(zf.read(qdes[0]), f"{name} ({qdes[0]})", Members(zf=zf))
    if zf.has(SIDE_FILE):
        try:
            p.extra = json.loads(zf.read(SIDE_FILE).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            p.warnings.append(f"{name}: {SIDE_FILE} is damaged; the turns are detected from the text instead.")
            p.extra = {}
    return p


def read_qde(path: Path) -> RefiProject:
    """The model of a bare ``.qde`` file, its sources read from the ``sources`` folder next to it."""
    data = path.read_bytes()
    if len(data) > MAX_QDE:
        raise ImportFormatError(f"{path}: {len(data) / 1e6:.0f} MB is over the limit of {MAX_QDE / 1e6:.0f} MB.")
    return read_project_xml(data, path.name, Members(folder=path.parent))
