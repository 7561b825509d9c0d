"""Pilot tests of removing a transcript from the transcripts list: a confirmation that says what goes with it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from qcode.tui.screens.dialogs import ConfirmDialog
from qcode.tui.screens.help import help_table
from qcode.tui.screens.project import ProjectScreen
from qcode.usecases.project import Project
from tests.tui.conftest import codings_in

SIZE = (110, 32)


def second_transcript(project_dir: Path) -> None:
    from qcode.usecases import importing

    (project_dir / "interview-02.txt").write_text("Interviewer: Pay?\nJo: Per task, and late.\n", encoding="utf-8")
    with Project.open(project_dir) as p:
        assert not importing.import_paths(p, [project_dir / "interview-02.txt"]).failed


def names(project_dir: Path) -> list[str]:
    with Project.open(project_dir) as p:
        return [s.name for s in p.store.transcripts.summaries()]


async def code_first_turn(pilot) -> None:
    """Open the highlighted transcript, code its first turn with code 1, go back to the list."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("t", "1", "f2")
    await pilot.pause()


async def test_remove_asks_with_the_number_of_codings_and_cancel_keeps_everything(make, project_dir: Path) -> None:
    second_transcript(project_dir)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)
        assert ("x", "Remove") in [(k.key_display, k.description) for k in app.screen.query(FooterKey)]
        keys, actions = (list(map(str, col._cells)) for col in help_table(app.screen).columns)
        assert ("x del", "Remove") in zip(keys, actions, strict=True)
        await code_first_turn(pilot)
        for cancel in ("enter", "escape", "n"):  # with codings on it, Enter is Cancel
            await pilot.press("x")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            assert "interview-01" in dialog.message and "1 coding by 1 coder (tester 1)" in dialog.message
            await pilot.press(cancel)
            await pilot.pause()
            assert isinstance(app.screen, ProjectScreen)
    assert names(project_dir) == ["interview-01", "interview-02"] and len(codings_in(project_dir)) == 1
    assert not (project_dir / ".qcode" / "backups").exists() or not list((project_dir / ".qcode" / "backups").iterdir())


async def test_remove_confirmed_deletes_it_with_its_codings_after_a_backup(make, project_dir: Path) -> None:
    second_transcript(project_dir)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await code_first_turn(pilot)
        assert app.history.can_undo
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        done = [n.message for n in app._notifications if "removed" in n.message]
        assert done and "1 coding" in done[0] and "qcode restore" in done[0]
        assert not app.history.can_undo  # the coding went with the transcript: nothing left to undo
        await pilot.press("u")
        await pilot.pause()
        assert any(n.message == "Nothing to undo in this session." for n in app._notifications)
    assert names(project_dir) == ["interview-02"] and codings_in(project_dir) == []
    backups = list((project_dir / ".qcode" / "backups").glob("*before-remove-interview-01*"))
    assert len(backups) == 1


async def test_remove_without_work_says_so_and_enter_confirms(make, project_dir: Path) -> None:
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "no codings, memos or decisions" in app.screen.message
        await pilot.press("enter")
        await pilot.pause()
        assert "No transcripts yet" in str(app.screen.query_one("#project-status").render())
        await pilot.press("x")  # an empty list: nothing to ask about
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)
    assert names(project_dir) == []
