"""Reading a user's file safely: only regular files, never more than a limit.

A device (``/dev/zero``, ``/dev/urandom``) reports size 0 and never ends; a
FIFO blocks the reader forever. Files are opened
without blocking, checked with ``fstat`` on the open descriptor (no race with
a swap of the path), and read up to a limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegularFileError(OSError):
    """The path is a device, FIFO, socket or folder."""


def read_limited(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file *path* (so callers can tell "over the limit").

    Raises :class:`NotRegularFileError` for anything but a regular file, and
    the usual :class:`OSError` subclasses otherwise.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a pipe (FIFO)" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
            raise NotRegularFileError(f"{path} is {kind}, not a regular file")
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            return fh.read(limit + 1)
    finally:
        if fd != -1:
            os.close(fd)
