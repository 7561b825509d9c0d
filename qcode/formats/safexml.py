"""Hardened XML parsing for untrusted files (docx/odt parts, Transcriber .trs).

An imported file must not make qcode expand entities, read local files or the
network, or build an unbounded tree, so: no DTD processing, no entity expansion, no network,
bounded tree size and depth. Any ``<!ENTITY`` declaration is refused outright
(billion laughs, XXE). A ``<!DOCTYPE>`` is refused unless the caller allows a
plain external one (Transcriber files name ``trans-14.dtd``, which is never
loaded).
"""

from __future__ import annotations

import re
from typing import Any

from qcode.core.errors import ImportFormatError

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)


def xml_text(text: str) -> str:
    """Text any XML-based file (Word, Excel, REFI-QDA) can hold: characters XML 1.0 forbids
    (C0 controls but TAB/LF/CR, U+FFFE/FFFF, lone surrogates) become a visible U+FFFD,
    never dropped silently. Writers call it on every string they did not make themselves."""
    return _NOT_XML.sub("\ufffd", text) if not text.isprintable() or "\ufffe" in text or "\uffff" in text else text


_ENTITY = re.compile(rb"<!ENTITY", re.I)
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[")


def _ascii_view(data: bytes) -> bytes:
    """Bytes to scan for markup, also for UTF-16/32 encoded XML (NULs removed)."""
    head = data[:4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        return data.replace(b"\x00", b"")
    return data


def parse_xml(data: bytes, what: str, *, allow_doctype: bool = False) -> Any:
    """Parse *data* and return the root element (lxml).

    *what* names the file/part in error messages, e.g. ``"interview.docx
    (word/document.xml)"``.
    """
    from lxml import etree

    view = _ascii_view(data)
    if _ENTITY.search(view):
        raise ImportFormatError(
            f"{what}: declares XML entities (<!ENTITY ...>); qcode refuses them because they can read "
            "files from your computer or expand into gigabytes.",
            hint="This is not how transcripts are written. If the file is genuine, re-save it from its application.",
        )
    if _DOCTYPE.search(view):
        if not allow_doctype:
            raise ImportFormatError(
                f"{what}: contains a DTD (<!DOCTYPE ...>), which this kind of file never uses.",
                hint="The file may have been tampered with; re-save it from Word/LibreOffice.",
            )
        if _INTERNAL_SUBSET.search(view):
            raise ImportFormatError(
                f"{what}: has an internal DTD subset (<!DOCTYPE ... [ ... ]>); qcode does not process DTDs.",
                hint="Remove the bracketed part of the DOCTYPE line and import again.",
            )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f", line {line}" if line else ""
        raise ImportFormatError(
            f"{what}{where}: not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc}).",
            hint="The file is damaged or not what its extension says; open and re-save it in its application.",
        ) from exc
    if root is None:
        raise ImportFormatError(f"{what}: contains no XML element.")
    return root
