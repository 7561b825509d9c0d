"""Commands for teams: agreement between coders (figures, history, disagreements) and merge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qcode.cli.common import cell, cli, echo_json, project_option, say
from qcode.core.agreement import DEFAULT_MIN_CODINGS, DEFAULT_RESAMPLES, DEFAULT_SEED
from qcode.core.agreement_units import DEFAULT_OVERLAP, UNITS
from qcode.usecases import agreement as agreement_uc
from qcode.usecases.project import Project


class _Variadic(click.Command):
    """Lets ``--coders A B C`` mean ``--coders A --coders B --coders C`` (same for --codes)."""

    variadic = ("--coders", "--codes")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        current: str | None = None
        first = False
        for a in args:
            if a in self.variadic:
                current, first = a, True
                out.append(a)
            elif current is not None and not a.startswith("-"):
                if not first:
                    out.append(current)
                out.append(a)
                first = False
            else:
                current = None
                out.append(a)
        return super().parse_args(ctx, out)


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _num(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def _ci(f: dict[str, Any], stat: str) -> str:
    ci = f["ci"].get(stat)
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""


def _row(name: str, f: dict[str, Any], two: bool) -> str:
    if f["too_rare"]:
        return f"{cell(name, 28)} {'too rare to judge (' + str(f['codings']) + (' coding)' if f['codings'] == 1 else ' codings)'):<60}"
    kappa = f"{_num(f['kappa']):>6} {_ci(f, 'kappa'):<14}" if two else ""
    return (
        f"{cell(name, 28)} {_num(f['percent'], True):>6} {_num(f['positive'], True):>6} "
        f"{kappa}{_num(f['alpha']):>6} {_ci(f, 'alpha'):<14} {f['reading']}"
    )


def print_table(r: dict[str, Any]) -> None:
    two = len(r["coders"]) == 2
    unit = r["unit"] + (f" (overlap >= {r['overlap']:.0%} of each coding)" if r["overlap"] is not None else "")
    say(f"Agreement of {', '.join(r['coders'])} on {len(r['transcripts'])} transcript(s), unit: {unit}, "
               f"{r['units']} units.")
    intervals = (f"95% bootstrap intervals from {r['resamples']} resamples (seed {r['seed']})" if r["resamples"]
                 else "no intervals (--resamples 0)")
    say(f"Codebook {r['codebook']['version'] or '(no version)'} {(r['codebook']['hash'] or '')[:8]}; {intervals}.")
    head = f"{'code':<28} {'agree':>6} {'pos.':>6} " + (f"{'kappa':>6} {'':<14}" if two else "") + f"{'alpha':>6} {'':<14} reading"
    say(head)
    say("-" * len(head))
    for c in r["codes"]:
        say(_row(c["code"], c, two))
    say("-" * len(head))
    judged, rare = r.get("overall_codes", []), sum(1 for c in r["codes"] if c["too_rare"])
    say(_row(f"overall ({len(judged)} codes stacked)", r["overall"], two))
    if rare:
        say(f"overall: {', '.join(judged) or 'no code'}; left out, too rare to judge (fewer than {r['min_codings']} "
            f"codings): {rare} code(s). --min-codings 1 counts every code.")
    say("agree: % of units coded alike; pos.: % of units anyone coded that all coded; "
               "alpha: Krippendorff (nominal), >= .800 reliable, .667-.800 tentative.")
    if r["resamples"] and r.get("clusters", agreement_uc.FEW_CLUSTERS) < agreement_uc.FEW_CLUSTERS:
        unit = "turns" if r["unit"] == "character" else "units"
        click.echo(f"Note: the intervals resample only {r['clusters']} {unit}; with so few they are rough. "
                   "Double-code more material for intervals to rely on.")


def print_history(runs: list[dict[str, Any]]) -> None:
    if not runs:
        say("No agreement computed yet: run `qcode agreement`.")
        return
    say(f"{'id':>4}  {'date':<20} {'unit':<10} {'codebook':<16} {'coders':<24} {'alpha':>6}  reading")
    for r in runs:
        cb = (r["codebook"]["version"] or "") + " " + (r["codebook"]["hash"] or "")[:8]
        o = r["overall"]
        say(f"{r['id']:>4}  {r['computed'][:19]:<20} {r['unit']:<10} {cb.strip()[:16]:<16} "
                   f"{cell(', '.join(r['coders']), 24)} {_num(o['alpha']):>6}  {o['reading']}")


@cli.command("agreement", cls=_Variadic)
@click.option("--coders", multiple=True, help="Coders to compare (default: all but the consensus coder). `--coders A B`.")
@click.option("--unit", type=click.Choice(UNITS), default="character", show_default=True, help="Unit of agreement.")
@click.option("--codes", multiple=True, help="Only these codes (exact ids). `--codes a b`.")
@click.option("--overlap", type=float, default=DEFAULT_OVERLAP, show_default=True, help="Segment unit: share of each coding two codings must share.")
@click.option("--resamples", type=int, default=DEFAULT_RESAMPLES, show_default=True, help="Bootstrap resamples (0: no intervals).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Bootstrap seed (same seed, same intervals).")
@click.option("--min-codings", type=int, default=DEFAULT_MIN_CODINGS, show_default=True, help="Codes with fewer codings are too rare to judge.")
@click.option("--consensus", default=agreement_uc.CONSENSUS, show_default=True, help="The consensus coder (left out by default).")
@click.option("--history", "show_history", is_flag=True, help="List the kept computations instead.")
@click.option("--disagreements", "show_queue", is_flag=True, help="List the passages where the coders differ instead.")
@click.option("--no-keep", is_flag=True, help="Do not keep this computation in the project's history.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields documented in qcode.usecases.agreement).")
@project_option
def agreement_cmd(
    project: Project, coders: tuple[str, ...], unit: str, codes: tuple[str, ...], overlap: float, resamples: int, seed: int,
    min_codings: int, consensus: str, show_history: bool, show_queue: bool, no_keep: bool, as_json: bool,
) -> None:
    """Agreement between coders on the transcripts they both coded.

    Per code and overall: percentage agreement, positive agreement, Cohen's
    kappa (two coders), Krippendorff's alpha (nominal), with 95% bootstrap
    intervals and the conventional reading. Units: character (as NVivo and
    QualCoder), segment (codings sharing >= --overlap of their length, as QDA
    Miner), sentence, turn. Each computation is kept (see --history).

    Example:

    \b
        qcode agreement --coders amina bob --unit segment
        qcode agreement --history
        qcode agreement --disagreements --json
    """
    if show_history:
        runs = agreement_uc.history(project)
        echo_json(runs) if as_json else print_history(runs)
        return
    coder_list, code_list = _split(coders) or None, _split(codes) or None
    if show_queue:
        items = agreement_uc.queue(project, coder_list, unit, code_list, overlap, consensus)
        done = agreement_uc.decisions(project)
        rows = [agreement_uc.disagreement_dict(project, d, done) for d in items]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            say("No disagreements: the coders coded every compared passage alike.")
        for r in rows:
            text = r["text"].replace("\n", " ")
            state = f" [{r['decision']}]" if r["decision"] else ""
            who = (f"coded by {', '.join(r['coded_by'])}; not by {', '.join(r['not_coded_by'])}" if r["not_coded_by"]
                   else f"coded by {', '.join(r['coded_by'])}, over different spans")
            say(f"{cell(r['transcript'], 20)} {r['start']:>7}-{r['end']:<7} {cell(r['code'], 24)} {who}{state}: {text[:50]}")
        return
    result = agreement_uc.compute(
        project, coder_list, unit, code_list, overlap, resamples=resamples, seed=seed, min_codings=min_codings,
        keep=not no_keep, consensus=consensus,
    )
    echo_json(result) if as_json else print_table(result)


@cli.command("merge")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would be merged; change nothing.")
@project_option
def merge_cmd(project: Project, source: Path, dry_run: bool) -> None:
    """Bring another coder's work in from SOURCE: their qcode project folder
    (or its .sqlite), or a codings export (.jsonl / .csv).

    Transcripts are matched by content, codes by id or GUID; identical codings
    are recognised; nothing here is overwritten and differing memos are both
    kept. One transaction after a verified backup; merging twice changes nothing.

    Example:

    \b
        qcode merge ../bob-project --dry-run
        qcode merge ../bob-project
        qcode merge bob-codings.jsonl
    """
    from qcode.usecases import merge

    report = merge.merge_path(project, source, dry_run=dry_run)
    for line in report.lines():
        say(line)
