"""The analyses researchers publish, as pure functions over plain data.

Everything here works on an :class:`AnalysisData` (transcripts, participants,
codebook, codings, memos), so reports, the app and the CLI share one
implementation and tests need no database. This module holds the data, the
filters, codings seen in their context (:class:`Segment`) and coded
the selection of segments; :mod:`qcode.core.analysis_quotes` turns them into
quotes (coded retrieval), :mod:`qcode.core.analysis_tables` into frequencies,
crosstabs, co-occurrence and the code-by-transcript matrix (re-exported here).

Definitions used throughout (also printed in reports):

* A coding's **speakers** are the speakers of every turn its span overlaps.
* A **participant** is the person a speaker label is linked to. A speaker not
  linked to a participant counts as a person of its own, ``label (transcript)``.
* An **attribute** is looked up on the speaker's participant first, then on
  the transcript; ``transcript``, ``kind``, ``language``, ``speaker``,
  ``participant`` and ``coder`` are built in. A missing value is ``(none)``.
* **Filters** combine with AND; values within one filter with OR. A code
  filter includes the code's descendants.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from qcode.core.codebook import Codebook
from qcode.core.coding import Coding, Memo
from qcode.core.errors import NotFoundError, did_you_mean
from qcode.core.transcript import Participant, Timeline, Transcript

BUILTIN_ATTRIBUTES = ("transcript", "kind", "language", "speaker", "participant", "coder")
"""Attributes every coding has, whatever the project defines."""
NONE_VALUE = "(none)"
"""The group of codings whose attribute is missing."""


@dataclass(frozen=True)
class AnalysisData:
    """Everything the analyses read. Build it from a store, a file or by hand."""

    codebook: Codebook
    transcripts: tuple[Transcript, ...] = ()
    participants: tuple[Participant, ...] = ()
    codings: tuple[Coding, ...] = ()
    memos: tuple[Memo, ...] = ()
    project: str = ""
    language: str = ""
    """Language of code labels in outputs (the codebook's plain label when empty)."""
    interviewers: frozenset[tuple[int | None, str]] = frozenset()
    """(transcript id, speaker label) of interviewers to leave out of counts of people
    (see :func:`find_interviewers`); empty: everyone counts."""

    def __post_init__(self) -> None:
        for name in ("transcripts", "participants", "codings", "memos"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @cached_property
    def _t_by_id(self) -> dict[int | None, Transcript]:
        return {t.id: t for t in self.transcripts}

    @cached_property
    def _p_by_name(self) -> dict[str, Participant]:
        return {p.name: p for p in self.participants}

    def transcript(self, transcript_id: int | None) -> Transcript | None:
        return self._t_by_id.get(transcript_id)

    @cached_property
    def _timelines(self) -> dict[int, Timeline]:
        return {}

    def timeline(self, t: Transcript) -> Timeline:
        """The :class:`Timeline` of *t*, one of :attr:`transcripts`, built once."""
        found = self._timelines.get(id(t))
        if found is None:
            found = self._timelines[id(t)] = Timeline(t)
        return found

    def participant(self, name: str | None) -> Participant | None:
        return self._p_by_name.get(name) if name else None

    def attribute_names(self) -> list[str]:
        """Built-in attributes, then transcript and participant attributes (sorted)."""
        names: set[str] = set()
        for t in self.transcripts:
            names.update(t.attributes)
        for p in self.participants:
            names.update(p.attributes)
        return list(BUILTIN_ATTRIBUTES) + sorted(names - set(BUILTIN_ATTRIBUTES))

    def label(self, code_id: str) -> str:
        """The display label of a code (its id when unknown)."""
        code = self.codebook.find(code_id)
        return code.display(self.language or None) if code else code_id

    def coders(self) -> list[str]:
        return sorted({c.coder for c in self.codings})


@dataclass(frozen=True)
class Filters:
    """Which codings an analysis looks at. ``None`` or empty means no restriction."""

    codes: tuple[str, ...] | None = None
    """Code ids; each includes its descendants."""
    transcripts: tuple[str, ...] | None = None
    """Transcript names."""
    coders: tuple[str, ...] | None = None
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Attribute -> accepted values (compared case-insensitively as text)."""

    def describe(self) -> list[str]:
        """One human-readable line per active filter (for provenance)."""
        out = []
        if self.codes:
            out.append("codes: " + ", ".join(self.codes) + " (with sub-codes)")
        if self.transcripts:
            out.append("transcripts: " + ", ".join(self.transcripts))
        if self.coders:
            out.append("coders: " + ", ".join(self.coders))
        for attr, values in sorted(self.where.items()):
            out.append(f"{attr} = " + " or ".join(values))
        return out


@dataclass(frozen=True, slots=True)
class Segment:
    """A coding seen in its transcript: turns, speakers, participants."""

    coding: Coding
    transcript: Transcript
    turns: tuple[int, ...]
    """Indices of the turns the coding overlaps (0-based)."""
    speakers: tuple[str, ...]
    participants: tuple[str | None, ...]
    """Linked participant of each speaker (same order), None when not linked."""

    @property
    def text(self) -> str:
        c, t = self.coding, self.transcript
        if 0 <= c.start < c.end <= len(t.text):
            return t.text[c.start : c.end]
        return c.quote

    @property
    def persons(self) -> tuple[str, ...]:
        """Who said it, as counting units: participant names, else ``label (transcript)``."""
        return tuple(
            p if p else person_key(self.transcript, s) for s, p in zip(self.speakers, self.participants, strict=True)
        )


def person_key(t: Transcript, label: str) -> str:
    """The counting unit of a speaker: its participant, else ``label (transcript)``."""
    linked = t.speakers.get(label)
    return linked if linked else f"{label} ({t.name})"


INTERVIEWER_ROLES = re.compile(
    r"^(?:I|Q|E|INT|Interviewer|Interviewers|Interviewe(?:r|use)|Intervieweu(?:r|se)|Moderator|Moderatrice|"
    r"Modérat(?:eur|rice)|Facilitat(?:or|eur|rice)|Animat(?:eur|rice)|Enqu[eê]t(?:eur|rice)s?|Chercheu(?:r|se)|"
    r"Researcher|ENQ|Enq)\s*\d*$",
    re.I,
)
"""Speaker labels that name the interviewing role itself (``Interviewer``, ``Enquêtrice``, ``Q``...),
alone or in brackets after a name (``Sonia B. (ENQ)``, as the CFPP corpus marks its interviewers)."""
_ROLE_SUFFIX = re.compile(r"\(([^()]*)\)\s*$")
INTERVIEWER_ATTRIBUTES = ("interviewer", "interviewers", "enquêteur", "enquêteurs", "enquêtrice")
"""Transcript attributes listing its interviewers' speaker labels (``;`` or ``,`` between several)."""
ROLE_ATTRIBUTES = ("role", "rôle")
"""A participant attribute whose value matches :data:`INTERVIEWER_ROLES` marks an interviewer."""


def find_interviewers(data: AnalysisData) -> frozenset[tuple[int | None, str]]:
    """(transcript id, speaker label) of the interviewers: labels a transcript attribute
    ``interviewer`` names, speakers whose participant has a ``role`` such as interviewer,
    and labels that are the role itself (``Interviewer``, ``Enquêteur``, ``Moderator``, ``Q``)."""
    out: set[tuple[int | None, str]] = set()
    for t in data.transcripts:
        named: set[str] = set()
        for key, value in t.attributes.items():
            if key.casefold() in INTERVIEWER_ATTRIBUTES and value:
                named.update(v.strip().casefold() for v in re.split(r"[;,]", str(value)) if v.strip())
        for label in t.speaker_labels():
            linked = t.speakers.get(label)
            p = data.participant(linked)
            role = next((str(v) for k, v in (p.attributes.items() if p else ()) if k.casefold() in ROLE_ATTRIBUTES), "")
            if (label.casefold() in named or (linked or "").casefold() in named
                    or INTERVIEWER_ROLES.match(role.strip()) or (not linked and _is_role_label(label))):
                out.add((t.id, label))
    return frozenset(out)


def _is_role_label(label: str) -> bool:
    suffix = _ROLE_SUFFIX.search(label)
    return bool(INTERVIEWER_ROLES.match(label.strip()) or (suffix and INTERVIEWER_ROLES.match(suffix.group(1).strip())))


def format_value(value: object) -> str:
    """An attribute value as text: dates in ISO form, 3.0 as 3, None as (none)."""
    if value is None or value == "":
        return NONE_VALUE
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_time(seconds: float | None) -> str:
    """``hh:mm:ss`` for a time in seconds ('' when unknown)."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# ------------------------------------------------------------------ segments
def make_segments(data: AnalysisData, codings: Iterable[Coding] | None = None) -> list[Segment]:
    """Place codings in their transcripts (codings of unknown transcripts are skipped)."""
    starts: dict[int | None, list[int]] = {}
    out: list[Segment] = []
    for c in data.codings if codings is None else codings:
        t = data.transcript(c.transcript_id)
        if t is None:
            continue
        if t.id not in starts:
            starts[t.id] = [turn.start for turn in t.turns]
        idx = max(0, bisect.bisect_right(starts[t.id], c.start) - 1)
        turns: list[int] = []
        while idx < len(t.turns) and t.turns[idx].start < c.end:
            if t.turns[idx].end > c.start:
                turns.append(idx)
            idx += 1
        speakers: dict[str, None] = {}
        for i in turns:
            if t.turns[i].speaker:
                speakers.setdefault(t.turns[i].speaker or "", None)
        labels = tuple(speakers)
        out.append(Segment(c, t, tuple(turns), labels, tuple(t.speakers.get(s) for s in labels)))
    return out


def occurrence_values(data: AnalysisData, t: Transcript, label: str | None, attr: str) -> str:
    """The value of *attr* for speaker *label* of transcript *t*."""
    if attr == "transcript":
        return t.name
    if attr == "kind":
        return format_value(t.kind)
    if attr == "language":
        return format_value(t.language)
    if attr == "speaker":
        return format_value(label)
    linked = t.speakers.get(label) if label else None
    if attr == "participant":
        return format_value(linked)
    p = data.participant(linked)
    if p is not None and p.attributes.get(attr) not in (None, ""):
        return format_value(p.attributes[attr])
    return format_value(t.attributes.get(attr))


def segment_values(data: AnalysisData, seg: Segment, attr: str) -> tuple[str, ...]:
    """Values of *attr* for a segment (several when it spans speakers of different groups)."""
    if attr == "coder":
        return (seg.coding.coder,)
    labels: Sequence[str | None] = seg.speakers or (None,)
    seen: dict[str, None] = {}
    for label in labels:
        seen.setdefault(occurrence_values(data, seg.transcript, label, attr), None)
    return tuple(seen)


# ------------------------------------------------------------------- filters
def code_scope(codebook: Codebook, codes: Iterable[str] | None) -> list[str] | None:
    """Code ids selected by a code filter (with descendants, codebook order); None = all."""
    if not codes:
        return None
    wanted: set[str] = set()
    for cid in codes:
        wanted.add(cid)
        wanted.update(c.id for c in codebook.descendants(cid))
    return [c.id for c in codebook.codes if c.id in wanted]


def check_filters(data: AnalysisData, filters: Filters, by: Iterable[str] = ()) -> None:
    """Raise :class:`NotFoundError` for an unknown code, transcript, coder or attribute."""
    for cid in filters.codes or ():
        data.codebook.get(cid)
    names = [t.name for t in data.transcripts]
    for name in filters.transcripts or ():
        if name not in names:
            raise NotFoundError(
                f"No transcript '{name}' in this project." + did_you_mean(name, names),
                hint="List the transcripts with `qcode transcripts`.",
            )
    coders = data.coders()
    for name in filters.coders or ():
        if name not in coders:
            raise NotFoundError(
                f"No codings by coder '{name}'." + did_you_mean(name, coders),
                hint="Coders with codings: " + (", ".join(coders) or "none yet") + ".",
            )
    check_attributes([*filters.where, *by], data.attribute_names())
    check_attribute_values(filters.where, {a: occurring_values(data, a) for a in filters.where})


def occurring_values(data: AnalysisData, attr: str) -> list[str]:
    """Every value *attr* takes in *data* (for any speaker of any transcript, or any coder)."""
    if attr == "coder":
        return data.coders()
    seen: dict[str, None] = {}
    for t in data.transcripts:
        for label in (*t.speaker_labels(), None):
            seen.setdefault(occurrence_values(data, t, label, attr), None)
    return list(seen)


def check_attribute_values(where: Mapping[str, Iterable[str]], known: Mapping[str, Sequence[str]]) -> None:
    """Raise :class:`NotFoundError` (with a did-you-mean) for a filter value no coding can have.

    Values compare as the filters do (case-insensitively); attributes missing from *known* are not checked.
    """
    for attr, values in where.items():
        if attr not in known:
            continue
        folded = {v.casefold() for v in known[attr]} | {NONE_VALUE}
        for value in values:
            if value.casefold() not in folded:
                shown = [v for v in known[attr] if v != NONE_VALUE] or list(known[attr])
                raise NotFoundError(
                    f"No value '{value}' for attribute '{attr}' in this project."
                    + did_you_mean(value, list(known[attr])),
                    hint=f"Values of {attr}: " + ", ".join(shown[:20]) + (" ..." if len(shown) > 20 else "") + ".",
                )


def check_attributes(names: Iterable[str], known: Sequence[str]) -> None:
    """Raise :class:`NotFoundError` (with a did-you-mean) for a name not in *known*.

    Callers that load only part of a project pass the project's attribute
    names (:data:`BUILTIN_ATTRIBUTES` first) as *known*.
    """
    for attr in names:
        if attr not in known:
            raise NotFoundError(
                f"Unknown attribute '{attr}'." + did_you_mean(attr, list(known)),
                hint="Attributes in this project: " + ", ".join(known) + ".",
            )


def select(data: AnalysisData, filters: Filters | None = None) -> list[Segment]:
    """The segments passing *filters*, in transcript order, then position, then codebook order."""
    f = filters or Filters()
    scope = code_scope(data.codebook, f.codes)
    wanted_codes = set(scope) if scope is not None else None
    wanted_t = set(f.transcripts) if f.transcripts else None
    wanted_coders = set(f.coders) if f.coders else None
    order = {c.id: i for i, c in enumerate(data.codebook.codes)}
    t_order = {t.id: i for i, t in enumerate(data.transcripts)}
    codings = [
        c
        for c in data.codings
        if (wanted_codes is None or c.code_id in wanted_codes)
        and (wanted_coders is None or c.coder in wanted_coders)
    ]
    segs = [s for s in make_segments(data, codings) if wanted_t is None or s.transcript.name in wanted_t]
    segs = apply_where(data, segs, f.where)
    segs.sort(
        key=lambda s: (
            t_order.get(s.transcript.id, 0),
            s.coding.start,
            s.coding.end,
            order.get(s.coding.code_id, len(order)),
            s.coding.id or 0,
        )
    )
    return segs


def apply_where(data: AnalysisData, segs: list[Segment], where: Mapping[str, Iterable[str]]) -> list[Segment]:
    """The segments whose values pass every attribute filter (one value of any speaker suffices)."""
    wanted = {a: {v.casefold() for v in vs} for a, vs in where.items() if vs}
    if not wanted:
        return segs
    return [
        s for s in segs if all(any(v.casefold() in ok for v in segment_values(data, s, a)) for a, ok in wanted.items())
    ]


def transcripts_in(data: AnalysisData, filters: Filters | None = None) -> list[Transcript]:
    """The transcripts a filter keeps (before attribute filters on codings)."""
    f = filters or Filters()
    return [t for t in data.transcripts if not f.transcripts or t.name in f.transcripts]


_TABLES = ("CodeFrequency", "Cooccurrence", "Crosstab", "CrosstabRow", "Matrix")
_TABLE_FUNCS = ("code_transcript_matrix", "cooccurrence", "crosstab", "frequencies")


def __getattr__(name: str) -> object:
    """Frequencies, crosstabs, co-occurrence and matrices live in analysis_tables (re-exported)."""
    if name in _TABLES or name in _TABLE_FUNCS:
        from qcode.core import analysis_tables

        return getattr(analysis_tables, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILTIN_ATTRIBUTES",
    "NONE_VALUE",
    "AnalysisData",
    "Filters",
    "Segment",
    "check_attributes",
    "check_filters",
    "code_scope",
    "format_time",
    "find_interviewers",
    "format_value",
    "make_segments",
    "select",
]
__all__ += [*_TABLES, *_TABLE_FUNCS]
