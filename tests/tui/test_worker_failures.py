"""A thread worker that fails with an unexpected error (a bug): one error dialog, and the progress message goes.

The dialog names the error's type and place, never its message (which may quote interview text); the
traceback goes to a private crash file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import until

SIZE = (110, 32)
SECRET = "words the interviewee said"


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError(SECRET)


@pytest.fixture
def crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from qcode.usecases import crash

    folder = tmp_path / "crashes"
    monkeypatch.setattr(crash, "crash_dir", lambda: folder)
    monkeypatch.delenv("QCODE_DEBUG", raising=False)
    return folder


def _dialog_text(app) -> str:
    from textual.widgets import Label, Static

    return "\n".join(str(w.render()) for w in app.screen.query(Label)) + "\n".join(
        str(w.render()) for w in app.screen.query(Static))


async def test_a_suggester_bug_shows_a_dialog_and_clears_running(make, crashes: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    suggesting = pytest.importorskip("qcode.usecases.suggesting")
    from qcode.tui.screens.dialogs import ErrorDialog
    from qcode.tui.screens.suggestions import SuggestionsScreen

    monkeypatch.setattr(suggesting, "run_suggestions", _boom)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SuggestionsScreen)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        text = _dialog_text(app)
        assert "Internal error" in text and "RuntimeError" in text and "suggest" in text
        assert SECRET not in text
        [report] = crashes.glob("crash-*.txt")
        assert SECRET in report.read_text(encoding="utf-8") and str(report) in text.replace("\n", "")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        info = str(screen.query_one("#sugg-info").render())
        assert "Running the suggester" not in info and "No pending suggestions" in info
        assert not any(isinstance(s, ErrorDialog) for s in app.screen_stack)


async def test_a_report_writer_bug_shows_a_dialog_and_frees_the_form(make, crashes: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Button

    from qcode.tui.screens.dialogs import ErrorDialog
    from qcode.usecases import reporting

    monkeypatch.setattr(reporting, "generate_report", _boom)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f7")
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, ErrorDialog))
        assert "RuntimeError" in _dialog_text(app) and SECRET not in _dialog_text(app)
        await pilot.press("enter")
        await pilot.pause()
        log = str(screen.query_one("#report-log").render())
        assert "Generating" not in log and "internal error" in log and SECRET not in log
        assert not screen.query_one("#rep-go", Button).disabled
    assert len(list(crashes.glob("crash-*.txt"))) == 1
