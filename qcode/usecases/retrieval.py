"""Retrieving coded quotes: every quote of a code, or of two codes that overlap.

The app's quote list and the reports read passages the same way: this module
only chooses the codings (one code, or two codes; with or without sub-codes;
by coder) and loads what they need; which passages pass the attribute
filters, who said them, their attributes and their text come from
:func:`qcode.core.analysis.retrieve` / :func:`~qcode.core.analysis.retrieve_overlaps`,
as in reports. Filters follow the report definitions (printed in reports):
an attribute is the speaker's participant's, else the transcript's; values
compare case-insensitively; a passage spanning several speakers passes when
one of them does; ``(none)`` selects a missing value. A passage that several
coders coded alike is listed once with all of them (:func:`merge_coders`), as
reports print it ("coded by ann, bob").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from qcode.core import analysis
from qcode.core.analysis import (
    BUILTIN_ATTRIBUTES,
    AnalysisData,
    Filters,
    check_attributes,
    format_value,
)
from qcode.core.codebook import Codebook
from qcode.usecases.project import Project


@dataclass(frozen=True)
class Quote(analysis.Quote):
    """A quote as reports cite it, with the id of its transcript (to open it in the app)."""

    transcript_id: int = 0

    @property
    def speaker(self) -> str | None:
        """Speaker label(s) of the passage, ``"Amina & Brian"`` when it spans two turns."""
        return " & ".join(self.speakers) or None

    @property
    def code_ids(self) -> tuple[str, ...]:
        """The code, and for two overlapping codings the second one's."""
        return (self.code_id, self.with_code_id) if self.with_code_id else (self.code_id,)

    @property
    def coding_ids(self) -> tuple[int, ...]:
        ids = (self.coding_id, self.with_coding_id) if self.with_code_id else (self.coding_id,)
        return tuple(i or 0 for i in ids)


def _scope(codebook: Codebook, code_id: str, include_children: bool) -> list[str]:
    codebook.get(code_id)
    return [code_id] + ([c.id for c in codebook.descendants(code_id)] if include_children else [])


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

    *filters* maps an attribute name to the values to keep (as ``--where`` in
    reports); an unknown attribute name raises a NotFoundError naming it.
    Quotes are in reading order (transcript, position); the same passage coded
    alike by several coders is one quote (:func:`merge_coders`).
    """
    cb = project.codebook
    first = _scope(cb, code_id, include_children)
    second = _scope(cb, with_code, include_children) if with_code is not None else []
    where = {name: tuple(str(v) for v in values) for name, values in (filters or {}).items()}
    if where:
        check_attributes(where, list(dict.fromkeys([*BUILTIN_ATTRIBUTES, *attribute_values(project)])))
    codings = project.store.codings(
        code_ids=dict.fromkeys(first + second), coders=list(coders) if coders is not None else None
    )
    data = AnalysisData(
        codebook=cb,
        transcripts=tuple(project.transcript(tid) for tid in sorted({c.transcript_id for c in codings})),
        participants=tuple(project.store.participants()),
        codings=tuple(codings),
    )
    f = Filters(where=where)
    if with_code is None:
        cited = analysis.retrieve(data, f, by_code=False)
    else:
        cited = analysis.retrieve_overlaps(data, first, second, f)
    ids = {t.name: t.id for t in data.transcripts}
    return [_with_id(q, ids[q.transcript] or 0) for q in merge_coders(cited)]


def merge_coders(quotes: Iterable[analysis.Quote]) -> list[analysis.Quote]:
    """One quote per passage and code(s): the same span coded alike by several coders is
    listed once, at the first one's place, as reports show it.

    The kept quote's ``coders`` names every coder in order of appearance and
    ``coder`` joins them with ", ", as ``qcode.formats.reports.data`` does for
    report quotes; memo lines and notes are joined, each text once (nothing a
    coder wrote is dropped). For two overlapping codes (``with_code_id``) the
    key is the union span and both codes, so the pairs of two coders' identical
    codings (a1+b1, a1+b2, a2+b1, a2+b2) give one quote.
    """
    seen: dict[tuple[str, int, int, str, str], int] = {}
    out: list[analysis.Quote] = []
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


def _with_id(q: analysis.Quote, transcript_id: int) -> Quote:
    return Quote(**{f.name: getattr(q, f.name) for f in fields(q)}, transcript_id=transcript_id)


def attribute_values(project: Project) -> dict[str, list[str]]:
    """Every attribute name with its values (transcripts and participants), for filter menus.

    Values are written as filters and reports compare them (:func:`format_value`).
    """
    values: dict[str, set[str]] = {}

    def add(attributes: Mapping[str, Any]) -> None:
        for k, v in attributes.items():
            values.setdefault(k, set()).add(format_value(v))

    for s in project.store.transcript_summaries():
        add(s["attributes"] or {})
    for p in project.store.participants():
        add(p.attributes)
    return {k: sorted(v) for k, v in sorted(values.items())}
