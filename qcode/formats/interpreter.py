"""What a fresh Python child process needs to run the same qcode as its parent.

qcode starts plain interpreters (``python -c ...``) for work that must not
share the parent's process: rendering a user's report template under a
memory limit, writing the results of a large suggestion run. They are given
the parent's ``sys.path`` explicitly, so they import the same code whether
qcode is installed, installed in development mode, or run from a checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def child_sys_path() -> list[str]:
    """The parent's ``sys.path`` with the current folder made explicit and qcode's own folder first."""
    root = str(Path(__file__).resolve().parents[2])
    return [root] + [os.path.abspath(p) if p else os.getcwd() for p in sys.path if p != root]
