"""Transcriber ``.trs`` files (as in the ESLO corpus).

Structure: ``<Trans>`` > ``<Speakers>`` + ``<Topics>`` + ``<Episode>`` >
``<Section>`` > ``<Turn speaker startTime endTime>``. Text sits between empty
milestone elements:

* ``<Sync time>``: a time point; the turn keeps its start and end times, and
  each Sync is a :data:`~qcode.core.transcript.SYNC` note at its place in the
  text (where a suggested passage may end in speech without punctuation);
* ``<Who nb="N"/>``: the N-th speaker of an overlapped turn
  (``speaker="spk2 spk1"``). Each speaker's part becomes its own turn with
  ``overlap=True`` and the times of the shared turn, so who said what is kept;
* ``<Event>`` and ``<Comment>``: not speech; kept as :class:`Note` objects at
  their place in the text (kind ``event`` / ``comment``), never in the text;
* a Section's ``topic`` (ESLO questionnaire items) becomes a ``topic`` note.

The XML declaration's encoding is honoured (ISO-8859-1 and UTF-8 both occur).
The DOCTYPE naming ``trans-14.dtd`` is allowed but never loaded; entities are
refused (:mod:`qcode.formats.safexml`). Whitespace runs become one space, as
in the spoken text of the ESLO ``.txt`` conversions.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import SYNC, Note, Transcript
from qcode.formats.importers.base import (
    ImportOptions,
    RawTurn,
    check_size,
    event_text,
    finish,
    register,
)
from qcode.formats.safexml import parse_xml


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


class _Segment:
    __slots__ = ("speaker", "words", "notes")

    def __init__(self, speaker: str | None) -> None:
        self.speaker = speaker
        self.words: list[str] = []
        self.notes: list[tuple[int, Note]] = []

    def add(self, text: str | None) -> None:
        if text:
            self.words.extend(unicodedata.normalize("NFC", text).split())

    def here(self) -> int:
        return len(" ".join(self.words))


class TranscriberImporter:
    format = "trs"
    extensions = (".trs",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        check_size(data, filename, options)
        root = parse_xml(data, filename, allow_doctype=True)
        if root.tag != "Trans":
            raise ImportFormatError(
                f"{filename}: the root element is <{root.tag}>, not <Trans>; this is not a Transcriber file.",
                hint="Transcriber files start with <Trans ...> after the XML declaration.",
            )
        names = {s.get("id"): (s.get("name") or s.get("id")) for s in root.iter("Speaker")}
        topics = {t.get("id"): t.get("desc") or t.get("id") for t in root.iter("Topic")}
        raw: list[RawTurn] = []
        overlaps: list[bool] = []
        notes_at: list[tuple[int, int, Note]] = []
        warnings: list[str] = []
        unknown: set[str] = set()
        for section in root.iter("Section"):
            topic = section.get("topic")
            if topic:
                notes_at.append((len(raw), 0, Note(0, "topic", topics.get(topic, topic), _float(section.get("startTime")))))
            for turn in section.iter("Turn"):
                ids = (turn.get("speaker") or "").split()
                for i in ids:
                    if i not in names:
                        unknown.add(i)
                labels = [names.get(i, i) for i in ids]
                t0, t1 = _float(turn.get("startTime")), _float(turn.get("endTime"))
                segments = self._segments(turn, labels, t0, filename)
                for seg in segments:
                    for local, note in seg.notes:
                        notes_at.append((len(raw), local, note))
                    raw.append((seg.speaker, " ".join(seg.words), t0, t1))
                    overlaps.append(len(labels) > 1)
        if unknown:
            warnings.append(f"turns name speakers not declared in <Speakers>: {', '.join(sorted(unknown))}")
        lang = root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("lang")
        return finish(
            raw, data, filename, options, self.format,
            encoding=(root.getroottree().docinfo.encoding or "utf-8").lower(),
            overlaps=overlaps, notes_at=notes_at, warnings=warnings, language=lang,
        )

    def _segments(self, turn: Any, labels: list[str], t0: float | None, filename: str) -> list[_Segment]:
        first = labels[0] if labels else None
        segments = [_Segment(first)]
        time = t0
        segments[0].add(turn.text)
        for child in turn:
            tag = child.tag
            seg = segments[-1]
            if tag == "Sync":
                time = _float(child.get("time"))
                seg.notes.append((seg.here(), Note(0, SYNC, "", time)))
            elif tag == "Who":
                try:
                    nb = int(child.get("nb", "1"))
                except ValueError:
                    nb = 1
                label = labels[nb - 1] if 0 < nb <= len(labels) else first
                if seg.words or any(n.kind != SYNC for _, n in seg.notes):
                    segments.append(_Segment(label))
                else:
                    seg.speaker = label
            elif tag == "Event":
                text = event_text(child.get("type", ""), child.get("desc", ""), child.get("extent", ""))
                seg.notes.append((seg.here(), Note(0, "event", text, time)))
            elif tag == "Comment":
                seg.notes.append((seg.here(), Note(0, "comment", child.get("desc", ""), time)))
            else:
                segments[-1].add(child.text)
            segments[-1].add(child.tail)
        for seg in segments:
            if not seg.words:  # its notes move to the next turn, where this segment's time points would be wrong
                seg.notes = [(at, n) for at, n in seg.notes if n.kind != SYNC]
        return segments


register(".trs")(TranscriberImporter)
