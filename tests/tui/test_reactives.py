"""Pilot tests of the state that drives the display: setting it repaints, with no refresh call."""

from __future__ import annotations

from qcode.tui.widgets import layout as L

SIZE = (100, 32)


async def test_setting_the_views_highlights_repaints_it(make) -> None:
    app = make(transcript="interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.view
        painted: list[bool] = []
        original = view.refresh

        def spy(*args, **kwargs):
            painted.append(kwargs.get("repaint", True))
            return original(*args, **kwargs)

        view.refresh = spy  # type: ignore[method-assign]
        for name, value in (("evidence", [(3, 9)]), ("flash", (0, 5)), ("mark", 2), ("cursor", 7), ("extend_mode", True)):
            painted.clear()
            setattr(view, name, value)
            assert painted, f"setting {name} did not repaint the view"
        painted.clear()
        view.flash = (0, 5)  # unchanged: nothing to repaint
        assert not painted
        await pilot.pause()
        # the evidence span is drawn in its style on the first text row
        lay = view._layout
        row = next(r for r in range(len(lay)) if lay.kinds[r] == L.TEXT and lay.starts[r] <= 3 < lay.ends[r])
        ev = view.get_component_rich_style("transcript--evidence")
        strip = view.render_line(row - view.scroll_offset.y)
        assert any(seg.style and ev.bgcolor and seg.style.bgcolor == ev.bgcolor for seg in strip)


async def test_the_status_line_follows_what_was_saved(make) -> None:
    app = make(transcript="interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        status = screen.query_one("#status")
        screen.last_saved = "coded “Pay”, saved"
        await pilot.pause()
        assert "✓ coded “Pay”, saved" in status.render().plain
        screen.last_saved = ""
        await pilot.pause()
        assert "✓" not in status.render().plain


def _status_of(screen) -> str:
    return screen.query_one("#status").render().plain


async def test_setting_the_transcript_shows_it(make, project_dir) -> None:
    from qcode.usecases import coding, importing
    from qcode.usecases.project import Project

    (project_dir / "interview-02.txt").write_text(
        "Interviewer: Where do you work?\nBo: At home, on the kitchen table.\n", encoding="utf-8"
    )
    with Project.open(project_dir) as p:
        assert not importing.import_paths(p, [project_dir / "interview-02.txt"]).failed
        second = p.find_transcript("interview-02")
        start = p.transcript(second).text.index("At home")
        coding.apply_code(p, second, start, start + 7, "invisible-work")
    app = make(transcript="interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.sub_title == "interview-01" and not screen.view.codings
        screen.tid = second
        await pilot.pause()
        assert screen.sub_title == "interview-02"
        assert screen.view.transcript.id == second
        assert [(c.start, c.end, c.code_id) for c in screen.view.codings] == [(start, start + 7, "invisible-work")]
        assert "turn 1/2" in _status_of(screen)


async def test_the_blind_coding_flag_drives_the_status_line(make) -> None:
    app = make(transcript="interview-01")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert not screen.blind_coding and "blind" not in _status_of(screen)
        screen.blind_coding = True
        await pilot.pause()
        assert _status_of(screen).startswith("blind: only your codings")
        screen.blind_coding = False
        await pilot.pause()
        assert "blind" not in _status_of(screen)


async def test_setting_the_sort_key_sorts_the_transcripts(make, project_dir) -> None:
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    (project_dir / "a-short.txt").write_text("Interviewer: Hello?\nBo: Hi.\n", encoding="utf-8")
    with Project.open(project_dir) as p:
        assert not importing.import_paths(p, [project_dir / "a-short.txt"]).failed
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#transcripts")

        def names() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        assert names() == ["a-short", "interview-01"]
        assert "sorted by title" in screen.query_one("#project-status").render().plain
        screen.sort_key = "words"
        await pilot.pause()
        assert names() == ["interview-01", "a-short"]
        assert "sorted by words" in screen.query_one("#project-status").render().plain


async def test_the_transcript_list_is_sorted_by_the_titles_it_shows(make, project_dir) -> None:
    from qcode.core.transcript import Transcript, build_text
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        text, turns = build_text([("I", "Hello?", None, None), ("Bo", "Hi.", None, None)])
        p.store.transcripts.add(Transcript(name="z-last", title="Aardvark farm interview", text=text, turns=turns))
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#transcripts")
        shown = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert shown[0] == "Aardvark farm interview"  # its name, z-last, would sort it last
        assert shown == sorted(shown, key=str.casefold)


async def test_setting_the_code_reloads_retrieval_and_review(make, project_dir) -> None:
    from qcode.tui.screens.retrieval import RetrievalScreen
    from qcode.tui.screens.review import ReviewScreen
    from qcode.usecases import coding
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        coding.apply_code(p, "interview-01", 41, 50, "instability", coder="tester")
        coding.apply_code(p, "interview-01", 150, 161, "piece-rates", coder="tester")
        coding.apply_code(p, "interview-01", 150, 161, "piece-rates", coder="bob")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_retrieval("instability")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RetrievalScreen)
        assert [q.start for q in screen.quotes] == [41]
        screen.code_id = "piece-rates"
        await pilot.pause()
        assert [q.start for q in screen.quotes] == [150]
        assert screen.sub_title == "Quotes of “Piece rates”"
        screen.with_code = "instability"  # the two codes never overlap
        await pilot.pause()
        assert screen.quotes == [] and "with “Job instability”" in screen.sub_title
        app.open_review()
        await pilot.pause()
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert {it.disagreement.code_id for it in review.items} == {"instability"}  # bob did not code it
        review.code_id = "piece-rates"
        await pilot.pause()
        assert review.items == [] and review.sub_title == "Review disagreements: Piece rates"


async def test_setting_the_index_shows_that_suggestion(demo_dir) -> None:
    from qcode.tui.app import make_app
    from qcode.tui.screens.suggestions import SuggestionsScreen
    from tests.tui.test_suggestion_review import add_pending

    (first, _, _), (second, second_end, spans) = add_pending(demo_dir, [
        ("pay-piece-rates", "Per task, always.", 0.98, ["Per task"]),
        ("outsourcing-chains", "Regulation.", 0.61, ["outsourcing"]),
    ])
    app = make_app(demo_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_suggestions()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SuggestionsScreen)
        info = screen.query_one("#sugg-info")
        assert screen.view.flash[0] == first and "1/2" in info.render().plain
        screen.index = 1
        await pilot.pause()
        assert screen.view.flash == (second, second_end) and screen.view.evidence == spans
        assert "2/2" in info.render().plain and "score 0.61" in info.render().plain


async def test_the_kind_column_reads_as_words_and_the_filter_finds_them(make, project_dir) -> None:
    from qcode.core.transcript import Transcript, build_text
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        text, turns = build_text([("Moderator", "Hello all?", None, None), ("Bo", "Hi.", None, None)])
        p.store.transcripts.add(Transcript(name="fg-1", title="Group one", text=text, turns=turns, kind="focus_group"))
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#transcripts")
        rows = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}
        assert "focus group" in rows["Group one"] and "focus_group" not in rows["Group one"]
        await pilot.press("f", *"focus group")
        await pilot.pause()
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["Group one"]


async def test_the_filter_finds_a_transcript_by_its_participants_attributes_and_counts_the_words_shown(
        make, project_dir) -> None:
    from qcode.core.transcript import Participant, Transcript, build_text
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        text, turns = build_text([("Moderator", "Hello all?", None, None), ("Wanjiru", "Hi there.", None, None)])
        tid = p.store.transcripts.add(Transcript(name="fg-2", title="Group two", text=text, turns=turns))
        p.store.participants.upsert(Participant("Wanjiru", {"country": "Kenya"}))
        p.store.participants.link_speaker(tid, "Wanjiru", "Wanjiru")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#transcripts")
        await pilot.press("f", *"kenya")
        await pilot.pause()
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["Group two"]
        status = screen.query_one("#project-status").render().plain
        shown = next(r for r in screen._rows if r["name"] == "fg-2")["words"]
        assert f"1 of 2 transcripts · {shown:,} words" in status, status
