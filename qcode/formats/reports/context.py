"""What a report template sees: :func:`to_context`, and the reference of every name in it.

The shipped Markdown and HTML templates and a user's ``--template`` all
receive the same plain data (dicts, lists, strings, numbers, ``None``; no
qcode objects, so the sandbox has nothing to misuse). Codes are listed in
codebook tree order. A test checks that this reference names every key
:func:`to_context` produces and no other.

Top-level names
  ``title``, ``date`` (YYYY-MM-DD), ``project``: text.
  ``provenance``: list of ``[key, value]`` pairs (project, codebook, hash,
  coders, filters, ...): ``{% for key, value in provenance %}``.
  ``notes``: list of sentences on how to read the counts.
  ``codebook_title``, ``codebook_description``: text.
  ``codebook``: one entry per code in scope (below).
  ``frequencies``: one counts row per code in scope (below).
  ``themes``: the codes with at least one coding, themselves or in their
  sub-codes (below).
  ``uncoded``: labels of the codes in scope nobody coded.
  ``crosstabs``: one table per ``--by`` attribute (below).
  ``cooccurrence``: the co-occurrence matrix that fits a page (rolled up to
  top-level themes above 12 codes; ``cooccurrence_note`` then says so);
  ``cooccurrence_full``: the matrix of every code (below).
  ``cooccurrence_note``: text, often empty.
  ``by_transcript``: codings per code and transcript (below).
  ``memos``: project, code, transcript and coding memos (below).
  ``charts``: name to ``data:image/png`` URI, HTML only and only when there
  is something to draw: ``frequencies``, ``cooccurrence``; test with
  ``charts.get('frequencies')``.
  ``agreement``: the latest kept ``qcode agreement`` run, or None: a dict with
    summary (one paragraph), header and rows (the table as text cells).

A codebook entry: ``code_id``, ``label``, ``depth`` (0 for a top-level
theme), ``number`` (``1.2.1``), ``definition``, ``include``, ``exclude``,
``examples``, ``counterexamples`` (lists of text).

A counts row (``frequencies`` and a theme's ``counts``): ``code_id``,
``label``, ``depth``, then the code's own ``codings``, ``transcripts``,
``speakers``, ``participants``, ``words``, and the same with its sub-codes:
``total_codings``, ``total_transcripts``, ``total_speakers``,
``total_participants``, ``total_words``.

A theme: ``code`` (the code id), ``label``, ``depth``, ``number``
(``3.1``), ``definition``, ``summary`` (one sentence of counts),
``counts`` (a counts row), ``quotes``.

A quote: ``text``; ``attribution``: who, transcript and place, e.g.
``Amina, focus group 2, 00:12:34`` (no leading dash: write
``— {{ q.attribution }}``); ``who`` (participant names or speaker labels
joined with `` & ``, else ``unknown speaker``), ``speakers`` (list), ``transcript`` (its name),
``transcript_title``, ``where`` (``00:12:34``, ``turn 5`` or empty),
``turn`` (1-based, or None), ``time`` (seconds, or None), ``start``,
``end`` (character offsets in the transcript text), ``code``, ``code_path``
(code ids from the top-level theme down), ``coding_id``, ``memo``,
``notes`` (memos about the coding), ``coder``, ``coders`` (everyone who
coded this very passage alike; they share one quote), ``coded_by`` (``coded
by ann, bob`` when several, else empty), ``attributes`` (attribute name to
value; a quote has only the attributes its transcript and speakers have,
so write ``q.attributes.get('country', '')``).

A crosstab: ``attribute``, ``groups`` (values), ``sizes`` (participants per
group), ``rows``; a row: ``code``, ``label``, ``depth``, and one number per
group in ``counts`` (codings), ``people`` (participants who said something
coded with it) and ``shares`` (people / size, 0 to 1, None for an empty
group; the ``percent`` filter prints it).

A co-occurrence matrix: ``mode``, ``codes``, ``labels``, ``cells`` (rows of
numbers; the diagonal is each code's own codings).

``by_transcript``: ``rows`` (code ids), ``row_labels``, ``depths``,
``columns`` (transcript names), ``column_labels``, ``cells``.

A memo: ``about`` (``Project``, ``Code: Pay``, ...), ``title``, ``text``,
``coder``, ``date``.

Filters besides Jinja2's own: ``md`` (Markdown-escaped text), ``cell`` (a
Markdown table cell), ``blockquote`` (a Markdown block quote), ``code`` (a
Markdown code span), ``percent`` (a share as ``67%``), ``thousands``
(``1,234``). HTML templates are auto-escaped.
"""

from __future__ import annotations

from typing import Any

from qcode.core.analysis import CodeFrequency, Cooccurrence, Quote
from qcode.formats.reports.data import Report


def _quote_dict(q: Quote) -> dict[str, Any]:
    return {
        "coding_id": q.coding_id, "code": q.code_id, "code_path": list(q.code_path),
        "transcript": q.transcript, "transcript_title": q.transcript_title, "speakers": list(q.speakers),
        "who": q.who, "where": q.where, "turn": q.turn, "time": q.time, "start": q.start, "end": q.end,
        "text": q.text, "memo": q.memo, "notes": list(q.notes), "coder": q.coder,
        # Without Quote.attribution()'s leading "— ": the template decides how to introduce it.
        "attribution": q.attribution().removeprefix("— "), "attributes": dict(q.attributes),
        "coders": list(q.coders or (q.coder,)), "coded_by": q.coded_by(),
    }


def _freq_dict(r: CodeFrequency) -> dict[str, Any]:
    return {k: getattr(r, k) for k in CodeFrequency.__dataclass_fields__}


def _cooc(m: Cooccurrence) -> dict[str, Any]:
    return {"mode": m.mode, "codes": list(m.codes), "labels": list(m.labels), "cells": [list(r) for r in m.values]}


def to_context(report: Report, charts: dict[str, str] | None = None) -> dict[str, Any]:
    """Plain data (dict, list, str, int, float, None) for templates, as the module docstring describes."""
    return {
        "title": report.title,
        "date": report.date,
        "project": report.project,
        "provenance": [list(p) for p in report.provenance],
        "notes": list(report.notes),
        "codebook_title": report.codebook_title,
        "codebook_description": report.codebook_description,
        "codebook": [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars_of(e).items()} for e in report.codebook
        ],
        "frequencies": [_freq_dict(r) for r in report.frequencies],
        "themes": [
            {
                "code": t.code_id, "label": t.label, "depth": t.depth, "number": t.number,
                "definition": t.definition, "summary": t.summary(), "counts": _freq_dict(t.counts),
                "quotes": [_quote_dict(q) for q in t.quotes],
            }
            for t in report.themes
        ],
        "uncoded": list(report.uncoded),
        "crosstabs": [
            {
                "attribute": c.attribute, "groups": list(c.groups), "sizes": list(c.sizes),
                "rows": [
                    {"code": r.code_id, "label": r.label, "depth": r.depth, "counts": list(r.counts),
                     "people": list(r.people), "shares": list(r.shares)}
                    for r in c.rows
                ],
            }
            for c in report.crosstabs
        ],
        "cooccurrence": _cooc(report.cooccurrence_table),
        "cooccurrence_full": _cooc(report.cooccurrence),
        "cooccurrence_note": report.cooccurrence_note,
        "by_transcript": {
            "rows": list(report.by_transcript.rows), "row_labels": list(report.by_transcript.row_labels),
            "columns": list(report.by_transcript.columns), "column_labels": list(report.by_transcript.column_labels),
            "cells": [list(r) for r in report.by_transcript.values], "depths": list(report.by_transcript.depths),
        },
        "memos": [vars_of(m) for m in report.memos],
        "charts": dict(charts or {}),
        "agreement": _agreement(report),
    }


def _agreement(report: Report) -> dict[str, Any] | None:
    if not report.agreement:
        return None
    from qcode.formats.reports import agreement_section as a

    return {"summary": a.summary(report.agreement), "header": a.DISPLAY_HEADER, "rows": a.display_rows(report.agreement)}


def vars_of(obj: Any) -> dict[str, Any]:
    """A dataclass instance's fields as a dict (tuples left as they are)."""
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
