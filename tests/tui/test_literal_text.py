"""Transcript text that looks like markup or holds terminal escapes is shown literally."""

from __future__ import annotations

from pathlib import Path

from qcode.core.transcript import Transcript, build_text
from qcode.tui.safe import label, visible

NASTY = "Look [bold]x[/bold] and \x1b[2J then \x1b]52;c;ZWNobyBoaQ==\x07 and \u202eevil \x9b end"


def _add_nasty(project_dir: Path) -> None:
    from qcode.usecases.project import Project

    text, turns = build_text([("[red]Spk[/red]", NASTY, 1.0, 2.0)])
    with Project.open(project_dir) as p:
        p.store.transcripts.add(Transcript(name="nasty", title="[link=https://evil.example]t[/link]", text=text, turns=turns))


def test_visible_keeps_offsets_and_hides_controls() -> None:
    out = visible(NASTY)
    assert len(out) == len(NASTY)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert "␛[2J" in out and "[bold]x[/bold]" in out


def test_label_names_what_is_there() -> None:
    assert label("a\x1bb\u202ec\x9b") == "a\\x1bb<U+202E>c\\x9b"


async def test_transcript_view_renders_markup_and_escapes_literally(make, project_dir: Path) -> None:
    _add_nasty(project_dir)
    app = make("nasty")
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        view = app.screen.view
        lines = [view.render_line(y).text for y in range(6)]
        shown = "\n".join(lines)
        assert "[red]Spk[/red]" in shown  # speaker name literally
        assert "[bold]x[/bold]" in shown
        assert "␛[2J" in shown and "␛]52;c;ZWNobyBoaQ==␇" in shown
        assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown
        # The whole screen as the terminal would receive it: no raw ESC from the data.
        export = app.export_screenshot()
        assert "[bold]x[/bold]" in export.replace("&#160;", " ")


async def test_recode_dialog_shows_the_quote_literally(make, project_dir: Path) -> None:
    from textual.widgets import Label

    from qcode.tui.screens.dialogs import CodePicker

    _add_nasty(project_dir)
    app = make("nasty")
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        await pilot.press("t", "1", "r")  # code the turn, then recode it
        await pilot.pause()
        assert isinstance(app.screen, CodePicker)
        title = str(app.screen.query_one("#dialog-title", Label).render())
        assert "[bold]x[/bold]" in title
        assert "\x1b" not in title
