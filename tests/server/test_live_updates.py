"""The app shows other coders' new codings without a restart (LISTEN/NOTIFY), with the time it last caught up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from qcode.tui.screens.coding import CodingScreen
from qcode.tui.widgets.status import StatusLine
from qcode.usecases import coding, server
from qcode.usecases.project import Project
from tests.team import Team, lead_project


def _setup(team: Team, tmp_path: Path) -> tuple[Path, Path]:
    lead_project(team, tmp_path)
    Project.init(tmp_path / "amina", database=team.url("amina")).close()
    return tmp_path / "lead", tmp_path / "amina"


def test_the_change_feed_hears_a_colleagues_commit(team_server: Team, tmp_path: Path) -> None:
    lead, amina = _setup(team_server, tmp_path)
    with Project.open(lead) as p, Project.open(amina) as other:
        feed = server.ChangeFeed(p.store)
        try:
            deadline = time.time() + 5
            while not feed.live and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # LISTEN is in place
            assert feed.poll() == set()
            coding.apply_code(other, "i1", 0, 11, "pay")
            changed: set[str] = set()
            while not changed and time.time() < deadline:
                time.sleep(0.05)
                changed = feed.poll()
            assert changed == {"codings"}
        finally:
            feed.close()


async def test_the_coding_screen_shows_a_colleagues_new_coding(team_server: Team, tmp_path: Path, monkeypatch) -> None:
    from qcode.tui.app import make_app

    monkeypatch.delenv("QCODE_CODER")  # on the server the role is the coder: the app does not ask for a name

    lead, amina = _setup(team_server, tmp_path)
    app = make_app(lead, transcript="i1")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CodingScreen) and screen.view.codings == []
        await asyncio.sleep(0.5)  # the feed is listening
        with Project.open(amina) as other:
            made = coding.apply_code(other, "i1", 0, 11, "pay")
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.view.codings:
                break
        assert [(c.id, c.coder) for c in screen.view.codings] == [(made.id, team_server.roles["amina"])]
        status = str(screen.query_one("#status", StatusLine).render())
        assert "synced " in status
