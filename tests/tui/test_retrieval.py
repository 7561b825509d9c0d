"""The quote list shows the rows reports cite: every speaker of a passage, report filters."""

from __future__ import annotations

from pathlib import Path

import pytest

SIZE = (110, 32)


@pytest.fixture
def fg_project(project_dir: Path) -> Path:
    """fg-nairobi (Kenya) with Amina (f) and Brian (m, Uganda) linked; 'instability' coded on
    Amina's turn into Brian's (20-55) and on Brian's turn alone (48-65)."""
    from qcode.usecases.coding import apply_code
    from qcode.usecases.project import Project
    from tests.usecases.test_retrieval import make_focus_group

    with Project.open(project_dir) as p:
        t = make_focus_group(p, project_dir)
        apply_code(p, t.id, 20, 55, "instability")
        apply_code(p, t.id, 48, 65, "instability")
    return project_dir


def _cells(screen) -> list[tuple[str, str]]:  # noqa: ANN001
    from textual.widgets import DataTable

    table = screen.query_one(DataTable)
    return [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]


async def _filter(pilot, text: str) -> None:  # noqa: ANN001
    from textual.widgets import Input

    pilot.app.screen.query_one("#ret-filter", Input).value = text
    await pilot.press("f", "enter")
    await pilot.pause()


async def test_quote_list_names_every_speaker_and_filters_like_reports(fg_project: Path) -> None:
    from qcode.tui.app import make_app
    from qcode.tui.screens.retrieval import RetrievalScreen

    app = make_app(fg_project)
    errors: list = []
    app.show_error = errors.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_retrieval("instability")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RetrievalScreen)
        assert _cells(screen) == [("fg-nairobi", "Amina & Brian"), ("fg-nairobi", "Brian")]
        # Brian speaks in both passages; his own country is Uganda, not the transcript's Kenya
        await _filter(pilot, "country=uganda")
        assert [(q.start, q.end) for q in screen.quotes] == [(20, 55), (48, 65)]
        assert screen.quotes[1].attributes == {"country": "Uganda", "gender": "m"}
        await _filter(pilot, "gender=f")
        assert [(q.start, q.end) for q in screen.quotes] == [(20, 55)]
        # a misspelt attribute is reported, and the list is left as it was
        await _filter(pilot, "gendr=m")
        assert [(q.start, q.end) for q in screen.quotes] == [(20, 55)]
        assert [e.message.splitlines()[0] for e in errors] == ["Unknown attribute 'gendr'. Did you mean 'gender'?"]
