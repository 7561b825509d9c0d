"""TEI transcriptions of speech (CFPP2000, ORFEO, TEI-CORPO exports).

Three flavours occur in the CFPP2000 corpus, all read here:

* v0.5 ``annotationGrp`` and ``annotatedU``: speakers are
  ``particDesc/person@code/@name``, the utterance names its speaker in ``wh``;
  overlapping halves point at each other with ``<link target="#auN"/>``;
* v0.9 TEI_CORPO ``annotationBlock``: speakers are
  ``listPerson/person/altGrp/alt@type`` + ``persName``, the speaker attribute
  is ``who``; overlapping utterances are consecutive blocks with the same
  ``start`` and ``end``;
* plain TEI ``<u who="#id">`` with ``person@xml:id`` (+ ``persName``).

Times come from ``<timeline><when xml:id interval since/>`` (offsets from T0,
not always in id order). ``<incident>`` (noise, laughter, back-channel words
noted as events; ``<vocal>``, ``<kinesic>`` in plain TEI), ``<spanGrp><span type="com">`` comments and a ``<div>``'s
topic (``settingDesc/setting@xml:id/activity``) become notes at their place,
never text; ``<pause/>`` and ``<anchor/>`` are dropped. Header facts (title,
recording date and duration, scribe) become ``metadata`` notes at offset 0.
The DOCTYPE (a DTD that is not shipped, or a URL) is never loaded.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import Note, Transcript
from qcode.formats.importers.base import (
    ImportOptions,
    RawTurn,
    check_size,
    event_text,
    finish,
    register,
)
from qcode.formats.safexml import parse_xml

if TYPE_CHECKING:
    from lxml.etree import _Element

_UTTERANCES = {"annotationGrp", "annotatedU", "annotationBlock"}
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_EVENTS = {"incident", "vocal", "kinesic"}
"""Non-speech events inside an utterance: kept as notes (TEI-CORPO writes incidents, plain TEI vocal/kinesic)."""
_SILENT = {"pause", "anchor", "link", "incident", "desc", "note", "spanGrp", "span", "gap", "vocal", "kinesic"}


def _local(el: _Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _inside_utterance(el: _Element) -> bool:
    """Whether *el*'s parent is an utterance-like element (its ``u`` is then part of that one)."""
    parent = el.getparent()
    return parent is not None and _local(parent) in _UTTERANCES


def _children(el: _Element, name: str) -> list[_Element]:
    return [c for c in el if _local(c) == name]


def _descendants(el: _Element, name: str) -> list[_Element]:
    return [c for c in el.iter() if _local(c) == name]


def _ref(value: str | None) -> str:
    return (value or "").strip().lstrip("#")


def _words(text: str | None) -> list[str]:
    return unicodedata.normalize("NFC", text).split() if text else []


def _timeline(root: _Element) -> dict[str, float]:
    """``when`` id -> seconds from the origin (``since`` chains followed)."""
    whens: dict[str, tuple[float | None, str]] = {}
    for w in _descendants(root, "when"):
        wid = w.get(_XML_ID) or w.get("id")
        if not wid:
            continue
        given = w.get("interval")
        try:
            interval = float(given) if given else None
        except ValueError:
            interval = None
        whens[wid] = (interval, _ref(w.get("since")))
    resolved: dict[str, float] = {}

    def seconds(wid: str, depth: int = 0) -> float | None:
        if wid in resolved:
            return resolved[wid]
        entry = whens.get(wid)
        if entry is None or depth > 50:
            return None
        interval, since = entry
        if interval is None:
            value: float | None = 0.0 if not since else seconds(since, depth + 1)
        else:
            base = seconds(since, depth + 1) if since else 0.0
            value = None if base is None else base + interval
        if value is not None:
            resolved[wid] = value
        return value

    for wid in whens:
        seconds(wid)
    return resolved


def _speakers(root: _Element) -> dict[str, str]:
    """Speaker id -> name, for the three ways TEI declares people."""
    names: dict[str, str] = {}
    for person in _descendants(root, "person"):
        pers_name = next((" ".join("".join(p.itertext()).split()) for p in _children(person, "persName")), "")
        ids = [person.get("code"), person.get(_XML_ID)]
        ids += [alt.get("type") for grp in _children(person, "altGrp") for alt in _children(grp, "alt")]
        name = person.get("name") or pers_name
        for pid in ids:
            if pid:
                names[pid] = name or pid
    return names


def _header_notes(root: _Element) -> list[Note]:
    notes: list[Note] = []
    header = next(iter(_descendants(root, "teiHeader")), None)
    if header is None:
        return notes
    for title in _descendants(header, "title")[:1]:
        text = " ".join("".join(title.itertext()).split())
        if text:
            notes.append(Note(0, "metadata", f"title: {text}"))
    for date in _descendants(header, "date")[:1]:
        text = " ".join("".join(date.itertext()).split())
        dur = date.get("dur")
        if text or dur:
            notes.append(Note(0, "metadata", f"recorded: {text}" + (f" (duration {dur} s)" if dur else "")))
    for note in _descendants(header, "note"):
        scribe = (note.text or "").strip()
        if note.get("type") == "scribe" and scribe:
            notes.append(Note(0, "metadata", f"scribe: {scribe}"))
            break
    return notes


def _incident_text(incident: _Element) -> str:
    descs = _children(incident, "desc")
    what = next((" ".join((d.text or "").split()) for d in descs if d.get("type") in (None, "desc")), "")
    extent = next(((d.text or "").strip() for d in descs if d.get("type") == "extent"), "")
    kind = incident.get("subtype") if incident.get("type") == "Event" else incident.get("type")
    return event_text(kind or ("" if _local(incident) == "incident" else _local(incident)), what, extent)


class TeiImporter:
    format = "tei"
    extensions = (".xml",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        check_size(data, filename, options)
        root = parse_xml(data, filename, allow_doctype=True)
        if _local(root) not in ("TEI", "TEI.2"):
            raise ImportFormatError(
                f"{filename}: the root element is <{_local(root) or root.tag}>, not <TEI>; qcode reads .xml files "
                "only when they are TEI transcriptions.",
                hint="Export the transcript as TEI (e.g. from TEI-CORPO), .trs, .docx or .txt and import that.",
            )
        times = _timeline(root)
        names = _speakers(root)
        topics = {s.get(_XML_ID): " ".join("".join(a.itertext()).split())
                  for s in _descendants(root, "setting") if s.get(_XML_ID)
                  for a in _children(s, "activity")}
        raw: list[RawTurn] = []
        overlaps: list[bool] = []
        notes_at: list[tuple[int, int, Note]] = [(0, 0, n) for n in _header_notes(root)]
        unknown: set[str] = set()
        spans: list[tuple[str, str]] = []
        # the elements themselves, not their id(): lxml makes a new proxy object each time an element is
        # reached unless one is still referenced, so a freed div's id() can come back as another div's
        seen_topic_div: set[_Element] = set()
        body = next(iter(_descendants(root, "body")), root)
        utterances = [el for el in body.iter() if _local(el) in _UTTERANCES
                      or (_local(el) == "u" and not _inside_utterance(el))]
        for el in utterances:
            div = next((a for a in el.iterancestors() if _local(a) == "div" and a.get("subtype") in topics), None)
            if div is not None and div not in seen_topic_div:
                seen_topic_div.add(div)
                t_div = times.get(_ref(div.get("start")))
                notes_at.append((len(raw), 0, Note(0, "topic", topics[div.get("subtype")], t_div)))
            sid = _ref(el.get("wh") or el.get("who"))
            if sid and sid not in names:
                unknown.add(sid)
            speaker = names.get(sid, sid) or None
            t0, t1 = times.get(_ref(el.get("start"))), times.get(_ref(el.get("end")))
            words: list[str] = []
            local_notes: list[tuple[int, Note]] = []
            for u in ([el] if _local(el) == "u" else _children(el, "u")):
                self._collect(u, words, local_notes, t0)
            for grp in _descendants(el, "spanGrp"):
                for span in _children(grp, "span"):
                    text = " ".join("".join(span.itertext()).split())
                    if text:
                        local_notes.append((len(" ".join(words)), Note(0, "comment", text, t0)))
            for local, note in local_notes:
                notes_at.append((len(raw), local, note))
            raw.append((speaker, " ".join(words), t0, t1))
            spans.append((el.get("start") or "", el.get("end") or ""))
            overlaps.append(bool(_children(el, "link")))
        # v0.9 has no <link>: overlapping utterances share their start and end.
        for i in range(1, len(spans)):
            if spans[i] == spans[i - 1] and all(spans[i]):
                overlaps[i] = overlaps[i - 1] = True
        warnings = [f"utterances name speakers not declared in the header: {', '.join(sorted(unknown))}"] if unknown else []
        lang = root.get("{http://www.w3.org/XML/1998/namespace}lang")
        return finish(
            raw, data, filename, options, self.format,
            encoding=(root.getroottree().docinfo.encoding or "utf-8").lower(),
            overlaps=overlaps, notes_at=notes_at, warnings=warnings, language=lang,
        )

    def _collect(self, el: _Element, words: list[str], notes: list[tuple[int, Note]], time: float | None) -> None:
        """Spoken words of *el* (its text and its children's tails); incidents, vocals and kinesics become notes."""
        words.extend(_words(el.text))
        for child in el:
            name = _local(child)
            if name in _EVENTS:
                notes.append((len(" ".join(words)), Note(0, "event", _incident_text(child), time)))
            elif name not in _SILENT:
                self._collect(child, words, notes, time)
            words.extend(_words(child.tail))


register(".xml")(TeiImporter)
