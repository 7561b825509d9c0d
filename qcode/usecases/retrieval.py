"""Retrieving coded quotes: every quote of a code, or of two codes that overlap.

Each quote carries what a researcher needs to read it in context: the
transcript, the speaker, the turn time, and the attributes of the transcript
and of the speaker's participant (for filters such as country or gender).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qcode.core.coding import Coding
from qcode.usecases.project import Project


@dataclass(frozen=True)
class Quote:
    transcript_id: int
    transcript: str
    start: int
    end: int
    text: str
    code_ids: tuple[str, ...]
    coding_ids: tuple[int, ...]
    coder: str
    speaker: str | None
    participant: str | None
    time: float | None
    memo: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


def _attr_str(value: Any) -> str:
    return "" if value is None else str(value)


class _Context:
    """Speaker, participant and attributes lookups shared by one retrieval."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.links = project.store.speaker_participants()
        self.people = {p.name: p.attributes for p in project.store.participants()}

    def quote(self, c: Coding, start: int, end: int, code_ids: tuple[str, ...], coding_ids: tuple[int, ...], memo: str) -> Quote:
        t = self.project.transcript(c.transcript_id)
        assert t.id is not None
        i = t.turn_at(start)
        turn = t.turns[i] if i is not None else None
        speaker = turn.speaker if turn else None
        participant = self.links.get((t.id, speaker)) if speaker else None
        attrs: dict[str, Any] = dict(t.attributes)
        if participant:
            attrs.update(self.people.get(participant, {}))
        return Quote(
            t.id, t.name, start, end, t.text[start:end], code_ids, coding_ids, c.coder, speaker, participant,
            turn.time_start if turn else None, memo, attrs,
        )


def _passes(q: Quote, filters: Mapping[str, Iterable[str]] | None) -> bool:
    if not filters:
        return True
    for name, allowed in filters.items():
        allowed_set = {str(a) for a in allowed}
        if allowed_set and _attr_str(q.attributes.get(name)) not in allowed_set:
            return False
    return True


def quotes(
    project: Project,
    code_id: str,
    *,
    with_code: str | None = None,
    include_children: bool = False,
    coders: Iterable[str] | None = None,
    filters: Mapping[str, Iterable[str]] | None = None,
) -> list[Quote]:
    """Quotes of *code_id*, or where *code_id* and *with_code* overlap (their union span).

    *filters* maps an attribute name to the values to keep (transcript or
    participant attributes; a quote without the attribute is dropped).
    """
    cb = project.codebook
    cb.get(code_id)
    ids = [code_id] + ([c.id for c in cb.descendants(code_id)] if include_children else [])
    coder_list = list(coders) if coders is not None else None
    mine = project.store.codings(code_ids=ids, coders=coder_list)
    ctx = _Context(project)
    out: list[Quote] = []
    if with_code is None:
        for c in mine:
            q = ctx.quote(c, c.start, c.end, (c.code_id,), (c.id or 0,), c.memo)
            if _passes(q, filters):
                out.append(q)
        return out
    cb.get(with_code)
    other_ids = [with_code] + ([c.id for c in cb.descendants(with_code)] if include_children else [])
    others: dict[int, list[Coding]] = {}
    for c in project.store.codings(code_ids=other_ids, coders=coder_list):
        others.setdefault(c.transcript_id, []).append(c)
    seen: set[tuple[int, int]] = set()
    for a in mine:
        for b in others.get(a.transcript_id, []):
            if b.start >= a.end:
                break
            if a.id == b.id or not a.overlaps(b.start, b.end) or (a.id, b.id) in seen:
                continue
            seen.add((a.id or 0, b.id or 0))
            memo = "\n".join(m for m in (a.memo, b.memo) if m)
            q = ctx.quote(a, min(a.start, b.start), max(a.end, b.end), (a.code_id, b.code_id), (a.id or 0, b.id or 0), memo)
            if _passes(q, filters):
                out.append(q)
    return out


def attribute_values(project: Project) -> dict[str, list[str]]:
    """Every attribute name with its values (transcripts and participants), for filter menus."""
    values: dict[str, set[str]] = {}
    for s in project.store.transcript_summaries():
        for k, v in (s["attributes"] or {}).items():
            values.setdefault(k, set()).add(_attr_str(v))
    for p in project.store.participants():
        for k, v in p.attributes.items():
            values.setdefault(k, set()).add(_attr_str(v))
    return {k: sorted(v) for k, v in sorted(values.items())}
