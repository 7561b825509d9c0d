"""Coded retrieval: the quotes of an :class:`~qcode.core.analysis.AnalysisData`, ready to cite.

A :class:`Quote` is a coding's passage with its transcript, speakers, time,
memo and notes; :func:`retrieve` lists them per code, :func:`retrieve_overlaps`
the passages where two codes overlap, and :func:`merge_coders` lists a passage
coded alike by several coders once. Selection (filters, segments) is in
:mod:`qcode.core.analysis`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from qcode.core.analysis import (
    AnalysisData,
    Filters,
    Segment,
    apply_where,
    format_time,
    make_segments,
    segment_values,
    select,
)
from qcode.core.coding import Coding


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
    """Seconds into the recording where the quote starts (:class:`~qcode.core.transcript.Timeline`), when known."""
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
        time=data.timeline(t).at(max(c.start, first.start), seg.turns[0]) if first is not None else None,
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
    for seg in apply_where(data, make_segments(data, unions), f.where):
        b = partner[id(seg.coding)]
        q = quote_of(data, seg, notes)
        extra = tuple(notes.get(str(b.id), ())) if b.id is not None else ()
        out.append(replace(q, notes=q.notes + extra, with_code_id=b.code_id, with_coding_id=b.id))
    return out


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
