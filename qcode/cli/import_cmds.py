"""Commands: import (with --dry-run and --replace) and the attributes group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qcode.cli.common import cli, echo_json, project_option, say, stderr_is_terminal
from qcode.core.safe_text import label
from qcode.core.transcript import SYNC
from qcode.usecases.project import Project

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be imported (speakers, turn counts, first lines); store nothing.")
@click.option("--replace", "replace_ref", metavar="TRANSCRIPT",
              help="Replace this transcript's text with the (corrected) file given, keeping its codings.")
@click.option("--encoding", help="Decode text files with this encoding instead of detecting it (e.g. cp1252).")
@click.option("--language", help="Language of these transcripts (default: the project's).")
@click.option("--speaker-pattern", metavar="REGEX", help="Regex with a (?P<speaker>...) group marking turn starts "
              "(optional (?P<text>...) and (?P<time>...) groups).")
@click.option("--kind", help="interview, focus_group... (default: focus_group when 4 or more people talk).")
@click.option("--name", help="Transcript name (only when importing one file).")
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE", help="A transcript attribute; repeat for several.")
@click.option("--max-mb", type=float, help="Largest file accepted, in MB (default: [import] max_mb, 100).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@project_option
def import_cmd(
    project: Project, paths: tuple[Path, ...], dry_run: bool, replace_ref: str | None, encoding: str | None,
    language: str | None, speaker_pattern: str | None, kind: str | None, name: str | None,
    attrs: tuple[str, ...], max_mb: float | None, as_json: bool,
) -> None:
    """Import transcript files or folders into the project.

    Formats: .txt .md .docx .odt .rtf .vtt .srt .trs (Transcriber), .xml (TEI) and .pdf;
    other tools' projects: REFI-QDA .qdpx/.qde (NVivo, MAXQDA, ATLAS.ti),
    a QualCoder project folder or its data.qda, a Taguette .sqlite3.
    Speaker turns ("Name: text", "[00:01:02] Name: text", "**Name:**",
    Otter.ai exports, two-column Word tables...) are recognised without
    configuration; check with --dry-run first. A file already imported (same
    contents) is skipped. A file that fails leaves nothing in the project.

    Example:

    \b
        qcode import transcripts/ --dry-run
        qcode import transcripts/
        qcode import interview.txt --encoding cp1252 --attr country=Kenya
        qcode import --replace interview-amina corrected/interview-amina.txt
    """
    from qcode.core.errors import QcodeError
    from qcode.formats.importers import registry
    from qcode.usecases import importing
    from qcode.usecases.attributes import parse_pairs

    options = importing.default_options(
        project, encoding=encoding, language=language, speaker_pattern=speaker_pattern, kind=kind, name=name,
        attributes=parse_pairs(attrs) if attrs else None,
        max_bytes=int(max_mb * 1024 * 1024) if max_mb is not None else None,
    )
    if speaker_pattern:
        from qcode.formats.importers.speakers import compile_pattern

        compile_pattern(speaker_pattern)
    if replace_ref is not None:
        _replace(project, replace_ref, paths, options, dry_run, as_json)
        return
    from qcode.usecases.refi_reading import is_project_path

    projects = [p for p in paths if is_project_path(p)]
    if projects:  # other tools' projects: .qdpx, .qde, QualCoder, Taguette
        from qcode.cli.exchange_cmds import import_projects

        import_projects(project, projects, as_json, dry_run=dry_run)
        paths = tuple(p for p in paths if p not in projects)
        if not paths:
            return
    refused: list[tuple[Path, str]] = []
    files = importing.collect_files(list(paths), refused)
    for f, why in refused:
        say(f"skipped   {f}: {why}", fg="yellow", err=True)
    if not files:
        raise QcodeError("No importable files found in " + ", ".join(str(p) for p in paths) + ".",
                         hint="Supported extensions: " + " ".join(sorted(registry())))
    if name and len(files) > 1:
        raise QcodeError("--name can only be used when importing one file.", hint="Import the files one by one.")
    if dry_run:
        _dry_run(project, files, options, as_json)
        return
    report = _run_with_progress(project, files, options, quiet=as_json)
    if as_json:
        echo_json([_result_json(r) for r in report.results])
    else:
        for r in report.results:
            if r.status == "imported":
                enc = f", encoding {r.encoding} (guessed)" if r.encoding_guessed else ""
                say(f"imported  {r.path.name} as '{r.name}' ({r.kind}): {_n(r.words, 'word')}, {_n(r.turns, 'turn')}, "
                           f"speakers {', '.join(r.speakers) or '(none)'}{enc}")
                if not r.speakers:
                    say(f"          warning: no speaker turns recognised (one turn per paragraph); if the file "
                        f"has speakers: qcode import --replace {r.name} FILE --speaker-pattern REGEX", fg="yellow")
                for w in r.warnings:
                    say(f"          warning: {w}", fg="yellow")
            elif r.status == "skipped":
                say(f"skipped   {r.path.name}: {r.message}")
        for r in report.failed:
            say(f"failed    {r.path}: {r.message}", fg="red", err=True)
        say(f"{len(report.imported)} imported, {len(report.skipped)} skipped, {len(report.failed)} failed.")
    if report.failed:
        raise SystemExit(2)


NO_SPEAKERS = "no speaker turns recognised; use --speaker-pattern if the file has them"


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _run_with_progress(project: Project, files: list[Path], options, quiet: bool):  # type: ignore[no-untyped-def]
    from qcode.usecases import importing

    if len(files) < 2 or quiet or not stderr_is_terminal():
        return importing.import_paths(project, files, options)
    progressbar: ProgressBar[str] = click.progressbar(
        length=len(files), label="Importing", file=sys.stderr, item_show_func=lambda s: label(s or "")
    )
    with progressbar as bar:
        state = {"done": 0}

        def progress(done: int, total: int, label: str) -> None:
            bar.update(done - state["done"], label)
            state["done"] = done

        return importing.import_paths(project, files, options, progress=progress)


def _result_json(r) -> dict:  # type: ignore[no-untyped-def]
    return {"file": str(r.path), "status": r.status, "name": r.name, "id": r.transcript_id, "message": r.message,
            "words": r.words, "turns": r.turns, "speakers": r.speakers, "kind": r.kind, "warnings": r.warnings,
            "encoding": r.encoding, "encoding_guessed": r.encoding_guessed}


def _dry_run(project: Project, files: list[Path], options, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from qcode.usecases import importing

    previews = importing.preview_files(project, files, options)
    if as_json:
        echo_json([
            {"file": str(p.path), "name": p.name, "format": p.format, "kind": p.kind, "encoding": p.encoding,
             "encoding_guessed": p.encoding_guessed, "words": p.words, "turns": p.turns,
             "speakers": [{"label": s.label, "turns": s.turns, "first_line": s.first_line} for s in p.speakers],
             "unlabelled_turns": p.unlabelled_turns, "warnings": p.warnings, "duplicate_of": p.duplicate_of,
             "error": p.error, "metadata": p.metadata}
            for p in previews
        ])
        _exit_if_failed(previews)
        return
    for p in previews:
        if p.error:
            say(f"{p.path}: would fail: {p.error}", fg="red", err=True)
            continue
        enc = f", encoding {p.encoding}{' (guessed)' if p.encoding_guessed else ''}" if p.encoding else ""
        say(f"{p.path.name} -> '{p.name}' ({p.format}, {p.kind}{enc}): {_n(p.words, 'word')}, {_n(p.turns, 'turn')}",
                    bold=True)
        if p.duplicate_of:
            say(f"  already imported as '{p.duplicate_of}': would be skipped")
        width = min(32, max([20, *(len(s.label) for s in p.speakers)]))
        for s in p.speakers:
            say(f"  {s.label:<{width}} {s.turns:>4} {'turn ' if s.turns == 1 else 'turns'}  \"{s.first_line[:70]}\"")
        if p.unlabelled_turns:
            say(f"  {'(no speaker)':<{width}} {p.unlabelled_turns:>4} {'turn' if p.unlabelled_turns == 1 else 'turns'}")
        if not p.speakers:
            say(f"  {NO_SPEAKERS}", fg="yellow")
        for m in p.metadata:
            say(f"  kept as a note, not as text: {m[:100]}")
        for w in p.warnings:
            say(f"  warning: {w}", fg="yellow")
    say("Dry run: nothing was imported.")
    _exit_if_failed(previews)


def _exit_if_failed(previews: list) -> None:
    """A dry run that finds files the import would refuse exits 2, like the import itself."""
    if any(p.error for p in previews):
        raise SystemExit(2)


NOTE_KINDS = {SYNC: "time points", "event": "events", "comment": "comments", "topic": "topics"}
"""How the replace report names kinds of notes."""


def _replace(project: Project, ref: str, paths: tuple[Path, ...], options, dry_run: bool, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from qcode.core.errors import QcodeError
    from qcode.usecases.replace import replace_transcript

    if len(paths) != 1 or paths[0].is_dir():
        raise QcodeError("--replace takes exactly one file: the corrected transcript.",
                         hint="Example: qcode import --replace interview-amina corrected.txt")
    if dry_run:
        _dry_run(project, [paths[0]], options, as_json)
        return
    rep = replace_transcript(project, ref, paths[0], options)
    if as_json:
        echo_json({"transcript": rep.transcript, "unchanged": rep.unchanged, "kept": rep.kept, "moved": rep.moved,
                   "flagged": rep.flagged, "backup": str(rep.backup) if rep.backup else None,
                   "suggestions_dropped": rep.suggestions_dropped,
                   "notes_refreshed": {k: {"before": a, "after": b} for k, (a, b) in rep.notes_refreshed.items()},
                   "codings": [m.__dict__ for m in rep.moves]})
        return
    if rep.unchanged:
        say(f"'{rep.transcript}': the new file is identical; nothing changed.")
        return
    if rep.notes_refreshed:
        what = ", ".join(f"{NOTE_KINDS.get(k, k + ' notes')} {a} -> {b}" for k, (a, b) in rep.notes_refreshed.items())
        say(f"'{rep.transcript}': the file is identical, but its notes were read anew ({what}). "
            "Text, turns and codings are unchanged.")
        if rep.backup:
            say(f"Backup of the project before the change: {rep.backup}")
        return
    say(f"Replaced the text of '{rep.transcript}'. Codings: {rep.kept} kept exactly, {rep.moved} moved, "
               f"{rep.flagged} flagged for review.")
    for m in rep.moves:
        if m.status == "flagged":
            say(f"  review coding {m.coding_id} ({m.code_id}): \"{m.old_quote[:50]}\" -> \"{m.new_quote[:50]}\"",
                        fg="yellow")
    if rep.suggestions_dropped:
        say(f"{rep.suggestions_dropped} pending suggestions on the old text were discarded.")
    if rep.backup:
        say(f"Backup of the project before the change: {rep.backup}")


@cli.group("attributes")
def attributes_group() -> None:
    """Transcript and participant attributes (for crosstabs and filters).

    Example:

    \b
        qcode attributes import transcripts/participants.csv
        qcode attributes set interview-amina country=Morocco date=2024-03-14
        qcode attributes show --json
    """


@attributes_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
def attributes_import(project: Project, file: Path) -> None:
    """Apply a CSV or YAML sidecar of transcript or participant attributes.

    A CSV's first column is 'transcript' or 'participant'; participant files
    may have 'transcript' and 'speaker' columns linking a speaker to the
    participant. Header 'age:number' forces a type (text, number, date,
    category). All rows are applied, or none.

    Example:

    \b
        qcode attributes import transcripts/transcripts.csv
        qcode attributes import transcripts/participants.csv
    """
    from qcode.usecases.attributes import import_attributes_report

    r = import_attributes_report(project, file)
    say(f"{file.name}: {r.transcripts} transcripts, {r.participants} participants, {r.links} speaker links.")
    if r.types:
        say("Types: " + ", ".join(f"{k}={t}" for k, t in r.types.items()))


@attributes_group.command("set")
@click.argument("target")
@click.argument("pairs", nargs=-1, required=True)
@click.option("--participant", is_flag=True, help="TARGET is a participant, not a transcript.")
@project_option
def attributes_set(project: Project, target: str, pairs: tuple[str, ...], participant: bool) -> None:
    """Set attributes KEY=VALUE on a transcript (or a participant).

    Write KEY:TYPE=VALUE to give a type (text, number, date, category).

    Example:

    \b
        qcode attributes set interview-amina country=Morocco date=2024-03-14
        qcode attributes set --participant Amina age:number=29
    """
    from qcode.usecases.attributes import parse_pairs, set_attributes

    values = set_attributes(project, target, parse_pairs(pairs), "participant" if participant else "transcript")
    say(f"{target}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


@attributes_group.command("link")
@click.argument("transcript")
@click.argument("speaker")
@click.argument("participant", required=False)
@project_option
def attributes_link(project: Project, transcript: str, speaker: str, participant: str | None) -> None:
    """Link a speaker label of a transcript to a participant (omit PARTICIPANT to unlink).

    Example:

    \b
        qcode attributes link interview-amina Amina Amina
    """
    from qcode.usecases.attributes import link_speaker

    link_speaker(project, transcript, speaker, participant)
    say(f"{transcript}: speaker '{speaker}' -> {participant or '(not linked)'}")


@attributes_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@project_option
def attributes_show(project: Project, as_json: bool) -> None:
    """Show attribute types, transcript and participant attributes, and speaker links.

    Example:

    \b
        qcode attributes show --json
    """
    from qcode.usecases.attributes import attributes_overview

    data = attributes_overview(project)
    if as_json:
        echo_json(data)
        return
    say("Types: " + (", ".join(f"{d['name']} ({d['scope']}, {d['type']})" for d in data["types"]) or "(none)"))
    say("Transcripts", bold=True)
    for t in data["transcripts"]:
        attrs = ", ".join(f"{k}={v}" for k, v in t["attributes"].items())
        say(f"  {t['name']} [{t['kind']}, {t['language']}] {attrs}")
    say("Participants", bold=True)
    for p in data["participants"]:
        say(f"  {p['name']}: " + ", ".join(f"{k}={v}" for k, v in p["attributes"].items()))
    say("Speakers", bold=True)
    for s in data["speakers"]:
        say(f"  {s['transcript']}: {s['speaker']} -> {s['participant']}")
