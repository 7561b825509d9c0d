"""The vectorised bootstrap: the same sums as the pure one, intervals alike, reproducible."""

from __future__ import annotations

import random

import numpy as np
import pytest

from qcode.core.agreement import Clustered, bootstrap, unit_table
from qcode.usecases.agreement import numpy_resamples, weighted_tables


def _data(n: int = 300, seed: int = 2) -> Clustered:
    rng = random.Random(seed)
    data = Clustered()
    zero = unit_table([0, 0])
    for _ in range(n):
        k = data.add_cluster(unit_table([0, 0], 10.0))
        for code, p in (("x", 0.3), ("y", 0.1)):
            if rng.random() < p:
                truth = rng.random() < 0.8
                a, b = int(truth), int(truth if rng.random() < 0.85 else not truth)
                d = unit_table([a, b], 4.0)
                for i, v in enumerate(zero):
                    d[i] -= 4.0 * v
                data.add_delta(code, k, d)
    return data


def test_matrix_products_give_the_same_tables_as_the_pure_sums() -> None:
    data = _data()
    w = np.random.default_rng(1).multinomial(300, np.full(300, 1 / 300), size=5)
    for row, tables in zip(w, weighted_tables(data, ["x", "y", "z"], w), strict=True):
        expected = data.totals(["x", "y", "z"], [int(v) for v in row])
        for code in ("x", "y", "z"):
            assert tables[code] == pytest.approx(expected[code])


def test_numpy_and_pure_intervals_agree_and_are_reproducible() -> None:
    data = _data()
    fast = bootstrap(data, ["x", "y"], 1000, seed=3, resampler=numpy_resamples)
    assert fast == bootstrap(data, ["x", "y"], 1000, seed=3, resampler=numpy_resamples)
    slow = bootstrap(data, ["x", "y"], 1000, seed=3)
    for name in ("x", "y", "overall"):
        for stat in ("alpha", "kappa", "percent"):
            assert fast[name][stat] == pytest.approx(slow[name][stat], abs=0.04), (name, stat)
