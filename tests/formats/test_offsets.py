"""UTF-16 / CRLF offset conversion at the exchange edge."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qcode.formats.offsets import from_external, to_external, utf16_length


def test_emoji_counts_two_utf16_units() -> None:
    text = "I 👍 it"
    assert len(text) == 6 and utf16_length(text) == 7
    assert to_external(text, [0, 2, 3, 6]) == [0, 2, 4, 7]
    assert from_external(text, [0, 2, 4, 7]) == [0, 2, 3, 6]


def test_crlf_counting() -> None:
    text = "ab\ncd\n"
    assert to_external(text, [0, 3, 6], utf16=False, crlf=True) == [0, 4, 8]
    assert from_external(text, [0, 4, 8], utf16=False, crlf=True) == [0, 3, 6]


def test_offset_inside_pair_rounds_down() -> None:
    assert from_external("a😀b", [2]) == [1]


@given(st.text(alphabet=st.sampled_from(["a", "é", "\n", "😀", "𝄞", " "]), max_size=40))
def test_round_trip_and_matches_real_utf16_encoding(text: str) -> None:
    offsets = list(range(len(text) + 1))
    ext = to_external(text, offsets, crlf=True)
    assert from_external(text, ext, crlf=True) == offsets
    crlf = text.replace("\n", "\r\n").encode("utf-16-le")
    for i, e in enumerate(ext):
        assert crlf[: 2 * e].decode("utf-16-le") == text[:i].replace("\n", "\r\n")
