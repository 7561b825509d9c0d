"""``qcode export --format qdpx`` and the project part of ``qcode import`` (REFI-QDA, QualCoder, Taguette)."""

from __future__ import annotations

from pathlib import Path

import click

from qcode.cli.common import cli, echo_json, project_option, say
from qcode.usecases.project import Project

POSITIONS = ("codepoints", "utf16", "crlf", "utf16+crlf")


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["qdpx"]), default="qdpx", show_default=True,
              help="qdpx: a REFI-QDA project for NVivo, MAXQDA, ATLAS.ti, QualCoder.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--positions", type=click.Choice(POSITIONS), default="codepoints", show_default=True,
              help="How the receiving tool counts positions: code points, UTF-16 units (NVivo), "
              "CRLF line ends written and counted (MAXQDA, ATLAS.ti), or both.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@project_option
def export_cmd(project: Project, fmt: str, output: Path, positions: str, force: bool) -> None:
    """Export the whole project for another QDA tool.

    Sources are written as the tools show them (speaker labels and times
    included), with every coding, coder, code, memo, participant and attribute.

    Example:

    \b
        qcode export --format qdpx -o study.qdpx
        qcode export --format qdpx --positions utf16 -o for-nvivo.qdpx
    """
    from qcode.core.errors import QcodeError
    from qcode.usecases.refi_export import export_qdpx

    if output.exists() and not force:
        raise QcodeError(f"{output} already exists.", hint="Choose another name, or pass --force to overwrite it.")
    from qcode.usecases.outputs import check_output

    check_output(output, "qdpx", force=force, project_root=project.root)  # never over the project's own files
    r = export_qdpx(project, output, positions=positions)
    say(f"Wrote {output}: {r.sources} sources, {r.codes} codes, {r.codings} codings, {r.notes} notes, "
               f"{r.users} coders (positions: {r.positions}).")


def import_projects(project: Project, paths: list[Path], as_json: bool, dry_run: bool = False) -> None:
    """Import other tools' projects (called by ``qcode import`` for .qdpx, .qde, QualCoder and Taguette)."""
    from qcode.usecases.refi_import import import_project

    reports = [import_project(project, p, dry_run=dry_run) for p in paths]
    if as_json:
        echo_json([r.to_dict() for r in reports])
        return
    for r in reports:
        for line in r.lines():
            say(line)
