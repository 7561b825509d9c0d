"""Reviewing suggestions on the demo project: evidence words stand out inside the
suggested passage (dark and light theme), scores rounded as the CLI prints them,
and the turn's header kept in view at 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import raw_connection

pytest.importorskip("qcode.usecases.suggesting")

LONG_WHY = (
    'keyword "outsourcing"; keyword "country" (found "countries"); label word "chain" '
    '| pattern outsourcing-chains#1 matched "outsourcing" | similar to the code\'s description '
    '(cosine 0.17), sharing "chain", "tech", "company", "country"'
)


def add_pending(root: Path, rows: list[tuple[str, str, float, list[str]]]) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Pending suggestions (code, the turn's first words, score, evidence words) on whole turns of
    the demo focus group, written straight into the store. Returns (start, end, evidence spans)."""
    import sqlalchemy as sa

    from qcode.storage import schema
    from qcode.usecases.project import Project

    out = []
    with Project.open(root) as p:
        t = p.transcript("focus-group-annotators")
        with raw_connection(p.store) as conn:  # fixed creation times
            for code, opening, score, words in rows:
                [turn] = [u for u in t.turns if t.text[u.start : u.end].startswith(opening)]
                spans = [(turn.start + t.text[turn.start : turn.end].index(w), 0) for w in words]
                spans = [(a, a + len(w)) for (a, _), w in zip(spans, words, strict=True)]
                conn.execute(sa.insert(schema.suggestions).values(
                    transcript_id=t.id, code_id=code, start=turn.start, end=turn.end, quote=t.text[turn.start : turn.end],
                    score=score, evidence={"summary": LONG_WHY, "spans": [list(s) for s in spans], "signals": []},
                    suggester="qcode-suggest/1", status="pending", created="2024-01-01T00:00:00+00:00"))
                out.append((turn.start, turn.end, spans))
    return out


def _colors(style):
    """The (text, background) colours a segment shows, reverse applied."""
    from textual.color import Color

    fg, bg = Color.from_rich_color(style.color), Color.from_rich_color(style.bgcolor)
    return (bg, fg) if style.reverse else (fg, bg)


def _segment_at(view, offset: int):
    """The style of the rendered segment showing transcript *offset*."""
    lay = view._layout
    row = lay.row_of(offset)
    strip = view.render_line(row - view.scroll_offset.y)
    text = "".join(s.text for s in strip)
    row_text = view._visible_text[lay.starts[row] : lay.ends[row]]
    col = text.index(row_text) + offset - lay.starts[row]
    x = 0
    for seg in strip:
        if x <= col < x + len(seg.text):
            return seg
        x += len(seg.text)
    raise AssertionError("offset not drawn")


def _contrast(a, b) -> float:
    def lum(c) -> float:
        def ch(v: int) -> float:
            v = v / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_evidence_words_stand_out_inside_the_suggested_passage(demo_dir: Path, theme: str) -> None:
    from qcode.tui.app import make_app
    from qcode.tui.screens.suggestions import SuggestionsScreen

    [(start, end, spans)] = add_pending(demo_dir, [("pay-piece-rates", "Per task, always.", 0.98, ["Per task", "cent"])])
    app = make_app(demo_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = theme
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SuggestionsScreen)
        view = screen.view
        assert view.evidence == spans
        plain = _segment_at(view, start + len("Per task, a"))  # "always": in the passage, not evidence
        for a, _b in spans:
            ev = _segment_at(view, a + 1)
            ev_fg, ev_bg = _colors(ev.style)
            p_fg, p_bg = _colors(plain.style)
            # a clearly different background from the rest of the passage, text readable on it
            assert _contrast(ev_bg, p_bg) >= 1.5, (ev.style, plain.style)
            assert _contrast(ev_fg, ev_bg) >= 4.5, ev.style
            assert _contrast(p_fg, p_bg) >= 3, plain.style


async def test_score_is_rounded_as_the_cli_prints_it(demo_dir: Path) -> None:
    from textual.widgets import Static

    from qcode.tui.app import make_app

    add_pending(demo_dir, [("outsourcing-chains", "Regulation.", 0.938986, ["outsourcing"])])
    app = make_app(demo_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        info = str(app.screen.query_one("#sugg-info", Static).render())
        assert "score 0.94" in info


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_turn_header_stays_in_view_with_the_passage(demo_dir: Path, size) -> None:
    from qcode.tui.app import make_app
    from qcode.tui.widgets.layout import BLANK, HEAD, fmt_time

    placed = add_pending(demo_dir, [
        ("pay-piece-rates", "Per task, always.", 0.98, ["Per task"]),
        ("outsourcing-chains", "Regulation.", 0.94, ["outsourcing"]),
    ])
    app = make_app(demo_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        for i, (start, end, _) in enumerate(placed):
            if i:
                await pilot.press("n")
                await pilot.pause()
            view = app.screen.view
            lay = view._layout
            top, height = view.scroll_offset.y, view.scrollable_content_region.height
            head = lay.turn_row(view.turn_index_at(start))
            head += lay.kinds[head] == BLANK  # the blank row between turns comes first
            last = lay.row_of(end - 1)
            assert last - head < height  # the turn fits: its header and all of it are shown
            assert top <= head and last < top + height, (i, top, height, head, last)
            if 0 < top < view.max_scroll_y:  # scrolled to it: not on the bottom lines (most free rows below it)
                assert top + height - 1 - last >= (height - (last - head + 1)) // 2, (i, top, height, head, last)
            header = "".join(seg.text for seg in view.render_line(head - top))
            turn = view.turns[view.turn_index_at(start)]
            assert lay.kinds[head] == HEAD and turn.speaker in header and fmt_time(turn.time_start) in header


async def test_accept_all_takes_the_suggestions_showing_the_threshold(demo_dir: Path) -> None:
    from textual.widgets import Input, Static

    from qcode.tui.app import make_app
    from qcode.tui.screens.dialogs import ConfirmDialog, TextDialog

    add_pending(demo_dir, [
        ("pay-piece-rates", "Per task, always.", 0.7996, ["Per task"]),
        ("outsourcing-chains", "Regulation.", 0.7949, ["outsourcing"]),
    ])
    app = make_app(demo_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert "score 0.80" in str(app.screen.query_one("#sugg-info", Static).render())
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        assert "1 at 0.8 or more" in str(app.screen.query_one("#dialog-title", Static).render())
        app.screen.query_one(Input).value = "0.8"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "Accept 1 suggestion " in str(app.screen.query_one("#dialog-title", Static).render())
        await pilot.press("n")


async def test_the_card_says_why_in_full_without_jargon(demo_dir: Path) -> None:
    """#16: no "(qcode-suggest/1)" on the card; one full Why line per signal, not cut."""
    import sqlalchemy as sa
    from textual.widgets import Static

    from qcode.storage import schema
    from qcode.tui.app import make_app

    add_pending(demo_dir, [("outsourcing-chains", "Regulation.", 0.9, ["outsourcing"])])
    long_detail = 'similar to a passage coded with this code: "' + "a long coded passage about outsourcing chains " * 4 + '" (cosine 0.41)'
    signals = [{"name": "qcode.lemma_keywords.v2", "contribution": 0.55, "detail": 'keyword "outsourcing"'},
               {"name": "qcode.similarity.v1", "contribution": 0.3, "detail": long_detail}]
    from qcode.usecases.project import Project

    with Project.open(demo_dir) as p, raw_connection(p.store) as conn:  # evidence no suggester writes
        conn.execute(sa.update(schema.suggestions).values(evidence={"summary": "x", "spans": [], "signals": signals}))
    app = make_app(demo_dir)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        info = str(app.screen.query_one("#sugg-info", Static).render())
    assert "qcode-suggest" not in info
    # each line says what was found once: no "keywords: keyword", no "similar passage: similar to"
    assert 'Why: keyword "outsourcing"\n' in info
    assert "Why: " + long_detail in info.replace("\n", "")


def test_the_run_report_reads_as_a_sentence():
    from qcode.usecases.suggesting import SuggestRunReport

    r = SuggestRunReport(1, 1, 2500, 2.0, "blank:en+lookup", [], 0)
    assert r.summary() == ("1 pending suggestion for 1 transcript (2,500 words in 2.0 s, 1,250 words/s; "
                           "0 parsed transcripts from the cache).")
    assert "SuggestRunReport" not in r.summary()


async def test_accepting_tells_the_coding_screen_through_codings_changed(demo_dir: Path) -> None:
    """Accepting on the suggestions screen posts CodingsChanged; the coding screen below shows the
    new coding when the user comes back to it."""
    from qcode.tui.app import make_app
    from qcode.tui.messages import CodingsChanged
    from qcode.tui.screens.coding import CodingScreen
    from qcode.tui.screens.suggestions import SuggestionsScreen

    [(start, end, _)] = add_pending(demo_dir, [("pay-piece-rates", "Per task, always.", 0.9, ["Per task"])])
    messages: list[object] = []
    app = make_app(demo_dir, transcript="focus-group-annotators")
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, CodingScreen)
        before = len(coding.view.codings)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SuggestionsScreen)
        assert not any(isinstance(m, CodingsChanged) for m in messages)
        await pilot.press("a")
        await pilot.pause()
        assert any(isinstance(m, CodingsChanged) for m in messages)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is coding
        assert len(coding.view.codings) == before + 1
        assert any((c.start, c.end, c.code_id) == (start, end, "pay-piece-rates") for c in coding.view.codings)
