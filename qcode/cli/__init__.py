"""The ``qcode`` command line: thin commands over :mod:`qcode.usecases`.

Errors a user can fix (:class:`~qcode.core.errors.QcodeError`) are printed
to stderr without a traceback, and the exit code is 2.
"""

from __future__ import annotations

import sys

import click

from qcode.cli.common import cli, say
from qcode.core.errors import QcodeError

# Each module adds its commands to `cli`.
from qcode.cli import project_cmds  # noqa: F401  isort: skip
from qcode.cli import coding_cmds  # noqa: F401  isort: skip
from qcode.cli import import_cmds  # noqa: F401  isort: skip
from qcode.cli import codebook_cmds  # noqa: F401  isort: skip
from qcode.cli import suggest_cmds  # noqa: F401  isort: skip
from qcode.cli import report_cmds  # noqa: F401  isort: skip
from qcode.cli import exchange_cmds  # noqa: F401  isort: skip
from qcode.cli import agreement_cmds  # noqa: F401  isort: skip
from qcode.cli import server_cmds  # noqa: F401  isort: skip

__all__ = ["cli", "main"]


def print_error(exc: QcodeError) -> None:
    say(f"Error: {exc.title}", fg="red", bold=True, err=True)
    say(exc.message, err=True)
    if exc.hint:
        say(exc.hint, fg="yellow", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``qcode`` command."""
    try:
        rv = cli.main(args=argv, prog_name="qcode", standalone_mode=False)
    except QcodeError as exc:
        print_error(exc)
        sys.exit(2)
    except click.exceptions.Abort:
        say("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()  # click quotes arguments with repr(): no raw escape reaches the terminal
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("Interrupted; the last completed action was saved.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say where, without quoting the data it was handling
        from qcode.usecases import crash

        if crash.debugging():
            raise
        say(crash.summary(exc, crash.write_report(exc)), err=True)
        sys.exit(70)
    sys.exit(rv if isinstance(rv, int) else 0)
