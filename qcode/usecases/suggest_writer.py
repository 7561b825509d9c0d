"""Where a suggestion run stores its results: the pending suggestions of each finished transcript.

:class:`ThreadWriter`: a background thread writes a few transcripts per
transaction while the next ones are parsed. A failed write stops the run
with its error, the transcripts written before it keep their new
suggestions and the batches after it are not written. Stopping the run (an
interrupt) still writes the transcripts it finished.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qcode.storage.interface import SuggestionInput, TranscriptRows

BATCH_ROWS = 5000
"""Rows gathered before a transaction is started (fewer commits, each one a disk flush)."""
BATCH_TRANSCRIPTS = 16
"""...or transcripts: a re-run that rewrites a few rows of each transcript then writes while it scores the next
ones, instead of writing everything at the end."""
MAX_QUEUED = 3
"""Batches that may wait to be written (bounds the memory they hold)."""

Result = dict[int, tuple[int, tuple[int, int, float]]]
"""Per transcript written: (suggestions written, fingerprint of its pending suggestions)."""


class _Batches:
    """The rows of finished transcripts, gathered into batches of about :data:`BATCH_ROWS` rows."""

    def __init__(self, send: Callable[[list[TranscriptRows]], None]) -> None:
        self.send = send
        self.batch: list[TranscriptRows] = []
        self.rows = 0

    def add(self, transcript_id: int, rows: list[SuggestionInput], codes: list[str] | None = None) -> None:
        self.batch.append((transcript_id, rows, codes))
        self.rows += len(rows) + 1
        if self.rows >= BATCH_ROWS or len(self.batch) >= BATCH_TRANSCRIPTS:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            batch, self.batch, self.rows = self.batch, [], 0
            self.send(batch)


class ThreadWriter:
    """Writes on a background thread of this process."""

    def __init__(self, store: Any, code_ids: list[str]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.store, self.code_ids = store, code_ids
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qcode-suggest-writer")
        self.batches = _Batches(self._send)
        self.queued: list[Any] = []
        self.done: Result = {}
        self.failed = False
        """Set (on the writer thread) when a batch failed: the batches after it are not written."""

    def submit(self, transcript_id: int, rows: list[SuggestionInput], codes: list[str] | None = None) -> None:
        """Write *rows* as the pending suggestions of the transcript (of the codes *codes* only; None: all)."""
        self.batches.add(transcript_id, rows, codes)
        while len(self.queued) > MAX_QUEUED or (self.queued and (self.queued[0].done() or self.failed)):
            self.done.update(self.queued.pop(0).result())

    def _send(self, batch: list[TranscriptRows]) -> None:
        self.queued.append(self.pool.submit(self._write, batch))

    def _write(self, batch: list[TranscriptRows]) -> Result:
        if self.failed:
            return {}
        try:
            return self.store.suggestions.replace_transcripts_pending(batch, self.code_ids)
        except BaseException:
            self.failed = True
            raise

    def close(self, raise_errors: bool = True) -> Result:
        """Write what is left and wait; (written, fingerprint) per transcript written.

        The transcripts given to :meth:`submit` are written even when the run
        is stopping with another error (an interrupt): their rows are
        complete. Raises the first write error, if any (after waiting for the
        other writes), unless the run is already failing with another error.
        """
        if not self.failed:
            self.batches.flush()
        error: BaseException | None = None
        while self.queued:
            try:
                self.done.update(self.queued.pop(0).result())
            except BaseException as exc:  # re-raised below, after the other writes
                error = error or exc
        self.pool.shutdown(wait=True)
        if error is not None and raise_errors:
            raise error
        return self.done
