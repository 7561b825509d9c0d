"""The Textual coding app. Importing this package pulls in Textual."""

from __future__ import annotations

from pathlib import Path


def run_app(project_dir: Path | None = None) -> None:
    """Open the project and run the coding app until the user quits."""
    from qcode.tui.app import make_app

    app = make_app(project_dir)
    app.run()
