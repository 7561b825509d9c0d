"""Analyses on a small hand-built project; every expected value was computed by hand.

Layout of the data (offsets checked in ``test_fixture_offsets``):

t1 "fg-nairobi-2" (focus group Nairobi 2, country Kenya)
  turn 0  Moderator (not linked)  "How is work?"                       0-12
  turn 1  Amina (05 s)            "Work is unstable and pay is low."  14-46
  turn 2  Brian (754 s)           "Same for me here."                 48-65
t2 "int-paris" (interview Paris, country France), no times
  turn 0  Q (not linked)          "Tell me."                           0-8
  turn 1  Chloe                   "No contract, no pay."              10-30

Codings: 1 A 14-30 ann | 2 B 35-46 ann | 3 A1 14-46 ann | 4 A 48-65 bob |
5 A 14-30 bob | 6 A1 10-21 ann (t2) | 7 B 23-30 ann (t2). C is never used.
Participants: Amina f, Brian m, Chloe f, Dmitri m (in no transcript).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from qcode.core.analysis import (
    AnalysisData,
    Filters,
    check_filters,
    code_transcript_matrix,
    cooccurrence,
    crosstab,
    find_interviewers,
    format_time,
    frequencies,
    make_segments,
    select,
)
from qcode.core.analysis_quotes import retrieve
from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding, Memo
from qcode.core.errors import NotFoundError
from qcode.core.transcript import Participant, Transcript, build_text


def _data() -> AnalysisData:
    cb = Codebook(
        title="T",
        codes=(
            Code("A", {"": "Alpha"}),
            Code("A1", {"": "Alpha one"}, parent="A"),
            Code("B", {"": "Beta"}),
            Code("C", {"": "Gamma"}),
        ),
    )
    text1, turns1 = build_text(
        [
            ("Moderator", "How is work?", 0.0, 5.0),
            ("Amina", "Work is unstable and pay is low.", 5.0, 12.0),
            ("Brian", "Same for me here.", 754.0, 760.0),
        ]
    )
    text2, turns2 = build_text([("Q", "Tell me.", None, None), ("Chloe", "No contract, no pay.", None, None)])
    t1 = Transcript(
        "fg-nairobi-2", "focus group Nairobi 2", text1, turns1, kind="focus_group",
        attributes={"country": "Kenya"}, speakers={"Amina": "Amina", "Brian": "Brian"}, id=1,
    )
    t2 = Transcript(
        "int-paris", "interview Paris", text2, turns2, kind="interview",
        attributes={"country": "France"}, speakers={"Chloe": "Chloe"}, id=2,
    )
    spans = [
        (1, 1, 14, 30, "A", "ann"), (2, 1, 35, 46, "B", "ann"), (3, 1, 14, 46, "A1", "ann"),
        (4, 1, 48, 65, "A", "bob"), (5, 1, 14, 30, "A", "bob"), (6, 2, 10, 21, "A1", "ann"),
        (7, 2, 23, 30, "B", "ann"),
    ]
    codings = [Coding(t, s, e, code, coder, id=i, memo="m3" if i == 3 else "") for i, t, s, e, code, coder in spans]
    people = [
        Participant("Amina", {"gender": "f"}), Participant("Brian", {"gender": "m"}),
        Participant("Chloe", {"gender": "f"}), Participant("Dmitri", {"gender": "m"}),
    ]
    memos = [Memo("coding", "6", "check with Chloe's second interview", "ann")]
    return AnalysisData(cb, (t1, t2), tuple(people), tuple(codings), tuple(memos), project="demo")


DATA = _data()


def test_fixture_offsets() -> None:
    t1, t2 = DATA.transcripts
    assert t1.text[14:30] == "Work is unstable"
    assert t1.text[35:46] == "pay is low."
    assert t1.text[48:65] == "Same for me here."
    assert t2.text[10:21] == "No contract"
    assert t2.text[23:30] == "no pay."


# code -> (codings, transcripts, speakers, participants, words) own, then rolled up
FREQ = {
    "A": ((3, 1, 2, 2, 7), (5, 2, 3, 3, 13)),
    "A1": ((2, 2, 2, 2, 9), (2, 2, 2, 2, 9)),
    "B": ((2, 2, 2, 2, 5), (2, 2, 2, 2, 5)),
    "C": ((0, 0, 0, 0, 0), (0, 0, 0, 0, 0)),
}


@pytest.mark.parametrize("code", list(FREQ))
def test_frequencies_own_and_rolled_up(code: str) -> None:
    row = {f.code_id: f for f in frequencies(DATA)}[code]
    own, total = FREQ[code]
    assert (row.codings, row.transcripts, row.speakers, row.participants, row.words) == own
    assert (row.total_codings, row.total_transcripts, row.total_speakers, row.total_participants, row.total_words) == total


def test_frequencies_order_depth_and_labels() -> None:
    rows = frequencies(DATA)
    assert [(r.code_id, r.depth, r.label) for r in rows] == [
        ("A", 0, "Alpha"), ("A1", 1, "Alpha one"), ("B", 0, "Beta"), ("C", 0, "Gamma"),
    ]


@pytest.mark.parametrize(
    ("filters", "expected_ids"),
    [
        (Filters(), [1, 5, 3, 2, 4, 6, 7]),
        (Filters(codes=("A",)), [1, 5, 3, 4, 6]),
        (Filters(codes=("A1",)), [3, 6]),
        (Filters(coders=("bob",)), [5, 4]),
        (Filters(transcripts=("int-paris",)), [6, 7]),
        (Filters(where={"country": ("france",)}), [6, 7]),
        (Filters(where={"gender": ("m",)}), [4]),
        (Filters(where={"kind": ("focus_group",)}, coders=("ann",)), [1, 3, 2]),
        (Filters(where={"speaker": ("Amina", "Chloe")}, codes=("B",)), [2, 7]),
    ],
)
def test_select_filters(filters: Filters, expected_ids: list[int]) -> None:
    assert [s.coding.id for s in select(DATA, filters)] == expected_ids


CROSS = [
    # attribute, filters, groups, sizes, {code: (counts, people, shares)}
    ("country", None, 
        ("France", "Kenya"), (1, 2),
        {"A": ((1, 4), (1, 2), (1.0, 1.0)), "A1": ((1, 1), (1, 1), (1.0, 0.5)),
         "B": ((1, 1), (1, 1), (1.0, 0.5)), "C": ((0, 0), (0, 0), (0.0, 0.0))},
    ),
    ("gender", None,
        ("f", "m"), (2, 1),
        {"A": ((4, 1), (2, 1), (1.0, 1.0)), "B": ((2, 0), (2, 0), (1.0, 0.0))},
    ),
    ("country", Filters(where={"gender": ("f",)}),
        ("France", "Kenya"), (1, 1),
        {"A": ((1, 3), (1, 1), (1.0, 1.0)), "B": ((1, 1), (1, 1), (1.0, 1.0))},
    ),
]


@pytest.mark.parametrize(("attr", "filters", "groups", "sizes", "rows"), CROSS)
def test_crosstab_counts_and_shares(attr, filters, groups, sizes, rows) -> None:
    table = crosstab(DATA, attr, filters)
    assert table.groups == groups
    assert table.sizes == sizes
    got = {r.code_id: (r.counts, r.people, r.shares) for r in table.rows}
    for code, expected in rows.items():
        assert got[code] == expected, code


def test_crosstab_missing_value_is_its_own_group_last() -> None:
    data = AnalysisData(
        DATA.codebook, DATA.transcripts,
        (Participant("Amina", {"gender": "f"}), Participant("Brian", {}), Participant("Chloe", {"gender": "f"})),
        DATA.codings,
    )
    table = crosstab(data, "gender")
    assert table.groups == ("f", "(none)")
    assert {r.code_id: r.counts for r in table.rows}["A"] == (4, 1)


COOC = {
    ("overlap", None): (("A", "A1", "B"), ((3, 2, 0), (2, 2, 1), (0, 1, 2))),
    ("overlap", 1): (("A", "B"), ((5, 1), (1, 2))),
    ("turn", None): (("A", "A1", "B"), ((2, 1, 1), (1, 2, 2), (1, 2, 2))),
}


@pytest.mark.parametrize("key", list(COOC), ids=[f"{m}-{lv}" for m, lv in COOC])
def test_cooccurrence(key: tuple[str, int | None]) -> None:
    mode, level = key
    codes, values = COOC[key]
    m = cooccurrence(DATA, mode=mode, level=level)
    assert m.codes == codes
    assert m.values == values


def test_cooccurrence_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError):
        cooccurrence(DATA, mode="sentence")


def test_code_transcript_matrix_rolls_up() -> None:
    m = code_transcript_matrix(DATA)
    assert m.columns == ("fg-nairobi-2", "int-paris")
    assert m.column_labels == ("focus group Nairobi 2", "interview Paris")
    assert dict(zip(m.rows, m.values, strict=True)) == {"A": (4, 1), "A1": (1, 1), "B": (1, 1), "C": (0, 0)}
    only_paris = code_transcript_matrix(DATA, Filters(transcripts=("int-paris",), codes=("B",)))
    assert (only_paris.rows, only_paris.values) == (("B",), ((1,),))


def test_retrieve_quotes_with_attribution_memo_and_order() -> None:
    quotes = retrieve(DATA, Filters(codes=("A",)))
    assert [(q.coding_id, q.code_id) for q in quotes] == [(1, "A"), (5, "A"), (4, "A"), (3, "A1"), (6, "A1")]
    q1, _, q4, q3, q6 = quotes
    assert q1.text == "Work is unstable"
    assert q1.attribution() == "— Amina, focus group Nairobi 2, 00:00:05"
    assert q4.attribution() == "— Brian, focus group Nairobi 2, 00:12:34"
    assert q6.attribution() == "— Chloe, interview Paris, turn 2"
    assert q3.memo == "m3" and q3.code_path == ("A", "A1")
    assert q6.notes == ("check with Chloe's second interview",)
    assert q6.attributes == {"country": "France", "gender": "f"}
    assert (q6.start, q6.end, q6.coder, q6.turn) == (10, 21, "ann", 2)
    assert q6.coders == () and q6.coded_by() == ""  # a plain quote: one coder, nothing to add


def test_quote_coded_by_names_several_coders_only() -> None:
    from dataclasses import replace

    q = retrieve(DATA, Filters(codes=("A",)))[0]
    assert replace(q, coders=("ann",)).coded_by() == ""
    assert replace(q, coders=("ann", "bob")).coded_by() == "coded by ann, bob"


def test_segment_spanning_two_turns_has_both_speakers() -> None:
    t1 = DATA.transcripts[0]
    seg, = make_segments(DATA, [Coding(1, 20, 55, "A", "ann")])
    assert seg.turns == (1, 2)
    assert seg.speakers == ("Amina", "Brian")
    quote = retrieve(AnalysisData(DATA.codebook, (t1,), DATA.participants, (seg.coding,)))[0]
    assert quote.who == "Amina & Brian"


def test_with_participant_data_shares_count_participants_only() -> None:
    # The moderator says something coded; with participant data the share stays a share of
    # participants: the unlinked moderator counts neither in the group size nor among the people.
    extra = Coding(1, 0, 12, "C", "ann", id=8)
    data = AnalysisData(DATA.codebook, DATA.transcripts, DATA.participants, (*DATA.codings, extra))
    table = crosstab(data, "country")
    assert table.unit == "participants"
    assert table.sizes == (1, 2)
    assert {r.code_id: (r.counts, r.people) for r in table.rows}["C"] == ((0, 1), (0, 0))
    assert [(f.code_id, f.speakers, f.participants) for f in frequencies(data) if f.code_id == "C"] == [("C", 1, 0)]


def test_without_participant_data_shares_count_every_speaker_but_interviewers() -> None:
    # No speaker linked: the unit is the speaker, every speaker of the kept transcripts counts
    # (coded or not), so one coded speaker of two is 50%, not 100%; interviewers are left out.
    t1, t2 = (replace(t, speakers={}) for t in DATA.transcripts)
    data = AnalysisData(DATA.codebook, (t1, t2), (), DATA.codings)
    table = crosstab(data, "country")
    assert table.unit == "speakers"
    assert table.groups == ("France", "Kenya") and table.sizes == (2, 3)  # Q+Chloe, Moderator+Amina+Brian
    beta = {r.code_id: r for r in table.rows}["B"]
    assert beta.people == (1, 1) and beta.shares == (0.5, 1 / 3)
    interviewers = find_interviewers(data)
    assert interviewers == {(1, "Moderator"), (2, "Q")}
    table = crosstab(replace(data, interviewers=interviewers), "country")
    assert table.sizes == (1, 2)
    assert {r.code_id: r for r in table.rows}["B"].shares == (1.0, 0.5)


def test_interviewers_named_by_attribute_or_role_and_left_out_of_counts() -> None:
    t1, t2 = DATA.transcripts
    t1 = replace(t1, attributes={**t1.attributes, "interviewer": "Brian"})
    people = (*DATA.participants[:2], Participant("Chloe", {"role": "Enquêtrice"}))
    data = AnalysisData(DATA.codebook, (t1, t2), people, DATA.codings)
    found = find_interviewers(data)
    assert found == {(1, "Moderator"), (1, "Brian"), (2, "Q"), (2, "Chloe")}
    assert find_interviewers(AnalysisData(DATA.codebook, (replace(t2, speakers={}, turns=[
        replace(t2.turns[0], speaker="Sonia B. (ENQ)"), t2.turns[1]]),))) == {(2, "Sonia B. (ENQ)")}
    freq = {f.code_id: f for f in frequencies(replace(data, interviewers=found))}
    assert (freq["A"].total_speakers, freq["A"].total_participants) == (1, 1)  # Amina only


@pytest.mark.parametrize(
    ("filters", "by", "message"),
    [
        (Filters(codes=("A2",)), (), "Unknown code 'A2'"),
        (Filters(transcripts=("int-pari",)), (), "Did you mean 'int-paris'"),
        (Filters(coders=("anne",)), (), "No codings by coder 'anne'. Did you mean 'ann'"),
        (Filters(where={"contry": ("Kenya",)}), (), "Unknown attribute 'contry'. Did you mean 'country'"),
        (Filters(), ("gendre",), "Did you mean 'gender'"),
        (Filters(where={"country": ("Keny",)}), (), "No value 'Keny' for attribute 'country' in this project. "
                                                       "Did you mean 'Kenya'?"),
        (Filters(where={"kind": ("focus-group",)}), (), "Did you mean 'focus_group'?"),
        (Filters(where={"country": ("Fra",)}), (), "Did you mean 'France'?"),  # the start of a value
        (Filters(where={"coder": ("bobb",)}), (), "No value 'bobb' for attribute 'coder'"),
    ],
)
def test_check_filters_names_the_unknown(filters: Filters, by: tuple[str, ...], message: str) -> None:
    with pytest.raises(NotFoundError) as err:
        check_filters(DATA, filters, by)
    assert message in str(err.value)


def test_check_filters_accepts_known_names() -> None:
    check_filters(DATA, Filters(codes=("A1",), transcripts=("int-paris",), coders=("bob",), where={"gender": ("f",)}), ("kind",))
    check_filters(DATA, Filters(where={"country": ("FRANCE", "(none)"), "speaker": ("Amina",)}))


@pytest.mark.parametrize(("seconds", "text"), [(None, ""), (0, "00:00:00"), (754.4, "00:12:34"), (3725, "01:02:05")])
def test_format_time(seconds: float | None, text: str) -> None:
    assert format_time(seconds) == text


def test_filters_describe() -> None:
    f = Filters(codes=("A",), coders=("ann",), where={"country": ("Kenya", "France")})
    assert f.describe() == ["codes: A (with sub-codes)", "coders: ann", "country = Kenya or France"]
