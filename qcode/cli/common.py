"""The click group and options shared by every command."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from qcode import __version__
from qcode.core.safe_text import json_escape
from qcode.core.safe_text import lines as safe_lines

F = TypeVar("F", bound=Callable[..., Any])


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project", "-p", "project_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Project folder (default: the current folder or the nearest parent with qcode.toml).",
)
@click.version_option(__version__, prog_name="qcode")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path | None) -> None:
    """qcode: code qualitative interviews in the terminal.

    Run without a command to open the coding app on the current project.

    Example:

    \b
        qcode init study --codebook codebooks/data-work.yaml
        qcode -p study import transcripts/
        qcode -p study
    """
    ctx.ensure_object(dict)
    ctx.obj["project_dir"] = project_dir
    if ctx.invoked_subcommand is None:
        from qcode.cli.project_cmds import open_app

        ctx.invoke(open_app, directory=project_dir)


def project_option(fn: F) -> F:
    """Add ``--project DIR`` to a command and pass an open ``project`` argument."""

    def wrapper(ctx: click.Context, /, *args: Any, project_dir: Path | None = None, **kwargs: Any) -> Any:
        from qcode.usecases.project import Project

        folder = project_dir or (ctx.obj or {}).get("project_dir")
        with Project.open(folder) as project:
            report_seed(project)
            if ctx.command_path.split()[-2:] != ["codebook", "use"]:
                report_codebook_file(project)
            return fn(project, *args, **kwargs)

    functools.update_wrapper(wrapper, fn)
    command = click.option(
        "--project", "-p", "project_dir", type=click.Path(file_okay=False, path_type=Path),
        help="Project folder (default: the current folder or a parent).",
    )(click.pass_context(wrapper))
    return cast(F, command)


def report_seed(project: Any) -> None:
    """Tell the user what opening the project did: a read-only open, a new database seeded."""
    if project.read_only:
        from qcode.usecases.project import read_only_note

        say(f"Note: {read_only_note(project)}", err=True, fg="yellow")
    if project.swept:
        say(f"Removed {len(project.swept)} leftover temporary file(s) of an interrupted qcode: "
            + ", ".join(p.name for p in project.swept[:5]), err=True)
    if project.notice:
        say(project.notice, err=True)
    r = project.seed_report
    if r is not None and (r.transcripts or r.codings):
        say(f"New project database: imported {r.transcripts} transcripts and {r.codings} codings from [seed].", err=True)


def say(message: object = "", *, err: bool = False, nl: bool = True, **style: Any) -> None:
    """The one way commands print text: anything from users or files is made terminal-safe.

    Escape sequences, C1 controls and bidi overrides are shown as ``\\x1b`` or
    ``<U+202E>`` (as in the app, :mod:`qcode.core.safe_text`); line breaks are
    kept. *style* is click.style's (fg, bold...).
    """
    text = safe_lines(str(message))
    click.echo(click.style(text, **style) if style else text, err=err, nl=nl)


def stderr_is_terminal() -> bool:
    """Progress bars only on a terminal: in a pipe or a log, click would print their labels as bare lines."""
    return click.get_text_stream("stderr").isatty()


def cell(text: Any, width: int) -> str:
    """*text* in a column of *width* characters: padded, or cut with "…" so a cut name is seen as cut."""
    text = str(text)
    return f"{text:<{width}}" if len(text) <= width else text[: width - 1] + "…"


def report_codebook_file(project: Any) -> None:
    """Say on stderr when the codebook file of qcode.toml is edited, invalid or missing."""
    from qcode.usecases.codebook import codebook_file_status

    status = codebook_file_status(project)
    if status.needs_attention:
        say(status.message(), fg="yellow", err=True)


def echo_json(data: Any) -> None:
    """JSON on stdout: the data stays exact, but characters a terminal may act on are \\u-escaped."""
    click.echo(json_escape(json.dumps(data, ensure_ascii=False, indent=2, default=str)))
