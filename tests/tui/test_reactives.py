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
