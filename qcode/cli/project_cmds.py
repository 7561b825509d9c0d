"""Commands: init, open, transcripts (list, remove), backup, backups, restore."""

from __future__ import annotations

from pathlib import Path

import click

from qcode.cli.common import (
    cell,
    cli,
    echo_json,
    project_option,
    report_codebook_file,
    report_seed,
    say,
)
from qcode.usecases.project import Project


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--codebook", type=click.Path(dir_okay=False, path_type=Path), help="YAML codebook to attach.")
@click.option("--language", default="en", show_default=True, help="Default transcript language (ISO 639-1: en, fr, de...).")
@click.option("--name", help="Project name (default: the folder name).")
@click.option("--database", help="A team server: postgresql://USER@HOST/DB (no password in it; see README).")
@click.option("--coder", help="Your name on codings and in reports (default: QCODE_CODER, else your account's full name).")
@click.option("--copy-codebook", is_flag=True,
              help="Work on a copy of the --codebook file in the project folder (default: on the file itself).")
def init_cmd(directory: Path, codebook: Path | None, language: str, name: str | None, database: str | None,
             coder: str | None, copy_codebook: bool) -> None:
    """Make DIRECTORY a qcode project (qcode.toml plus a .qcode/ database).

    With --database the project lives on a PostgreSQL server (set up with
    `qcode server init`); the folder then holds no interview data.

    The project works on the --codebook file where it is: codes added or
    changed in qcode (the app, `qcode codebook add/merge-codes/...`) are
    written to that file, as a team sharing one codebook wants. With
    --copy-codebook it works on a copy in the project folder instead.

    Example:

    \b
        qcode init study --codebook codebooks/data-work.yaml --language fr --coder "Amina K."
        qcode init study --codebook codebooks/data-work.yaml --copy-codebook
        qcode init study --database postgresql://amina@db.example.org/interviews
    """
    from qcode.usecases.settings import Settings, coder_and_source

    source = coder_and_source(Settings(), coder)[1]
    with Project.init(directory, codebook=codebook, language=language, name=name, database=database,
                      coder=coder, copy_codebook=copy_codebook) as project:
        here = directory.resolve() == Path.cwd().resolve()
        say(f"Created qcode project '{project.settings.name}' in {'this folder' if here else directory}.")
        server = project.server
        if server is not None:
            say(f"On the team server {project.where} as {server.user} ({server.kind or 'no qcode roles'}).")
            if not server.prefix:
                say("This database has no qcode roles: set them up with `qcode server init URL` as its administrator.")
        if codebook:
            say(f"Codebook: {project.codebook.title} ({len(project.codebook)} codes), "
                       f"path {project.settings.codebook} in qcode.toml.")
            if project.settings.codebook.startswith("../") or Path(project.settings.codebook).is_absolute():
                say("  It is outside the project folder: codes you add or change in qcode are written to that file. "
                    "To work on a copy instead, copy it into the project folder and run `qcode codebook use` on the "
                    "copy (next time: init with --copy-codebook).")
        elif server is None:
            say("Codebook: none yet; take one in with `qcode codebook use FILE`, or create codes as you code in the app.")
        if project.settings.coder:
            say(f"Coder: {project.settings.coder} (from {source}; change `coder` in qcode.toml).")
        else:
            say("Coder: not set; the app will ask for your name (or pass --coder, set QCODE_CODER, "
                       "or write `coder = \"...\"` under [project] in qcode.toml).")
        say("Next: qcode import FILES..." if here else f"Next: qcode -p {directory} import FILES...")


@cli.command("open")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.pass_context
def open_app(ctx: click.Context, directory: Path | None) -> None:
    """Open the coding app on the project in DIRECTORY (default: here).

    Example:

    \b
        qcode open study
    """
    folder = directory or (ctx.obj or {}).get("project_dir")
    # Textual is imported only here: the other commands stay fast.
    from qcode.tui import run_app

    run_app(folder)


@cli.group("transcripts", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (id, name, title, words, turns, speakers...).")
@click.option("--project", "-p", "project_dir", type=click.Path(file_okay=False, path_type=Path), help="Project folder.")
@click.pass_context
def transcripts_group(ctx: click.Context, as_json: bool, project_dir: Path | None) -> None:
    """List the project's transcripts, show one's text with offsets (`qcode transcripts show`), or remove one
    (`qcode transcripts remove`).

    Example:

    \b
        qcode transcripts --json
        qcode transcripts show interview-07 --start 1200 --end 1500
        qcode transcripts remove interview-07 --dry-run
    """
    ctx.ensure_object(dict)
    if project_dir:
        ctx.obj["project_dir"] = project_dir
    if ctx.invoked_subcommand is not None:
        return
    from qcode.usecases.project import transcript_summaries

    with Project.open(ctx.obj.get("project_dir")) as project:
        report_seed(project)
        report_codebook_file(project)
        rows = transcript_summaries(project)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        say("No transcripts yet. Import some with `qcode import FILES...`.")
        return
    say(f"{'id':>4}  {'name':<28} {'words':>7} {'turns':>6}  speakers")
    for r in rows:
        spk = ", ".join(r["speakers"][:6]) + (" ..." if len(r["speakers"]) > 6 else "")
        say(f"{r['id']:>4}  {cell(r['name'], 28)} {r['words']:>7,} {r['turns']:>6,}  {spk}")


@transcripts_group.command("show")
@click.argument("transcript")
@click.option("--start", type=click.IntRange(min=0), help="Only the turns that end after this offset.")
@click.option("--end", type=click.IntRange(min=0), help="Only the turns that start before this offset.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (each turn's start, end, speaker, times, text).")
@project_option
def transcripts_show(project: Project, transcript: str, start: int | None, end: int | None, as_json: bool) -> None:
    """Print TRANSCRIPT's turns with their character offsets (what `qcode code` and
    `qcode suggestions accept --start/--end` take).

    Each turn is headed by its offsets ``[start-end]``, its speaker and its
    time; offsets count characters (Unicode code points) of the text as
    imported. With --start/--end only the turns around that span are shown,
    then the span's own text.

    Example:

    \b
        qcode transcripts show interview-07
        qcode transcripts show interview-07 --start 1200 --end 1500
    """
    from qcode.core.errors import CodingError
    from qcode.core.transcript import effective_turns, fmt_time

    t = project.transcript(project.find_transcript(transcript))
    n = len(t.text)
    lo, hi = start or 0, n if end is None else end
    if lo > n or hi > n or lo > hi:
        raise CodingError(f"Span {lo}-{hi} is outside '{t.name}' (0-{n}) or reversed.",
                          hint=f"Offsets go from 0 to {n}; `qcode transcripts show {t.name}` lists the turns.")
    every = effective_turns(t)
    turns = [u for u in every if u.end > lo and u.start < hi or (lo == hi == u.start)]
    if as_json:
        echo_json({"id": t.id, "name": t.name, "chars": n, "turns": [
            {"start": u.start, "end": u.end, "speaker": u.speaker, "time_start": u.time_start, "time_end": u.time_end,
             "text": t.text[u.start:u.end]} for u in turns],
            **({"span": {"start": lo, "end": hi, "text": t.text[lo:hi]}} if start is not None or end is not None else {})})
        return
    say(f"{t.name} (id {t.id}): {n:,} characters, {len(every)} turns", bold=True)
    for u in turns:
        times = "–".join(x for x in (fmt_time(u.time_start), fmt_time(u.time_end)) if x)
        head = "  ".join(x for x in (f"[{u.start}-{u.end}]", u.speaker or "", times) if x)
        say()
        say(head, fg="cyan")
        say(t.text[u.start:u.end])
    if start is not None or end is not None:
        say()
        say(f"Span {lo}-{hi}:", fg="cyan")
        say(t.text[lo:hi])


@transcripts_group.command("remove")
@click.argument("transcript")
@click.option("--force", is_flag=True, help="Remove it even with codings, memos or decisions on it (they go too).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (id, name, codings, coders, memos, backup...).")
@project_option
def transcripts_remove(project: Project, transcript: str, force: bool, dry_run: bool, as_json: bool) -> None:
    """Remove TRANSCRIPT (id, name or file name) from the project, after a backup.

    While codings, memos, decided suggestions or reviews are on it, it is
    removed only with --force (they are removed with it). `qcode restore`
    with the backup it names brings everything back.

    Example:

    \b
        qcode transcripts remove interview-07 --dry-run
        qcode transcripts remove interview-07
        qcode transcripts remove 7 --force
    """
    from qcode.usecases.transcripts import removal_preview, remove_transcript

    rep = removal_preview(project, transcript) if dry_run else remove_transcript(project, transcript, force=force)
    if as_json:
        echo_json({"id": rep.id, "name": rep.name, "source": rep.source, "words": rep.words,
                   "removed": rep.removed, "dry_run": dry_run, "codings": rep.codings, "coders": rep.coders,
                   "memos": rep.memos, "suggestions_decided": rep.suggestions_decided,
                   "suggestions_pending": rep.suggestions_pending, "reviews": rep.reviews,
                   "speakers_linked": rep.speakers_linked, "backup": str(rep.backup) if rep.backup else None})
        return
    what = f"'{rep.name}' (id {rep.id}, {rep.words} words)"
    if dry_run:
        say(f"Would remove {what} with {rep.work_summary()}"
            + (f" and {rep.suggestions_pending} pending suggestions" if rep.suggestions_pending else "") + ".")
        if rep.has_work and not force:
            say("It has work on it: removing it needs --force.", fg="yellow")
        say("Nothing was changed (--dry-run).")
        return
    say(f"Removed {what} with {rep.work_summary()}.")
    if rep.backup:
        say(f"Backup of the project before the removal: {rep.backup}")
        say(f"To undo: qcode restore {rep.backup.name}")
    else:
        say("No local backup (the project is on a team server: its backups are the server's).", fg="yellow")


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the same figures).")
@project_option
def status_cmd(project: Project, as_json: bool) -> None:
    """One-screen overview: transcripts, codebook, codings per coder, suggestions, and what to do next.

    Example:

    \b
        qcode status
        qcode status --json
    """
    from qcode.usecases.project import project_status

    data, file = project_status(project)
    coders: dict[str, int] = data["coders"]
    if as_json:
        echo_json(data)
        return
    say(f"Project {data['project']} ({project.where})", bold=True)
    say(f"  coder        {data['coder']} (from {data['coder_from']})")
    say(f"  transcripts  {data['transcripts']:,} ({data['words']:,} words, {data['turns']:,} turns)")
    cb = data["codebook"]
    version = f" {cb['version']}" if cb["version"] else ""
    where = {"same": "", "none": ", no file (codes made in qcode only)", "changed": ", its file was edited: not taken in yet",
             "invalid": ", its file has errors", "missing": ", its file is missing"}[file.state]
    say(f"  codebook     {cb['title']}{version}: {cb['codes']} codes, {cb['codes_used']} used"
        + (f" (file {file.shown}{where})" if file.shown else where))
    who = ", ".join(f"{c} {n:,}" for c, n in list(coders.items())[:6]) + (" ..." if len(coders) > 6 else "")
    say(f"  codings      {data['codings']:,}" + (f" by {len(coders)} coder(s): {who}" if coders else ""))
    s = data["suggestions"]
    say(f"  suggestions  {s['pending']:,} pending, {s['accepted']:,} accepted, {s['rejected']:,} rejected")
    say(f"  memos        {data['memos']:,}")
    if file.needs_attention:
        say(file.message(), fg="yellow")
    if not data["transcripts"]:
        say("Next: import transcripts with `qcode import FILES...`.")
    elif s["pending"]:
        say("Next: review the pending suggestions in the app (F5) or with `qcode suggestions`.")
    elif not data["codings"]:
        say("Next: code in the app (`qcode`), or get suggestions with `qcode suggest`.")
    elif len(coders) > 1:
        say("Next: compare the coders with `qcode agreement`, or write a report with `qcode report`.")
    else:
        say("Next: write a report with `qcode report`, or get suggestions with `qcode suggest`.")


@cli.command("backup")
@project_option
def backup_cmd(project: Project) -> None:
    """Take a verified backup of the project database (SQLite online backup; pg_dump on a team server).

    Example:

    \b
        qcode backup
    """
    from qcode.usecases.backups import backup_now

    path = backup_now(project)
    say(f"Backup written and verified: {path}")


def _root(ctx: click.Context) -> Path:
    from qcode.usecases.project import find_root

    folder = (ctx.obj or {}).get("project_dir")
    return find_root(Path(folder) if folder else Path.cwd())


@cli.command("backups")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (path, created, reason, size).")
@click.pass_context
def backups_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the project's backups, newest first (works even when the database is damaged).

    qcode takes one before every migration, text replacement, transcript removal and restore;
    `qcode backup` takes one by hand.

    Example:

    \b
        qcode backups
        qcode restore 1
    """
    from qcode.usecases.backups import backups

    found = backups(_root(ctx))
    if as_json:
        echo_json([{"number": i, "path": str(b.path), "created": b.created.isoformat() if b.created else None,
                    "reason": b.reason, "size": b.size} for i, b in enumerate(found, start=1)])
        return
    if not found:
        say("No backups yet. Take one with `qcode backup`.")
        return
    for i, b in enumerate(found, start=1):
        when = b.created.strftime("%Y-%m-%d %H:%M:%S") if b.created else "?"
        say(f"{i:>3}  {when}  {b.size / 1e6:8.2f} MB  {b.reason or '-':<32} {b.path.name}")
    say("Restore one with `qcode restore NUMBER` (the current database is backed up first).")


@cli.command("restore")
@click.argument("backup")
@click.pass_context
def restore_cmd(ctx: click.Context, backup: str) -> None:
    """Replace the project's database by BACKUP (a number from `qcode backups`, a file name or a path).

    The backup is verified first (integrity and structure); the current
    database is then saved as a backup itself, so a restore can be undone by
    restoring that one.

    Example:

    \b
        qcode restore 1
        qcode restore project-20250301-101500-manual.sqlite
    """
    from qcode.usecases.backups import restore

    r = restore(_root(ctx), backup)
    say(f"Restored {r.restored.name} (verified; schema version {r.version}).")
    if r.saved:
        how = "byte for byte (it was damaged)" if r.saved_raw else "as a verified backup"
        say(f"The database as it was before is saved {how}: {r.saved}")
