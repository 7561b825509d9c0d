import pytest

from qcode.core.errors import CodingError
from qcode.core.transcript import Transcript, Turn, build_text


def test_build_text_joins_turns_with_a_blank_line_and_records_offsets() -> None:
    text, turns = build_text([("I", "Question ?", 0.0, 2.5), ("R", "  Réponse.\r\n", 2.5, None), ("R", "   ", None, None)])
    assert text == "Question ?\n\nRéponse."
    assert [(t.speaker, t.start, t.end) for t in turns] == [("I", 0, 10), ("R", 12, 20)]
    assert text[turns[1].start : turns[1].end] == "Réponse."
    assert turns[0].time_start == 0.0 and turns[0].time_end == 2.5


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, 0), (9, 0), (10, None), (12, 1), (19, 1), (20, None), (-1, None)],
)
def test_turn_at(offset: int, expected: int | None) -> None:
    text, turns = build_text([("I", "Question ?", None, None), ("R", "Réponse.", None, None)])
    t = Transcript(name="t", title="t", text=text, turns=turns)
    assert t.turn_at(offset) == expected


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (0, 999)])
def test_check_span_rejects_bad_offsets_with_the_valid_range(start: int, end: int) -> None:
    t = Transcript(name="t1", title="t", text="hello world")
    with pytest.raises(CodingError) as err:
        t.check_span(start, end)
    assert "t1" in err.value.message and "0-11" in err.value.message


@pytest.mark.parametrize(("start", "end", "said", "hint"), [
    (5, 2, "the end (2) is before the start (5)", "e.g. 2 5"),
    (200, 100, "the end (100) is before the start (200)", "e.g. 100 200"),
    (3, 3, "the end (3) is the same as the start (3)", "e.g. 3 4"),
])
def test_end_before_start_is_said_as_such(start: int, end: int, said: str, hint: str) -> None:
    t = Transcript(name="t1", title="t", text="hello world")
    with pytest.raises(CodingError) as err:
        t.check_span(start, end)
    assert said in err.value.message and "outside" not in err.value.message and hint in err.value.hint


def test_validate_finds_overlapping_turns_and_unnormalised_text() -> None:
    t = Transcript(name="t", title="t", text="ab\r\ncd", turns=[Turn(0, 4), Turn(2, 6)])
    problems = t.validate()
    assert any("normalised" in p for p in problems)
    assert any("previous turn" in p for p in problems)


def test_speaker_labels_in_order_of_first_appearance() -> None:
    text, turns = build_text([("B", "x", None, None), ("A", "y", None, None), ("B", "z", None, None)])
    assert Transcript(name="t", title="t", text=text, turns=turns).speaker_labels() == ["B", "A"]
