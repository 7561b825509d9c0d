"""Coded retrieval: quote attributes, reading order, overlapping codings, attribute checks.

Uses the hand-built project of ``test_analysis`` (layout in its docstring):
t1 fg-nairobi-2 (country Kenya): Moderator 0-12, Amina 14-46, Brian 48-65;
t2 int-paris (country France): Q 0-8, Chloe 10-30.
Codings: 1 A 14-30 ann | 2 B 35-46 ann | 3 A1 14-46 ann (memo m3) | 4 A 48-65 bob |
5 A 14-30 bob | 6 A1 10-21 ann (t2) | 7 B 23-30 ann (t2).
"""

from __future__ import annotations

import pytest

from qcode.core.analysis import (
    BUILTIN_ATTRIBUTES,
    AnalysisData,
    Filters,
    check_attributes,
)
from qcode.core.analysis_quotes import retrieve, retrieve_overlaps
from qcode.core.coding import Coding, Memo
from qcode.core.errors import NotFoundError
from qcode.core.transcript import Participant
from tests.core.test_analysis import DATA


def _with(*, participants=None, codings=(), memos=()) -> AnalysisData:
    return AnalysisData(
        DATA.codebook, DATA.transcripts, participants if participants is not None else DATA.participants,
        (*DATA.codings, *codings), (*DATA.memos, *memos),
    )


# Brian now has a country of his own, unlike the transcript he speaks in.
UGANDA = _with(
    participants=[*(p for p in DATA.participants if p.name != "Brian"), Participant("Brian", {"gender": "m", "country": "Uganda"})],
    codings=[Coding(1, 20, 55, "C", "ann", id=8)],  # from "s unstable" (Amina) to "Same fo" (Brian)
)


def test_participant_attribute_wins_over_the_transcript_in_quotes_and_filters() -> None:
    [q4] = retrieve(UGANDA, Filters(codes=("A",), coders=("bob",), where={"country": ("uganda",)}))
    assert (q4.coding_id, q4.speakers) == (4, ("Brian",))
    # the filter matched Brian's own country, so the quote must show that one (was: Kenya)
    assert q4.attributes == {"country": "Uganda", "gender": "m"}


def test_quote_spanning_two_speakers_lists_each_value() -> None:
    [q] = retrieve(UGANDA, Filters(codes=("C",)))
    assert q.text == "s unstable and pay is low.\n\nSame fo"
    assert q.speakers == ("Amina", "Brian")
    assert q.attributes == {"country": "Kenya; Uganda", "gender": "f; m"}
    assert [x.coding_id for x in retrieve(UGANDA, Filters(codes=("C",), where={"country": ("Uganda",)}))] == [8]
    assert [x.coding_id for x in retrieve(UGANDA, Filters(codes=("C",), where={"gender": ("f",)}))] == [8]
    assert retrieve(UGANDA, Filters(codes=("C",), where={"country": ("France",)})) == []


def test_unlinked_speaker_quote_has_transcript_attributes_only() -> None:
    data = _with(codings=[Coding(1, 0, 12, "C", "ann", id=8)])
    [q] = retrieve(data, Filters(codes=("C",)))
    assert (q.speakers, q.participants, q.attributes) == (("Moderator",), ("Moderator",), {"country": "Kenya"})


def test_retrieve_in_reading_order() -> None:
    by_code = [q.coding_id for q in retrieve(DATA, Filters(codes=("A",)))]
    reading = [q.coding_id for q in retrieve(DATA, Filters(codes=("A",)), by_code=False)]
    assert by_code == [1, 5, 4, 3, 6]
    assert reading == [1, 5, 3, 4, 6]


def test_overlaps_give_the_union_span_with_both_codings() -> None:
    memo = Memo("coding", "2", "pay remark", "ann")
    [q] = retrieve_overlaps(_with(memos=[memo]), ["A1"], ["B"])  # t2's 6 (10-21) and 7 (23-30) do not touch
    assert (q.coding_id, q.code_id, q.with_coding_id, q.with_code_id) == (3, "A1", 2, "B")
    assert (q.start, q.end, q.text) == (14, 46, "Work is unstable and pay is low.")
    assert (q.memo, q.notes, q.speakers, q.coder) == ("m3", ("pay remark",), ("Amina",), "ann")


def test_overlaps_match_codes_exactly_and_filter_by_coder() -> None:
    assert [(q.coding_id, q.with_coding_id) for q in retrieve_overlaps(DATA, ["A"], ["A1"])] == [(1, 3), (5, 3)]
    assert [(q.coding_id, q.with_coding_id) for q in retrieve_overlaps(DATA, ["A"], ["A1"], Filters(coders=("bob",)))] == []
    assert retrieve_overlaps(DATA, ["A"], ["B"]) == []  # 1 and 5 end at 30, 2 starts at 35; 4 starts at 48


def test_overlaps_of_a_code_with_itself_list_each_pair_once() -> None:
    assert [(q.coding_id, q.with_coding_id, q.coder) for q in retrieve_overlaps(DATA, ["A"], ["A"])] == [(1, 5, "ann")]


def test_overlaps_filter_on_every_speaker_of_the_union() -> None:
    data = _with(codings=[Coding(1, 40, 60, "C", "bob", id=8)])  # Amina's "low." into Brian's turn
    [q] = retrieve_overlaps(data, ["A1"], ["C"], Filters(where={"gender": ("m",)}))
    assert (q.start, q.end, q.speakers, q.participants) == (14, 60, ("Amina", "Brian"), ("Amina", "Brian"))
    assert q.attributes["gender"] == "f; m"
    assert retrieve_overlaps(data, ["A1"], ["C"], Filters(where={"country": ("France",)})) == []
    assert retrieve_overlaps(data, ["A1"], ["C"], Filters(transcripts=("int-paris",))) == []


def test_check_attributes_suggests_a_spelling() -> None:
    check_attributes(["gender", "speaker"], [*BUILTIN_ATTRIBUTES, "gender"])
    with pytest.raises(NotFoundError, match="Unknown attribute 'gendr'. Did you mean 'gender'") as exc:
        check_attributes(["gendr"], [*BUILTIN_ATTRIBUTES, "gender"])
    assert "gender" in (exc.value.hint or "")
