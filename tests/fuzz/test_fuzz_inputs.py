"""The fuzzing harness at a small budget: no uncaught exception, a memory bound, refused inputs change nothing.

The large budget is ``python tests/benchmarks/fuzz_inputs.py``. The run is
derandomized here (the same inputs each time), so a failure reproduces.
"""

from __future__ import annotations

import pytest

from tests.fuzz.harness import KINDS
from tests.hostile.limited import run_limited

MEMORY_MB = 1024
"""Address-space limit of the child process (its peak resident memory is a fraction of this)."""

CHILD = """
import sys
from tests.fuzz import harness
RESULT = harness.main(sys.argv[1:])
"""


@pytest.mark.slow
@pytest.mark.parametrize("kinds", [KINDS[:11], KINDS[11:]], ids=["importers", "codebook-settings-sidecars"])
def test_fuzzed_inputs_are_refused_cleanly_within_a_memory_bound(kinds: list[str]) -> None:
    out = run_limited(CHILD, memory_mb=MEMORY_MB, timeout=600, args=["--examples", "12", "--kinds", ",".join(kinds)])
    assert out["inputs"] == 12 * len(kinds) + out["corpus"]
    assert out["failure_count"] == 0, out["failures"]
    assert out["refused"] > 0 and out["accepted"] > 0  # the mutations reach both outcomes
    assert out["peak_mb"] < MEMORY_MB
