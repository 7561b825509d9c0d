"""The report model: what every report format shows, computed once, in the report's language.

:func:`build_report` turns an :class:`~qcode.core.analysis.AnalysisData` and
:class:`ReportOptions` into a :class:`Report`; the Word, Markdown/HTML and
spreadsheet writers only lay it out. Its text (headings, summaries, notes,
provenance) comes from the message catalogue of ``options.lang``
(:mod:`qcode.formats.reports.i18n`); its headings are numbered once by
:func:`qcode.formats.reports.sections.outline`.
:func:`qcode.formats.reports.context.to_context` gives the plain
dict/list/str/number view that Jinja templates (including users' sandboxed
templates) receive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from qcode.core.analysis import AnalysisData, Filters, Segment, format_time, format_value, select
from qcode.core.analysis_quotes import Quote, merge_coders, retrieve
from qcode.core.analysis_tables import (
    CodeFrequency,
    Cooccurrence,
    Crosstab,
    Matrix,
    code_transcript_matrix,
    cooccurrence,
    crosstab,
    frequencies,
)
from qcode.core.transcript import Transcript
from qcode.formats.reports.excerpt import Excerpt, excerpt
from qcode.formats.reports.i18n import Messages
from qcode.formats.reports.sections import Heading, outline

WORD_MATRIX_MAX = 12
"""Above this many codes, the Word co-occurrence table rolls codes up to themes."""
QUOTE_MODES = ("span", "turn")


@dataclass(frozen=True)
class ReportOptions:
    title: str = ""
    date: str = ""
    by: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    qcode_version: str = ""
    codebook_hash: str = ""
    codebook_version: str = ""
    lang: str = "en"
    max_words: int | None = None
    """Longest quote, in words, in the Word/HTML/Markdown reports (None: no limit)."""
    quote_mode: str = "span"
    """``span``: the coded passage; ``turn``: the whole speaker turn(s), the passage marked."""
    include_interviewers: bool = False
    """Whether ``data.interviewers`` was left empty on purpose (said in the report)."""
    agreement: dict[str, Any] | None = None
    """The latest kept ``qcode agreement`` computation, shown as an appendix (None: no appendix)."""


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
class ReportQuote:
    """A quote as the report prints it: the excerpt, and the attribution in the report's language."""

    quote: Quote
    excerpt: Excerpt
    attribution: str
    """``Amina, Interview 1 (Casablanca), 00:12:34`` (no leading dash)."""
    coded_by: str
    memo: str
    marked: bool = False
    """Whether the coded passage stands out (bold) from its context: the whole-turn mode."""


@dataclass(frozen=True)
class ThemeSection:
    code_id: str
    label: str
    depth: int
    number: str
    definition: str
    counts: CodeFrequency
    quotes: tuple[ReportQuote, ...]
    summary: str


@dataclass(frozen=True)
class MemoEntry:
    about: str
    title: str
    text: str
    coder: str
    date: str


@dataclass(frozen=True)
class TranscriptRow:
    name: str
    title: str
    kind: str
    words: int
    people: int
    codings: int


@dataclass(frozen=True)
class Corpus:
    transcripts: tuple[TranscriptRow, ...]
    words: int
    participants: int
    """Participants linked to a speaker of the reported transcripts (interviewers left out)."""
    speakers: int
    interviewers: int
    """Speakers recognised as interviewers (left out of the counts unless --include-interviewers)."""
    attributes: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    """Participant attribute -> (value, participants) in the corpus."""
    text: tuple[str, ...]
    """Sentences describing the corpus."""


@dataclass(frozen=True)
class Report:
    m: Messages
    lang: str
    title: str
    subtitle: str
    date: str
    project: str
    provenance: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    unit: str
    """``participants`` when the transcripts have participant data, else ``speakers``: what the tables count."""
    corpus: Corpus
    codebook_title: str
    codebook_description: str
    codebook_lead: str
    codebook: tuple[CodebookEntry, ...]
    frequencies: tuple[CodeFrequency, ...]
    themes: tuple[ThemeSection, ...]
    quote_notes: tuple[str, ...]
    uncoded: tuple[str, ...]
    """Labels of codes in scope that no selected coding uses."""
    crosstabs: tuple[Crosstab, ...]
    cooccurrence: Cooccurrence
    """All codes (for spreadsheets and small projects)."""
    cooccurrence_table: Cooccurrence
    """What fits a page: rolled up to themes when there are many codes."""
    cooccurrence_note: str
    heatmap: Cooccurrence
    """The codes of ``cooccurrence_table`` that co-occur with another at least once."""
    by_transcript: Matrix
    memos: tuple[MemoEntry, ...]
    no_themes: str
    """What the findings say when no theme has a coded passage: nothing matches the filters, or nothing is coded."""
    quotes: tuple[Quote, ...]
    """Every quote in full (spreadsheets)."""
    attributes: tuple[str, ...]
    """Attribute names found on the quotes (spreadsheet columns)."""
    outline: tuple[Heading, ...] = ()
    agreement: dict[str, Any] | None = None
    """The latest kept agreement computation (``qcode agreement --json``), when there is one."""

    def heading(self, anchor: str) -> Heading:
        return next(h for h in self.outline if h.anchor == anchor)

    def people_word(self) -> str:
        return self.m(f"word_{self.unit}")


def _numbers(ids: list[tuple[int, str]], prefix: str) -> dict[str, str]:
    """Outline numbers ('A.1', 'A.1.2') for codes listed depth-first."""
    out: dict[str, str] = {}
    counters: list[int] = []
    for depth, cid in ids:
        counters = counters[: depth + 1]
        while len(counters) < depth + 1:
            counters.append(0)
        counters[depth] += 1
        out[cid] = ".".join([prefix, *map(str, counters)]) if prefix else ".".join(map(str, counters))
    return out


def _summary(m: Messages, c: CodeFrequency, unit: str) -> str:
    """The theme's counts in words, on the two bases of the frequency table, each named: 'This theme itself:
    3 codings in 2 transcripts from 2 participants (33 words); with its sub-themes: 7 codings in 2 transcripts
    from 3 participants (75 words).' (just the first part, unnamed, when the sub-themes add nothing: then both
    bases give the same numbers)."""

    def part(key: str, codings: int, transcripts: int, participants: int, speakers: int, words: int) -> str:
        who = m.count(participants, "n_participants") if unit == "participants" else m.count(speakers, "n_speakers")
        return m(key, codings=m.count(codings, "n_codings"), transcripts=m.count(transcripts, "n_transcripts"),
                 who=who, words=m.count(words, "n_words"))

    totals = (c.total_codings, c.total_transcripts, c.total_participants, c.total_speakers, c.total_words)
    if c.codings == 0:
        return part("summary_sub_only", *totals)
    own = part("summary_own", c.codings, c.transcripts, c.participants, c.speakers, c.words)
    if c.total_codings == c.codings:
        return own + "."
    return m("summary_own_lead") + own + part("summary_with_sub", *totals) + "."


def _report_quote(t: Transcript | None, q: Quote, options: ReportOptions, m: Messages, name_coder: bool = False) -> ReportQuote:
    before = after = ""
    if options.quote_mode == "turn":
        if t is not None and t.turns and 0 <= q.start < q.end <= len(t.text):
            first = next((turn for turn in t.turns if turn.end > q.start), None)
            last = next((turn for turn in reversed(t.turns) if turn.start < q.end), None)
            if first is not None and last is not None:
                before = t.text[min(first.start, q.start) : q.start]
                after = t.text[q.end : max(last.end, q.end)]
    ex = excerpt(before, q.text, after, options.max_words, m("ellipsis"))
    where = format_time(q.time) if q.time is not None else m("turn_n", n=q.turn) if q.turn is not None else ""
    who = " & ".join(q.participants) or m("unknown_speaker")
    attribution = ", ".join(p for p in (who, q.transcript_title or q.transcript, where) if p)
    coders = q.coders or (q.coder,)
    coded_by = m("coded_by", coders=", ".join(coders)) if len(coders) > 1 or name_coder else ""
    return ReportQuote(q, ex, attribution, coded_by, q.memo, options.quote_mode == "turn" and bool(before or after))


def build_report(data: AnalysisData, options: ReportOptions) -> Report:
    """Compute every analysis the report shows (selecting codings once)."""
    m = Messages(options.lang)
    f = options.filters
    segs = select(data, f)
    freqs = frequencies(data, f, segments=segs)
    quotes = retrieve(data, f, segments=segs)
    by_code: dict[str, list[Quote]] = {}
    for q in merge_coders(quotes):
        by_code.setdefault(q.code_id, []).append(q)
    several = len({c for q in quotes for c in (q.coders or (q.coder,))}) > 1  # then every quote names its coder
    kept = [t for t in data.transcripts if not f.transcripts or t.name in f.transcripts]
    unit = "participants" if any(p for t in kept for p in t.speakers.values()) else "speakers"
    by_name = {t.name: t for t in data.transcripts}
    themes = []
    for r in freqs:
        if r.total_codings == 0:
            continue
        code = data.codebook.find(r.code_id)
        shown = tuple(_report_quote(by_name.get(q.transcript), q, options, m, several) for q in by_code.get(r.code_id, ()))
        themes.append(ThemeSection(r.code_id, r.label, r.depth, "", code.definition.strip() if code else "", r, shown,
                                   _summary(m, r, unit)))
    uncoded = tuple(r.label for r in freqs if r.total_codings == 0)
    scope = [(r.depth, r.code_id) for r in freqs]
    cb = data.codebook
    entries = []
    for depth, cid in scope:
        code = cb.get(cid)
        entries.append(CodebookEntry(cid, data.label(cid), depth, "", code.definition.strip(), code.include.strip(),
                                     code.exclude.strip(), tuple(code.examples), tuple(code.counterexamples)))
    cooc = cooccurrence(data, f, segments=segs)
    table, note = cooc, ""
    if len(cooc.codes) > WORD_MATRIX_MAX:
        table = cooccurrence(data, f, segments=segs, level=1)
        note = m("cooc_rolled", n=len(cooc.codes))
    coders = sorted({s.coding.coder for s in segs})
    version = options.codebook_version or cb.version or m("none")
    quote_mode = m("prov_quotes_turn" if options.quote_mode == "turn" else "prov_quotes_span")
    provenance = (
        (m("prov_project"), data.project or m("unnamed")),
        (m("prov_codebook"), m("prov_codebook_value", title=cb.title, version=version)),
        (m("prov_hash"), (options.codebook_hash or cb.content_hash())[:16]),
        (m("prov_coders"), ", ".join(coders) or m("no_codings")),
        (m("prov_transcripts"), m("prov_transcripts_value", coded=len({s.transcript.id for s in segs}), total=len(kept))),
        (m("prov_codings"), m.num(len(segs))),
        (m("prov_filters"), "; ".join(f.describe()) or m("prov_filters_none")),
        (m("prov_quotes"), m("prov_quotes_max", mode=quote_mode, n=options.max_words) if options.max_words else quote_mode),
        (m("prov_interviewers"), m("prov_interviewers_in" if options.include_interviewers else "prov_interviewers_out")),
        (m("prov_language"), m.tag),
        (m("prov_date"), m.date(options.date)),
        (m("prov_made_with"), f"qcode {options.qcode_version}".strip()),
    )
    notes = [m("note_codings", people=m(f"word_{unit}")), m("note_words"), m("note_sub", people=m(f"word_{unit}")),
             m(f"note_share_{unit}")]
    if not options.include_interviewers:
        notes.append(m("note_interviewers"))
    notes.append(m("note_cooc"))
    quote_notes = [m("quotes_turn" if options.quote_mode == "turn" else "quotes_span")]
    if options.max_words:
        quote_notes.append(m("quotes_max", n=options.max_words, ellipsis=m("ellipsis")))
    report = Report(
        m=m, lang=m.lang, title=options.title or m("default_title", project=data.project or "qcode"),
        subtitle=m("subtitle", date=m.date(options.date)), date=options.date, project=data.project,
        provenance=provenance, notes=tuple(notes), unit=unit,
        corpus=_corpus(data, kept, segs, coders, unit, options, m),
        codebook_title=cb.title, codebook_description=cb.description.strip(),
        codebook_lead=m("codebook_lead", title=cb.title, version=version), codebook=tuple(entries),
        frequencies=tuple(freqs), themes=tuple(themes), quote_notes=tuple(quote_notes), uncoded=uncoded,
        crosstabs=tuple(crosstab(data, a, f, segments=segs) for a in options.by),
        cooccurrence=cooc, cooccurrence_table=table, cooccurrence_note=note, heatmap=_cooccurring(table),
        by_transcript=code_transcript_matrix(data, f, segments=segs), memos=_memos(data, m), agreement=options.agreement,
        no_themes=m("no_themes" if data.codings else "no_themes_uncoded"),
        quotes=tuple(quotes), attributes=tuple(sorted({k for q in quotes for k in q.attributes})),
    )
    return _numbered(report)


def _numbered(report: Report) -> Report:
    """The report with its outline, theme numbers (as in the outline) and codebook numbers (A.1, ...)."""
    from dataclasses import replace

    heads = outline(report)
    by_anchor = {h.anchor: h for h in heads}
    themes = tuple(replace(t, number=by_anchor[f"theme-{t.code_id}"].number) for t in report.themes)
    cb_head = by_anchor.get("codebook")
    letter = cb_head.title.split(".")[0].split()[-1] if cb_head else ""
    nums = _numbers([(e.depth, e.code_id) for e in report.codebook], letter)
    entries = tuple(replace(e, number=nums[e.code_id]) for e in report.codebook)
    return replace(report, outline=heads, themes=themes, codebook=entries)


def _cooccurring(m: Cooccurrence) -> Cooccurrence:
    """Only the codes that overlap another code at least once (the heatmap of the rest is blank)."""
    keep = [i for i, row in enumerate(m.values) if any(v for j, v in enumerate(row) if j != i)]
    return Cooccurrence(m.mode, tuple(m.codes[i] for i in keep), tuple(m.labels[i] for i in keep),
                        tuple(tuple(m.values[i][j] for j in keep) for i in keep))


def _kind(m: Messages, kind: str) -> str:
    key = f"kind_{kind}"
    return m(key) if m.has(key) else kind.replace("_", " ")


def _corpus(data: AnalysisData, kept: list[Transcript], segs: list[Segment], coders: list[str], unit: str, options: ReportOptions,
            m: Messages) -> Corpus:
    skip = data.interviewers
    codings = Counter(s.transcript.id for s in segs)
    rows, participants, speakers, interviewers = [], set(), set(), 0
    for t in kept:
        people = set()
        for label in t.speaker_labels():
            if (t.id, label) in skip:
                interviewers += 1
                continue
            linked = t.speakers.get(label)
            speakers.add((t.id, label))
            if linked:
                participants.add(linked)
            if linked or unit == "speakers":
                people.add(linked or label)
        rows.append(TranscriptRow(t.name, t.title or t.name, _kind(m, t.kind), t.words, len(people), codings[t.id]))
    attrs: dict[str, Counter[str]] = {}
    for name in sorted(participants):
        p = data.participant(name)
        for key, value in (p.attributes.items() if p else ()):
            attrs.setdefault(key, Counter())[format_value(value)] += 1
    kinds = Counter(t.kind for t in kept)
    words = sum(r.words for r in rows)
    kinds_text = m.join([m.count(n, f"n_kind_{k}") if m.has(f"n_kind_{k}") else f"{m.num(n)} {k.replace('_', ' ')}"
                         for k, n in sorted(kinds.items())])
    if segs:
        text = [m("corpus_size", transcripts=m.count(len(rows), "n_transcripts"), kinds=kinds_text,
                  words=m.count(words, "n_words"), coders=m.join(coders), codings=m.count(len(segs), "n_codings"))]
    else:  # nothing coded, or nothing the filters keep
        text = [m("corpus_size_filtered" if data.codings else "corpus_size_uncoded",
                  transcripts=m.count(len(rows), "n_transcripts"), kinds=kinds_text, words=m.count(words, "n_words"))]
    text.append(m("corpus_participants", participants=m.count(len(participants), "n_participants"))
                if unit == "participants" else m("corpus_no_participants"))
    if options.include_interviewers:
        text.append(m("corpus_interviewers_in"))
    elif interviewers:
        text.append(m("corpus_interviewers_out", speakers=m.count(interviewers, "n_speakers")))
    return Corpus(tuple(rows), words, len(participants), len(speakers), interviewers,
                  tuple((k, tuple(sorted(v.items(), key=lambda kv: (-kv[1], kv[0])))) for k, v in sorted(attrs.items())),
                  tuple(text))


def _memos(data: AnalysisData, m: Messages) -> tuple[MemoEntry, ...]:
    """Project, code, transcript and coding memos, in that order."""
    t_names = {str(t.id): t.title or t.name for t in data.transcripts}
    codings = {str(c.id): c for c in data.codings}
    rank = {"project": 0, "code": 1, "transcript": 2, "coding": 3}
    out = []
    for memo in sorted(data.memos, key=lambda x: (rank.get(x.target_kind, 9), x.created, x.id or 0)):
        if memo.target_kind == "project":
            about = m("memo_project")
        elif memo.target_kind == "code":
            about = m("memo_code", label=data.label(memo.target_id))
        elif memo.target_kind == "transcript":
            about = m("memo_transcript", name=t_names.get(memo.target_id, memo.target_id))
        else:
            c = codings.get(memo.target_id)
            t = data.transcript(c.transcript_id) if c else None
            about = m("memo_coding", id=memo.target_id)
            if c is not None:
                about += f" ({data.label(c.code_id)}" + (f", {t.title or t.name}" if t else "") + ")"
        out.append(MemoEntry(about, memo.title, memo.text, memo.coder, memo.modified.date().isoformat()))
    return tuple(out)


def share_text(share: float | None) -> str:
    """'67%' (or '–' when the group is empty)."""
    return "–" if share is None else f"{round(share * 100):d}%"
