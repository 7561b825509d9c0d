"""Where a suggestion run stores its results: pending suggestions and parsed-document cache entries.

Two writers with one interface (:meth:`submit` the rows of a finished
transcript, :meth:`save_cache` a cache entry, :meth:`close`):

* :class:`ThreadWriter`, for ordinary runs: a background thread writes a few
  transcripts per transaction while the next ones are parsed.
* :class:`ProcessWriter`, for large runs (:data:`PROCESS_WORDS` words and
  more): a separate process with its own database connection does the
  writing (and the compression of the cache entries). The run's process only
  hands the rows over, so the writing neither waits for nor competes with
  its parsing and scoring for Python's global lock, which costs a thread
  writer an eighth to a fifth of a large run. Starting the process costs a few
  tenths of a second, hence the threshold.

Both write each batch of transcripts in one transaction; a failed write
stops the run with its error, the transcripts written before it keep their
new suggestions and the batches after it are not written. Stopping the run
(an interrupt) still writes the transcripts it finished. The writer process
ignores Ctrl-C (the terminal sends it to the whole process group): the run
decides what is written, then tells it to stop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from qcode.core import errors
from qcode.formats.interpreter import child_sys_path
from qcode.storage import suggestions as store_sugg

PROCESS_WORDS = 200_000
"""Runs over this many words (to analyse) store their results from a separate process."""
BATCH_ROWS = 5000
"""Rows gathered before a transaction is started (fewer commits, each one a disk flush)."""
MAX_QUEUED = 3
"""Batches that may wait to be written (bounds the memory they hold)."""

Result = dict[int, tuple[int, tuple[int, int, float]]]
"""Per transcript written: (suggestions written, fingerprint of its pending suggestions)."""


class _Batches:
    """The rows of finished transcripts, gathered into batches of about :data:`BATCH_ROWS` rows."""

    def __init__(self, send: Callable[[list[tuple[int, list[store_sugg.Row]]]], None]) -> None:
        self.send = send
        self.batch: list[tuple[int, list[store_sugg.Row]]] = []
        self.rows = 0

    def add(self, transcript_id: int, rows: list[store_sugg.Row]) -> None:
        self.batch.append((transcript_id, rows))
        self.rows += len(rows) + 1
        if self.rows >= BATCH_ROWS:
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

    save_cache = None
    """The doc cache writes its entries itself (on its own thread)."""

    def submit(self, transcript_id: int, rows: list[store_sugg.Row]) -> None:
        self.batches.add(transcript_id, rows)
        while len(self.queued) > MAX_QUEUED or (self.queued and (self.queued[0].done() or self.failed)):
            self.done.update(self.queued.pop(0).result())

    def _send(self, batch: list[tuple[int, list[store_sugg.Row]]]) -> None:
        self.queued.append(self.pool.submit(self._write, batch))

    def _write(self, batch: list[tuple[int, list[store_sugg.Row]]]) -> Result:
        if self.failed:
            return {}
        try:
            return store_sugg.replace_transcripts_pending(self.store, batch, self.code_ids)
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
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after the other writes
                error = error or exc
        self.pool.shutdown(wait=True)
        if error is not None and raise_errors:
            raise error
        return self.done


class ProcessWriter:
    """Writes from a separate Python process with its own database connection."""

    STOP_TIMEOUT = 600.0
    """Seconds :meth:`close` waits for the last writes before giving up on the process."""

    def __init__(self, store: Any, code_ids: list[str]) -> None:
        import json
        import socket
        import subprocess
        import sys
        import tempfile
        from multiprocessing.connection import Connection

        # A fresh interpreter on one end of a socket pair (not multiprocessing's spawn, which
        # would import the caller's main script again).
        err = tempfile.TemporaryFile()
        mine, theirs = socket.socketpair()
        self.conn = Connection(mine.detach())
        fd = theirs.fileno()
        try:
            self.proc = _Child(subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(fd), json.dumps(child_sys_path())],
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err,  # kept off the terminal (the app's screen); its last line is shown if it dies
            ), err)
        finally:
            theirs.close()
        self.batches = _Batches(self._send)
        self.waiting = 0
        """Row batches sent whose answer was not read yet."""
        self.done: Result = {}
        self.failed = False
        try:
            self.conn.send((store_spec(store), list(code_ids)))
        except OSError:
            self.failed = True  # it ended at once; the next call says why

    def save_cache(self, path: Path, message: dict[str, Any]) -> None:
        """Have the process compress and write a doc cache entry (:func:`qcode.suggest.cache._write`)."""
        self._put(("cache", str(Path(path).resolve()), message))

    def submit(self, transcript_id: int, rows: list[store_sugg.Row]) -> None:
        self.batches.add(transcript_id, rows)
        while self.waiting > MAX_QUEUED or (self.waiting and self.conn.poll()):
            self._answer()

    def _send(self, batch: list[tuple[int, list[store_sugg.Row]]]) -> None:
        self._put(("rows", batch))
        self.waiting += 1

    def _put(self, message: tuple[Any, ...]) -> None:
        try:
            self.conn.send(message)
        except (OSError, EOFError) as exc:
            self.failed = True
            raise _stopped(self.proc) from exc

    def _answer(self) -> tuple[Any, ...]:
        """Read one answer of the process; raise the error it reports."""
        try:
            answer = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.failed = True
            raise _stopped(self.proc) from exc
        if answer[0] in ("ok", "skipped", "error"):
            self.waiting -= 1
        if answer[0] == "ok":
            self.done.update(answer[1])
        elif answer[0] == "error":
            self.failed = True
            raise _rebuild(answer[1])
        return answer

    def close(self, raise_errors: bool = True) -> Result:
        """As :meth:`ThreadWriter.close`; then stops the process."""
        error: BaseException | None = None
        try:
            if not self.failed:
                self.batches.flush()
            self._put(("stop",))
            while True:
                if not self.conn.poll(self.STOP_TIMEOUT):
                    raise errors.ProjectError(
                        f"The process writing the suggestions did not answer within {self.STOP_TIMEOUT:.0f} s.",
                        hint="The transcripts written so far keep their suggestions; run `qcode suggest` again.",
                    )
                try:
                    if self._answer()[0] == "stopped":
                        break
                except _WriterGone as exc:
                    error = error or exc
                    break
                except errors.QcodeError as exc:  # a batch's error: keep reading up to "stopped"
                    error = error or exc
        except errors.QcodeError as exc:
            error = error or exc
        finally:
            self.conn.close()
            self.proc.join(timeout=10)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(timeout=10)
            self.proc.stderr.close()
        if error is not None and raise_errors:
            raise error
        return self.done

    @staticmethod
    def available() -> bool:
        """A writer process can be started here (POSIX: it gets its socket by descriptor)."""
        import os
        import sys

        return os.name == "posix" and bool(sys.executable)


class _Child:
    """The writer's ``subprocess.Popen``, with the few ``multiprocessing.Process`` names used above."""

    def __init__(self, popen: Any, stderr: Any) -> None:
        self.popen, self.stderr = popen, stderr

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        import subprocess

        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self) -> None:
        self.popen.terminate()

    def last_words(self) -> str:
        """The last line the process wrote to stderr, once it has ended."""
        if self.popen.poll() is None or self.stderr.closed:
            return ""
        self.stderr.seek(0)
        lines = [x for x in self.stderr.read()[-65536:].decode("utf-8", "replace").splitlines() if x.strip()]
        return lines[-1].strip() if lines else ""


_BOOT = (
    "import json, sys\n"
    "sys.path[:] = json.loads(sys.argv[2])\n"
    "from multiprocessing.connection import Connection\n"
    "from qcode.usecases.suggest_writer import serve\n"
    "conn = Connection(int(sys.argv[1]))\n"
    "spec, code_ids = conn.recv()\n"
    "serve(conn, spec, code_ids)\n"
)


def store_spec(store: Any) -> tuple[str, str]:
    """What the writer process needs to open the same database: ("sqlite", path) or ("url", url)."""
    if store.engine.dialect.name == "sqlite" and store.path is not None:
        return ("sqlite", str(Path(store.path).resolve()))
    return ("url", store.engine.url.render_as_string(hide_password=False))


def serve(conn: Any, spec: tuple[str, str], code_ids: list[str]) -> None:
    """The writer process: answer each row batch with ("ok", result) or ("error", ...), write
    cache entries, and on "stop" answer ("stopped",) and end."""
    import queue
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A reader thread takes the messages off the socket as they come, so that the run never
    # waits for this process to finish a write before it can hand over the next rows.
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                inbox.put(conn.recv())
            except (EOFError, OSError):
                inbox.put(("gone",))
                return

    threading.Thread(target=read, name="qcode-writer-inbox", daemon=True).start()
    store, failure = None, None
    try:
        store = _open(spec)
    except Exception as exc:  # noqa: BLE001 - reported on the first batch
        failure = _describe(exc)
    try:
        while True:
            message = inbox.get()
            kind = message[0]
            if kind == "gone":
                return  # the run is gone
            if kind == "stop":
                conn.send(("stopped",))
                return
            if kind == "cache":
                from qcode.suggest.cache import _write

                _write(Path(message[1]), message[2])
            elif kind == "rows":
                if failure is not None:
                    conn.send(("error", failure) if store is None else ("skipped", {}))
                    continue
                try:
                    conn.send(("ok", store_sugg.replace_transcripts_pending(store, message[1], code_ids)))
                except Exception as exc:  # noqa: BLE001 - sent to the run, which raises it
                    failure = _describe(exc)
                    conn.send(("error", failure))
    finally:
        if store is not None:
            store.engine.dispose()


def _open(spec: tuple[str, str]) -> Any:
    import sqlalchemy as sa

    from qcode.storage.engine import sqlite_engine
    from qcode.storage.store import Store

    kind, where = spec
    if kind == "sqlite":
        return Store(sqlite_engine(Path(where)), where, Path(where))
    return Store(sa.create_engine(where, pool_pre_ping=True), where.split("@")[-1])


def _describe(exc: BaseException) -> tuple[str, str, str]:
    if isinstance(exc, errors.QcodeError):
        return (type(exc).__name__, exc.message, exc.hint)
    return ("", f"Writing the suggestions failed: {type(exc).__name__}: {exc}",
            "Nothing after the transcripts already written was stored; run `qcode suggest` again.")


def _rebuild(described: tuple[str, str, str]) -> errors.QcodeError:
    name, message, hint = described
    cls = getattr(errors, name, None) if name else None
    if not (isinstance(cls, type) and issubclass(cls, errors.QcodeError)):
        cls = errors.ProjectError
    return cls(message, hint=hint)


class _WriterGone(errors.ProjectError):
    """The writer process ended without being asked to."""


def _stopped(proc: Any) -> errors.ProjectError:
    proc.join(timeout=5)
    said = proc.last_words() if hasattr(proc, "last_words") else ""
    return _WriterGone(
        f"The process writing the suggestions stopped unexpectedly (exit code {proc.exitcode})"
        + (f": {said}" if said else "."),
        hint="The transcripts written so far keep their suggestions; run `qcode suggest` again.",
    )
