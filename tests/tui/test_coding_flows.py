"""Pilot tests of the coding screen: each asserts what the store holds afterwards."""

from __future__ import annotations

from pathlib import Path

from qcode.tui.screens.coding import CodingScreen
from qcode.tui.screens.project import ProjectScreen
from tests.tui.conftest import codings_in

SIZE = (100, 30)


async def _coding(pilot) -> CodingScreen:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CodingScreen)
    return screen


async def test_open_transcript_from_project_screen(make, project_dir: Path) -> None:
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)
        await pilot.press("enter")
        screen = await _coding(pilot)
        assert screen.view.transcript is not None
        assert screen.view.transcript.name == "interview-01"


async def test_select_sentence_and_code_by_number(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)
        text = screen.view.transcript.text
        await pilot.press("s")  # the first sentence
        await pilot.press("1")  # first code in tree order: instability
        await pilot.pause()
        assert screen.view.selection is None
    stored = codings_in(project_dir)
    assert [(c.code_id, c.quote, c.coder) for c in stored] == [("instability", text[: text.index("?") + 1], "tester")]


async def test_extend_by_word_and_code_with_picker(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)
        await pilot.press("]")  # second turn (Amina)
        await pilot.press("shift+right", "shift+right")  # "Unstable. Some"
        assert screen.view.selection is not None
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"piece")
        await pilot.press("enter")
        await pilot.pause()
    stored = codings_in(project_dir)
    assert [(c.code_id, c.quote) for c in stored] == [("piece-rates", "Unstable. Some")]


async def test_code_without_selection_changes_nothing(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await _coding(pilot)
        await pilot.press("1")
        await pilot.pause()
    assert codings_in(project_dir) == []


async def test_recode_uncode_undo_redo(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)
        await pilot.press("t", "1")  # whole first turn -> instability
        await pilot.pause()
        assert [c.code_id for c in codings_in(project_dir)] == ["instability"]
        await pilot.press("r")  # recode the coding under the cursor
        await pilot.pause()
        await pilot.press(*"Pay", "enter")
        await pilot.pause()
        assert [c.code_id for c in codings_in(project_dir)] == ["pay"]
        await pilot.press("x")  # uncode
        await pilot.pause()
        assert codings_in(project_dir) == []
        await pilot.press("u")  # undo the removal
        await pilot.pause()
        assert [c.code_id for c in codings_in(project_dir)] == ["pay"]
        assert [c.code_id for c in screen.view.codings] == ["pay"]
        await pilot.press("u")  # undo the recode
        await pilot.pause()
        assert [c.code_id for c in codings_in(project_dir)] == ["instability"]
        await pilot.press("U")  # redo the recode
        await pilot.pause()
        assert [c.code_id for c in codings_in(project_dir)] == ["pay"]


async def test_memo_on_coding(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await _coding(pilot)
        status = app.screen.query_one("#status")
        await pilot.press("t", "1", "m")
        await pilot.pause()
        assert "= memo" not in str(status.render())
        await pilot.press(*"asks about time", "ctrl+s")
        await pilot.pause()
        assert "here (* = memo, m opens it): " in str(status.render()) and str(status.render()).rstrip().endswith("*")
    [c] = codings_in(project_dir)
    assert c.memo == "asks about time"


async def test_cancelled_memo_changes_nothing(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await _coding(pilot)
        await pilot.press("t", "1", "m")
        await pilot.pause()
        await pilot.press(*"draft", "escape")
        await pilot.pause()
    [c] = codings_in(project_dir)
    assert c.memo == ""


async def test_mouse_drag_selects(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)
        view = screen.view
        # Row 1 of the view is the first text row; the text starts after the 4-cell margin.
        await pilot.mouse_down(view, offset=(4, 1))
        await pilot.hover(view, offset=(9, 1))
        await pilot.mouse_up(view, offset=(9, 1))
        await pilot.pause()
        assert view.selection == (0, 6)
        await pilot.press("2")  # pay
        await pilot.pause()
    assert [(c.code_id, c.quote) for c in codings_in(project_dir)] == [("pay", "How is")]


async def test_store_error_is_shown_and_not_applied(make, project_dir: Path, monkeypatch) -> None:
    from qcode.core.errors import ProjectBusyError
    from qcode.tui.screens.dialogs import ErrorDialog

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)

        def busy(*a, **k):
            raise ProjectBusyError("The project is busy: another qcode process is writing to it.")

        monkeypatch.setattr(app.project.store.codings, "add", busy)
        await pilot.press("t", "1")
        await pilot.pause()
        assert isinstance(app.screen, ErrorDialog)
        assert screen.view.codings == []
        assert not app.history.can_undo
    assert codings_in(project_dir) == []


async def test_new_code_from_selection(make, project_dir: Path) -> None:
    import pytest

    from qcode.usecases import codebook

    if not hasattr(codebook, "add_code"):
        pytest.skip("qcode.usecases.codebook.add_code is not written yet (codebook issue)")
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await _coding(pilot)
        await pilot.press("]", "w", "n")  # select "Unstable." then new in-vivo code
        await pilot.pause()
        await pilot.press("enter")  # accept the suggested label (the selection, without its full stop)
        await pilot.pause()
        status = pilot.app.screen.query_one("#status").render().plain
        assert status.startswith("✓ new code “Unstable” in the codebook and coded, saved")
    stored = codings_in(project_dir)
    assert len(stored) == 1
    assert stored[0].quote == "Unstable."
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        code = p.codebook.get(stored[0].code_id)
        assert code.display() == "Unstable"


async def test_light_theme_and_small_terminal(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _coding(pilot)
        await pilot.press("t", "1")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "textual-light"
        assert screen.has_class("-narrow")
        assert "How is the work" in "".join(screen.view.render_line(y).text for y in range(3))
    assert len(codings_in(project_dir)) == 1


async def test_double_click_selects_word_triple_click_turn(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)
        view = screen.view
        text = view.transcript.text
        # Row 1 is "How is the work these days?"; cell 4 + 8 is the 'h' of "the".
        await pilot.click(view, offset=(12, 1), times=2)
        await pilot.pause()
        assert view.selection is not None
        assert text[slice(*view.selection)] == "the"
        await pilot.press("2")  # pay
        await pilot.pause()
        # A triple click on Amina's first answer selects her whole turn.
        await pilot.click(view, offset=(10, 4), times=3)
        await pilot.pause()
        turn = view.turns[1]
        assert view.selection == (turn.start, turn.end)
        assert text[turn.start : turn.end].startswith("Unstable.")
    assert [(c.code_id, c.quote) for c in codings_in(project_dir)] == [("pay", "the")]


async def test_long_transcript_has_no_horizontal_scrollbars(make, project_dir: Path) -> None:
    """When a vertical scrollbar appears the text is wrapped again one cell narrower:
    no row is cut off and no horizontal scrollbar eats a row."""
    from qcode.tui.widgets.transcript_view import MARGIN
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    long = project_dir / "long.txt"
    long.write_text("".join(f"Interviewer: Question {i}?\nAmina: " + "word " * 40 + "\n\n" for i in range(40)), encoding="utf-8")
    with Project.open(project_dir) as p:
        assert not importing.import_paths(p, [long]).failed
    app = make("interview-01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _coding(pilot)
        view = screen.view
        assert not view.show_vertical_scrollbar  # the short interview fits
        view.load(app.project.transcript("long"), [])  # as the Suggestions screen does
        await pilot.pause()
        await pilot.pause()
        assert view.show_vertical_scrollbar
        assert not view.show_horizontal_scrollbar
        assert not screen.code_tree.show_horizontal_scrollbar
        lay = view._layout
        widest = max(e - s for s, e in zip(lay.starts, lay.ends, strict=True))
        assert widest + MARGIN <= view.scrollable_content_region.width


async def test_escape_clears_the_selection_first(make, project_dir: Path) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _coding(pilot)
        await pilot.press("t")
        assert screen.view.selection is not None
        await pilot.press("escape")
        await pilot.pause()
        assert screen.view.selection is None
        assert app.screen is screen


async def test_codes_beyond_nine_by_name(make, project_dir: Path) -> None:
    """Keys 1-9 cover the first nine codes; the picker (c) reaches any code and the footer says so."""
    app = make("interview-01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _coding(pilot)
        await pilot.press("5")  # the small codebook has four codes
        await pilot.pause()
        assert any("Press c" in str(n.message) for n in app._notifications)
        keys = {b.key: b.description for b in screen.active_bindings and [a.binding for a in screen.active_bindings.values()]}
        assert keys["c"] == "Any code…"
        await pilot.press("]", "w", "c", *"unrecog", "enter")
        await pilot.pause()
    assert [(c.code_id, c.quote) for c in codings_in(project_dir)] == [("invisible-work", "Unstable.")]


async def test_a_label_cut_in_the_code_tree_ends_with_an_ellipsis(make, project_dir: Path) -> None:
    from qcode.usecases.codebook import attach_codebook
    from qcode.usecases.project import Project

    long = "Unrecognised or invisible work that nobody sees and nobody pays for"
    cb = project_dir / "codebook.yaml"
    cb.write_text(cb.read_text(encoding="utf-8").replace("label: Unrecognised work", f"label: {long}"), encoding="utf-8")
    with Project.open(project_dir) as p:
        attach_codebook(p, cb)
    app = make("interview-01")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _coding(pilot)
        tree = screen.code_tree
        width = tree.scrollable_content_region.width
        assert 10 < width < 40  # the label does not fit
        lines = [tree.render_line(y).text.rstrip() for y in range(tree.last_line + 1)]
        cut = next(line for line in lines if "Unrecognised" in line)
        assert cut.endswith("…") and len(cut) == width
        assert long.startswith(cut.split("  ")[-1].strip().rstrip("…"))
        assert next(line for line in lines if "Piece rates" in line).endswith("Piece rates")  # what fits is not cut
