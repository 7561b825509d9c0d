"""Retrieving coded quotes: every quote of a code, or of two codes that overlap.

The app's quote list and the reports read passages the same way: this module
only chooses the codings (one code, or two codes; with or without sub-codes;
by coder) and loads what they need; which passages pass the attribute
filters, who said them, their attributes and their text come from
:func:`qcode.core.analysis_quotes.retrieve` / :func:`~qcode.core.analysis_quotes.retrieve_overlaps`,
as in reports. Filters follow the report definitions (printed in reports):
an attribute is the speaker's participant's, else the transcript's; values
compare case-insensitively; a passage spanning several speakers passes when
one of them does; ``(none)`` selects a missing value. A passage that several
coders coded alike is listed once with all of them (:func:`~qcode.core.analysis_quotes.merge_coders`), as
reports print it ("coded by ann, bob").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from qcode.core import analysis_quotes
from qcode.core.analysis import (
    BUILTIN_ATTRIBUTES,
    AnalysisData,
    Filters,
    check_attribute_values,
    check_attributes,
    format_value,
)
from qcode.core.codebook import Codebook
from qcode.usecases import blind
from qcode.usecases.project import Project


@dataclass(frozen=True)
class Quote(analysis_quotes.Quote):
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
    alike by several coders is one quote (:func:`~qcode.core.analysis_quotes.merge_coders`).
    """
    cb = project.codebook
    first = _scope(cb, code_id, include_children)
    second = _scope(cb, with_code, include_children) if with_code is not None else []
    where = {name: tuple(str(v) for v in values) for name, values in (filters or {}).items()}
    if where:
        values = attribute_values(project)
        check_attributes(where, list(dict.fromkeys([*BUILTIN_ATTRIBUTES, *values])))
        check_attribute_values(where, values)
    codings = project.store.codings.list(code_ids=dict.fromkeys(first + second), coders=blind.restrict(project, coders))
    data = AnalysisData(
        codebook=cb,
        transcripts=tuple(project.transcript(tid) for tid in sorted({c.transcript_id for c in codings})),
        participants=tuple(project.store.participants.list()),
        codings=tuple(codings),
    )
    f = Filters(where=where)
    if with_code is None:
        cited = analysis_quotes.retrieve(data, f, by_code=False)
    else:
        cited = analysis_quotes.retrieve_overlaps(data, first, second, f)
    ids = {t.name: t.id for t in data.transcripts}
    return [_with_id(q, ids[q.transcript] or 0) for q in analysis_quotes.merge_coders(cited)]


def _with_id(q: analysis_quotes.Quote, transcript_id: int) -> Quote:
    return Quote(**{f.name: getattr(q, f.name) for f in fields(q)}, transcript_id=transcript_id)


def attribute_values(project: Project) -> dict[str, list[str]]:
    """Every attribute name with its values (transcripts and participants), for filter menus.

    Values are written as filters and reports compare them (:func:`format_value`).
    """
    values: dict[str, set[str]] = {}

    def add(attributes: Mapping[str, Any]) -> None:
        for k, v in attributes.items():
            values.setdefault(k, set()).add(format_value(v))

    for s in project.store.transcripts.summaries():
        add(s.attributes or {})
    for p in project.store.participants.list():
        add(p.attributes)
    return {k: sorted(v) for k, v in sorted(values.items())}
