"""qcode.suggest.arrays.unique gives what np.unique gives (sorted distinct values, same dtype)."""

import numpy as np
import pytest

from qcode.suggest.arrays import unique


@pytest.mark.parametrize(
    "values",
    [
        np.zeros(0, dtype=np.uint64),
        np.array([7], dtype=np.uint64),
        np.array([3, 1, 3, 2, 1], dtype=np.int64),
        np.array([[5, 0, 0], [5, 2**63 + 1, 0]], dtype=np.uint64),  # 2-D: flattened; values above int64
        np.array([2, 2, 2], dtype=np.int64),
    ],
)
def test_unique_matches_numpy(values):
    got = unique(values)
    assert got.dtype == np.unique(values).dtype
    assert got.tolist() == sorted(set(values.ravel().tolist()))


def test_unique_random_hashes():
    rng = np.random.default_rng(3)
    vocab = rng.integers(0, 2**62, size=500, dtype=np.int64).astype(np.uint64)
    values = vocab[rng.integers(0, 500, size=(2000, 4))]
    assert np.array_equal(unique(values), np.unique(values))


def test_decimal_strings_small_large_and_growing():
    from qcode.suggest.arrays import _DECIMAL_MAX, decimal_strings

    assert decimal_strings(np.zeros(0, dtype=np.int64)) == []
    assert decimal_strings(np.array([0, 7, 10, 7])) == ["0", "7", "10", "7"]
    big = np.array([5000, 123456, 3])  # grows the table
    assert decimal_strings(big) == ["5000", "123456", "3"]
    beyond = np.array([_DECIMAL_MAX + 5, 1])  # beyond the table: formatted directly
    assert decimal_strings(beyond) == [str(_DECIMAL_MAX + 5), "1"]
    assert decimal_strings(np.array([-2, 4])) == ["-2", "4"]


def test_four_digit_strings_are_the_reprs_of_rounded_values():
    from qcode.suggest.arrays import four_digit_strings

    rng = np.random.default_rng(8)
    values = np.round(np.r_[rng.random(5000), 0.0, 1.0, 0.5, 0.1, 0.95, 1e-5], 4)
    assert four_digit_strings(values) == [repr(v) for v in values.tolist()]
    outside = np.round(np.array([1.25, -0.5, 0.3333]), 4)  # not in [0, 1]: formatted one by one
    assert four_digit_strings(outside) == ["1.25", "-0.5", "0.3333"]
    assert four_digit_strings(np.zeros(0)) == []


def test_hash_index_numbers_keys_in_the_order_added():
    from qcode.suggest.arrays import HashIndex

    index = HashIndex()
    assert index.find(np.array([5], dtype=np.uint64)).tolist() == [-1]
    index.add(np.array([2**63 + 9, 3], dtype=np.uint64))
    index.add(np.array([7], dtype=np.uint64))
    found = index.find(np.array([7, 3, 4, 2**63 + 9, 3], dtype=np.uint64))
    assert found.tolist() == [2, 1, -1, 0, 1] and len(index) == 3


def test_nearest_is_the_first_argmax_within_each_pairs_profile_references() -> None:
    from qcode.suggest.references import nearest

    rng = np.random.default_rng(3)
    # 3 profiles with references 0:4, 4:5 and 5:9; profile 3 has none (never asked for)
    seg_prof, seg_start, seg_end = np.array([0, 1, 2]), np.array([0, 4, 5]), np.array([4, 5, 9])
    bounds = (np.zeros(4, np.int64), np.zeros(4, np.int64))
    bounds[0][seg_prof], bounds[1][seg_prof] = seg_start, seg_end
    D = rng.integers(0, 3, size=(20, 9)).astype(np.float32)  # many ties: the first one must win
    units = rng.integers(0, 20, size=200)
    profs = rng.integers(0, 3, size=200)
    want = np.array([seg_start[j] + D[u, seg_start[j]:seg_end[j]].argmax() for u, j in zip(units, profs, strict=True)])
    assert nearest(D, units, profs, bounds).tolist() == want.tolist()
    assert nearest(D, units[:0], profs[:0], bounds).tolist() == []


def test_evict_removes_the_least_recently_used_cache_files_but_never_one_in_use(tmp_path) -> None:
    import os

    from qcode.suggest.cache import evict

    for age, name in enumerate(["e", "d", "c", "b", "a"]):  # "a" the oldest
        f = tmp_path / f"{name}.arrays"
        f.write_bytes(b"x")
        os.utime(f, (1_000_000 - 100 * age, 1_000_000 - 100 * age))
    (tmp_path / "other.txt").write_text("not a cache file")
    evict(tmp_path, 3, {"a.arrays"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.arrays", "d.arrays", "e.arrays", "other.txt"]
    evict(tmp_path, 0, {"a.arrays", "d.arrays", "e.arrays"})  # as many in use as there are: nothing goes
    assert len(list(tmp_path.glob("*.arrays"))) == 3
    evict(tmp_path, 1)
    assert [p.name for p in tmp_path.glob("*.arrays")] == ["e.arrays"]
