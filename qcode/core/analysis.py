"""The analyses researchers publish, as pure functions over plain data.

Everything here works on an :class:`AnalysisData` (transcripts, participants,
codebook, codings, memos), so reports, the app and the CLI share one
implementation and tests need no database. This module holds the data, the
filters, codings seen in their context (:class:`Segment`) and coded
retrieval; :mod:`qcode.core.analysis_tables` holds frequencies, crosstabs,
co-occurrence and the code-by-transcript matrix (re-exported here).

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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from qcode.core.codebook import Codebook
from qcode.core.coding import Coding, Memo
from qcode.core.errors import NotFoundError, did_you_mean
from qcode.core.transcript import Participant, Transcript

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
        object.__setattr__(self, "_t_by_id", {t.id: t for t in self.transcripts})
        object.__setattr__(self, "_p_by_name", {p.name: p for p in self.participants})

    def transcript(self, transcript_id: int | None) -> Transcript | None:
        return self._t_by_id.get(transcript_id)  # type: ignore[attr-defined,no-any-return]

    def participant(self, name: str | None) -> Participant | None:
        return self._p_by_name.get(name) if name else None  # type: ignore[attr-defined,no-any-return]

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
    segs = _where(data, segs, f.where)
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


def _where(data: AnalysisData, segs: list[Segment], where: Mapping[str, Iterable[str]]) -> list[Segment]:
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


# ----------------------------------------------------------------- retrieval
@dataclass(frozen=True)
class Quote:
    """One coded passage with everything needed to cite it."""

    coding_id: int | None
    code_id: str
    code_path: tuple[str, ...]
    """Code ids from the top-level theme down to this code."""
    transcript: str
    transcript_title: str
    kind: str
    speakers: tuple[str, ...]
    participants: tuple[str, ...]
    """Who said it: participant names, or speaker labels when not linked."""
    turn: int | None
    """1-based number of the first turn the quote overlaps."""
    time: float | None
    start: int
    end: int
    text: str
    memo: str
    coder: str
    status: str
    attributes: dict[str, str]
    notes: tuple[str, ...] = ()
    """Memos written about this coding (besides its own memo field)."""
    coders: tuple[str, ...] = ()
    """Every coder who coded this very passage with this code, when reports show it once for several."""
    with_code_id: str = ""
    """For a quote of two overlapping codings (:func:`retrieve_overlaps`): the second coding's code."""
    with_coding_id: int | None = None
    """For a quote of two overlapping codings: the second coding's id."""

    @property
    def who(self) -> str:
        return " & ".join(self.participants) or "unknown speaker"

    @property
    def where(self) -> str:
        """``00:12:34`` when the time is known, else ``turn 5`` (or '')."""
        if self.time is not None:
            return format_time(self.time)
        return f"turn {self.turn}" if self.turn is not None else ""

    def attribution(self) -> str:
        """``— Amina, focus group Nairobi 2, 00:12:34``."""
        parts = [self.who, self.transcript_title or self.transcript, self.where]
        return "— " + ", ".join(p for p in parts if p)

    def coded_by(self) -> str:
        """``coded by ann, bob`` when several coders coded this passage alike (else ``''``)."""
        return "coded by " + ", ".join(self.coders) if len(self.coders) > 1 else ""


def quote_of(data: AnalysisData, seg: Segment, notes: dict[str, list[str]] | None = None) -> Quote:
    """The quote of *seg*; each attribute valued per speaker as filters do (:func:`segment_values`),
    several values (speakers of different groups) joined with ``"; "``."""
    c, t = seg.coding, seg.transcript
    first = t.turns[seg.turns[0]] if seg.turns else None
    names = set(t.attributes)
    for name in seg.participants:
        p = data.participant(name)
        if p is not None:
            names.update(p.attributes)
    attrs = {k: "; ".join(segment_values(data, seg, k)) for k in sorted(names)}
    who = tuple(p if p else s for s, p in zip(seg.speakers, seg.participants, strict=True))
    return Quote(
        coding_id=c.id,
        code_id=c.code_id,
        code_path=tuple(data.codebook.path(c.code_id)) if c.code_id in data.codebook else (c.code_id,),
        transcript=t.name,
        transcript_title=t.title,
        kind=t.kind,
        speakers=seg.speakers,
        participants=who,
        turn=seg.turns[0] + 1 if seg.turns else None,
        time=first.time_start if first is not None else None,
        start=c.start,
        end=c.end,
        text=seg.text,
        memo=c.memo,
        coder=c.coder,
        status=c.status,
        attributes=attrs,
        notes=tuple((notes or {}).get(str(c.id), ())),
    )


def _coding_notes(data: AnalysisData) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = {}
    for m in data.memos:
        if m.target_kind == "coding":
            notes.setdefault(m.target_id, []).append(m.text)
    return notes


def retrieve(
    data: AnalysisData,
    filters: Filters | None = None,
    *,
    segments: Sequence[Segment] | None = None,
    by_code: bool = True,
) -> list[Quote]:
    """Every quote passing *filters*, grouped by code (codebook order), then transcript and position.

    With ``by_code=False`` the quotes stay in :func:`select` order (reading
    order: transcript, position), as the app's quote list shows them.
    """
    segs = select(data, filters) if segments is None else segments
    notes = _coding_notes(data)
    order = {c.id: i for i, c in enumerate(data.codebook.codes)}
    ranked = list(enumerate(segs))
    if by_code:
        ranked.sort(key=lambda p: (order.get(p[1].coding.code_id, len(order)), p[0]))
    return [quote_of(data, s, notes) for _, s in ranked]


def retrieve_overlaps(
    data: AnalysisData, first: Collection[str], second: Collection[str], filters: Filters | None = None
) -> list[Quote]:
    """Quotes of the union span of each pair of overlapping codings, one of a code in *first*
    (its code, coder and id), one of a code in *second* (``with_code_id``, ``with_coding_id``).

    Codes match exactly (pass :func:`code_scope` for sub-codes). *filters* keeps
    both codings by coder and transcript (its codes are unused) and the union
    by the attributes of its speakers, as :func:`select` does. No coding pairs
    with itself; a pair found from both sides is listed once. Order: the first
    coding's :func:`select` order, then the second's.
    """
    f = filters or Filters()
    segs = select(data, Filters(transcripts=f.transcripts, coders=f.coders))
    a_codes, b_codes = set(first), set(second)
    others: dict[int | None, list[Coding]] = {}
    for s in segs:
        if s.coding.code_id in b_codes:
            others.setdefault(s.transcript.id, []).append(s.coding)
    pairs: list[tuple[Coding, Coding]] = []
    seen: set[tuple[int, int]] = set()
    for s in segs:
        a = s.coding
        if a.code_id not in a_codes:
            continue
        for b in others.get(a.transcript_id, ()):
            if b.start >= a.end:
                break
            key = (id(a), id(b))
            if a is b or not a.overlaps(b.start, b.end) or key[::-1] in seen:
                continue
            seen.add(key)
            pairs.append((a, b))
    unions = [
        replace(a, start=min(a.start, b.start), end=max(a.end, b.end), quote="", memo="\n".join(m for m in (a.memo, b.memo) if m))
        for a, b in pairs
    ]
    partner = {id(u): b for u, (_, b) in zip(unions, pairs, strict=True)}
    notes = _coding_notes(data)
    out: list[Quote] = []
    for seg in _where(data, make_segments(data, unions), f.where):
        b = partner[id(seg.coding)]
        q = quote_of(data, seg, notes)
        extra = tuple(notes.get(str(b.id), ())) if b.id is not None else ()
        out.append(replace(q, notes=q.notes + extra, with_code_id=b.code_id, with_coding_id=b.id))
    return out


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
    "Quote",
    "Segment",
    "check_attributes",
    "check_filters",
    "code_scope",
    "format_time",
    "find_interviewers",
    "format_value",
    "make_segments",
    "quote_of",
    "retrieve",
    "retrieve_overlaps",
    "select",
]
__all__ += [*_TABLES, *_TABLE_FUNCS]


def merge_coders(quotes: Iterable[Quote]) -> list[Quote]:
    """One quote per passage and code(s): the same span coded alike by several coders is
    listed once, at the first one's place, as reports show it.

    The kept quote's ``coders`` names every coder in order of appearance and
    ``coder`` joins them with ", " (reports and the app's quote list both use
    this); memo lines and notes are joined, each text once (nothing a
    coder wrote is dropped). For two overlapping codes (``with_code_id``) the
    key is the union span and both codes, so the pairs of two coders' identical
    codings (a1+b1, a1+b2, a2+b1, a2+b2) give one quote.
    """
    seen: dict[tuple[str, int, int, str, str], int] = {}
    out: list[Quote] = []
    for q in quotes:
        key = (q.transcript, q.start, q.end, q.code_id, q.with_code_id)
        if key not in seen:
            seen[key] = len(out)
            out.append(q)
            continue
        first = out[seen[key]]
        coders = first.coders or (first.coder,)
        if q.coder not in coders:
            coders = (*coders, q.coder)
        memo = first.memo.split("\n") if first.memo else []
        memo += [m for m in q.memo.split("\n") if m and m not in memo]
        notes = first.notes + tuple(n for n in q.notes if n not in first.notes)
        out[seen[key]] = replace(first, coder=", ".join(coders), coders=coders, memo="\n".join(memo), notes=notes)
    return out
