"""Frequencies, crosstabs, co-occurrence and code-by-transcript matrices.

Pure functions over :class:`~qcode.core.analysis.AnalysisData`; see that
module for the definitions of speakers, participants and attributes. Each
function takes optional precomputed ``segments`` (from
:func:`~qcode.core.analysis.select`) so a report selects codings once.

Counting rules (printed in reports so readers know what a number means):

* **codings**: coded passages; **transcripts**, **speakers** (speaker label in
  a transcript) and **participants** (linked people) that have at least one.
* **words**: words in the text the code covers; overlapping codings of the
  same code (two coders, say) are merged first, so no word counts twice.
* **Rolled up** (``total_*``, crosstabs, matrices): a theme counts its own
  codings and those of all its sub-themes.
* **Share of participants**: participants of a group who said something coded
  with the theme, over the participants of that group in the transcripts.
  Speakers not linked to a participant count as persons of their own, but
  only when some of their speech is coded (so an uncoded interviewer does
  not lower every share).
* **Co-occurrence** ``overlap``: pairs of codings of two codes whose spans
  overlap; ``turn``: speaker turns carrying both codes. The diagonal holds
  the number of codings (overlap) or turns (turn) of the code itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qcode.core.analysis import (
    NONE_VALUE,
    AnalysisData,
    Filters,
    Segment,
    code_scope,
    occurrence_values,
    person_key,
    segment_values,
    select,
    transcripts_in,
)
from qcode.core.text import count_words


@dataclass(frozen=True)
class CodeFrequency:
    code_id: str
    label: str
    depth: int
    codings: int
    transcripts: int
    speakers: int
    participants: int
    words: int
    total_codings: int
    total_transcripts: int
    total_speakers: int
    total_participants: int
    total_words: int


@dataclass(frozen=True)
class CrosstabRow:
    code_id: str
    label: str
    depth: int
    counts: tuple[int, ...]
    """Codings (rolled up) per group."""
    people: tuple[int, ...]
    """Participants per group who said something coded with the theme."""
    shares: tuple[float | None, ...]
    """people / group size (None when the group has no participants)."""


@dataclass(frozen=True)
class Crosstab:
    attribute: str
    groups: tuple[str, ...]
    sizes: tuple[int, ...]
    """Persons (see ``unit``) in each group."""
    rows: tuple[CrosstabRow, ...]
    unit: str = "participants"
    """What ``people`` and ``sizes`` count: ``participants`` (linked people) when the transcripts
    have participant data, else ``speakers`` (a speaker label in one transcript); ``coders`` by coder."""


@dataclass(frozen=True)
class Matrix:
    """A code-by-something table of counts."""

    rows: tuple[str, ...]
    row_labels: tuple[str, ...]
    columns: tuple[str, ...]
    column_labels: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]
    depths: tuple[int, ...] = ()


@dataclass(frozen=True)
class Cooccurrence:
    mode: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]
    """Symmetric; the diagonal holds each code's own count."""


def _segs(data: AnalysisData, filters: Filters | None, segments: Sequence[Segment] | None) -> Sequence[Segment]:
    return select(data, filters) if segments is None else segments


def _scope_codes(data: AnalysisData, filters: Filters | None, used: set[str]) -> list[tuple[int, str]]:
    """(depth, id) of the codes to list: the filter's scope, in tree order, minus unused retired codes."""
    scope = code_scope(data.codebook, filters.codes if filters else None)
    keep = set(scope) if scope is not None else None
    out = []
    for depth, code in data.codebook.walk():
        if keep is not None and code.id not in keep:
            continue
        if code.retired and code.id not in used:
            continue
        out.append((depth, code.id))
    return out


def _family(data: AnalysisData, code_id: str) -> set[str]:
    return {code_id, *(c.id for c in data.codebook.descendants(code_id))}


def _words(segs: Sequence[Segment]) -> int:
    """Words in the union of the segments' spans (per transcript)."""
    spans: dict[int | None, list[tuple[int, int]]] = {}
    texts: dict[int | None, str] = {}
    for s in segs:
        spans.setdefault(s.transcript.id, []).append((s.coding.start, s.coding.end))
        texts[s.transcript.id] = s.transcript.text
    total = 0
    for tid, items in spans.items():
        items.sort()
        cur_s, cur_e = items[0]
        for a, b in items[1:]:
            if a <= cur_e:
                cur_e = max(cur_e, b)
            else:
                total += count_words(texts[tid][cur_s:cur_e])
                cur_s, cur_e = a, b
        total += count_words(texts[tid][cur_s:cur_e])
    return total


def _counts(segs: Sequence[Segment], skip: frozenset[tuple[int | None, str]] = frozenset()) -> tuple[int, int, int, int, int]:
    """Codings, transcripts, speakers, participants, words; speakers in *skip* (interviewers) are not people."""
    transcripts = {s.transcript.id for s in segs}
    speakers = {(s.transcript.id, label) for s in segs for label in s.speakers if (s.transcript.id, label) not in skip}
    participants = {p for s in segs for label, p in zip(s.speakers, s.participants, strict=True)
                    if p and (s.transcript.id, label) not in skip}
    return len(segs), len(transcripts), len(speakers), len(participants), _words(segs)


def frequencies(
    data: AnalysisData, filters: Filters | None = None, *, segments: Sequence[Segment] | None = None
) -> list[CodeFrequency]:
    """Per code, in codebook order: its own counts and the counts rolled up over its sub-codes."""
    segs = _segs(data, filters, segments)
    by_code: dict[str, list[Segment]] = {}
    for s in segs:
        by_code.setdefault(s.coding.code_id, []).append(s)
    out = []
    for depth, cid in _scope_codes(data, filters, set(by_code)):
        own = by_code.get(cid, [])
        rolled = [s for c in _family(data, cid) for s in by_code.get(c, [])]
        skip = data.interviewers
        out.append(CodeFrequency(cid, data.label(cid), depth, *_counts(own, skip), *_counts(rolled, skip)))
    return out


def _group_key(value: str) -> tuple[int, float, str]:
    """Sort groups: numbers numerically, then text, '(none)' last."""
    if value == NONE_VALUE:
        return (2, 0.0, "")
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value.casefold())


def crosstab(
    data: AnalysisData,
    attribute: str,
    filters: Filters | None = None,
    *,
    segments: Sequence[Segment] | None = None,
) -> Crosstab:
    """Codings and share of people per code (rolled up) and group of *attribute*.

    The people are the participants (speakers linked to one) when any kept
    transcript has participant data; unlinked speakers then count in neither
    the numerators nor the group sizes. Without participant data they are the
    speakers, every one of the kept transcripts, coded or not. Interviewers
    (``data.interviewers``) are left out either way. ``unit`` says which.
    """
    segs = _segs(data, filters, segments)
    where = {a: {v.casefold() for v in vs} for a, vs in (filters.where if filters else {}).items() if vs}
    kept = transcripts_in(data, filters)
    skip = data.interviewers
    linked = any(t.speakers.get(label) for t in kept for label in t.speaker_labels() if (t.id, label) not in skip)
    unit = "coders" if attribute == "coder" else "participants" if linked else "speakers"

    def counted(t: Any, label: str) -> bool:
        return (t.id, label) not in skip and (not linked or bool(t.speakers.get(label)))

    members: dict[str, set[str]] = {}
    if attribute != "coder":
        for t in kept:
            for label in t.speaker_labels():
                if not counted(t, label) or any(
                    occurrence_values(data, t, label, a).casefold() not in ok for a, ok in where.items() if a != "coder"
                ):
                    continue
                members.setdefault(occurrence_values(data, t, label, attribute), set()).add(person_key(t, label))
    counts: dict[str, dict[str, int]] = {}
    people: dict[str, dict[str, set[str]]] = {}
    groups: set[str] = set(members)
    for s in segs:
        cid = s.coding.code_id
        for g in segment_values(data, s, attribute):
            groups.add(g)
            counts.setdefault(cid, {}).setdefault(g, 0)
            counts[cid][g] += 1
        for label, person in zip(s.speakers, s.persons, strict=True):
            if attribute != "coder" and not counted(s.transcript, label):
                continue
            g = occurrence_values(data, s.transcript, label, attribute) if attribute != "coder" else s.coding.coder
            people.setdefault(cid, {}).setdefault(g, set()).add(person)
    ordered = tuple(sorted(groups, key=_group_key))
    sizes = tuple(len(members.get(g, ())) for g in ordered)
    rows = []
    for depth, cid in _scope_codes(data, filters, set(counts)):
        fam = _family(data, cid)
        c_row, p_row, s_row = [], [], []
        for g, size in zip(ordered, sizes, strict=True):
            c_row.append(sum(counts.get(c, {}).get(g, 0) for c in fam))
            who: set[str] = set()
            for c in fam:
                who |= people.get(c, {}).get(g, set())
            n = len(who & members.get(g, set())) if attribute != "coder" else len(who)
            p_row.append(n)
            s_row.append(n / size if size else None)
        rows.append(CrosstabRow(cid, data.label(cid), depth, tuple(c_row), tuple(p_row), tuple(s_row)))
    return Crosstab(attribute, ordered, sizes, tuple(rows), unit)


def _rolled(data: AnalysisData, code_id: str, level: int | None) -> str:
    if level is None or code_id not in data.codebook:
        return code_id
    return data.codebook.rollup(code_id, level)


def cooccurrence(
    data: AnalysisData,
    filters: Filters | None = None,
    *,
    mode: str = "overlap",
    level: int | None = None,
    segments: Sequence[Segment] | None = None,
) -> Cooccurrence:
    """Code-by-code co-occurrence: overlapping codings, or turns carrying both codes.

    *level* rolls codes up to that tree depth first (1 = top-level themes).
    Only codes with at least one coding are listed, in codebook order.
    """
    if mode not in ("overlap", "turn"):
        raise ValueError(f"unknown co-occurrence mode {mode!r}")
    segs = _segs(data, filters, segments)
    pair: dict[tuple[str, str], int] = {}
    diag: dict[str, int] = {}

    def add(a: str, b: str) -> None:
        if a != b:
            pair[(a, b)] = pair.get((a, b), 0) + 1
            pair[(b, a)] = pair.get((b, a), 0) + 1

    by_t: dict[int | None, list[Segment]] = {}
    for s in segs:
        by_t.setdefault(s.transcript.id, []).append(s)
    for items in by_t.values():
        if mode == "overlap":
            items = sorted(items, key=lambda s: (s.coding.start, s.coding.end))
            for i, a in enumerate(items):
                ca = _rolled(data, a.coding.code_id, level)
                diag[ca] = diag.get(ca, 0) + 1
                for b in items[i + 1 :]:
                    if b.coding.start >= a.coding.end:
                        break
                    add(ca, _rolled(data, b.coding.code_id, level))
        else:
            turns: dict[int, set[str]] = {}
            for s in items:
                for ti in s.turns:
                    turns.setdefault(ti, set()).add(_rolled(data, s.coding.code_id, level))
            for members in turns.values():
                for x in members:
                    diag[x] = diag.get(x, 0) + 1
                    for y in members:
                        if x < y:
                            add(x, y)
    order = {c.id: i for i, c in enumerate(data.codebook.codes)}
    codes = tuple(sorted(diag, key=lambda c: (order.get(c, len(order)), c)))
    values = tuple(tuple(diag[a] if a == b else pair.get((a, b), 0) for b in codes) for a in codes)
    return Cooccurrence(mode, codes, tuple(data.label(c) for c in codes), values)


def code_transcript_matrix(
    data: AnalysisData, filters: Filters | None = None, *, segments: Sequence[Segment] | None = None
) -> Matrix:
    """Codings (rolled up) of each code in each transcript kept by *filters*."""
    segs = _segs(data, filters, segments)
    transcripts = transcripts_in(data, filters)
    col = {t.id: j for j, t in enumerate(transcripts)}
    own: dict[str, list[int]] = {}
    for s in segs:
        if s.transcript.id in col:
            own.setdefault(s.coding.code_id, [0] * len(transcripts))[col[s.transcript.id]] += 1
    scope = _scope_codes(data, filters, set(own))
    rows = []
    for _, cid in scope:
        fam = _family(data, cid)
        rows.append(tuple(sum(own.get(c, [0] * len(transcripts))[j] for c in fam) for j in range(len(transcripts))))
    return Matrix(
        rows=tuple(cid for _, cid in scope),
        row_labels=tuple(data.label(cid) for _, cid in scope),
        columns=tuple(t.name for t in transcripts),
        column_labels=tuple(t.title or t.name for t in transcripts),
        values=tuple(rows),
        depths=tuple(d for d, _ in scope),
    )
