"""The base of the app's full screens: the open project and the app, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from qcode.tui.workers import WorkerFailures

if TYPE_CHECKING:
    from qcode.tui.app import QcodeApp
    from qcode.usecases.project import Project


class QcodeScreen(WorkerFailures, Screen[None]):
    """A full screen of :class:`~qcode.tui.app.QcodeApp`; its workers' unexpected failures open the error dialog."""

    @property
    def qcode_app(self) -> QcodeApp:
        """The app, with its project, history and navigation (``self.app`` is typed as any App)."""
        return cast("QcodeApp", self.app)

    @property
    def project(self) -> Project:
        """The open project."""
        return self.qcode_app.project
