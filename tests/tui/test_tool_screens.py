"""Pilot tests of the other flows: search and code all, retrieval, suggestions, memos, import."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.tui.screens.coding import CodingScreen
from tests.helpers import raw_connection
from tests.tui.conftest import codings_in

SIZE = (110, 32)


async def test_search_and_code_all(make, project_dir: Path) -> None:
    from qcode.tui.screens.search import SearchScreen

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"the", "enter")
        await pilot.pause()
        hits = app.screen.hits
        assert len(hits) >= 3
        await pilot.press("space")  # exclude the first hit after review
        await pilot.press("C")
        await pilot.pause()
        await pilot.press(*"unrecognised", "enter")  # code picker
        await pilot.pause()
        await pilot.press("down", "enter")  # code only the matched words
        await pilot.pause()
        await pilot.press("y")  # confirm
        await pilot.pause()
        stored = codings_in(project_dir)
        assert len(stored) == len(hits) - 1
        assert {c.code_id for c in stored} == {"invisible-work"}
        assert {(c.start, c.end) for c in stored} == {(h.start, h.end) for h in hits[1:]}
        await pilot.press("u")  # one undo step removes them all
        await pilot.pause()
        assert codings_in(project_dir) == []


async def test_search_and_code_the_sentences(make, project_dir: Path) -> None:
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"per task", "enter")
        await pilot.pause()
        assert len(app.screen.hits) == 1
        await pilot.press("C", *"pay", "enter")
        await pilot.pause()
        await pilot.press("enter")  # the default: the sentence around each result
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert [(c.code_id, c.quote) for c in codings_in(project_dir)] == [
        ("pay", "You are paid per task, not for the time you spend.")
    ]


async def test_search_hit_jumps_into_transcript(make, project_dir: Path) -> None:
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"piece rates", "enter")
        await pilot.pause()
        h = app.screen.hits[0]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert app.screen.view.flash == (h.start, h.end)
        assert app.screen.view.cursor == h.start


async def test_retrieval_of_a_code_and_jump(make, project_dir: Path) -> None:
    from qcode.tui.screens.retrieval import RetrievalScreen

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("]", "s", "1")  # "Unstable." -> instability
        await pilot.pause()
        coded = codings_in(project_dir)[0]
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, RetrievalScreen)
        assert app.screen.code_id == "instability"
        assert [(q.start, q.end, q.speaker) for q in app.screen.quotes] == [(coded.start, coded.end, "Amina")]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.view.flash == (coded.start, coded.end)


async def _wait_for(pilot, condition, timeout: float = 10.0):
    """Wait until *condition()* holds (thread workers finish on their own time)."""
    import asyncio

    for _ in range(int(timeout / 0.05)):
        if condition():
            return str(pilot.app.screen.query_one("#import-preview").render()) if hasattr(pilot.app.screen, "chosen") else True
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError("condition not met in time")


def _insert_suggestions(project_dir: Path, *, third: bool = False) -> list[int]:
    """Pending suggestions written straight into the store (no spaCy): scores 0.9, 0.7 (and 0.55)."""
    import sqlalchemy as sa

    from qcode.storage import schema
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        t = p.transcript("interview-01")
        i = t.text.index("Piece rates, very low.")
        j = t.text.index("Unstable.")
        rows = [
            dict(transcript_id=t.id, code_id="piece-rates", start=i, end=i + len("Piece rates, very low."), quote="Piece rates, very low.",
                 score=0.9, evidence={"summary": "keyword 'piece rate'", "spans": [[i, i + 11]], "signals": []}),
            dict(transcript_id=t.id, code_id="instability", start=j, end=j + len("Unstable."), quote="Unstable.",
                 score=0.7, evidence={"summary": "keyword 'unstable'", "spans": [[j, j + 8]], "signals": []}),
        ]
        if third:
            q = "Some weeks there is nothing at all"
            k = t.text.index(q)
            rows.append(dict(transcript_id=t.id, code_id="invisible-work", start=k, end=k + len(q), quote=q,
                             score=0.55, evidence={"summary": "similar to a coded passage", "spans": [], "signals": []}))
        ids = []
        with raw_connection(p.store) as conn:  # fixed creation times
            for r in rows:
                ids.append(conn.execute(sa.insert(schema.suggestions).values(
                    suggester="test.v1", status="pending", created="2024-01-01T00:00:00+00:00", **r)).inserted_primary_key[0])
    return ids


async def test_accept_and_reject_suggestions(make, project_dir: Path) -> None:
    pytest.importorskip("qcode.usecases.suggesting")
    from qcode.tui.screens.suggestions import SuggestionsScreen

    _insert_suggestions(project_dir)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SuggestionsScreen)
        assert [s.code_id for s in screen.items] == ["piece-rates", "instability"]
        assert screen.view.selection == (screen.items[0].start, screen.items[0].end)
        await pilot.press("a")  # accept the first one as it is
        await pilot.pause()
        await pilot.press("x")  # reject the second
        await pilot.pause()
        assert screen.items == []
    stored = codings_in(project_dir)
    assert [(c.code_id, c.quote, c.origin) for c in stored] == [("piece-rates", "Piece rates, very low.", "suggestion")]
    from qcode.usecases import suggesting
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        assert suggesting.pending(p) == []


async def test_accept_all_at_or_above_a_score(make, project_dir: Path) -> None:
    pytest.importorskip("qcode.usecases.suggesting")
    from textual.widgets import Input, Static

    from qcode.tui.screens.dialogs import ConfirmDialog, TextDialog
    from qcode.usecases import suggesting
    from qcode.usecases.project import Project

    ids = _insert_suggestions(project_dir, third=True)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert len(screen.items) == 3
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one(Input).value = ""
        await pilot.press(*"0,7", "enter")  # a decimal comma is accepted; 0.7 itself is included
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Accept 2 suggestions" in str(app.screen.query_one("#dialog-title", Static).render())
        assert codings_in(project_dir) == []  # nothing happens before the confirmation
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen
        assert [s.id for s in screen.items] == [ids[2]]
        stored = codings_in(project_dir)
        assert sorted((c.code_id, c.quote, c.origin) for c in stored) == [
            ("instability", "Unstable.", "suggestion"),
            ("piece-rates", "Piece rates, very low.", "suggestion"),
        ]
        with Project.open(project_dir) as p:
            assert [s.id for s in suggesting.pending(p)] == [ids[2]]
        await pilot.press("u")  # one undo removes both codings
        await pilot.pause()
        assert codings_in(project_dir) == []


async def test_accept_all_cancelled_changes_nothing(make, project_dir: Path) -> None:
    pytest.importorskip("qcode.usecases.suggesting")
    _insert_suggestions(project_dir, third=True)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("enter")  # the default threshold, 0.8: one suggestion
        await pilot.pause()
        await pilot.press("escape")  # cancel the confirmation
        await pilot.pause()
        assert len(app.screen.items) == 3
    assert codings_in(project_dir) == []


async def test_adjust_span_before_accepting(make, project_dir: Path) -> None:
    pytest.importorskip("qcode.usecases.suggesting")
    _insert_suggestions(project_dir)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        s = app.screen.items[0]
        status = app.screen.query_one("#sugg-status")
        assert "adjusted" not in str(status.render())
        await pilot.press("shift+left")  # shrink by one word: "Piece rates, very"
        await pilot.pause()
        end = s.start + len("Piece rates, very")
        assert f"· a accept · x reject · n skip · adjusted to 3 words ({s.start}-{end})" in str(status.render())
        await pilot.press("a")
        await pilot.pause()
    [c] = codings_in(project_dir)
    assert (c.start, c.quote) == (s.start, "Piece rates, very")


async def test_project_memo(make, project_dir: Path) -> None:
    from qcode.usecases import memos
    from qcode.usecases.project import Project

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("M")  # project memo from the project screen
        await pilot.pause()
        await pilot.press(*"first impressions", "ctrl+s")
        await pilot.pause()
    with Project.open(project_dir) as p:
        m = memos.my_memo(p, "project")
        assert m is not None and m.text == "first impressions"


async def test_transcript_memo_saved_when_leaving(make, project_dir: Path) -> None:
    from qcode.usecases import memos
    from qcode.usecases.project import Project

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("T")
        await pilot.pause()
        await pilot.press(*"long pauses", "escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
    with Project.open(project_dir) as p:
        m = memos.my_memo(p, "transcript", "interview-01")
        assert m is not None and m.text == "long pauses"


async def test_import_with_preview(make, project_dir: Path) -> None:
    from qcode.tui.screens.importer import ImportScreen

    f = project_dir / "second.txt"
    f.write_text("Interviewer: Hello?\nBea: Hello, I label images.\n", encoding="utf-8")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen._choose(f)
        preview = await _wait_for(pilot, lambda: "Bea" in str(screen.query_one("#import-preview").render()))
        assert "Bea" in preview and "Interviewer" in preview
        assert codings_in(project_dir) == []
        await pilot.press("ctrl+g")
        await _wait_for(pilot, lambda: app.screen is not screen)
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        names = [s.name for s in p.store.transcripts.summaries()]
        assert "second" in names


async def test_help_lists_keys(make, project_dir: Path) -> None:
    from qcode.tui.screens.help import HelpScreen, help_table

    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
    descriptions = [str(c) for c in help_table().columns[1]._cells]
    for needed in ("Undo", "Recode", "Select turn", "Accept", "Code all included"):
        assert needed in descriptions
    [number_keys] = [d for d in descriptions if d.startswith("Apply the code with that number")]
    assert "c or space" in number_keys  # how to reach codes beyond the ninth
    assert [d for d in descriptions if d.startswith("Help")] == ["Help (f1 while typing in a box, where ? is typed)"]


def test_scores_are_rounded_as_the_cli_prints_them() -> None:
    from qcode.tui.screens.suggestions import score_text, shown_score

    assert score_text(0.938986) == "0.94" == f"{0.938986:.2f}"  # the CLI's format
    assert score_text(0.7996) == "0.80"
    assert shown_score(0.7996) >= 0.8  # accept-all at 0.8 takes what shows 0.80
    assert shown_score(0.7949) < 0.8
    assert score_text(0.8) == "0.80"
    assert score_text(1.0) == "1.00"
    assert score_text(0.0) == "0.00"


async def test_escape_leaves_the_suggestions_screen(make, project_dir: Path) -> None:
    pytest.importorskip("qcode.usecases.suggesting")
    _insert_suggestions(project_dir)
    app = make("interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        coding = app.screen
        await pilot.press("g")
        await pilot.pause()
        assert app.screen is not coding
        await pilot.press("escape")  # one press, although a suggestion is selected
        await pilot.pause()
        assert app.screen is coding
        assert codings_in(project_dir) == []


async def test_memos_screen_says_how_to_start(make, project_dir: Path) -> None:
    from textual.widgets import Label

    from qcode.tui.screens.memos import CHOOSE_HINT
    from qcode.usecases import memos
    from qcode.usecases.project import Project

    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        hint = app.screen.query_one("#memo-target", Label)
        assert str(hint.render()) == CHOOSE_HINT
        # wrapped to the screen's width, not cut after its first line
        assert hint.size.height >= 2 and hint.size.width <= SIZE[0]
        assert hint.size.width * hint.size.height >= len(CHOOSE_HINT)
        await pilot.press("ctrl+k")  # a code memo, through the code picker
        await pilot.pause()
        await pilot.press(*"piece", "enter")
        await pilot.pause()
        await pilot.press(*"per-task pay", "ctrl+s")
        await pilot.pause()
    with Project.open(project_dir) as p:
        m = memos.my_memo(p, "code", "piece-rates")
        assert m is not None and m.text == "per-task pay"


async def test_leaving_the_import_screen_cancels_the_import_between_files(make, project_dir: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Escape during a folder import cancels the worker: the file being imported is finished
    (whole, in its own transaction), the rest are not started, and nothing says "Imported"."""
    import threading

    from qcode.tui.screens.importer import ImportScreen
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    folder = project_dir / "batch"
    folder.mkdir()
    for n in range(4):
        (folder / f"b{n}.txt").write_text(f"Interviewer: Hello {n}?\nBea: Hello, I label images.\n", encoding="utf-8")
    first_done, go_on, ended = threading.Event(), threading.Event(), threading.Event()
    real, real_paths = importing.import_file, importing.import_paths

    def slow_first(project, path, options=None):
        result = real(project, path, options)
        first_done.set()
        go_on.wait(10)
        return result

    def import_paths(*args, **kwargs):
        try:
            return real_paths(*args, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(importing, "import_file", slow_first)
    monkeypatch.setattr(importing, "import_paths", import_paths)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.chosen = folder
        await pilot.press("ctrl+g")
        await _wait_for(pilot, first_done.is_set)
        [worker] = [w for w in screen.workers if w.group == "import"]
        screen.dismiss(None)  # what Esc does outside the path box
        await pilot.pause()
        assert app.screen is not screen and worker.is_cancelled
        go_on.set()
        await _wait_for(pilot, ended.is_set)
        await pilot.pause()
        assert not any("Imported" in n.message for n in app._notifications)
    with Project.open(project_dir) as p:
        names = sorted(s.name for s in p.store.transcripts.summaries())
        assert names == ["b0", "interview-01"]
        assert len(p.transcript("b0").turns) == 2  # whole: both turns


def test_import_preview_counts_one_turn_in_the_singular(tmp_path: Path) -> None:
    from qcode.tui.screens.importer import preview_text
    from qcode.usecases import importing

    pv = importing.Preview(tmp_path / "a.txt", "a", "txt", "interview", "utf-8", False, 1, 2,
                           [importing.SpeakerPreview("Ana", 1, "Hello")], 1, [])
    text = str(preview_text(tmp_path / "a.txt", pv))
    assert "1 word · 2 turns" in text
    assert "Ana  1 turn  Hello" in text
    assert "1 turn without a speaker" in text


def test_help_names_a_screen_with_a_long_title_in_full() -> None:
    """'This screen: Review disagreements' is longer than the key column: it is split over both
    columns instead of being cut to 'This screen: Review d…'."""
    from qcode.tui.screens.help import KEY_WIDTH, help_table, screen_sections
    from qcode.tui.screens.review import ReviewScreen

    class Shown:
        BINDINGS = ReviewScreen.BINDINGS
        sub_title = ""

    [(title, _), *_] = screen_sections(Shown())
    assert len(title) > KEY_WIDTH
    table = help_table(Shown())
    keys, actions = ([str(c) for c in col._cells] for col in table.columns)
    assert (keys[0], actions[0]) == ("This screen", title.split(": ", 1)[1])
    assert "Everywhere" in keys  # short titles stay in the key column
