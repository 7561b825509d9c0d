"""Pilot tests of blind coding and of the review queue, asserting what the store holds."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from qcode.tui.screens.coding import CodingScreen
from qcode.usecases import blind, coding, retrieval
from qcode.usecases.project import Project
from tests.tui.conftest import codings_in

SIZE = (120, 36)


def _two_coders(project_dir: Path) -> None:
    with Project.open(project_dir) as p:
        coding.apply_code(p, "interview-01", 41, 49, "instability", coder="tester")
        coding.apply_code(p, "interview-01", 41, 60, "instability", coder="bob")
        coding.apply_code(p, "interview-01", 150, 161, "piece-rates", coder="bob")


def _status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def test_blind_coding_hides_other_coders_until_compare(make, project_dir: Path) -> None:
    _two_coders(project_dir)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        assert {c.coder for c in screen.view.codings} == {"tester", "bob"}
        await pilot.press("b")
        await pilot.pause()
        assert [c.coder for c in screen.view.codings] == ["tester"]
        assert "blind" in _status(app)
        assert screen.code_tree._counts == {"instability": 1}  # the tree's counts: mine only
        assert blind.visible_counts(app.project) == {"instability": 1}
        assert [q.coder for q in retrieval.quotes(app.project, "instability")] == ["tester"]
        app.open_retrieval("instability")
        await pilot.pause()
        assert [q.coder for q in app.screen.quotes] == ["tester"]
        await pilot.press("escape")
        await pilot.pause()
    # Persisted per coder: a new session starts blind; another coder is not.
    with Project.open(project_dir) as p:
        assert blind.is_blind(p, "tester") and not blind.is_blind(p, "bob")
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [c.coder for c in app.screen.view.codings] == ["tester"]
        await pilot.press("b")  # compare
        await pilot.pause()
        assert {c.coder for c in app.screen.view.codings} == {"tester", "bob"}
        assert "blind" not in _status(app)
    with Project.open(project_dir) as p:
        assert not blind.is_blind(p, "tester")
    assert len(codings_in(project_dir)) == 3  # nothing changed in the codings


async def test_review_queue_keeps_both_then_undo_then_one(make, project_dir: Path) -> None:
    from qcode.tui.screens.review import ReviewScreen

    _two_coders(project_dir)
    originals = sorted((c.coder, c.start, c.end, c.code_id) for c in codings_in(project_dir))
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        # instability: both coded it, with different spans; piece-rates: bob only (tester coded the transcript).
        assert [(i.disagreement.code_id, i.disagreement.coded_by) for i in app.screen.items] == [
            ("instability", ("bob", "tester")), ("piece-rates", ("bob",)),
        ]
        detail = str(app.screen.query_one("#rev-detail").render())
        assert "tester" in detail and "bob" in detail
        table = app.screen.query_one(DataTable)
        with Project.open(project_dir) as p:
            first = app.screen.items[0].disagreement
            t = p.transcript(first.transcript_id)
            turn = t.turn_at(first.start)
        assert turn is not None
        assert str(table.get_row_at(0)[2]).startswith(f"turn {turn + 1}")  # where to find it, not offsets
        await pilot.press("a")  # keep both versions
        await pilot.pause()
        consensus = sorted((c.start, c.end) for c in codings_in(project_dir) if c.coder == "consensus")
        assert consensus == [(41, 49), (41, 60)]
        with Project.open(project_dir) as p:
            [rec] = p.store.team.reviews()
            assert (rec["decision"], rec["consensus"], rec["reviewer"]) == ("both", "consensus", "tester")
        assert sorted((c.coder, c.start, c.end, c.code_id) for c in codings_in(project_dir) if c.coder != "consensus") == originals
        await pilot.press("u")  # undo the decision
        await pilot.pause()
        assert [c for c in codings_in(project_dir) if c.coder == "consensus"] == []
        with Project.open(project_dir) as p:
            assert p.store.team.reviews() == []
        await pilot.press("k")  # keep one version: tester's (the second choice, after bob)
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [(c.start, c.end) for c in codings_in(project_dir) if c.coder == "consensus"] == [(41, 49)]
        assert app.screen.current().disagreement.code_id == "piece-rates"  # on to the next open item
        await pilot.press("up", "m")  # back to the decided one, write a memo on the decision
        await pilot.pause()
        await pilot.press(*"the short span fits the definition", "ctrl+s")
        await pilot.pause()
        with Project.open(project_dir) as p:
            [rec] = p.store.team.reviews()
            assert (rec["decision"], rec["memo"]) == ("keep", "the short span fits the definition")
            [c] = p.store.codings.list(coders=["consensus"])
            assert c.memo == "the short span fits the definition"
