import pytest

from qcode.core.coding import Coder, overlap_ratio, stable_guid


def test_stable_guid_is_deterministic_and_distinct() -> None:
    assert stable_guid("code", "pay") == stable_guid("code", "pay")
    assert stable_guid("code", "pay") != stable_guid("code", "pa", "y")
    assert Coder("amina").guid == stable_guid("coder", "amina")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [((0, 10), (5, 15), 0.5), ((0, 10), (10, 20), 0.0), ((0, 10), (2, 4), 1.0), ((0, 4), (0, 8), 1.0)],
)
def test_overlap_ratio(a: tuple[int, int], b: tuple[int, int], expected: float) -> None:
    assert overlap_ratio(*a, *b) == expected
