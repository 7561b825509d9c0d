"""What a report template sees: :func:`to_context`, and the reference of every name in it.

The shipped Markdown and HTML templates and a user's ``--template`` all
receive the same plain data (dicts, lists, strings, numbers, ``None``; no
qcode objects, so the sandbox has nothing to misuse). Codes are listed in
codebook tree order. All text is in the report's language. A test checks that
this reference names every key :func:`to_context` produces and no other.

Top-level names
  ``title``, ``subtitle``, ``date`` (YYYY-MM-DD), ``date_text`` (the date
  written out in the language), ``project``: text.
  ``lang``: the BCP 47 tag of the report's language (``fr-FR``), for
  ``<html lang>``; ``language``: the language alone (fr, en).
  ``t``: the message catalogue (key to text, e.g. ``t.h_theme``, ``t.contents``).
  ``provenance``: list of ``[key, value]`` pairs (project, codebook, hash,
  coders, filters, ...): ``{% for key, value in provenance %}``.
  ``notes``: list of sentences on how to read the counts; ``quote_notes``:
  sentences on how quotes are shown (whole turn, shortened); ``no_themes``: what
  the findings say when no theme has a coded passage (nothing matches the
  filters, or nothing is coded yet).
  ``unit``: what the tables count as people, ``participants`` or
  ``speakers`` (no participant data); ``people``: that word in the language;
  ``people_header``: the column header for it.
  ``sections``: the numbered sections and appendices in order, and
  ``outline``: every heading; each a heading (below). Templates write one
  block per ``key`` (corpus, findings, analysis, codebook, memos: see
  :mod:`qcode.formats.reports.sections`) and skip keys they do not know.
  ``headings``: anchor to heading, e.g. ``headings['analysis-frequencies']``.
  ``corpus``: the corpus summary (below).
  ``codebook_title``, ``codebook_description``, ``codebook_lead``: text.
  ``codebook``: one entry per code in scope (below).
  ``frequencies``: one counts row per code in scope (below).
  ``themes``: the codes with at least one coding, themselves or in their
  sub-codes (below).
  ``uncoded``: labels of the codes in scope nobody coded.
  ``crosstabs``: one table per ``--by`` attribute (below).
  ``cooccurrence``: the co-occurrence matrix that fits a page (rolled up to
  top-level themes above 12 codes; ``cooccurrence_note`` then says so);
  ``cooccurrence_full``: the matrix of every code; ``cooccurring``: the
  matrix of the codes that overlap another at least once (empty codes when
  none do) (below).
  ``cooccurrence_note``: text, often empty.
  ``by_transcript``: codings per code and transcript (below).
  ``memos``: project, code, transcript and coding memos (below).
  ``agreement``: the latest kept ``qcode agreement`` run, or None: a dict with
    summary (one paragraph), header and rows (the table as text cells).
  ``charts``: name to ``data:image/png`` URI, HTML only and only when there
  is something to draw: ``frequencies``, ``groups_0``, ``groups_1``, ... (one per
  crosstab), ``cooccurrence``; test with ``charts.get('frequencies')``.
  ``captions``: the caption of each chart, by the same names.

A heading: ``key`` (its section), ``anchor`` (unique id), ``number`` (``2.1``,
empty for an appendix), ``title``, ``text`` (number and title as printed),
``level`` (1 for a section).

The corpus: ``text`` (sentences), ``words``, ``participants``, ``speakers``,
``interviewers`` (numbers), ``transcripts`` (rows of ``name``, ``title``,
``kind``, ``words``, ``people``, ``codings``) and ``attributes`` (pairs of an
attribute name and its ``[value, participants]`` pairs).

A codebook entry: ``code_id``, ``label``, ``depth`` (0 for a top-level
theme), ``number`` (``A.1.2``), ``definition``, ``include``, ``exclude``,
``examples``, ``counterexamples`` (lists of text).

A counts row (``frequencies`` and a theme's ``counts``): ``code_id``,
``label``, ``depth``, then the code's own ``codings``, ``transcripts``,
``speakers``, ``participants``, ``words``, and the same with its sub-codes:
``total_codings``, ``total_transcripts``, ``total_speakers``,
``total_participants``, ``total_words``; ``people``: ``total_participants`` or
``total_speakers``, as ``unit`` says.

A theme: ``code`` (the code id), ``label``, ``depth``, ``number``
(``2.1``), ``heading`` (``2.1 Pay``), ``anchor``, ``definition``, ``summary``
(one sentence of counts), ``counts`` (a counts row), ``quotes``.

A quote: ``text`` (as the report shows it: shortened to ``--max-words`` with
``[…]``, the whole turn with ``--quotes turn``), made of ``before``, ``coded``
(the coded passage, as shown) and ``after``; ``cut`` (whether words were left
out); ``marked`` (whether the coded passage is set off from its context, the
whole-turn mode); ``full_text`` (the whole coded passage); ``attribution``: who,
transcript and place, e.g. ``Amina, focus group 2, 00:12:34`` (no leading
dash: write ``— {{ q.attribution }}``); ``who`` (participant names or speaker
labels joined with `` & ``, else ``unknown speaker``), ``speakers`` (list),
``transcript`` (its name), ``transcript_title``, ``where`` (``00:12:34``,
``turn 5`` or empty), ``turn`` (1-based, or None), ``time`` (seconds, or
None), ``start``, ``end`` (character offsets in the transcript text),
``code``, ``code_path`` (code ids from the top-level theme down),
``coding_id``, ``memo``, ``notes`` (memos about the coding), ``coder``,
``coders`` (everyone who coded this very passage alike; they share one
quote), ``coded_by`` (``coded by ann, bob``; when the report has several coders, ``coded by ann`` too; else empty),
``attributes`` (attribute name to value; a quote has only the attributes its
transcript and speakers have, so write ``q.attributes.get('country', '')``).

A crosstab: ``attribute``, ``groups`` (values), ``sizes`` (people per group),
``unit`` (what the people are: ``participants``, ``speakers`` or
``coders``), ``caption``, ``rows``; a row: ``code``, ``label``, ``depth``,
and one number per group in ``counts`` (codings), ``people`` (people who
said something coded with it) and ``shares`` (people / size, 0 to 1, None
for an empty group; the ``percent`` filter prints it).

A co-occurrence matrix: ``mode``, ``codes``, ``labels``, ``cells`` (rows of
numbers; the diagonal is each code's own codings).

``by_transcript``: ``rows`` (code ids), ``row_labels``, ``depths``,
``columns`` (transcript names), ``column_labels``, ``cells``.

A memo: ``about`` (``Project``, ``Code: Pay``, ...), ``title``, ``text``,
``coder``, ``date``.

Filters besides Jinja2's own: ``md`` (Markdown-escaped text), ``cell`` (a
Markdown table cell), ``blockquote`` (a Markdown block quote), ``code`` (a
Markdown code span), ``percent`` (a share as ``67%``, ``67 %`` in French),
``thousands`` (``1,234``, ``1 234`` in French). HTML templates are auto-escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcode.core.analysis_tables import CodeFrequency, Cooccurrence, Crosstab
from qcode.formats.reports.data import Report, ReportQuote
from qcode.formats.reports.i18n import catalogue
from qcode.formats.reports.sections import Heading

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def _quote_dict(rq: ReportQuote, unknown: str) -> dict[str, object]:
    q, ex = rq.quote, rq.excerpt
    return {
        "coding_id": q.coding_id, "code": q.code_id, "code_path": list(q.code_path),
        "transcript": q.transcript, "transcript_title": q.transcript_title, "speakers": list(q.speakers),
        "who": " & ".join(q.participants) or unknown, "where": q.where, "turn": q.turn,
        "time": q.time, "start": q.start, "end": q.end,
        "text": ex.text, "before": ex.before, "coded": ex.coded, "after": ex.after, "cut": ex.cut, "marked": rq.marked,
        "full_text": q.text, "memo": q.memo, "notes": list(q.notes), "coder": q.coder,
        "attribution": rq.attribution, "attributes": dict(q.attributes),
        "coders": list(q.coders or (q.coder,)), "coded_by": rq.coded_by,
    }


def _freq_dict(r: CodeFrequency, unit: str) -> dict[str, object]:
    out = {k: getattr(r, k) for k in CodeFrequency.__dataclass_fields__}
    out["people"] = r.total_participants if unit == "participants" else r.total_speakers
    return out


def _cooc(m: Cooccurrence) -> dict[str, object]:
    return {"mode": m.mode, "codes": list(m.codes), "labels": list(m.labels), "cells": [list(r) for r in m.values]}


def _heading(h: Heading) -> dict[str, object]:
    return {"key": h.key, "anchor": h.anchor, "number": h.number, "title": h.title, "text": h.text, "level": h.level}


def _captions(report: Report) -> dict[str, str]:
    m = report.m
    out = {"frequencies": m("cap_fig_frequencies"), "cooccurrence": m("cap_fig_cooc")}
    for i, c in enumerate(report.crosstabs):
        people = m("word_speakers" if c.unit == "speakers" else "word_participants")
        out[f"groups_{i}"] = m("cap_fig_groups", people=people, attribute=c.attribute)
    return out


def crosstab_caption(report: Report, c: Crosstab, part: str = "") -> str:
    m = report.m
    people = m("word_speakers" if c.unit == "speakers" else "word_participants")
    return m("cap_crosstab", attribute=c.attribute, part=part, people=people, people_cap=people[:1].upper() + people[1:])


def to_context(report: Report, charts: dict[str, str] | None = None) -> dict[str, object]:
    """Plain data (dict, list, str, int, float, None) for templates, as the module docstring describes."""
    m, c = report.m, report.corpus
    unit = report.unit
    return {
        "title": report.title,
        "subtitle": report.subtitle,
        "date": report.date,
        "date_text": m.date(report.date),
        "project": report.project,
        "lang": m.tag,
        "language": m.lang,
        "t": {k: v for k, v in catalogue(m.lang).items() if isinstance(v, str)},
        "provenance": [list(p) for p in report.provenance],
        "notes": list(report.notes),
        "quote_notes": list(report.quote_notes),
        "no_themes": report.no_themes,
        "unit": unit,
        "people": report.people_word(),
        "people_header": m(f"h_{unit}"),
        "sections": [_heading(h) for h in report.outline if h.level == 1],
        "outline": [_heading(h) for h in report.outline],
        "headings": {h.anchor: _heading(h) for h in report.outline},
        "corpus": {
            "text": list(c.text), "words": c.words, "participants": c.participants, "speakers": c.speakers,
            "interviewers": c.interviewers,
            "transcripts": [{"name": r.name, "title": r.title, "kind": r.kind, "words": r.words, "people": r.people,
                             "codings": r.codings} for r in c.transcripts],
            "attributes": [[k, [list(v) for v in values]] for k, values in c.attributes],
        },
        "codebook_title": report.codebook_title,
        "codebook_description": report.codebook_description,
        "codebook_lead": report.codebook_lead,
        "codebook": [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars_of(e).items()} for e in report.codebook
        ],
        "frequencies": [_freq_dict(r, unit) for r in report.frequencies],
        "themes": [
            {
                "code": t.code_id, "label": t.label, "depth": t.depth, "number": t.number,
                "heading": report.heading(f"theme-{t.code_id}").text, "anchor": f"theme-{t.code_id}",
                "definition": t.definition, "summary": t.summary, "counts": _freq_dict(t.counts, unit),
                "quotes": [_quote_dict(q, m("unknown_speaker")) for q in t.quotes],
            }
            for t in report.themes
        ],
        "uncoded": list(report.uncoded),
        "crosstabs": [
            {
                "attribute": x.attribute, "groups": list(x.groups), "sizes": list(x.sizes), "unit": x.unit,
                "caption": crosstab_caption(report, x),
                "rows": [
                    {"code": r.code_id, "label": r.label, "depth": r.depth, "counts": list(r.counts),
                     "people": list(r.people), "shares": list(r.shares)}
                    for r in x.rows
                ],
            }
            for x in report.crosstabs
        ],
        "cooccurrence": _cooc(report.cooccurrence_table),
        "cooccurrence_full": _cooc(report.cooccurrence),
        "cooccurring": _cooc(report.heatmap),
        "cooccurrence_note": report.cooccurrence_note,
        "by_transcript": {
            "rows": list(report.by_transcript.rows), "row_labels": list(report.by_transcript.row_labels),
            "columns": list(report.by_transcript.columns), "column_labels": list(report.by_transcript.column_labels),
            "cells": [list(r) for r in report.by_transcript.values], "depths": list(report.by_transcript.depths),
        },
        "memos": [vars_of(x) for x in report.memos],
        "charts": {k.replace("-", "_"): v for k, v in (charts or {}).items()},
        "captions": _captions(report),
        "agreement": _agreement(report),
    }


def vars_of(obj: DataclassInstance) -> dict[str, object]:
    """A dataclass instance's fields as a dict (tuples left as they are)."""
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}


def _agreement(report: Report) -> dict[str, object] | None:
    if not report.agreement:
        return None
    from qcode.formats.reports import agreement_section as a

    m = report.m
    return {"summary": a.summary(report.agreement, m), "header": a.display_header(m), "rows": a.display_rows(report.agreement, m)}
