"""Commands: import."""

from __future__ import annotations

from pathlib import Path

import click

from qcode.cli.common import cli, project_option
from qcode.formats.importers import ImportOptions
from qcode.usecases import importing
from qcode.usecases.project import Project


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--encoding", help="Decode text files with this encoding instead of detecting it.")
@click.option("--language", help="Language of these transcripts (default: the project's).")
@click.option("--speaker-pattern", help="Regex with a (?P<speaker>...) group marking turn starts.")
@project_option
def import_cmd(project: Project, paths: tuple[Path, ...], encoding: str | None, language: str | None, speaker_pattern: str | None) -> None:
    """Import transcript files or folders into the project.

    Example:

    \b
        qcode import transcripts/
        qcode import interview.txt --encoding cp1252
    """
    opts = ImportOptions(
        encoding=encoding,
        language=language or project.settings.language,
        speaker_pattern=speaker_pattern,
        max_bytes=int(project.settings.import_max_mb * 1024 * 1024),
    )
    report = importing.import_paths(project, list(paths), opts)
    for r in report.results:
        if r.status == "imported":
            click.echo(f"imported  {r.path.name} as '{r.name}': {r.words} words, {r.turns} turns, speakers {', '.join(r.speakers)}")
        elif r.status == "skipped":
            click.echo(f"skipped   {r.path.name}: {r.message}")
    for r in report.failed:
        click.secho(f"failed    {r.path.name}: {r.message}", fg="red", err=True)
    click.echo(f"{len(report.imported)} imported, {len(report.skipped)} skipped, {len(report.failed)} failed.")
    if report.failed:
        raise SystemExit(2)
