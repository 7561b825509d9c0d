"""Screens name a transcript by its title, as researchers call it, not by its file-like name
(which stays beside the title where there is room). The demo's transcripts have titles."""

from __future__ import annotations

from pathlib import Path

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from qcode.tui.app import make_app
from qcode.tui.screens.dialogs import ChoiceDialog
from qcode.usecases.project import Project, transcript_summaries

SIZE = (120, 32)


def titles(root: Path) -> dict[str, str]:
    """Name -> title of every transcript of the demo (they all differ)."""
    with Project.open(root) as p:
        found = {s["name"]: s["title"] for s in transcript_summaries(p)}
    assert all(name != title for name, title in found.items())
    return found


def column(table: DataTable, col: int) -> list[str]:
    return [str(table.get_cell_at(Coordinate(row, col))) for row in range(table.row_count)]


async def test_search_hits_show_the_transcript_title(demo_dir: Path) -> None:
    shown = titles(demo_dir)
    app = make_app(demo_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"platform", "enter")
        await pilot.pause()
        hits = app.screen.hits
        assert len({h.transcript for h in hits}) > 1
        assert column(app.screen.query_one(DataTable), 1) == [shown[h.transcript] for h in hits]


async def test_quotes_show_the_title_and_the_detail_the_name_too(demo_dir: Path) -> None:
    shown = titles(demo_dir)
    app = make_app(demo_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press(*"job instab", "enter")
        await pilot.pause()
        quotes = app.screen.quotes
        assert len({q.transcript for q in quotes}) > 1
        assert column(app.screen.query_one(DataTable), 0) == [shown[q.transcript] for q in quotes]
        first = quotes[0].transcript
        assert str(app.screen.query_one("#ret-detail", Static).render()).startswith(f"{shown[first]} ({first}) · ")


async def test_a_suggestion_says_the_title_of_its_transcript(demo_dir: Path) -> None:
    # Imported here: that module skips itself without the suggester, and so only this test.
    from tests.tui.test_suggestion_review import add_pending

    shown = titles(demo_dir)
    add_pending(demo_dir, [("pay-piece-rates", "Per task, always.", 0.98, ["Per task"])])
    app = make_app(demo_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        info = str(app.screen.query_one("#sugg-info", Static).render())
        assert f"in {shown['focus-group-annotators']} (focus-group-annotators)" in info


async def test_disagreements_and_memos_name_transcripts_by_title(demo_dir: Path) -> None:
    shown = titles(demo_dir)
    app = make_app(demo_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        listed = column(app.screen.query_one(DataTable), 0)
        assert listed and set(listed) <= set(shown.values())
        await pilot.press("f6")
        await pilot.pause()
        about = column(app.screen.query_one(DataTable), 0)
        assert any(title[:10] in a for a in about for title in shown.values())
        assert not any(name in a for a in about for name in shown)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        assert sorted(t.plain for t in app.screen.items) == sorted(f"{t} ({n})" for n, t in shown.items())


async def test_the_memo_list_shows_what_a_memo_is_about_in_the_room_the_terminal_gives(demo_dir: Path) -> None:
    from qcode.usecases.memos import target_label, write_memo

    with Project.open(demo_dir) as p:
        code = max(p.codebook.codes, key=lambda c: len(c.display(p.settings.language)))
        full = target_label(p, write_memo(p, "code", code.id, "Ask the team about this one."))
    assert 36 < len(full) <= 72  # (the demo's longest code: cut at 80 columns, whole at 160)
    for size, whole in (((80, 30), False), ((160, 30), True)):
        app = make_app(demo_dir)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await pilot.press("f6")
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            [row] = [k for k, a in enumerate(column(table, 0)) if a.startswith(full[:20])]
            shown = column(table, 0)[row]
            assert (shown == full) is whole and shown.endswith("…") is not whole
            assert column(table, 1)[row].startswith("Ask the team")
