"""Pilot tests of what a new user meets first: the coder's name, an edited codebook file, the demo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qcode.tui.screens.dialogs import ConfirmDialog, TextDialog

SIZE = (100, 30)


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Wait until *condition()* holds (the start-up checks run after the first refresh)."""
    import asyncio

    for _ in range(int(timeout / 0.05)):
        await pilot.pause()
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_app_asks_for_the_coders_name_when_none_is_set(make, project_dir: Path, monkeypatch) -> None:
    from qcode.usecases import settings

    toml = project_dir / "qcode.toml"
    toml.write_text(re.sub(r"(?m)^coder = .*\n", "", toml.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.delenv("QCODE_CODER")
    monkeypatch.setattr(settings, "os_full_name", lambda: "")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TextDialog))
        app.screen.query_one("#dialog-input").value = ""
        await pilot.press(*"Amina K.", "enter")
        await pilot.pause()
        assert app.project.coder == "Amina K."
    assert 'coder = "Amina K."' in toml.read_text(encoding="utf-8")
    app = make()
    async with app.run_test(size=SIZE) as pilot:  # asked once only
        await pilot.pause()
        assert not isinstance(app.screen, TextDialog)


async def test_app_offers_to_take_in_an_edited_codebook_file(make, project_dir: Path) -> None:
    cb = project_dir / "codebook.yaml"
    cb.write_text(cb.read_text(encoding="utf-8").replace("label: Job instability", "label: Precarity"), encoding="utf-8")
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "1 relabelled" in app.screen.message and "Precarity" in app.screen.message
        await pilot.press("y")
        await until(pilot, lambda: app.project.codebook.get("instability").display() == "Precarity")
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        assert p.codebook.get("instability").display() == "Precarity"


async def test_app_says_when_the_codebook_file_is_invalid(make, project_dir: Path) -> None:
    cb = project_dir / "codebook.yaml"
    cb.write_text(cb.read_text(encoding="utf-8") + "  - id: pay\n", encoding="utf-8")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: any("has 1 problem" in n.message for n in app._notifications))
        texts = [n.message for n in app._notifications]
        assert any("has 1 problem" in t and "duplicate code id 'pay'" in t for t in texts), texts


@pytest.mark.usefixtures("demo_dir")
async def test_the_demo_works_on_a_copy_and_leaves_the_checkout_alone(demo_dir: Path) -> None:
    from qcode.tui.app import make_app

    original = (demo_dir / "codebooks" / "data-work.yaml").read_text(encoding="utf-8")
    app = make_app(demo_dir, transcript="interview-amina")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.project.root == demo_dir / ".qcode" / "demo"
        assert any("copy in .qcode/demo/" in n.message for n in app._notifications)
        await pilot.press("]", "w", "n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    assert (demo_dir / "codebooks" / "data-work.yaml").read_text(encoding="utf-8") == original
    assert (demo_dir / ".qcode" / "demo" / "codebooks" / "data-work.yaml").read_text(encoding="utf-8") != original
    assert sorted(p.name for p in demo_dir.iterdir()) == [".qcode", "codebooks", "qcode.toml", "transcripts"]


async def test_picker_puts_new_code_first_when_no_code_contains_what_was_typed(make) -> None:
    from textual.widgets import OptionList

    from qcode.tui.screens.dialogs import CodePicker

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("]", "w", "c")
        await pilot.pause()
        assert isinstance(app.screen, CodePicker)
        await pilot.press(*"pieca")  # fuzzy-matches "Piece rates" and "Unrecognised work" letter by letter
        await pilot.pause()
        ids = [app.screen.query_one(OptionList).get_option_at_index(i).id
               for i in range(app.screen.query_one(OptionList).option_count)]
        assert ids[0] == "new:pieca" and len(ids) > 1
        await pilot.press("backspace")  # "piec" is inside "Piece rates": that code first, new code last
        await pilot.pause()
        ol = app.screen.query_one(OptionList)
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        assert ids[0] == "piece-rates" and ids[-1] == "new:piec"
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"ise")
        await pilot.pause()
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        # "ise" is inside "Unrecognised work": that code only, not "Piece rates" (p-I-ece rate-S pi-E-ce, in order)
        assert ids == ["invisible-work", "new:ise"]
        await pilot.press("backspace", "backspace", "backspace", *"pay")  # a parent's name lists its children too
        await pilot.pause()
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        assert ids == ["pay", "piece-rates"]


async def test_picker_finds_a_code_by_its_label_in_another_language_or_a_keyword(tmp_path: Path) -> None:
    from textual.widgets import OptionList

    from qcode.tui.app import make_app
    from qcode.tui.screens.dialogs import CodePicker
    from qcode.usecases import importing
    from qcode.usecases.project import Project
    from tests.conftest import SMALL_TRANSCRIPT

    (tmp_path / "cb.yaml").write_text(
        "language: [en, fr]\ncodes:\n  - id: job-instability\n    label: {en: Job instability, fr: Instabilité de l'emploi}\n"
        "    keywords: {fr: [précaire]}\n  - id: pay\n    label: Pay\n", encoding="utf-8")
    (tmp_path / "interview-01.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    with Project.init(tmp_path, codebook=tmp_path / "cb.yaml", language="en") as p:
        importing.import_paths(p, [tmp_path / "interview-01.txt"])
    app = make_app(tmp_path, transcript="interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("]", "w", "c")
        await pilot.pause()
        assert isinstance(app.screen, CodePicker)
        ol = app.screen.query_one(OptionList)
        await pilot.press(*"instabilite")  # the French label "Instabilité de l'emploi", accents as you like
        await pilot.pause()
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        assert ids == ["job-instability", "new:instabilite"]
        assert "Instabilité de l'emploi" in str(ol.get_option_at_index(0).prompt)
        await pilot.press(*["backspace"] * len("instabilite"), *"instabilité de l'emploi")
        await pilot.pause()
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        assert ids == ["job-instability"]  # the whole label exists: no "new code"
        await pilot.press(*["backspace"] * len("instabilité de l'emploi"), *"precair")  # a French keyword
        await pilot.pause()
        ids = [ol.get_option_at_index(i).id for i in range(ol.option_count)]
        assert ids == ["job-instability", "new:precair"]


async def test_the_cursor_character_is_drawn_as_selected(make) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("w")  # "How": the cursor sits on its last letter, inside the selection
        await pilot.pause()
        view = screen.view
        assert view.selection == (0, 3) and view.cursor == 2
        row = next(y for y in range(view.size.height) if "How is" in view.render_line(y).text)
        segs = [s for s in view.render_line(row) if s.text and s.text in ("Ho", "w", "How")]
        styles = {s.text: s.style for s in segs}
        assert "w" in styles and "Ho" in styles
        assert styles["w"].bgcolor == styles["Ho"].bgcolor and not styles["w"].reverse
        assert styles["w"].bold and styles["w"].underline


async def test_import_screen_starts_in_the_path_box_and_escape_undoes_typing_first(make, project_dir: Path) -> None:
    from textual.widgets import Input

    from qcode.tui.screens.importer import ImportScreen
    from qcode.tui.screens.project import ProjectScreen

    (project_dir / "second.txt").write_text("Interviewer: Hello?\nBea: Hello, I label images.\n", encoding="utf-8")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        box = screen.query_one("#import-path", Input)
        assert box.has_focus and box.value == f"{project_dir}/"
        await pilot.press(*"sub/x")  # a "/" typed here is part of the path, not Search
        await pilot.pause()
        assert app.screen is screen and box.value == f"{project_dir}/sub/x"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and box.value == f"{project_dir}/"
        await pilot.press(*"second.txt", "enter")
        await pilot.pause()
        assert screen.chosen == project_dir / "second.txt"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)


async def test_help_lists_the_keys_of_the_current_screen(make) -> None:
    from qcode.tui.screens.help import HelpScreen, help_table

    def described(screen: object) -> list[str]:
        return [str(c) for c in help_table(screen).columns[1]._cells]

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        coding = app.screen
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.for_screen is coding
        keys = described(coding)
        assert "Recode" in keys and "Select turn" in keys and "Undo" in keys
        assert "Accept" not in keys and "Code all included" not in keys  # Suggestions' and Search's keys
        await pilot.press("escape", "f2")
        await pilot.pause()
        keys = described(app.screen)
        assert "Recode" not in keys and "Select turn" not in keys and "Undo" in keys


async def test_search_check_boxes_are_empty_when_off(make) -> None:
    from textual.widgets import Checkbox

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        box = app.screen.query_one("#case", Checkbox)
        assert not box.value and "▐ ▌" in box.render().plain
        box.value = True
        await pilot.pause()
        assert "▐X▌" in box.render().plain


async def test_palette_entries_of_number_keys_name_their_code(make) -> None:
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert commands["Apply code “Job instability” to the selection"] == "key: 1"
        assert commands["Apply code “Piece rates” to the selection"] == "key: 3"
        assert not any(t.startswith("Apply code ") and "“" not in t for t in commands)
        assert "Code" not in commands


async def test_saved_message_is_worded_as_done_and_cleared_after_another_screen(make) -> None:
    from qcode.tui.widgets.status import StatusLine

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        coding = app.screen

        def status() -> str:
            return coding.query_one("#status", StatusLine).render().plain

        await pilot.press("s", "1")
        await pilot.pause()
        assert status().startswith("✓ coded “Job instability”, saved · ")
        await pilot.press("u")
        await pilot.pause()
        assert status().startswith("✓ undone: coding 'Job instability' on ") and ", saved" in status()
        assert "saved undone" not in status()
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is coding and "✓" not in status()


async def test_memos_screen_lists_memos_on_codings_and_opens_them(make, project_dir: Path) -> None:
    from textual.widgets import DataTable

    from qcode.tui.screens.coding import CodingScreen
    from qcode.usecases import coding as coding_uc
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        c = coding_uc.apply_code(p, "interview-01", 0, 15, "pay", memo="asks about the present")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        rows = [" | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
        assert rows and rows[0].startswith("Coding Pay · interview-01 “How is t")
        assert rows[0].split(" | ")[1] == "asks about the present"  # the memo before who and when
        assert "asks about the present" in rows[0]
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert app.screen.view.selection == (c.start, c.end) or app.screen.view.flash == (c.start, c.end)


async def test_transcripts_list_says_blind_coding_and_does_not_repeat_the_title(demo_dir: Path) -> None:
    """With blind coding on, the "others" column reads 0%: the status bar says why. The title
    and the kind have their own columns, so the Attributes column does not show them again."""
    from textual.widgets import DataTable, Static

    from qcode.tui.app import make_app

    app = make_app(demo_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#project-status", Static)
        assert "blind" not in str(status.render())
        table = app.screen.query_one(DataTable)
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[0] == "Entretien 2 (Antananarivo)"
        assert cells[-1].startswith("date=2024-05-22, country=")  # not title= nor kind= first
        await pilot.press("b")
        await pilot.pause()
        assert str(status.render()).startswith("blind: only your codings (b to compare) · 5 of 5 transcripts")
        await pilot.press("b")
        await pilot.pause()
        assert "blind" not in str(status.render())


async def test_in_a_text_box_question_mark_is_typed_and_f1_opens_help(make) -> None:
    """? opens help except where it is typed (a path or search box); f1 opens it everywhere,
    and the footer shows the key that works where the focus is."""
    from textual.widgets import Input
    from textual.widgets._footer import FooterKey

    from qcode.tui.screens.help import HelpScreen, help_table
    from qcode.tui.screens.importer import ImportScreen

    def footer() -> dict[str, str]:
        return {k.description: k.key_display for k in app.screen.query(FooterKey)}

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert footer()["Help"] == "?"
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        box = screen.query_one("#import-path", Input)
        await pilot.pause()
        assert box.has_focus and footer()["Help"] == "f1"
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is screen and box.value.endswith("/?")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.for_screen is screen
        actions = [str(c) for c in help_table(screen).columns[1]._cells]
        assert "Help (f1 while typing in a box, where ? is typed)" in actions
        await pilot.press("f1")  # closes it again
        await pilot.pause()
        assert app.screen is screen and box.has_focus
        await pilot.press("tab")  # to the folder tree: nothing is typed there
        await pilot.pause()
        assert not box.has_focus and footer()["Help"] == "?"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
