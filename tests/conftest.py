"""Shared fixtures: temporary projects, the demo codebook, real data from ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# QCODE_SHARED_REAL points elsewhere (a worktree has no ../shared beside it).
SHARED_REAL = Path(os.environ.get("QCODE_SHARED_REAL") or REPO.parent / "shared" / "data" / "real")

SMALL_CODEBOOK = """\
qcode_codebook: 1
title: Test codebook
version: 1.0.0
language: [en]
codes:
  - id: instability
    label: Job instability
    keywords: {en: [unstable, precarious]}
  - id: pay
    label: Pay
    children:
      - id: piece-rates
        label: Piece rates
        keywords: {en: [piece rate, per task]}
  - id: invisible-work
    label: Unrecognised work
"""

SMALL_TRANSCRIPT = """\
Interviewer: How is the work these days?
Amina: Unstable. Some weeks there is nothing at all, then everything at once.

Interviewer: And the pay?
Amina: Piece rates, very low. You are paid per task, not for the time you spend.
"""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the developer's login name or settings."""
    monkeypatch.setenv("QCODE_CODER", "tester")


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A fresh project folder with a small codebook and one imported transcript."""
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    (tmp_path / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (tmp_path / "interview-01.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    with Project.init(tmp_path, codebook=tmp_path / "codebook.yaml", language="en") as p:
        report = importing.import_paths(p, [tmp_path / "interview-01.txt"])
        assert not report.failed
    return tmp_path


@pytest.fixture
def project(project_dir: Path):
    """The open :class:`~qcode.usecases.project.Project` of :func:`project_dir`."""
    from qcode.usecases.project import Project

    p = Project.open(project_dir)
    yield p
    p.close()


@pytest.fixture
def shared_real() -> Path:
    """../shared/data/real, or skip when the shared material is absent."""
    if not SHARED_REAL.is_dir():
        pytest.skip(f"real data not available ({SHARED_REAL} is absent)")
    return SHARED_REAL


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty PostgreSQL database for this test worker, or skip (set QCODE_TEST_POSTGRES_URL).

    The URL has no password (qcode.toml may hold none): it is in PGPASSWORD for the test.
    """
    import sqlalchemy as sa

    from qcode.storage.postgres import without_password

    url = sa.make_url(fresh_postgres_database("p"))
    if url.password:
        monkeypatch.setenv("PGPASSWORD", str(url.password))
    return without_password(url)


def fresh_postgres_database(label: str) -> str:
    """The URL of a new empty PostgreSQL database *label* of this test worker (tests run in
    parallel), or skip the test when QCODE_TEST_POSTGRES_URL is not set."""
    import os

    import sqlalchemy as sa

    base = os.environ.get("QCODE_TEST_POSTGRES_URL", "")
    if not base:
        pytest.skip("set QCODE_TEST_POSTGRES_URL=postgresql+psycopg://user:pw@host/db to run PostgreSQL tests")
    return new_database(base, f"{sa.make_url(base).database}_{label}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")


def new_database(base: str, name: str) -> str:
    """Drop and create database *name* on the server of URL *base*; returns its URL."""
    import sqlalchemy as sa

    url = sa.make_url(base)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def team_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh server project (`qcode server init`) with login roles lead (owner), amina and bob
    (coders) and rita (reader), their passwords in a PGPASSFILE outside any project folder."""
    from tests.team import make_team

    team = make_team(fresh_postgres_database("team"), tmp_path / "pgpass")
    monkeypatch.setenv("PGPASSFILE", str(team.passfile))
    return team


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collect the garbage of the whole run now, then freeze what is left.

    At the very end pytest runs five full garbage collections; in an xdist worker
    with a large heap (spaCy, many app runs) on a busy machine they outlast the 5 s
    execnet gives a worker to stop, after which it sends the worker SIGINT, and the
    KeyboardInterrupt lands in hypothesis's gc callback ("PytestUnraisableExceptionWarning
    ... KeyboardInterrupt" at the end of the log). Running before xdist reports the worker
    finished, this collection is not timed, and frozen objects make the later ones fast.
    """
    import gc

    gc.collect()
    gc.freeze()
