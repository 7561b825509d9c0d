"""Pilot tests of the typed result messages: each is sent by the real worker, and the screen shows it.

One test per message (FolderListed, PreviewReady, ImportFinished, SuggestionsReady, ReportWritten),
plus leaving the Reports screen during a report, which cancels it and leaves no file behind.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.tui.conftest import until

SIZE = (110, 36)


def _text(widget) -> str:
    return str(widget.render())


async def _open_import(pilot):
    from qcode.tui.screens.importer import ImportScreen

    await pilot.pause()
    await pilot.press("i")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ImportScreen)
    return pilot.app.screen


async def _type_path(pilot, screen, path: Path) -> None:
    box = screen.query_one("#import-path")
    box.value = str(path)
    box.focus()
    await pilot.press("enter")


@pytest.fixture
def batch(project_dir: Path) -> Path:
    folder = project_dir / "batch"
    folder.mkdir()
    (folder / "bea.txt").write_text("Interviewer: Hello?\nBea: Hello, I label images.\n", encoding="utf-8")
    (folder / "carl.txt").write_text("Interviewer: Hi?\nCarl: I tag audio clips.\n", encoding="utf-8")
    return folder


async def test_folder_listed_shows_the_files_and_enables_import(make, batch: Path) -> None:
    from textual.widgets import Button

    from qcode.tui.screens.importer import ImportScreen

    messages: list[object] = []
    app = make()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await _open_import(pilot)
        await _type_path(pilot, screen, batch)
        await until(pilot, lambda: any(isinstance(m, ImportScreen.FolderListed) for m in messages))
        await pilot.pause()
        listed = next(m for m in messages if isinstance(m, ImportScreen.FolderListed))
        assert sorted(p.name for p in listed.files) == ["bea.txt", "carl.txt"]
        shown = _text(screen.query_one("#import-preview"))
        assert "2 importable files" in shown and "bea.txt" in shown and "carl.txt" in shown
        assert not screen.query_one("#import-go", Button).disabled


async def test_preview_ready_shows_speakers_and_words(make, batch: Path) -> None:
    from textual.widgets import Button

    from qcode.tui.screens.importer import ImportScreen

    messages: list[object] = []
    app = make()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await _open_import(pilot)
        await _type_path(pilot, screen, batch / "bea.txt")
        await until(pilot, lambda: any(isinstance(m, ImportScreen.PreviewReady) for m in messages))
        await pilot.pause()
        ready = next(m for m in messages if isinstance(m, ImportScreen.PreviewReady))
        shown = _text(screen.query_one("#import-preview"))
        assert f"{ready.preview.words:,} words · {ready.preview.turns} turns" in shown
        assert "Bea" in shown and "Hello, I label images." in shown
        assert not screen.query_one("#import-go", Button).disabled


async def test_import_finished_says_what_was_imported_and_closes(make, batch: Path) -> None:
    from qcode.tui.screens.importer import ImportScreen

    messages: list[object] = []
    app = make()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await _open_import(pilot)
        screen.chosen = batch
        await pilot.press("ctrl+g")
        await until(pilot, lambda: any(isinstance(m, ImportScreen.ImportFinished) for m in messages))
        await until(pilot, lambda: app.screen is not screen)
        finished = next(m for m in messages if isinstance(m, ImportScreen.ImportFinished))
        assert len(finished.report.imported) == 2
        assert any("Imported 2, skipped 0, failed 0." in n.message for n in app._notifications)


async def test_suggestions_ready_tells_the_summary_and_lists_them(make, project_dir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    suggesting = pytest.importorskip("qcode.usecases.suggesting")
    from qcode.tui.screens.suggestions import SuggestionsScreen
    from tests.tui.test_tool_screens import _insert_suggestions

    report = suggesting.SuggestRunReport(suggestions=2, transcripts=1, words=120, seconds=1.0, pipeline="test")

    def run_suggestions(project, **kwargs):  # the suggester's result, without spaCy
        _insert_suggestions(project_dir)
        return report

    monkeypatch.setattr(suggesting, "run_suggestions", run_suggestions)
    messages: list[object] = []
    app = make("interview-01")
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SuggestionsScreen) and not screen.items
        await pilot.press("R")
        await until(pilot, lambda: any(isinstance(m, SuggestionsScreen.SuggestionsReady) for m in messages))
        await until(pilot, lambda: len(screen.items) == 2)
        assert any(n.title == "Suggestions ready" and n.message == report.summary() for n in app._notifications)
        assert "1/2" in _text(screen.query_one("#sugg-info"))


async def _open_reports(pilot):
    from qcode.tui.screens.reports import ReportsScreen

    await pilot.pause()
    await pilot.press("f7")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReportsScreen)
    return pilot.app.screen


async def test_report_written_shows_the_path_and_enables_generate(make, project_dir: Path) -> None:
    from textual.widgets import Button, Select

    from qcode.tui.screens.reports import ReportsScreen

    messages: list[object] = []
    app = make()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await _open_reports(pilot)
        screen.query_one("#rep-format", Select).value = "md"
        await pilot.press("ctrl+g")
        await until(pilot, lambda: any(isinstance(m, ReportsScreen.ReportWritten) for m in messages))
        await pilot.pause()
        written = next(m for m in messages if isinstance(m, ReportsScreen.ReportWritten))
        assert written.path == project_dir / "reports" / "report.md" and written.path.is_file()
        assert f"Report written: {written.path}" in _text(screen.query_one("#report-log"))
        assert not screen.query_one("#rep-go", Button).disabled
        assert any(str(written.path) in n.message for n in app._notifications)


async def test_leaving_the_reports_screen_cancels_the_report(make, project_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Esc while the report is analysed: the worker stops at its next step, no report and no
    temporary file is left in reports/, and nothing says "Report written"."""
    from textual.widgets import Select

    from qcode.formats.reports import data
    from qcode.tui.screens.reports import ReportsScreen
    from qcode.usecases import reporting

    started, go_on, ended = threading.Event(), threading.Event(), threading.Event()
    real_build, real_run = data.build_report, reporting.run_report

    def slow_build(*args, **kwargs):
        started.set()
        go_on.wait(10)
        return real_build(*args, **kwargs)

    def run_report(*args, **kwargs):
        try:
            return real_run(*args, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(data, "build_report", slow_build)
    monkeypatch.setattr(reporting, "run_report", run_report)
    messages: list[object] = []
    app = make()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await _open_reports(pilot)
        screen.query_one("#rep-format", Select).value = "docx"
        await pilot.press("ctrl+g")
        await until(pilot, started.is_set)
        [worker] = [w for w in screen.workers if w.group == "report"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen and worker.is_cancelled
        go_on.set()
        await until(pilot, ended.is_set)
        await pilot.pause()
        assert not any(isinstance(m, ReportsScreen.ReportWritten) for m in messages)
        assert not any("Report written" in n.message for n in app._notifications)
    reports = project_dir / "reports"
    assert not reports.exists() or not any(reports.iterdir())
    assert not list(project_dir.rglob("*report*.docx")) and not list(project_dir.rglob(".*.tmp"))
