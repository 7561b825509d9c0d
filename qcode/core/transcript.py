"""Transcripts, speaker turns, participants and their attributes.

A :class:`Transcript` holds the spoken text only (no speaker labels, no
timestamps), normalised as described in :mod:`qcode.core.text`. Turns point
into that text with offsets; speaker names and times live on the turns. Turns
are separated in the text by one blank line, so a quote never spans two
speakers by accident and offsets stay stable when a turn is corrected.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, cast

from qcode.core.errors import CodingError
from qcode.core.sourcemap import SourceMap
from qcode.core.text import count_words, normalize_text

AttributeType = Literal["text", "number", "date", "category"]
AttributeScope = Literal["transcript", "participant"]
AttributeValue = str | float | int | date | None

TURN_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn: ``text[start:end]`` said by *speaker*."""

    start: int
    end: int
    speaker: str | None = None
    time_start: float | None = None
    """Seconds from the start of the recording, when the source gives it."""
    time_end: float | None = None
    overlap: bool = False
    """True when several people speak at once (Transcriber ``<Who nb>``)."""


@dataclass(frozen=True, slots=True)
class Note:
    """Something in the source that is not speech: an event, a comment, a noise.

    Kept out of the spoken text, but not lost: it sits at an offset.
    """

    offset: int
    kind: str
    text: str
    time: float | None = None


SYNC = "sync"
"""Kind of the notes that are time points inside a turn (Transcriber ``<Sync time>``): empty text, the
time in seconds. They tell where a passage may end in unpunctuated speech, and are never shown."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Provenance of an imported transcript."""

    filename: str
    sha256: str
    format: str
    encoding: str | None = None
    encoding_guessed: bool = False
    size: int = 0


@dataclass(frozen=True, slots=True)
class Participant:
    """A person (a *case* in REFI-QDA terms) with typed attributes."""

    name: str
    attributes: dict[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TranscriptSummary:
    """What lists of transcripts show, read without the text: its size, turns, speakers and source."""

    id: int
    name: str
    title: str
    kind: str
    language: str | None
    words: int
    chars: int
    turns: int
    speakers: list[str]
    attributes: dict[str, AttributeValue]
    source: str | None
    """The original file's name."""
    format: str | None
    encoding: str | None
    encoding_guessed: bool


@dataclass(frozen=True, slots=True)
class AttributeDef:
    name: str
    type: AttributeType = "text"
    scope: AttributeScope = "participant"


def attribute_def(name: str, type_: str, scope: str) -> AttributeDef:
    """An :class:`AttributeDef` from text read from a file or the database (kept as declared, not checked)."""
    return AttributeDef(name, cast(AttributeType, type_), cast(AttributeScope, scope))


@dataclass(slots=True)
class Transcript:
    """A transcript ready to be stored. ``id`` is set by the store."""

    name: str
    """Short unique handle used on the command line (a slug of the file name)."""
    title: str
    text: str
    turns: list[Turn] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    language: str | None = None
    kind: str = "interview"
    """interview, focus_group, or anything the team uses."""
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    speakers: dict[str, str | None] = field(default_factory=dict)
    """Speaker label -> participant name (or None when not linked)."""
    source: SourceInfo | None = None
    warnings: list[str] = field(default_factory=list)
    id: int | None = None
    source_text: str | None = None
    """The text as other tools show it (labels, times, line ends included); see :mod:`qcode.core.sourcemap`."""
    source_map: SourceMap | None = None
    """How :attr:`source_text` and :attr:`text` line up (set with :attr:`source_text`)."""

    @property
    def words(self) -> int:
        return count_words(self.text)

    def speaker_labels(self) -> list[str]:
        """Speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker is not None:
                seen.setdefault(turn.speaker, None)
        for label in self.speakers:
            seen.setdefault(label, None)
        return list(seen)

    def turn_at(self, offset: int) -> int | None:
        """Index of the turn containing *offset* (binary search), or None."""
        lo, hi = 0, len(self.turns) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            t = self.turns[mid]
            if offset < t.start:
                hi = mid - 1
            elif offset >= t.end and not (offset == t.end == t.start):
                lo = mid + 1
            else:
                return mid
        return None

    def time_at(self, offset: int) -> float | None:
        """Seconds into the recording at *offset*: see :class:`Timeline` (build one to ask many times)."""
        return Timeline(self).at(offset)

    def check_span(self, start: int, end: int) -> None:
        """Raise :class:`CodingError` unless ``0 <= start < end <= len(text)``."""
        n = len(self.text)
        if end <= start:
            raise CodingError(
                f"Offsets {start}-{end}: the end ({end}) is "
                + ("the same as" if end == start else "before") + f" the start ({start}); a passage needs start < end.",
                hint=f"Give the start first, e.g. {min(start, end)} {max(start, end) + (1 if end == start else 0)}.",
            )
        if not (0 <= start < end <= n):
            raise CodingError(
                f"Offsets {start}-{end} are outside transcript '{self.name}' "
                f"(its text has {n} characters, valid offsets are 0-{n}, start < end).",
                hint="Offsets count Unicode code points of the normalised text; "
                "see `qcode transcripts --json` for lengths.",
            )

    def validate(self) -> list[str]:
        """Structural problems (empty list when consistent)."""
        problems: list[str] = []
        if normalize_text(self.text) != self.text:
            problems.append("text is not normalised (NFC, \\n line ends)")
        prev_end = 0
        for i, t in enumerate(self.turns):
            if not (0 <= t.start <= t.end <= len(self.text)):
                problems.append(f"turn {i} offsets {t.start}-{t.end} outside the text")
            if t.start < prev_end:
                problems.append(f"turn {i} starts before the previous turn ends")
            prev_end = t.end
        return problems


class Timeline:
    """The time at any character offset of a transcript, from its turns and :data:`SYNC` notes.

    A turn's start time dates only its first words: in a long Transcriber turn a
    quote can be minutes later, and researchers go back to the recording by the
    time they cite. So the time at an offset is that of the latest sync point at
    or before it in the same turn, else the turn's start time. Built once per
    transcript (the sync points sorted), each :meth:`at` is a binary search.
    """

    __slots__ = ("_transcript", "_offsets", "_times")

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript
        # a stable sort keeps notes at one offset in document order, so the later time point wins
        points = sorted(
            ((n.offset, n.time) for n in transcript.notes if n.kind == SYNC and n.time is not None), key=lambda p: p[0]
        )
        self._offsets = [o for o, _ in points]
        self._times = [t for _, t in points]

    def at(self, offset: int, turn: int | None = None) -> float | None:
        """Seconds at *offset* (None when it is in no turn or nothing there is timed).

        *turn* is the index of the turn to read it in, when the caller knows it
        (an offset in the blank line before a turn); by default the turn containing *offset*.
        """
        t = self._transcript
        i = t.turn_at(offset) if turn is None else turn
        if i is None or not 0 <= i < len(t.turns):
            return None
        tr = t.turns[i]
        j = bisect.bisect_right(self._offsets, min(offset, tr.end)) - 1
        if j >= 0 and self._offsets[j] >= tr.start:
            return self._times[j]
        return tr.time_start


def build_text(turns: list[tuple[str | None, str, float | None, float | None]]) -> tuple[str, list[Turn]]:
    """Join (speaker, text, time_start, time_end) tuples into text and turns.

    Each turn's text is normalised and stripped; empty turns are dropped.
    Importers use this so that every format lays out text the same way.
    """
    parts: list[str] = []
    out: list[Turn] = []
    pos = 0
    for speaker, raw, t0, t1 in turns:
        body = normalize_text(raw).strip()
        if not body:
            continue
        if parts:
            parts.append(TURN_SEPARATOR)
            pos += len(TURN_SEPARATOR)
        parts.append(body)
        out.append(Turn(pos, pos + len(body), speaker, t0, t1))
        pos += len(body)
    return "".join(parts), out


def effective_turns(t: Transcript) -> list[Turn]:
    """The transcript's turns, or one speakerless turn per paragraph block when it has none."""
    if t.turns:
        return t.turns
    return [Turn(m.start(), m.end()) for m in re.finditer(r"\S(?:.|\n(?!\n))*", t.text)] or [Turn(0, len(t.text))]


def fmt_time(seconds: float | None) -> str:
    """``h:mm:ss`` (or ``m:ss``) for a turn time, or '' when unknown."""
    if seconds is None:
        return ""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
