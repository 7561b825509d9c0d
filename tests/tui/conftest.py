"""Fixtures for the app tests: a project, an app factory, and store helpers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def make(project_dir: Path):
    """Build the app on the test project, optionally opening a transcript."""
    from qcode.tui.app import make_app

    def _make(transcript: str | None = None):
        return make_app(project_dir, transcript=transcript)

    return _make


def codings_in(project_dir: Path):
    """What the store holds, read through a fresh connection (not the app's caches)."""
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        return p.store.codings.list()


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A copy of the repository's demo project (seeded on first open: five transcripts,
    attributes, and codings by demo-researcher and lucia)."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    for name in ("qcode.toml", "codebooks", "transcripts"):
        src = root / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        else:
            shutil.copy2(src, tmp_path / name)
    return tmp_path


async def until(pilot, condition, timeout: float = 30.0) -> None:
    """Wait (in Pilot time) until *condition()* holds, e.g. for a thread worker to finish."""
    import asyncio

    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError("condition not met in time")
