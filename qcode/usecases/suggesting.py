"""Suggesting codes, and accepting or rejecting suggestions (shared by CLI and app).

:func:`run_suggestions` learns from the project's codings and decisions,
scores every unit (speaker turn, or sentence of a long turn) of the chosen
transcripts and replaces their pending suggestions a few transcripts per
transaction while the next ones are parsed, from a background thread
(:mod:`qcode.usecases.suggest_writer`); an interrupted run keeps the
transcripts it wrote, and a re-run skips them.
Each suggestion carries its evidence::

    {"summary": "keyword \\"unstable\\" | similar to the code's description ...",
     "spans": [[6, 14], ...],            # absolute offsets of the evidence tokens
     "signals": [{"name": "qcode.lemma_keywords.v2", "contribution": 0.55,
                  "detail": "..."}, ...],
     "similar": {"coding_id": 12, "quote": "...", "similarity": 0.41}}   # optional

Each unit keeps at most ``per_unit`` suggestions (default 3, ``--per-unit``,
``[suggest] per_unit``), best first. The evidence is *stored* compact (the
data only: :mod:`qcode.suggest.evidence`) and rendered into the form above
when read (:func:`pending`, :func:`accept`, which keeps the full form on the
coding).

A rejected (transcript, code, span or quote) is never suggested again; an
accepted suggestion becomes a coding with origin ``"suggestion"`` and keeps
its evidence. spaCy is loaded only by :func:`run_suggestions`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qcode.core.coding import Coding
from qcode.core.errors import SuggestError
from qcode.core.text import word_edges
from qcode.storage.interface import SuggestionRow
from qcode.usecases import blind, suggest_writer
from qcode.usecases.coding import Change, History, apply_code
from qcode.usecases.project import Progress, Project, no_progress
from qcode.usecases.suggest_inputs import (
    coded_index,
    coded_spans,
    meta_key,
    read_inputs,
    spans_of,
    training_spans,
)
from qcode.usecases.suggest_memory import Manifest, MemoEntry, ScoreMemo, column_heads, inputs_key
from qcode.usecases.suggest_rows import SUGGESTER, transcript_rows

DEFAULT_MIN_SCORE = 0.5
DEFAULT_PER_UNIT = 3
"""Suggestions kept per unit (speaker turn or sentence), best first."""


@dataclass(frozen=True)
class SuggestionView:
    id: int
    transcript_id: int
    code_id: str
    start: int
    end: int
    quote: str
    score: float
    evidence: dict[str, Any]
    suggester: str
    status: str


def _add_notes(notes: list[str], info: Any, new: list[str], several: bool) -> None:
    """Add the notes *new* of pipeline *info* not there yet, named by language and pipeline when the
    run uses *several*."""
    for note in new:
        note = f"{info.lang} ({info.name}): {note}" if several else note
        if note not in notes:
            notes.append(note)


class SuggestInterrupted(KeyboardInterrupt):
    """A suggestion run stopped by the user; the transcripts it finished keep their suggestions."""

    def __init__(self, finished: int, total: int) -> None:
        super().__init__(f"{finished} of {total} transcripts have their new suggestions")
        self.finished, self.total = finished, total


@dataclass
class SuggestRunReport:
    suggestions: int
    transcripts: int
    words: int
    seconds: float
    pipeline: str
    pipeline_notes: list[str] = field(default_factory=list)
    cached_docs: int = 0

    def summary(self) -> str:
        """One line for people: what the run stored, on how much text, how fast."""
        wps = self.words / self.seconds if self.seconds else 0.0
        return (f"{plural(self.suggestions, 'pending suggestion')} for {plural(self.transcripts, 'transcript')} "
                f"({self.words:,} words in {self.seconds:.1f} s, {wps:,.0f} words/s; "
                f"{plural(self.cached_docs, 'parsed transcript')} from the cache).")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def why_lines(evidence: dict[str, Any]) -> list[str]:
    """One full line per signal of a suggestion's evidence (what it found), strongest first."""
    from qcode.suggest.evidence import line  # (no spaCy)

    out = [line(str(sig.get("name")), str(sig.get("detail", ""))) for sig in evidence.get("signals", [])]
    if not out and evidence.get("summary"):
        out.append(str(evidence["summary"]))
    return out


def _view(r: SuggestionRow, quotes: dict[int, str] | None = None) -> SuggestionView:
    return SuggestionView(r.id, r.transcript_id, r.code_id, r.start, r.end, r.quote, r.score,
                          _readable(r, quotes or {}), r.suggester, r.status)


def _readable(r: SuggestionRow, quotes: dict[int, str]) -> dict[str, Any]:
    """The readable evidence of a stored suggestion (built now from its compact form)."""
    from qcode.suggest.evidence import render

    return render(r.evidence, r.quote, r.start, lambda cid: quotes.get(cid, ""))


def _views(project: Project, rows: list[SuggestionRow]) -> list[SuggestionView]:
    from qcode.suggest.evidence import coding_ids

    ids: set[int] = set()
    for r in rows:
        ids |= coding_ids(r.evidence)
    quotes = project.store.suggestions.coding_quotes(ids) if ids else {}
    return [_view(r, quotes) for r in rows]


# ------------------------------------------------------------------ running
def run_suggestions(
    project: Project,
    transcripts: list[str | int] | None = None,
    codes: list[str] | None = None,
    min_score: float | None = None,
    processes: int = 1,
    progress: Progress = no_progress,
    per_unit: int | None = None,
) -> SuggestRunReport:
    """Suggest codes for *transcripts* (default: all) and store them as pending (:func:`_run`).

    Python's cyclic garbage collector is paused meanwhile: a run makes many short-lived objects, which
    reference counting frees, and each full collection (triggered by their number) walks every object of the
    process, the pipeline's included: 0.1 s each, a fifth of a re-run after a codebook change at 1M words.
    What is left for it (reference cycles made during the run) is collected after the run, as usual.
    """
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        return _run(project, transcripts, codes, min_score, processes, progress, per_unit)
    finally:
        if paused:
            gc.enable()


def _run(
    project: Project,
    transcripts: list[str | int] | None,
    codes: list[str] | None,
    min_score: float | None,
    processes: int,
    progress: Progress,
    per_unit: int | None,
) -> SuggestRunReport:
    """Suggest codes for *transcripts* (default: all) and store them as pending.

    A transcript whose inputs did not change since the last run (its text and
    turns, the codebook, the pipeline, the codings and decisions learned
    from, the minimum score, its rejected and coded passages) and whose
    stored suggestions are still those written then is skipped: its pending
    suggestions are already the answer (see :class:`~qcode.usecases.suggest_memory.Manifest`). After a
    change of keywords, labels or patterns, a transcript whose rule matches
    say the same as last time (and whose other inputs are the same) is
    skipped too, once the models are fitted and its matches known: its
    suggestions cannot differ.
    """
    from qcode.suggest.base import build_profiles
    from qcode.suggest.cache import DocCache
    from qcode.suggest.engine import Engine
    from qcode.suggest.learn import FitCache
    from qcode.suggest.pipeline import get_pipeline, is_loaded

    t0 = time.perf_counter()
    codebook = project.codebook
    if not len(codebook):
        raise SuggestError("The project has no codebook codes to suggest.", hint="Attach a codebook with `qcode codebook use FILE`.")
    code_ids = [codebook.get(c).id for c in codes] if codes else None
    score_floor = _min_score(project, min_score)
    cap = per_unit_cap(project, per_unit)
    keep_parses = _keep_parses(project)
    if processes < 1:
        raise SuggestError(f"--processes must be at least 1 (got {processes}).", hint="Use 1 on small projects.")
    summaries = {s.id: s for s in project.store.transcripts.summaries()}
    if transcripts:
        # (an id the project has needs no lookup: a run over 10,000 transcripts by id would ask 10,000 times)
        target_ids = list(dict.fromkeys(ref if isinstance(ref, int) and ref in summaries
                                        else project.store.transcripts.find(ref) for ref in transcripts))
    else:
        target_ids = list(summaries)
    if not target_ids:
        raise SuggestError("The project has no transcripts yet.", hint="Import some with `qcode import FILES`.")
    default_lang = project.settings.language or "en"
    lang_of = {tid: s.language or default_lang for tid, s in summaries.items()}
    by_lang: dict[str, list[int]] = {}
    for tid in target_ids:
        by_lang.setdefault(lang_of[tid], []).append(tid)
    project.store.suggestions.reconcile()
    all_codings = blind.visible_codings(project)  # a blind coder's suggestions learn from their own codings only
    rejected_rows = project.store.suggestions.list(status="rejected")
    cache = DocCache(project.data_dir / "cache" / "docs")
    manifest, memo = _memory(project)
    memo_updates: dict[int, MemoEntry] = {}
    preferred = project.settings.suggest.get("pipeline")
    coded = coded_index(all_codings)
    names: list[str] = []
    notes: list[str] = []
    words = cached = done = 0
    covered_codes: set[str] = set()
    unchanged: set[int] = set()
    keys: dict[int, str] = {}
    own: dict[int, str] = {}
    """Per transcript, the inputs of its suggestions that are its own (text and turns, coded and rejected passages)."""
    lates: dict[int, str] = {}
    kept: dict[int, tuple[str, tuple[int, int, float], int, str]] = {}
    """Transcripts whose suggestions turned out the same after the rules changed (see :meth:`_Manifest.update`)."""
    wrote_words: dict[int, int] = {}
    plans = []
    for lang, tids in by_lang.items():
        if not is_loaded(lang, str(preferred) if preferred else None):
            progress(0, len(target_ids), f"loading the spaCy pipeline for '{lang}' (once per session)")
        info = get_pipeline(lang, str(preferred) if preferred else None)
        names.append(info.name)
        _add_notes(notes, info, info.notes, len(by_lang) > 1)
        profiles = build_profiles(codebook, lang, codes=code_ids)
        covered_codes.update(m for p in profiles for m in p.members)
        plans.append((lang, tids, info, profiles))
    covered = sorted(covered_codes)
    stored = project.store.suggestions.pending_aggregates(target_ids, covered)
    metas = project.store.suggestions.transcript_inputs(sorted(set(target_ids) | {c.transcript_id for c in all_codings}
                                                                  | {r.transcript_id for r in rejected_rows}), text=False)
    work = []
    for lang, tids, info, profiles in plans:
        member_of = {m: p.id for p in profiles for m in p.members}
        same_lang = {tid for tid in lang_of if lang_of[tid] == lang}
        by_t, rej = training_spans(all_codings, rejected_rows, same_lang, member_of)
        training_key = sorted((tid, meta_key(metas[tid]), by_t.get(tid, []), rej.get(tid, [])) for tid in set(by_t) | set(rej))
        base = inputs_key(ENGINE_VERSION, SUGGESTER, score_floor, cap, info.key, repr(profiles), covered, training_key)
        # Without the rules (keywords, labels, patterns): what they change is known once matched.
        unruled = inputs_key(ENGINE_VERSION, SUGGESTER, score_floor, cap, info.key,
                          [(p.id, p.members, p.texts) for p in profiles], covered, training_key)
        for tid in tids:
            own[tid] = inputs_key(meta_key(metas[tid]), sorted(coded_spans(coded, tid)),
                               sorted((r.code_id, r.start, r.end, r.quote) for r in rejected_rows if r.transcript_id == tid))
            keys[tid] = inputs_key(base, own[tid])
            entry = manifest.get(tid)
            if entry is not None and entry[0] == keys[tid] and tuple(entry[1]) == stored.get(tid, (0, 0, 0.0)):
                unchanged.add(tid)
                words += entry[2]
                cached += 1
                done += 1
        work.append((info, profiles, by_t, rej, unruled, [tid for tid in tids if tid not in unchanged]))
    writer = suggest_writer.ThreadWriter(project.store, covered)
    failed, interrupted = True, False
    try:
        for info, profiles, by_t, rej, unruled, todo in work:
            progress(done, len(target_ids), f"suggesting ({info.name})")
            if not todo:
                continue
            engine = Engine(info, profiles, fit_cache=FitCache(project.data_dir / "cache" / "suggest" / "models"),
                            keep_parses=keep_parses)
            fresh: set[int] = set()
            learned_rules = _learn(project, engine, cache, processes, by_t, rej, progress, metas, fresh)
            _add_notes(notes, info, engine.notes(), len(by_lang) > 1)
            spans_rej, quotes_rej = project.store.suggestions.rejected_keys(todo)
            heads = column_heads(engine.column_keys())
            for a in engine.analyse(read_inputs(project, todo, {t: summaries[t].words for t in todo}, metas), cache, processes):
                tid = a.transcript_id
                words += a.words
                cached += int(a.cached and tid not in fresh)  # (not those parsed a moment ago to learn from)
                lates[tid] = inputs_key(unruled, learned_rules, own[tid], engine.match_key(a))
                entry = manifest.get(tid)
                now = stored.get(tid, (0, 0, 0.0))
                if entry is not None and entry[3] == lates[tid] and tuple(entry[1]) == now:
                    kept[tid] = (keys[tid], tuple(entry[1]), a.words, lates[tid])
                    done += 1
                    progress(done, len(target_ids), f"suggesting ({info.name})")
                    continue
                wrote_words[tid] = a.words
                # What the last run wrote is still what is stored: only the codes whose key changed are scored.
                last = memo.get(tid)
                if last is not None and last.stored != now:
                    last = None
                base = inputs_key(ENGINE_VERSION, SUGGESTER, score_floor, cap, info.key, own[tid])
                scored = transcript_rows(engine, a, score_floor, cap, spans_rej, quotes_rej, coded, heads, base, last)
                memo_updates[tid] = scored.entry
                writer.submit(a.transcript_id, scored.rows, scored.codes)
                done += 1
                progress(done, len(target_ids), f"suggesting ({info.name})")
        failed = False
    except KeyboardInterrupt:
        interrupted = True
    finally:
        # What was written stays (a few transcripts per transaction), and is remembered.
        written = writer.close(raise_errors=not failed)
        for tid, (_, agg) in written.items():
            memo_updates[tid].stored = agg
        memo.save({tid: memo_updates[tid] for tid in written})
        if written or kept:
            manifest.update({**kept, **{tid: (keys[tid], agg, wrote_words[tid], lates[tid]) for tid, (_, agg) in written.items()}})
        cache.prune()
    if interrupted:
        raise SuggestInterrupted(len(written) + len(unchanged) + len(kept), len(target_ids))
    # (what each written transcript has pending now: a partial write rewrote some of its codes only)
    inserted = sum(agg[0] for _, agg in written.values()) + sum(stored.get(tid, (0, 0, 0.0))[0] for tid in unchanged | set(kept))
    return SuggestRunReport(inserted, len(target_ids), words, time.perf_counter() - t0, ", ".join(names), notes, cached)


ENGINE_VERSION = "6"  # 6: fillers are stop words, vectors need three content words; 5: learned.v2, keyword senses, windows
"""Bump when the scores or the evidence change for the same inputs (invalidates the manifest)."""


def _min_score(project: Project, min_score: float | None) -> float:
    value = min_score if min_score is not None else project.settings.suggest.get("min_score", DEFAULT_MIN_SCORE)
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SuggestError(
            f"The minimum score must be between 0 and 1 (got {min_score if min_score is not None else value}).",
            hint="Scores are in [0, 1]; 0.5 is the default ([suggest] min_score in qcode.toml).",
        )
    return value


def _keep_parses(project: Project) -> bool | None:
    """``[suggest] keep_parses``: ``"auto"`` (default: the parses of trained pipelines are cached, those of blank
    pipelines, which parse about as fast as a cached parse is read, are not), ``true`` or ``false``."""
    value = project.settings.suggest.get("keep_parses", "auto")
    if value == "auto":
        return None
    if isinstance(value, bool):
        return value
    raise SuggestError(
        f"[suggest] keep_parses must be true, false or \"auto\" (got {value!r}).",
        hint="Leave it out (auto) unless you know parsing your transcripts is slow or fast.",
    )


def per_unit_cap(project: Project, per_unit: int | None) -> int | None:
    """At most this many suggestions per unit (``None``: no limit; 0 in the settings or option means none).

    From *per_unit*, else ``[suggest] per_unit`` in qcode.toml, else
    :data:`DEFAULT_PER_UNIT`. Nobody reviews a dozen codes per sentence; the
    best few are what a researcher looks at.
    """
    value: Any = per_unit if per_unit is not None else project.settings.suggest.get("per_unit", DEFAULT_PER_UNIT)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SuggestError(
            f"The number of suggestions per unit must be a whole number, 0 or more (got {value!r}).",
            hint=f"Use --per-unit 3 ([suggest] per_unit in qcode.toml; default {DEFAULT_PER_UNIT}; 0 = no limit).",
        )
    return value or None


def _memory(project: Project) -> tuple[Manifest, ScoreMemo]:
    """What the project's suggestion runs remember (:mod:`qcode.usecases.suggest_memory`)."""
    folder = project.data_dir / "cache" / "suggest"
    return Manifest(folder / "manifest.json"), ScoreMemo(folder / "scores.arrays")


def forget_transcript(project: Project, transcript_id: int, text: str, turns: Sequence[tuple[int, int]]) -> int:
    """Drop what the suggestion caches keep of a removed transcript: its parse (which holds its text) and what
    was derived from it, and its entries in the run manifest and score memo. Returns the cache files removed."""
    from qcode.suggest.cache import DocCache, text_key

    removed = DocCache(project.data_dir / "cache" / "docs").forget(text_key(text, spans_of(text, turns)))
    manifest, memo = _memory(project)
    memo.drop([transcript_id])
    manifest.drop([transcript_id])
    return removed


def _learn(
    project: Project,
    engine: Any,
    cache: Any,
    processes: int,
    by_t: dict[int, list[tuple[str, int, int, int | None, str]]],
    rej: dict[int, list[tuple[str, int, int]]],
    progress: Progress,
    metas: dict[int, Any] | None = None,
    fresh: set[int] | None = None,
) -> str:
    """Teach the engine's model signals from codings and rejections in transcripts of its language; return
    a key of the rule matches it learned from (the rules' part of what the models depend on). *fresh* gets
    the transcripts it parsed (not read from the cache)."""
    from qcode.suggest.base import Training
    from qcode.suggest.engine import add_training

    tids = sorted(set(by_t) | set(rej))
    training = Training()
    for n, a in enumerate(engine.analyse(read_inputs(project, tids, known=metas), cache, processes), start=1):
        add_training(training, a, by_t.get(a.transcript_id, []), rej.get(a.transcript_id, []))
        if fresh is not None and not a.cached:
            fresh.add(a.transcript_id)
        progress(n, len(tids), "learning from codings")
    engine.fit(training)
    return inputs_key([sorted(c) for c in training.rule_codes])


# ---------------------------------------------------------------- decisions
def pending(project: Project, transcript_id: int | None = None, code_id: str | None = None) -> list[SuggestionView]:
    """Pending suggestions, best first."""
    project.store.suggestions.reconcile()
    rows = project.store.suggestions.list(status="pending", transcript_id=transcript_id, code_id=code_id)
    return _views(project, rows)


def _pending_row(project: Project, suggestion_id: int) -> SuggestionRow:
    project.store.suggestions.reconcile()
    r = project.store.suggestions.get(suggestion_id)
    if r.status != "pending":
        raise SuggestError(
            f"Suggestion {suggestion_id} was already {r.status}"
            + (f" by {r.coder}" if r.coder else "") + "; nothing was changed.",
            hint="List pending suggestions with `qcode suggestions`.",
        )
    return r


def _adjusted_span(project: Project, r: SuggestionRow, start: int | None, end: int | None,
                   whole_words: bool = False) -> tuple[int, int]:
    """The span to code when accepting *r* with *start*/*end* (None: the suggestion's own); see :func:`accept`."""
    if start is None and end is None:
        return r.start, r.end
    t = project.transcript(r.transcript_id)
    if whole_words:
        start, end = word_edges(t.text, start, end)
    a, b = r.start if start is None else start, r.end if end is None else end
    t.check_span(a, b)
    example = f"qcode suggestions accept {r.id} --start {r.start} --end {r.end}"
    if b <= r.start or a >= r.end:
        raise SuggestError(
            f"The span {a}-{b} does not overlap suggestion {r.id} ({r.start}-{r.end} of '{t.name}'); nothing was accepted.",
            hint=f"Give offsets that overlap the suggested passage, e.g. `{example}`; to code another passage, "
            "use `qcode code`.",
        )
    if start is None or end is None:
        first, last = t.turn_at(r.start), t.turn_at(max(r.start, r.end - 1))
        lo = t.turns[first].start if first is not None else r.start
        hi = t.turns[last].end if last is not None else r.end
        if a < lo or b > hi:
            given = "--start" if end is None else "--end"
            raise SuggestError(
                f"With only {given}, suggestion {r.id} would become {a}-{b}, outside its turn ({lo}-{hi} of "
                f"'{t.name}'); nothing was accepted.",
                hint=f"Give an offset within {lo}-{hi}, or both --start and --end to code a passage across turns, "
                f"e.g. `qcode suggestions accept {r.id} --start {a} --end {b}`.",
            )
    return a, b


def accept(
    project: Project,
    suggestion_id: int,
    *,
    start: int | None = None,
    end: int | None = None,
    coder: str | None = None,
    history: History | None = None,
    whole_words: bool = False,
) -> Coding:
    """Turn a pending suggestion into a coding (origin "suggestion", evidence kept), optionally resized.

    A resized span must overlap the suggested passage (the evidence is about
    it). With one end only, the other is the suggestion's and the span stays
    in the suggestion's turn: a stray offset would otherwise code thousands of
    characters the evidence says nothing about. With both ends given, the
    span may cross turns, as a manual coding may. With *whole_words*, an
    offset inside a word moves to that word's edge (offsets typed by hand).
    """
    coder = coder or project.coder
    with project.store.transaction():
        r = _pending_row(project, suggestion_id)
        a, b = _adjusted_span(project, r, start, end, whole_words)
        coding = apply_code(
            project, r.transcript_id, a, b, r.code_id,
            coder=coder, origin="suggestion", evidence={**_views(project, [r])[0].evidence, "suggestion_id": r.id, "score": r.score},
        )
        project.store.suggestions.decide(suggestion_id, "accepted", coder, coding.id)
    if history is not None:
        history.record(Change("add", None, coding))
    return coding


def reject(project: Project, suggestion_id: int, *, coder: str | None = None) -> None:
    """Reject a pending suggestion: that passage is never suggested again for that code."""
    with project.store.transaction():
        _pending_row(project, suggestion_id)
        project.store.suggestions.decide(suggestion_id, "rejected", coder or project.coder)


def accept_all(
    project: Project,
    ids: list[int],
    *,
    coder: str | None = None,
    start: int | None = None,
    end: int | None = None,
    history: History | None = None,
    whole_words: bool = False,
) -> list[Coding]:
    """Accept several suggestions in one transaction (all or none; one undo step)."""
    out: list[Coding] = []
    with project.store.transaction():
        for sid in dict.fromkeys(ids):
            out.append(accept(project, sid, coder=coder, start=start, end=end, whole_words=whole_words))
    if history is not None and out:
        with history.group(f"accept {len(out)} suggestions"):
            for c in out:
                history.record(Change("add", None, c))
    return out


def reject_all(project: Project, ids: list[int], *, coder: str | None = None) -> int:
    """Reject several suggestions in one transaction (all or none); returns how many."""
    unique = list(dict.fromkeys(ids))
    with project.store.transaction():
        for sid in unique:
            reject(project, sid, coder=coder)
    return len(unique)
