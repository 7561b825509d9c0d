"""Pilot tests of the Reports screen: the file it writes is a real report with the chosen options."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import until

SIZE = (100, 40)


@pytest.fixture
def coded_dir(project_dir: Path) -> Path:
    """The test project with three codings and a participant attribute (country) to group by."""
    from qcode.core.transcript import Participant
    from qcode.usecases import coding as uc
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        t = p.transcript("interview-01")
        for phrase, code in (("Unstable.", "instability"), ("Piece rates, very low.", "piece-rates"),
                             ("You are paid per task", "pay")):
            i = t.text.index(phrase)
            uc.apply_code(p, t.id, i, i + len(phrase), code)
        p.store.participants.link_speaker(t.id, "Amina", "Amina")
        p.store.participants.upsert(Participant("Amina", {"country": "Kenya"}))
    return project_dir


def _log(app) -> str:
    return str(app.screen.query_one("#report-log").render())


async def _open_reports(pilot):
    from qcode.tui.screens.reports import ReportsScreen

    await pilot.pause()
    await pilot.press("f7")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ReportsScreen)
    assert pilot.app.focused is pilot.app.screen.query_one("#rep-format")  # typing starts in the form
    return pilot.app.screen


async def test_markdown_report_with_codes_and_grouping(make, coded_dir: Path) -> None:
    from textual.widgets import Select

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_reports(pilot)
        fmt = screen.query_one("#rep-format", Select)
        fmt.focus()
        await pilot.press("enter", "down", "enter")  # docx -> md in the drop-down
        await pilot.pause()
        assert fmt.value == "md"
        screen.query_one("#rep-codes").focus()
        await pilot.press(*"pay")  # Pay and its sub-code Piece rates, not Job instability
        screen.query_one("#rep-by").focus()
        await pilot.press(*"country", "ctrl+g")
        out = coded_dir / "reports" / "report.md"
        await until(pilot, lambda: "Report written" in _log(app))
        assert str(out) in _log(app)
    text = out.read_text(encoding="utf-8")
    assert "Piece rates, very low." in text
    assert "You are paid per task" in text
    assert "Unstable." not in text  # filtered out by the code choice
    assert "Kenya" in text  # the grouping by country


async def test_word_report_is_a_valid_docx(make, coded_dir: Path) -> None:
    import docx

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_reports(pilot)
        out = coded_dir / "mine.docx"
        field = screen.query_one("#rep-output")
        field.value = ""
        field.focus()
        await pilot.press(*"mine")  # relative to the project; the extension is added
        await pilot.press("ctrl+g")
        await until(pilot, lambda: "Report written" in _log(app))
    doc = docx.Document(str(out))
    body = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    for quote in ("Unstable.", "Piece rates, very low.", "You are paid per task"):
        assert quote in body


async def test_bad_code_shows_an_error_and_writes_nothing(make, coded_dir: Path) -> None:
    from textual.widgets import Button

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_reports(pilot)
        screen.query_one("#rep-codes").focus()
        await pilot.press(*"payy", "ctrl+g")
        await until(pilot, lambda: not screen.query_one("#rep-go", Button).disabled)
        assert "payy" in _log(app)
        assert any("payy" in str(n.message) for n in app._notifications)
    assert not list(coded_dir.glob("reports/report*")) and not list(coded_dir.glob("report*.docx"))


async def test_code_field_completes_ids_and_accepts_labels(make, coded_dir: Path) -> None:
    from qcode.tui.screens.reports import resolve_codes

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_reports(pilot)
        field = screen.query_one("#rep-codes")
        field.focus()
        await pilot.press(*"instability, piec")
        await pilot.pause()
        await pilot.press("right")  # accept the completion of the last item
        assert field.value == "instability, piece-rates"
        # The whole form and the Generate button fit in 80x24.
        assert screen.query_one("#rep-go").region.bottom <= screen.query_one("#report-log").region.y
        cb = app.project.codebook
    assert resolve_codes(cb, ["Piece rates", "PAY", "instability", "nope"], "en") == ["piece-rates", "pay", "instability", "nope"]
    assert resolve_codes(cb, None, "en") is None


async def test_french_report_with_whole_turns_shortened(make, coded_dir: Path) -> None:
    from textual.widgets import Select

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_reports(pilot)
        screen.query_one("#rep-format", Select).value = "md"
        screen.query_one("#rep-lang", Select).value = "fr"
        screen.query_one("#rep-quotes", Select).value = "turn"
        screen.query_one("#rep-max-words").focus()
        await pilot.press(*"x6", "ctrl+g")  # letters are refused: 6 words
        await until(pilot, lambda: "Report written" in _log(app))
    text = (coded_dir / "reports" / "report.md").read_text(encoding="utf-8")
    assert "## 2 Résultats par thème" in text
    assert "> **Unstable.** Some weeks there is nothing \\[…\\]" in text
