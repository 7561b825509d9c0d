import pytest

from qcode.core.errors import CodingError
from qcode.core.transcript import SYNC, Note, Timeline, Transcript, Turn, build_text


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


def timed() -> Transcript:
    """Three turns: "aaa bbb ccc" at 10 s with time points inside, "ddd eee" at 30 s, "fff" untimed."""
    text, turns = build_text([("A", "aaa bbb ccc", 10.0, 25.0), ("B", "ddd eee", 30.0, 40.0), ("A", "fff", None, None)])
    assert [(t.start, t.end) for t in turns] == [(0, 11), (13, 20), (22, 25)]
    notes = [
        Note(7, SYNC, "", 18.0),  # out of order on purpose: the list is not assumed sorted
        Note(0, SYNC, "", 10.0),
        Note(3, SYNC, "", 14.0),
        Note(3, SYNC, "", 15.0),  # two time points at one place (no words between): the later one dates what follows
        Note(5, "event", "rire", 99.0),  # other notes have times too, but are not time points
        Note(16, SYNC, "", None),  # a time point without a time is no time point
    ]
    return Transcript(name="t", title="t", text=text, turns=turns, notes=notes)


@pytest.mark.parametrize(
    ("offset", "turn", "expected"),
    [
        (0, None, 10.0), (2, None, 10.0),  # a time point at the turn's start
        (3, None, 15.0), (5, None, 15.0), (7, None, 18.0), (10, None, 18.0),  # the latest one at or before
        (11, None, None), (12, None, None),  # between turns: in no turn
        (13, None, 30.0), (17, None, 30.0), (19, None, 30.0),  # the previous turn's time points do not leak
        (22, None, None), (24, None, None),  # a turn without times
        (-1, None, None), (99, None, None),
        (12, 1, 30.0), (11, 0, 18.0), (99, 0, 18.0), (5, 7, None),  # the turn given by the caller
    ],
)
def test_time_at_an_offset_is_the_latest_sync_point_of_its_turn(offset: int, turn: int | None, expected: float | None) -> None:
    t = timed()
    assert Timeline(t).at(offset, turn) == expected
    if turn is None:
        assert t.time_at(offset) == expected


def test_without_sync_points_the_time_is_the_turns_start() -> None:
    t = timed()
    t.notes = [n for n in t.notes if n.kind != SYNC]
    timeline = Timeline(t)
    for offset in range(-1, len(t.text) + 2):
        i = t.turn_at(offset)
        assert timeline.at(offset) == (t.turns[i].time_start if i is not None else None)
    assert Timeline(Transcript(name="u", title="u", text="plain")).at(0) is None
