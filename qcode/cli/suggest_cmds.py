"""Commands: suggest, suggestions (list, accept, reject), evaluate.

spaCy is only imported by the use cases, when suggestions are computed, so
``qcode suggestions`` and ``--help`` stay fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qcode.cli.common import cli, echo_json, project_option, report_seed, say, stderr_is_terminal
from qcode.core.safe_text import label as safe_label
from qcode.usecases.project import Project


def _bar_progress(label: str) -> Any:
    """A click progress bar on stderr driven by a use case's progress callback."""
    state: dict[str, Any] = {"bar": None, "done": 0}

    def progress(done: int, total: int, what: str) -> None:
        bar = state["bar"]
        if bar is None or bar.length != total or done < state["done"]:
            if bar is not None:
                bar.render_finish()
            bar = click.progressbar(length=max(total, 1), label=safe_label(what or label), file=click.get_text_stream("stderr"))
            bar.__enter__()
            state.update(bar=bar, done=0)
        bar.update(done - state["done"])
        state["done"] = done

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].render_finish()
            state["bar"] = None

    progress.close = close  # type: ignore[attr-defined]
    return progress


@cli.command("suggest")
@click.argument("transcripts", nargs=-1)
@click.option("--code", "codes", multiple=True, help="Only suggest this code (repeatable; default: every code).")
@click.option("--min-score", type=float, default=None, help="Lowest score kept, 0-1 (default: [suggest] min_score or 0.5).")
@click.option("--processes", type=int, default=None, help="Parse with N processes (spaCy multiprocessing; default 1).")
@click.option("--per-unit", "per_unit", type=int, default=None,
              help="Keep at most K suggestions per turn or sentence, best first (default: [suggest] per_unit or 3; 0 = no limit).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@project_option
def suggest_cmd(project: Project, transcripts: tuple[str, ...], codes: tuple[str, ...], min_score: float | None,
                processes: int | None, per_unit: int | None, quiet: bool) -> None:
    """Suggest codes for TRANSCRIPTS (default: all), offline, with evidence.

    Learns from the project's codings and from accepted/rejected suggestions,
    then stores pending suggestions (replacing older pending ones of the same
    transcripts and codes). Each turn or sentence keeps its best K codes
    (--per-unit, default 3) among those scoring at least --min-score.
    Rejected passages are never suggested again.
    Review them with `qcode suggestions` or in the app.

    Example:

    \b
        qcode suggest interview-01 interview-02 --code job-instability --min-score 0.6
        qcode suggest --processes 4 --per-unit 1
    """
    from qcode.usecases import suggesting

    procs = processes if processes is not None else int(project.settings.suggest.get("processes", 1))  # type: ignore[call-overload]
    progress = _bar_progress("Suggesting") if not quiet and stderr_is_terminal() else suggesting.no_progress
    try:
        report = suggesting.run_suggestions(
            project, list(transcripts) or None, list(codes) or None, min_score, procs, progress, per_unit=per_unit
        )
    except suggesting.SuggestInterrupted as stop:
        if hasattr(progress, "close"):
            progress.close()  # (closing twice is harmless)
        say(f"\nInterrupted: {stop.finished} of {stop.total} transcripts have their new suggestions; "
                   "the others keep their earlier ones. Run `qcode suggest` again to finish "
                   "(finished transcripts are skipped).", err=True)
        raise SystemExit(130) from None
    finally:
        if hasattr(progress, "close"):
            progress.close()
    say(report.summary())
    say(f"Pipeline: {report.pipeline}")
    for note in report.pipeline_notes:
        say(f"  - {note}")
    if report.suggestions:
        say("Review them with `qcode suggestions`, then `qcode suggestions accept|reject ID...`.")


@cli.group("suggestions", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with full evidence).")
@click.option("--transcript", help="Only this transcript (id, name or file name).")
@click.option("--code", help="Only this code.")
@click.option("--project", "-p", "project_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Project folder (default: the current folder or a parent).")
@click.pass_context
def suggestions_group(ctx: click.Context, as_json: bool, transcript: str | None, code: str | None,
                      project_dir: Path | None) -> None:
    """List pending suggestions, best first, with their evidence.

    Each line shows the suggestion id, score, code, transcript and offsets,
    the quote, and why it was suggested (the matched words, the pattern, the
    nearest coded passage, each signal's contribution).

    Example:

    \b
        qcode suggestions --code job-instability
        qcode suggestions --json > pending.json
        qcode suggestions accept 12 13
        qcode suggestions reject 14
    """
    ctx.ensure_object(dict)
    if project_dir is not None:
        ctx.obj["project_dir"] = project_dir
    if ctx.invoked_subcommand is not None:
        return
    from qcode.suggest.evidence import short_detail
    from qcode.usecases import suggesting
    from qcode.usecases.project import Project as P
    from qcode.usecases.project import transcript_names

    with P.open(ctx.obj.get("project_dir")) as project:
        report_seed(project)
        tid = project.find_transcript(transcript) if transcript else None
        if code:
            project.codebook.get(code)
        views = suggesting.pending(project, transcript_id=tid, code_id=code)
        if as_json:
            names = transcript_names(project)
            echo_json([{**v.__dict__, "transcript": names.get(v.transcript_id)} for v in views])
            return
        if not views:
            say("No pending suggestions. Run `qcode suggest` to make some.")
            return
        names = transcript_names(project)
        for v in views:
            quote = excerpt(v.quote, [a - v.start for a, _ in v.evidence.get("spans") or []])
            say(f"#{v.id}  {v.score:.2f}  {v.code_id}  {names.get(v.transcript_id, v.transcript_id)} {v.start}-{v.end}")
            say(f"    “{quote}”")
            signals = v.evidence.get("signals") or []
            for k, sig in enumerate(signals):
                say(f"    {'why:' if k == 0 else '    '} {short_detail(sig['name'], sig['detail'])}"
                    f"  (contribution {sig['contribution']:.2f})")
            if not signals:
                say(f"    why: {v.evidence.get('summary', '')}")
        say(f"{len(views)} pending suggestions.")


@suggestions_group.command("accept")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--coder", help="Coder name (default: [project] coder, $QCODE_CODER or your login).")
@click.option("--start", type=int, default=None, help="Code from this offset instead of the suggestion's start (one ID only; alone: within its turn).")
@click.option("--end", type=int, default=None, help="Code up to this offset instead of the suggestion's end (one ID only; alone: within its turn).")
@project_option
def accept_cmd(project: Project, ids: tuple[int, ...], coder: str | None, start: int | None, end: int | None) -> None:
    """Accept suggestions IDS: each becomes a coding (origin "suggestion", evidence kept).

    All or nothing: if one cannot be accepted, none is. --start/--end adjust
    the span of one suggestion (offsets as `qcode suggestions` and
    `qcode transcripts show` print them); an offset inside a word is moved
    to that word's edge, and the command says so.
    The adjusted span must overlap the suggested passage. With only one of
    them, the other end is the suggestion's and the span must stay within
    the suggestion's turn; give both to code a passage across turns.

    Example:

    \b
        qcode suggestions accept 12 13 17
        qcode suggestions accept 12 --start 1040 --end 1102
    """
    from qcode.core.errors import SuggestError
    from qcode.usecases import suggesting

    if (start is not None or end is not None) and len(set(ids)) != 1:
        raise SuggestError("--start and --end adjust the span of one suggestion; nothing was accepted.",
                           hint="Give one suggestion id with them, e.g. `qcode suggestions accept 12 --start 1040 --end 1102`.")
    out = suggesting.accept_all(project, list(ids), coder=coder, start=start, end=end, whole_words=True)
    if (start is not None and out[0].start != start) or (end is not None and out[0].end != end):
        say(f"The span was widened to whole words: {out[0].start}-{out[0].end}.", fg="yellow")
    for c in out:
        say(f"Coding {c.id}: {c.code_id} on {c.start}-{c.end} by {c.coder}.")
    if start is not None or end is not None:
        for c in out:
            for line in span_warnings(project.transcript(c.transcript_id), c.start, c.end):
                say(line, fg="yellow")


EXCERPT = 100
"""Characters of a suggested passage the list shows."""


def excerpt(quote: str, at: list[int], width: int = EXCERPT) -> str:
    """*quote* on one line, cut to *width* characters around its first evidence offset *at* (relative to the
    quote), so that the words that made the suggestion are in view; "…" marks a cut."""
    quote = quote.replace("\n", " ")
    if len(quote) <= width:
        return quote
    first = min((a for a in at if 0 <= a < len(quote)), default=0)
    lo = 0 if first < width // 3 else min(first - width // 4, len(quote) - (width - 1))
    hi = lo + width - (1 if lo else 0) - (1 if lo + width < len(quote) else 0)
    if lo:  # start and end on word edges when one is near
        space = quote.find(" ", lo, min(first, lo + 12))
        lo = space + 1 if space >= 0 else lo
    if hi < len(quote):
        space = quote.rfind(" ", hi - 12, hi)
        hi = space if space > first else hi
    return ("…" if lo else "") + quote[lo:hi] + ("…" if hi < len(quote) else "")


def span_warnings(t: Any, start: int, end: int) -> list[str]:
    """What a researcher should know about a span they typed: it runs over several turns."""
    from qcode.core.transcript import effective_turns

    turns = [u for u in effective_turns(t) if u.start < end and u.end > start]
    if len(turns) < 2:
        return []
    who = ", ".join(dict.fromkeys(u.speaker or "?" for u in turns))
    return [f"Note: the coded span runs over {len(turns)} turns ({who}); "
            f"`qcode transcripts show {t.name} --start {start} --end {end}` shows them."]


@suggestions_group.command("reject")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--coder", help="Coder name (default: [project] coder, $QCODE_CODER or your login).")
@project_option
def reject_cmd(project: Project, ids: tuple[int, ...], coder: str | None) -> None:
    """Reject suggestions IDS: those passages are never suggested again for those codes.

    Example:

    \b
        qcode suggestions reject 14 15
    """
    from qcode.usecases import suggesting

    n = suggesting.reject_all(project, list(ids), coder=coder)
    say(f"Rejected {n} suggestions.")


@cli.command("evaluate")
@click.option("--coder", help="Use only this coder's codings as the gold standard.")
@click.option("--unit", type=click.Choice(["turn", "sentence"]), default="turn", show_default=True, help="Unit of analysis.")
@click.option("--depth", type=int, default=None, help="Roll codes up to this tree depth (1 = top-level themes).")
@click.option("--folds", type=int, default=5, show_default=True, help="Number of folds (split by transcript).")
@click.option("--min-score", type=float, default=None, help="Score threshold (default: [suggest] min_score or the calibrated default).")
@click.option("--per-unit", "per_unit", type=int, default=None,
              help="Count at most K suggested codes per unit, as `qcode suggest` stores (default: [suggest] per_unit or 3; 0 = no limit).")
@click.option("--signal", "signals", multiple=True,
              help="Evaluate only these qcode signals (repeatable, e.g. qcode.learned.v2; default: all). For ablations.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw precision and recall across thresholds into this PNG file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (field names documented in qcode.usecases.evaluation).")
@project_option
def evaluate_cmd(project: Project, coder: str | None, unit: str, depth: int | None, folds: int,
                 min_score: float | None, per_unit: int | None, signals: tuple[str, ...], plot_file: Path | None,
                 as_json: bool) -> None:
    """Measure suggestion quality against the project's human codings.

    Transcripts are split into K folds; for each fold qcode learns only from
    the other transcripts' codings and suggests on the held-out ones. Reports
    precision, recall and F1 per code and overall (micro, macro), the top-3
    hit rate, and the same figures, in the same run on the same units, for a
    plain keyword search and for a plain supervised baseline (TF-IDF over
    words + one logistic regression per code).

    Example:

    \b
        qcode evaluate --depth 1 --folds 5 --plot pr.png
        qcode evaluate --unit sentence --coder amina --json > eval.json
        qcode evaluate --depth 1 --signal qcode.learned.v2
    """
    from qcode.usecases import evaluation

    progress = _bar_progress("Evaluating") if not as_json and stderr_is_terminal() else evaluation.no_progress
    try:
        r = evaluation.evaluate(project, coder=coder, unit=unit, depth=depth, folds=folds, min_score=min_score,
                                per_unit=per_unit, progress=progress, signals=list(signals) or None)
    finally:
        if hasattr(progress, "close"):
            progress.close()
    if plot_file is not None:
        evaluation.plot(r, plot_file)
    if as_json:
        echo_json(r.to_dict())
        return
    say(
        f"{r.transcripts} transcripts, {r.units} {unit}s ({r.coded_units} coded), {r.words:,} words, "
        f"{r.folds} folds, depth {r.depth or 'all codes'}, min score {r.min_score:.2f}, "
        f"at most {r.per_unit or 'any number of'} codes per unit"
    )
    say(f"Pipeline: {r.pipeline}; {r.words_per_second:,.0f} words/s over {r.seconds:.1f} s")
    for note in r.pipeline_notes:
        say(f"  - {note}")
    say(f"{'':26}{'precision':>10}{'recall':>8}{'F1':>8}{'macro F1':>10}{'top-3':>8}")
    rows = (("qcode suggestions", r.suggest), ("supervised baseline", r.supervised), ("keyword baseline", r.baseline))
    for name, s in rows:
        say(f"{name:26}{s.micro['precision']:>10.3f}{s.micro['recall']:>8.3f}{s.micro['f1']:>8.3f}"
                   f"{s.macro['f1']:>10.3f}{s.top3_hit_rate:>8.3f}")
    for what, ratio in (("supervised", r.ratio_supervised.get("micro_f1")), ("keyword", r.ratio.get("micro_f1"))):
        say(f"micro-F1 ratio qcode / {what} baseline: {ratio:.2f}" if ratio else f"micro-F1 ratio: the {what} baseline found nothing")
    say("Per code (support; F1 of qcode, supervised, keyword):")
    for code, pc in sorted(r.suggest.per_code.items(), key=lambda kv: (-kv[1]["support"], kv[0])):
        sv = r.supervised.per_code.get(code, {"f1": 0.0})
        b = r.baseline.per_code.get(code, {"f1": 0.0})
        say(f"  {code:40} {int(pc['support']):>4}  {pc['f1']:.2f}  {sv['f1']:.2f}  {b['f1']:.2f}")
    if plot_file is not None:
        say(f"Precision and recall across thresholds drawn in {plot_file}.")
