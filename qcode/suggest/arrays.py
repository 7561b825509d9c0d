"""Small array helpers shared by the suggestion engine.

NumPy 2's :func:`numpy.unique` finds distinct values with a hash table before
sorting them; on the engine's arrays (tens of thousands of 64-bit hashes with
many repeats) that is several times slower than sorting and keeping the first
of each run, which is what :func:`unique` does. Same result: the sorted
distinct values.
"""

from __future__ import annotations

from typing import Any


def unique(values: Any) -> Any:
    """The sorted distinct values of *values* (flattened), like ``np.unique(values)``."""
    import numpy as np

    s = np.sort(values, axis=None)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]
