"""Test-only helpers: running the CLI in-process, and a way below the repositories. Nothing in qcode/ may import
this module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from qcode.cli import main
from qcode.storage import Store


@contextmanager
def raw_connection(store: Store) -> Iterator[sa.Connection]:
    """TEST ONLY: a connection to *store*'s database, in a transaction of its own committed at the end.

    For the rare test that deliberately forges, corrupts or inspects rows in a
    way no repository offers (an old project's missing rows, fixed timestamps,
    a column's stored value). Everything else goes through the repositories.
    """
    with store.engine.begin() as conn:
        yield conn


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``qcode ARGS`` in this process: (exit code, standard output, standard error)."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
