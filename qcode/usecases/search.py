"""Keyword-in-context search across transcripts, and coding every hit at once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from qcode.core.coding import Coding
from qcode.core.errors import CodingError, QcodeError
from qcode.core.transcript import Timeline
from qcode.usecases.coding import Change, History, apply_code
from qcode.usecases.project import Project


class SearchError(QcodeError):
    title = "Search problem"


@dataclass(frozen=True)
class Hit:
    """One match: ``text[start:end]`` of a transcript, with its context and turn."""

    transcript_id: int
    transcript: str
    """Its name (the handle typed on the command line)."""
    transcript_title: str
    start: int
    end: int
    before: str
    match: str
    after: str
    speaker: str | None
    time: float | None


def compile_query(query: str, *, case_sensitive: bool = False, whole_words: bool = False, regex: bool = False) -> re.Pattern[str]:
    """The pattern for *query*; plain queries match literally (spaces match any run of whitespace)."""
    q = query.strip()
    if not q:
        raise SearchError("The search is empty.", hint="Type a word or phrase to look for.")
    if regex:
        body = q
    else:
        body = r"\s+".join(re.escape(w) for w in q.split())
    if whole_words:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    try:
        return re.compile(body, 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise SearchError(f"'{q}' is not a valid regular expression: {exc}.", hint="Turn off regex mode to search the text literally.") from exc


def search(
    project: Project,
    query: str,
    *,
    transcripts: Iterable[str | int] | None = None,
    case_sensitive: bool = False,
    whole_words: bool = False,
    regex: bool = False,
    context: int = 40,
    limit: int = 5000,
) -> list[Hit]:
    """Every match of *query* in the chosen transcripts (all by default), in text order."""
    pattern = compile_query(query, case_sensitive=case_sensitive, whole_words=whole_words, regex=regex)
    refs = list(transcripts) if transcripts is not None else [s.id for s in project.store.transcripts.summaries()]
    hits: list[Hit] = []
    for ref in refs:
        t = project.transcript(ref)
        assert t.id is not None
        timeline = Timeline(t)
        for m in pattern.finditer(t.text):
            if m.end() <= m.start():
                continue
            i = t.turn_at(m.start())
            turn = t.turns[i] if i is not None else None
            # the context stays in the hit's turn: the words around it are its speaker's
            lo, hi = (turn.start, max(turn.end, m.end())) if turn else (0, len(t.text))
            hits.append(
                Hit(
                    t.id, t.name, t.title, m.start(), m.end(),
                    t.text[max(lo, m.start() - context) : m.start()].replace("\n", " "),
                    m.group(),
                    t.text[m.end() : min(hi, m.end() + context)].replace("\n", " "),
                    turn.speaker if turn else None,
                    timeline.at(m.start(), i) if turn else None,
                )
            )
            if len(hits) >= limit:
                return hits
    return hits


UNITS = ("match", "sentence", "turn")
"""What "code all" codes around each hit: the matched words, their sentence, or the whole turn."""

_SENTENCE_END = re.compile(r"[.!?…]+[\"»”’)\]]*(?=\s)|\n")


def hit_span(text: str, turns: list[tuple[int, int]], start: int, end: int, unit: str = "match") -> tuple[int, int]:
    """The span to code for a hit at ``text[start:end]``, widened to *unit*.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with closing quotes)
    followed by whitespace, or at a line break; it never leaves the turn.
    Surrounding whitespace is left out.
    """
    if unit not in UNITS:
        raise SearchError(f"Unknown unit '{unit}'.", hint="Use one of: " + ", ".join(UNITS) + ".")
    if unit == "match":
        return start, end
    lo, hi = 0, len(text)
    for ts, te in turns:
        if ts <= start < te or (ts == start == te):
            lo, hi = ts, te
            break
    if unit == "sentence":
        a = lo
        for m in _SENTENCE_END.finditer(text, lo, start):
            a = m.end()
        after = _SENTENCE_END.search(text, max(end - 1, lo), hi)
        b = after.end() if after and after.group() != "\n" else (after.start() if after else hi)
        lo, hi = a, max(b, end)
    while lo < start and text[lo].isspace():
        lo += 1
    while hi > end and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


@dataclass
class CodeAllReport:
    coded: list[Coding] = field(default_factory=list)
    already: int = 0
    """Hits that already had this code by this coder on the same span (left alone)."""


def code_all(
    project: Project,
    hits: Iterable[Hit],
    code_id: str,
    *,
    coder: str | None = None,
    history: History | None = None,
    unit: str = "match",
) -> CodeAllReport:
    """Code every hit (widened to *unit*, see :func:`hit_span`) with *code_id*.

    One transaction, undone together as one step. Hits in the same sentence
    or turn give one coding.
    """
    code = project.codebook.get(code_id)
    if code.retired or not code.codable:
        raise CodingError(f"Code '{code_id}' is {'retired' if code.retired else 'a category (codable: false)'}.",
                          hint="Choose another code.")
    if unit not in UNITS:
        raise SearchError(f"Unknown unit '{unit}'.", hint="Use one of: " + ", ".join(UNITS) + ".")
    report = CodeAllReport()
    seen: set[tuple[int, int, int]] = set()
    with project.store.transaction():
        for h in hits:
            start, end = h.start, h.end
            if unit != "match":
                t = project.transcript(h.transcript_id)
                start, end = hit_span(t.text, [(tr.start, tr.end) for tr in t.turns], h.start, h.end, unit)
            key = (h.transcript_id, start, end)
            if key in seen:
                continue
            seen.add(key)
            try:
                report.coded.append(apply_code(project, h.transcript_id, start, end, code_id, coder=coder))
            except CodingError as exc:
                if "already coded" not in exc.message:
                    raise
                report.already += 1
    # Recorded only after the commit, so undo never refers to rolled-back rows.
    if history is not None and report.coded:
        with history.group(f"code {len(report.coded)} search results '{code_id}'"):
            for c in report.coded:
                history.record(Change("add", None, c))
    return report
