"""Small array helpers shared by the suggestion engine.

NumPy 2's :func:`numpy.unique` finds distinct values with a hash table before
sorting them; on the engine's arrays (tens of thousands of 64-bit hashes with
many repeats) that is several times slower than sorting and keeping the first
of each run, which is what :func:`unique` does. Same result: the sorted
distinct values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray


def unique(values: ArrayLike) -> NDArray[Any]:
    """The sorted distinct values of *values* (flattened), like ``np.unique(values)``."""
    import numpy as np

    s = np.sort(values, axis=None)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


_DECIMAL: list[str] = []
_DECIMAL_MAX = 1 << 20


def decimal_strings(values: NDArray[np.integer[Any]]) -> list[str]:
    """``str(v)`` of each non-negative integer of the array *values*, from a table of ready-made strings.

    The evidence of a run writes hundreds of thousands of small offsets as
    text; looking them up is faster than formatting each one.
    """
    items = values.tolist()
    if not items:
        return []
    top = max(items)
    if top >= _DECIMAL_MAX or min(items) < 0:
        return list(map(str, items))
    if top >= len(_DECIMAL):
        _DECIMAL.extend(map(str, range(len(_DECIMAL), min(_DECIMAL_MAX, max(top + 1, 2 * len(_DECIMAL), 4096)))))
    return list(map(_DECIMAL.__getitem__, items))


_FOUR_DIGITS: list[str] = []


def four_digit_strings(values: ArrayLike) -> list[str]:
    """``repr(v)`` of each value of *values*, which were rounded to 4 decimals (``np.round(x, 4)``).

    Values in [0, 1] (scores and contributions) are looked up in a table of
    the 10,001 possible strings; others are formatted one by one.
    """
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    if not len(arr):
        return []
    if not _FOUR_DIGITS:
        _FOUR_DIGITS.extend(repr(k / 10000) for k in range(10001))
    if arr.min() < 0.0 or arr.max() > 1.0:
        return list(map(repr, arr.tolist()))
    return list(map(_FOUR_DIGITS.__getitem__, np.rint(arr * 10000).astype(np.int64).tolist()))


class HashIndex:
    """64-bit keys (spaCy hashes) numbered in the order they were added, found with one array search.

    The engine keeps several tables keyed by hashes and grown on demand
    (word forms, vector rows, strings): the caller appends each new key's
    values to its own arrays or lists, in the order of :meth:`add`, and reads
    them back at the numbers :meth:`find` gives.
    """

    def __init__(self) -> None:
        import numpy as np

        self.keys: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        """The keys, sorted."""
        self.number: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        """For each of :attr:`keys`, when it was added (0 for the first)."""

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, keys: ArrayLike) -> NDArray[np.int64]:
        """The number of each of *keys* (uint64), -1 for a key not added yet."""
        import numpy as np

        k = np.asarray(keys, dtype=np.uint64)
        if not len(self.keys):
            return np.full(len(k), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, k), len(self.keys) - 1)
        return np.where(self.keys[pos] == k, self.number[pos], -1)

    def add(self, new: ArrayLike) -> None:
        """Add distinct keys not added yet; they get the next numbers, in their order."""
        import numpy as np

        fresh = np.asarray(new, dtype=np.uint64)
        keys = np.concatenate([self.keys, fresh])
        order = np.argsort(keys, kind="stable")
        first = len(self.keys)
        self.keys = keys[order]
        self.number = np.concatenate([self.number, np.arange(first, first + len(fresh), dtype=np.int64)])[order]


def ranges(starts: NDArray[np.integer[Any]], ends: NDArray[np.integer[Any]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(owner, index): every index of the ranges ``starts[k]:ends[k]``, with its range number."""
    import numpy as np

    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    owner = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    index = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts.astype(np.int64), lens)
    return owner, index


def flat(rows: list[list[int]]) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    """(ptr, terms) of some lists of term hashes: list *i* is ``terms[ptr[i]:ptr[i + 1]]``."""
    import numpy as np

    ptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    return ptr, np.fromiter((t for r in rows for t in r), dtype=np.uint64, count=int(ptr[-1]))
