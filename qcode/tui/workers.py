"""What the app does when a thread worker fails with an unexpected error (a bug).

Screens catch :class:`~qcode.core.errors.QcodeError` in their workers and
post :class:`~qcode.tui.messages.WorkFailed`; with ``exit_on_error=False`` anything
else would end the worker silently, leaving "Running the suggester…" on screen for ever.
Textual tells only the worker's own screen (``Worker.StateChanged`` does not
bubble), so screens that run workers mix in :class:`WorkerFailures`,
which hands such a failure to :func:`worker_failed`: one error dialog for the
whole app (type and place of the error, never its message, which may quote
interview text; the traceback goes to a private crash file), and a
``WorkFailed`` to the screen so that it clears its progress message.
"""

from __future__ import annotations

from textual.worker import Worker, WorkerState, get_current_worker

from qcode.tui.messages import WorkFailed


class WorkCrashed(Exception):
    """A worker's unexpected error, as its screen shows it (the app has already shown the dialog)."""


def worker_failed(worker: Worker[object]) -> None:
    """Show the error dialog for *worker*'s unexpected error and tell its screen the work failed."""
    from qcode.tui.screens.dialogs import ErrorDialog
    from qcode.usecases import crash

    exc = worker.error
    if exc is None:
        return
    report = crash.write_report(exc)
    what = f"The background task '{worker.group}'" if worker.group != "default" else "A background task"
    message = (f"{what} stopped on an internal error ({crash.location(exc)}). This is a bug in qcode, not "
               "something you did; what was saved before stays saved, and you can go on working.")
    if crash.debugging():
        message += f"\n{type(exc).__name__}: {exc}"
    worker.node.post_message(WorkFailed(worker.group, WorkCrashed(message)))
    worker.node.app.push_screen(ErrorDialog("Internal error", message, crash.details(report)))


class WorkerFailures:
    """Mixed into a screen that runs workers: their unexpected failures reach :func:`worker_failed`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            worker_failed(event.worker)


class WorkCancelled(Exception):
    """Raised inside a thread worker whose screen was left (Textual cancelled the worker)."""


def stop_if_cancelled() -> None:
    """In a thread worker: stop (raise :class:`WorkCancelled`) once the worker is cancelled.

    Called from a use case's progress callback, i.e. between two units of work
    (files, transcripts), so what was saved before stays whole.
    """
    if get_current_worker().is_cancelled:
        raise WorkCancelled
