"""The report model: what every report format shows, computed once.

:func:`build_report` turns an :class:`~qcode.core.analysis.AnalysisData` and
:class:`ReportOptions` into a :class:`Report`; the Word, Markdown/HTML and
spreadsheet writers only lay it out.
:func:`qcode.formats.reports.context.to_context` gives the plain
dict/list/str/number view that Jinja templates (including users' sandboxed
templates) receive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qcode.core.analysis import (
    AnalysisData,
    CodeFrequency,
    Cooccurrence,
    Crosstab,
    Filters,
    Matrix,
    Quote,
    code_transcript_matrix,
    cooccurrence,
    crosstab,
    frequencies,
    merge_coders,
    retrieve,
    select,
)

WORD_MATRIX_MAX = 12
"""Above this many codes, the Word co-occurrence table rolls codes up to themes."""

READING_NOTES = (
    "Codings: coded passages. Transcripts, speakers and participants: how many have at least one.",
    "Words: words in the text the code covers; overlapping codings of one code are merged first.",
    "With sub-themes: a theme counts its own codings and those of all its sub-themes.",
    "Share of participants: participants of a group who said something coded with the theme, "
    "over the participants of that group. Speakers not linked to a participant count as persons "
    "of their own when some of their speech is coded.",
    "Co-occurrence: pairs of codings whose passages overlap; the diagonal holds each code's own codings.",
)


@dataclass(frozen=True)
class ReportOptions:
    title: str = ""
    date: str = ""
    by: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    qcode_version: str = ""
    codebook_hash: str = ""
    codebook_version: str = ""


@dataclass(frozen=True)
class CodebookEntry:
    code_id: str
    label: str
    depth: int
    number: str
    definition: str
    include: str
    exclude: str
    examples: tuple[str, ...]
    counterexamples: tuple[str, ...]


@dataclass(frozen=True)
class ThemeSection:
    code_id: str
    label: str
    depth: int
    number: str
    definition: str
    counts: CodeFrequency
    quotes: tuple[Quote, ...]

    def summary(self) -> str:
        """'3 codings in 2 transcripts from 2 participants (41 words); with sub-themes: 5 codings.'"""
        c = self.counts
        if c.codings == 0:
            return (
                "No passage is coded with this theme itself; with its sub-themes: "
                f"{_plural(c.total_codings, 'coding')} in {_plural(c.total_transcripts, 'transcript')}."
            )
        who = _plural(c.participants, "participant") if c.participants else _plural(c.speakers, "speaker")
        text = (
            f"{_plural(c.codings, 'coding')} in {_plural(c.transcripts, 'transcript')} "
            f"from {who} ({_plural(c.words, 'word')})"
        )
        if c.total_codings != c.codings:
            text += f"; with sub-themes: {_plural(c.total_codings, 'coding')} in {_plural(c.total_transcripts, 'transcript')}"
        return text + "."


@dataclass(frozen=True)
class MemoEntry:
    about: str
    title: str
    text: str
    coder: str
    date: str


@dataclass(frozen=True)
class Report:
    title: str
    date: str
    project: str
    provenance: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    codebook_title: str
    codebook_description: str
    codebook: tuple[CodebookEntry, ...]
    frequencies: tuple[CodeFrequency, ...]
    themes: tuple[ThemeSection, ...]
    uncoded: tuple[str, ...]
    """Labels of codes in scope that no selected coding uses."""
    crosstabs: tuple[Crosstab, ...]
    cooccurrence: Cooccurrence
    """All codes (for spreadsheets and small projects)."""
    cooccurrence_table: Cooccurrence
    """What fits a page: rolled up to themes when there are many codes."""
    cooccurrence_note: str
    heatmap: Cooccurrence
    by_transcript: Matrix
    memos: tuple[MemoEntry, ...]
    quotes: tuple[Quote, ...]
    attributes: tuple[str, ...]
    """Attribute names found on the quotes (spreadsheet columns)."""
    agreement: dict[str, Any] | None = None
    """The latest kept agreement computation (``qcode agreement --json``), when there is one."""


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _numbers(data: AnalysisData, ids: list[tuple[int, str]], prefix: str) -> dict[str, str]:
    """Outline numbers ('3.1', '3.1.2') for codes listed depth-first."""
    out: dict[str, str] = {}
    counters: list[int] = []
    for depth, cid in ids:
        counters = counters[: depth + 1]
        while len(counters) < depth + 1:
            counters.append(0)
        counters[depth] += 1
        out[cid] = ".".join([prefix, *map(str, counters)]) if prefix else ".".join(map(str, counters))
    return out


def build_report(data: AnalysisData, options: ReportOptions) -> Report:
    """Compute every analysis the report shows (selecting codings once)."""
    f = options.filters
    segs = select(data, f)
    freqs = frequencies(data, f, segments=segs)
    quotes = retrieve(data, f, segments=segs)
    by_code: dict[str, list[Quote]] = {}
    for q in merge_coders(quotes):
        by_code.setdefault(q.code_id, []).append(q)
    scope = [(r.depth, r.code_id) for r in freqs]
    theme_numbers = _numbers(data, [(d, c) for d, c in scope], "3")
    themes = []
    for r in freqs:
        if r.total_codings == 0:
            continue
        code = data.codebook.find(r.code_id)
        themes.append(
            ThemeSection(
                r.code_id, r.label, r.depth, theme_numbers[r.code_id], code.definition if code else "",
                r, tuple(by_code.get(r.code_id, ())),
            )
        )
    uncoded = tuple(r.label for r in freqs if r.total_codings == 0)
    cb_numbers = _numbers(data, scope, "1")
    entries = []
    for depth, cid in scope:
        code = data.codebook.get(cid)
        entries.append(
            CodebookEntry(
                cid, data.label(cid), depth, cb_numbers[cid], code.definition.strip(), code.include.strip(),
                code.exclude.strip(), tuple(code.examples), tuple(code.counterexamples),
            )
        )
    cooc = cooccurrence(data, f, segments=segs)
    table = cooc
    note = ""
    if len(cooc.codes) > WORD_MATRIX_MAX:
        table = cooccurrence(data, f, segments=segs, level=1)
        note = f"{len(cooc.codes)} codes are too many for one page: sub-themes are counted in their top-level theme. The spreadsheet export has the full matrix."
    heat = table
    coders = sorted({s.coding.coder for s in segs})
    cb = data.codebook
    provenance = (
        ("Project", data.project or "(unnamed)"),
        ("Codebook", f"{cb.title}, version {options.codebook_version or cb.version or '(none)'}"),
        ("Codebook hash", (options.codebook_hash or cb.content_hash())[:16]),
        ("Coders", ", ".join(coders) or "(no codings)"),
        ("Transcripts", str(len({s.transcript.id for s in segs})) + " with codings, of " + str(len(data.transcripts))),
        ("Codings", f"{len(segs):,}"),
        ("Filters", "; ".join(f.describe()) or "none (all codings)"),
        ("Date", options.date),
        ("Made with", f"qcode {options.qcode_version}".strip()),
    )
    memos = _memos(data)
    attrs = sorted({k for q in quotes for k in q.attributes})
    return Report(
        title=options.title or f"{data.project or 'qcode'}: coded themes",
        date=options.date,
        project=data.project,
        provenance=provenance,
        notes=READING_NOTES,
        codebook_title=cb.title,
        codebook_description=cb.description.strip(),
        codebook=tuple(entries),
        frequencies=tuple(freqs),
        themes=tuple(themes),
        uncoded=uncoded,
        crosstabs=tuple(crosstab(data, a, f, segments=segs) for a in options.by),
        cooccurrence=cooc,
        cooccurrence_table=table,
        cooccurrence_note=note,
        heatmap=heat,
        by_transcript=code_transcript_matrix(data, f, segments=segs),
        memos=memos,
        quotes=tuple(quotes),
        attributes=tuple(attrs),
    )


def _memos(data: AnalysisData) -> tuple[MemoEntry, ...]:
    """Project, code, transcript and coding memos, in that order."""
    t_names = {str(t.id): t.title or t.name for t in data.transcripts}
    codings = {str(c.id): c for c in data.codings}
    rank = {"project": 0, "code": 1, "transcript": 2, "coding": 3}
    out = []
    for m in sorted(data.memos, key=lambda m: (rank.get(m.target_kind, 9), m.created, m.id or 0)):
        if m.target_kind == "project":
            about = "Project"
        elif m.target_kind == "code":
            about = f"Code: {data.label(m.target_id)}"
        elif m.target_kind == "transcript":
            about = f"Transcript: {t_names.get(m.target_id, m.target_id)}"
        else:
            c = codings.get(m.target_id)
            t = data.transcript(c.transcript_id) if c else None
            about = f"Coding {m.target_id}"
            if c is not None:
                about += f" ({data.label(c.code_id)}" + (f", {t.title or t.name}" if t else "") + ")"
        out.append(MemoEntry(about, m.title, m.text, m.coder, m.modified.date().isoformat()))
    return tuple(out)


def share_text(share: float | None) -> str:
    """'67%' (or '–' when the group is empty)."""
    return "–" if share is None else f"{round(share * 100):d}%"
