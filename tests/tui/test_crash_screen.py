"""Issue 14, finding 14: the app's crash screen shows where it failed, never local variables (interview text)."""

from __future__ import annotations

from pathlib import Path


def test_the_app_crash_screen_has_no_local_variables(make, monkeypatch, tmp_path: Path) -> None:
    from qcode.usecases import crash

    monkeypatch.setattr(crash, "crash_dir", lambda: tmp_path / "crashes")
    monkeypatch.delenv("QCODE_DEBUG", raising=False)
    app = make()
    monkeypatch.setattr(app, "_close_messages_no_wait", lambda: None)
    monkeypatch.setattr(app, "bell", lambda: None)
    quote = "Amina: my employer never paid me"  # a local variable of the failing frame
    try:
        raise RuntimeError(f"bad state near {quote!r}")
    except RuntimeError:
        app._fatal_error()
    shown = " ".join(str(r) for r in app._exit_renderables)
    app.project.close()
    assert "internal error (RuntimeError" in shown and "never paid" not in shown
