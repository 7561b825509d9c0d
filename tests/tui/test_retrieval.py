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


def _cells(screen) -> list[tuple[str, str]]:
    from textual.widgets import DataTable

    table = screen.query_one(DataTable)
    return [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]


async def _filter(pilot, text: str) -> None:
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


# ----------------------------------------------------------------------------
# The demo project (a copy): "Psychological toll" has Joseph's passage coded by
# demo-researcher and lucia, Mateo's by demo-researcher, Priya's by lucia.

JOSEPH = "Many of my colleagues cannot sleep. I still see some images when I close my eyes."


async def _choose_psychological_toll(pilot):
    from qcode.tui.screens.retrieval import RetrievalScreen

    await pilot.pause()
    await pilot.press("f4")
    await pilot.pause()
    await pilot.press(*"psychol", "enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RetrievalScreen)
    return screen


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_quote_columns_fit_the_screen_from_the_first_display(demo_dir: Path, size, monkeypatch) -> None:
    from textual.widgets import DataTable

    from qcode.tui.app import make_app
    from qcode.tui.screens.retrieval import RetrievalScreen

    # A terminal may draw a frame between adding the rows and the table's idle
    # handler: record what the first data row looks like right then.
    drawn: list[str] = []
    fill = RetrievalScreen.refresh_from_store

    def spy(self) -> bool:
        done = fill(self)
        table = self.query_one(DataTable)
        if table.row_count:
            drawn.append(table.render_line(1).text)
        return done

    monkeypatch.setattr(RetrievalScreen, "refresh_from_store", spy)
    app = make_app(demo_dir)
    async with app.run_test(size=size) as pilot:
        screen = await _choose_psychological_toll(pilot)
        table = screen.query_one(DataTable)
        assert "Joseph" in drawn[0] and "Many of my colleagues" in drawn[0], drawn[0]
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        assert sum(widths) <= table.scrollable_content_region.width, widths
        quote_width = table.ordered_columns[-1].width
        assert quote_width >= (50 if size[0] == 120 else 25)
        start = JOSEPH[: quote_width - 2]
        assert start in drawn[0]
        assert start in table.render_line(1).text
        assert "Joseph" in table.render_line(1).text


async def test_a_passage_two_coders_coded_is_one_row_naming_both(demo_dir: Path) -> None:
    from textual.widgets import DataTable, Static

    from qcode.tui.app import make_app

    app = make_app(demo_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _choose_psychological_toll(pilot)
        table = screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [(r[1], r[3]) for r in rows] == [
            ("Joseph", "demo-researcher, lucia"), ("Mateo", "demo-researcher"), ("Priya", "lucia")
        ]
        detail = str(screen.query_one("#ret-detail", Static).render())
        assert "coded by demo-researcher, lucia" in detail
        assert "3 quotes" in str(screen.query_one("#ret-status", Static).render())


async def test_escape_leaves_the_filter_box_before_the_screen(demo_dir: Path) -> None:
    from textual.widgets import DataTable, Input

    from qcode.tui.app import make_app
    from qcode.tui.screens.retrieval import RetrievalScreen

    app = make_app(demo_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _choose_psychological_toll(pilot)
        await pilot.press("f", *"gender=wo")
        box = screen.query_one("#ret-filter", Input)
        assert box.has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one(DataTable).has_focus
        assert box.value == ""  # the unapplied text is dropped: the box shows the filter in use
        # a filter in error keeps the box (to fix it); Esc then goes back to the list as it was
        await pilot.press("f", *"gendr=woman", "enter")
        await pilot.pause()
        assert box.has_focus and len(screen.quotes) == 3
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and box.value == "" and not box.has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RetrievalScreen)


async def test_status_line_fits_at_80_columns_and_the_attribute_error_names_each_once(demo_dir: Path) -> None:
    from textual.widgets import Static

    from qcode.tui.app import make_app

    app = make_app(demo_dir)
    errors: list = []
    app.show_error = errors.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _choose_psychological_toll(pilot)
        status = screen.query_one("#ret-status", Static)
        text = str(status.render())
        assert text.startswith("3 quotes of “Psychological toll” in 1 transcript")
        assert len(text) <= status.content_region.width
        assert not text.rstrip().endswith(("·", "f", "…"))
        await _filter(pilot, "gendr=woman")
        [err] = errors
        assert err.message.startswith("Unknown attribute 'gendr'. Did you mean 'gender'?")
        names = err.hint.split(": ", 1)[1].rstrip(".").split(", ")
        assert len(names) == len(set(names))
        assert {"kind", "language", "gender", "platform"} <= set(names)
