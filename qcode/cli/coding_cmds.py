"""Commands: code, uncode, recode, codings (list, export, import)."""

from __future__ import annotations

from pathlib import Path

import click

from qcode.cli.common import cell, cli, echo_json, project_option, report_seed, say
from qcode.usecases import coding as coding_uc
from qcode.usecases import exchange
from qcode.usecases.project import Project


@cli.command("code")
@click.argument("transcript")
@click.argument("start", type=int)
@click.argument("end", type=int)
@click.argument("code")
@click.option("--coder", help="Coder name (default: [project] coder, $QCODE_CODER or your login).")
@click.option("--memo", default="", help="Memo attached to the coding.")
@project_option
def code_cmd(project: Project, transcript: str, start: int, end: int, code: str, coder: str | None, memo: str) -> None:
    """Code characters START to END of TRANSCRIPT with CODE (for scripts).

    Offsets count Unicode code points of the normalised text, END exclusive.
    TRANSCRIPT is an id, a name or the original file name. CODE is a code's
    id or its label in any language of the codebook.

    Example:

    \b
        qcode code interview-01 120 245 job-instability --memo "clear case"
    """
    from qcode.core.text import word_edges

    code = project.codebook.resolve(code).id
    c = coding_uc.apply_code(project, transcript, start, end, code, coder=coder, memo=memo)
    say(f"Coding {c.id}: {c.code_id} on {c.start}-{c.end} by {c.coder}: {c.quote[:60]!r}")
    whole = word_edges(project.transcript(c.transcript_id).text, c.start, c.end)
    if whole != (c.start, c.end):  # (scripts give exact offsets: kept, but a cut word is worth a word)
        say(f"Note: the span cuts a word; the whole words are {whole[0]}-{whole[1]} (to use them: "
            f"`qcode uncode {c.id}`, then code {whole[0]} {whole[1]}).", fg="yellow", err=True)


@cli.command("uncode")
@click.argument("coding_id", type=int)
@project_option
def uncode_cmd(project: Project, coding_id: int) -> None:
    """Remove coding CODING_ID.

    Example:

    \b
        qcode uncode 42
    """
    c = coding_uc.remove_coding(project, coding_id)
    say(f"Removed coding {coding_id} ({c.code_id} on {c.start}-{c.end}).")


@cli.command("recode")
@click.argument("coding_id", type=int)
@click.argument("code")
@project_option
def recode_cmd(project: Project, coding_id: int, code: str) -> None:
    """Give coding CODING_ID the code CODE instead.

    Example:

    \b
        qcode recode 42 unrecognised-work
    """
    c = coding_uc.recode(project, coding_id, project.codebook.resolve(code).id)
    say(f"Coding {c.id} is now '{c.code_id}'.")


def _filters(code: tuple[str, ...], coder: tuple[str, ...], transcript: str | None, project: Project) -> dict:
    f: dict = {}
    if code:
        f["code_ids"] = [project.codebook.resolve(ref).id for ref in code]
    if coder:
        f["coders"] = list(coder)
    if transcript:
        f["transcript_id"] = project.find_transcript(transcript)
    return f


@cli.group("codings", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON records (with the quoted text).")
@click.option("--code", multiple=True, help="Only this code (repeatable).")
@click.option("--coder", multiple=True, help="Only this coder (repeatable).")
@click.option("--transcript", help="Only this transcript (id, name or file name).")
@click.option("--project", "-p", "project_dir", type=click.Path(file_okay=False, path_type=Path), help="Project folder.")
@click.pass_context
def codings_group(
    ctx: click.Context, as_json: bool, code: tuple[str, ...], coder: tuple[str, ...], transcript: str | None, project_dir: Path | None
) -> None:
    """List codings, or export/import them (see the subcommands).

    Example:

    \b
        qcode codings --code job-instability --json
        qcode codings export -o codings.jsonl
        qcode codings import colleague.jsonl
    """
    ctx.ensure_object(dict)
    if project_dir:
        ctx.obj["project_dir"] = project_dir
    if ctx.invoked_subcommand is not None:
        return
    with Project.open(ctx.obj.get("project_dir")) as project:
        report_seed(project)
        rows = [exchange.coding_record(project, c) for c in coding_uc.list_codings(project, **_filters(code, coder, transcript, project))]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            say("No codings match.")
            return
        for r in rows:
            quote = r["quote"].replace("\n", " ")
            say(f"{r['id']:>6}  {cell(r['transcript'], 20)} {r['start']:>7}-{r['end']:<7} {cell(r['code'], 24)} {cell(r['coder'], 12)} {cell(quote, 50).rstrip()}")


@codings_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .jsonl (JSON Lines) or .csv, as `codings import` reads.")
@click.option("--force", is_flag=True, help="Replace OUTPUT even if it is a file of another format.")
@click.option("--code", multiple=True, help="Only this code (repeatable).")
@click.option("--coder", multiple=True, help="Only this coder (repeatable).")
@click.option("--transcript", help="Only this transcript.")
@project_option
def codings_export(project: Project, output: Path, force: bool, code: tuple[str, ...], coder: tuple[str, ...],
                   transcript: str | None) -> None:
    """Write codings to a JSON Lines (.jsonl) or CSV (.csv) file, one coding per line with its quote.

    Example:

    \b
        qcode codings export -o codings.jsonl --coder amina
        qcode codings export -o codings.csv
    """
    n = exchange.export_codings(project, output, force=force, **_filters(code, coder, transcript, project))
    say(f"Wrote {n} codings to {output}.")


@codings_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good lines even when some cannot be placed.")
@click.option("--offsets", type=click.Choice(["auto", "text", "source"]), default="auto", show_default=True,
              help="What start/end count: qcode's text, or the source text other tools show (labels, times included).")
@project_option
def codings_import(project: Project, file: Path, skip_bad: bool, offsets: str) -> None:
    """Import codings from a .jsonl or .csv file (format in the README).

    A coding whose offsets do not select its quote is placed by the quote;
    one that cannot be placed is reported and never imported at a wrong place.
    Offsets into the original file (speaker labels and times included) are
    mapped with --offsets source (or a line's "offsets": "source"), and are
    detected when only there the quote matches.
    By default nothing is imported when any line fails.

    Example:

    \b
        qcode codings import colleague.jsonl
    """
    r = exchange.import_codings(project, file, skip_bad=skip_bad, offsets=offsets)
    for msg in r.failed:
        say(f"  not imported: {msg}", fg="red", err=True)
    if not r.committed:
        from qcode.core.errors import ImportFormatError

        raise ImportFormatError(
            f"{len(r.failed)} line(s) of {file.name} could not be placed; nothing was imported.",
            hint="Fix those lines, or pass --skip-bad to import the others.",
        )
    for msg in r.adjusted:
        say(f"  adjusted: {msg}")
    say(
        f"Imported {r.imported} codings ({r.placed_by_quote} placed by their quote, "
        f"{r.placed_by_source} from source-text offsets); "
        f"{r.duplicates} already present; {len(r.failed)} not imported."
    )
    if r.failed:
        raise SystemExit(1)
