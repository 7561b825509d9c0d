"""Run Python code in a child process under a memory limit (RLIMIT_AS), to prove memory bounds.

A limit on the address space makes an unbounded allocation fail with
``MemoryError`` (or kill the child) instead of swapping the machine: a test
that passes under it shows the code path stays below the bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

resource = pytest.importorskip("resource", reason="RLIMIT_AS needs the POSIX resource module")


def run_limited(code: str, *, memory_mb: int, timeout: float = 120.0, args: list[str] | None = None) -> dict:
    """Run *code* with at most *memory_mb* of address space; it must print one JSON object last.

    Returns that object plus ``peak_mb`` (the child's peak resident memory).
    """
    limit = memory_mb * 1024 * 1024

    def _limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    wrapper = (
        "import json, resource, sys\n"
        + code
        + "\nprint(json.dumps({**RESULT, 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *(args or [])], capture_output=True, text=True, timeout=timeout,
        preexec_fn=_limit, env=env, cwd=REPO,
    )
    assert proc.returncode == 0, f"child failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
