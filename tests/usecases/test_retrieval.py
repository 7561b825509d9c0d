"""Retrieving quotes of a code, of two overlapping codes, filtered by attributes."""

from __future__ import annotations

import pytest

from qcode.core.errors import NotFoundError
from qcode.core.transcript import Participant
from qcode.usecases import retrieval
from qcode.usecases.coding import apply_code


def _span(t, phrase: str) -> tuple[int, int]:
    i = t.text.index(phrase)
    return i, i + len(phrase)


def test_quotes_of_a_code_with_speaker(project) -> None:
    t = project.transcript("interview-01")
    apply_code(project, t.id, *_span(t, "Unstable."), "instability")
    [q] = retrieval.quotes(project, "instability")
    assert (q.text, q.speaker, q.transcript, q.code_ids) == ("Unstable.", "Amina", "interview-01", ("instability",))


def test_children_are_included_on_request(project) -> None:
    t = project.transcript("interview-01")
    apply_code(project, t.id, *_span(t, "Piece rates"), "piece-rates")
    assert retrieval.quotes(project, "pay") == []
    assert [q.text for q in retrieval.quotes(project, "pay", include_children=True)] == ["Piece rates"]


def test_co_occurrence_gives_union_of_overlapping_codings(project) -> None:
    t = project.transcript("interview-01")
    a = _span(t, "Piece rates, very low.")
    b = _span(t, "very low. You are paid")
    far = _span(t, "Unstable.")
    apply_code(project, t.id, *a, "pay")
    apply_code(project, t.id, *b, "invisible-work")
    apply_code(project, t.id, *far, "invisible-work")
    [q] = retrieval.quotes(project, "pay", with_code="invisible-work")
    assert (q.start, q.end) == (a[0], b[1])
    assert q.text == "Piece rates, very low. You are paid"


def test_attribute_filters_use_transcript_and_participant_attributes(project) -> None:
    t = project.transcript("interview-01")
    project.store.participants.upsert(Participant("Amina B.", {"country": "MA"}))
    project.store.participants.link_speaker(t.id, "Amina", "Amina B.")
    project.store.transcripts.update_fields(t.id, attributes={"mode": "video"})
    project.invalidate()
    apply_code(project, t.id, *_span(t, "Unstable."), "instability")
    apply_code(project, t.id, *_span(t, "How is the work"), "instability")
    assert [q.text for q in retrieval.quotes(project, "instability", filters={"country": ["MA"]})] == ["Unstable."]
    with pytest.raises(NotFoundError, match="No value 'FR' for attribute 'country' in this project"):
        retrieval.quotes(project, "instability", filters={"country": ["FR"]})  # a value no coding has: an error
    assert len(retrieval.quotes(project, "instability", filters={"mode": ["video"]})) == 2
    assert retrieval.attribute_values(project) == {"country": ["MA"], "mode": ["video"]}


# ----------------------------------------------------------------------------
# The quote list and the reports read passages alike (one implementation).
#
# fg-nairobi (transcript 2, country Kenya), offsets checked in make_focus_group:
#   Moderator (not linked) "How is work?"                      0-12
#   Amina  (f, no country) "Work is unstable and pay is low."  14-46
#   Brian  (m, Uganda)     "Same for me here."                 48-65
# interview-01 (transcript 1): Amina there is not linked, no attributes.

FG = "Moderator: How is work?\nAmina: Work is unstable and pay is low.\nBrian: Same for me here.\n"


def make_focus_group(project, tmp_path):
    """Import fg-nairobi into *project* (file written to *tmp_path*), attributes and links as above."""
    from qcode.usecases import importing

    (tmp_path / "fg-nairobi.txt").write_text(FG, encoding="utf-8")
    assert not importing.import_paths(project, [tmp_path / "fg-nairobi.txt"]).failed
    t = project.transcript("fg-nairobi")
    project.store.transcripts.update_fields(t.id, attributes={"country": "Kenya"})
    project.store.participants.upsert(Participant("Amina", {"gender": "f"}))
    project.store.participants.upsert(Participant("Brian", {"gender": "m", "country": "Uganda"}))
    project.store.participants.link_speaker(t.id, "Amina", "Amina")
    project.store.participants.link_speaker(t.id, "Brian", "Brian")
    project.invalidate()
    t = project.transcript("fg-nairobi")
    assert (t.text[0:12], t.text[14:46], t.text[48:65]) == ("How is work?", "Work is unstable and pay is low.", "Same for me here.")
    return t


def _coded_focus_group(project, tmp_path):
    t = make_focus_group(project, tmp_path)
    i = project.transcript("interview-01")
    apply_code(project, i.id, *_span(i, "Unstable."), "instability")
    apply_code(project, t.id, 20, 55, "instability")  # Amina's turn into Brian's
    apply_code(project, t.id, 12, 30, "instability")  # starts in the blank line before Amina's turn
    apply_code(project, t.id, 48, 65, "instability")  # Brian only
    apply_code(project, t.id, 0, 12, "instability")  # the moderator
    return t


def _report_rows(project, code: str, where: dict[str, list[str]]) -> list[tuple]:
    from qcode.core.analysis import Filters
    from qcode.core.analysis_quotes import retrieve
    from qcode.usecases.reporting import load_analysis_data

    f = Filters(codes=(code,), where={k: tuple(v) for k, v in where.items()})
    return [(q.transcript, q.start, q.end, q.speakers, q.text, q.attributes) for q in retrieve(load_analysis_data(project, f), f)]


def _screen_rows(project, code: str, where: dict[str, list[str]]) -> list[tuple]:
    return [(q.transcript, q.start, q.end, q.speakers, q.text, q.attributes) for q in retrieval.quotes(project, code, filters=where)]


def test_focus_group_rows_speakers_and_attributes(project, tmp_path) -> None:
    _coded_focus_group(project, tmp_path)
    got = [(q.transcript, q.start, q.end, q.speaker, q.attributes) for q in retrieval.quotes(project, "instability")]
    i0 = project.transcript("interview-01").text.index("Unstable.")
    assert got == [
        ("interview-01", i0, i0 + 9, "Amina", {}),
        ("fg-nairobi", 0, 12, "Moderator", {"country": "Kenya"}),
        # a passage starting in the blank line between turns is still Amina's
        ("fg-nairobi", 12, 30, "Amina", {"country": "Kenya", "gender": "f"}),
        # two speakers: both named, each valued (participant first, then transcript)
        ("fg-nairobi", 20, 55, "Amina & Brian", {"country": "Kenya; Uganda", "gender": "f; m"}),
        # Brian's own country wins over the transcript's
        ("fg-nairobi", 48, 65, "Brian", {"country": "Uganda", "gender": "m"}),
    ]


@pytest.mark.parametrize(
    ("where", "spans"),
    [
        ({}, [(0, 12), (12, 30), (20, 55), (48, 65)]),
        ({"gender": ["m"]}, [(20, 55), (48, 65)]),  # Brian speaks in the two-turn passage too
        ({"gender": ["F"]}, [(12, 30), (20, 55)]),  # values compare case-insensitively
        ({"country": ["Uganda"]}, [(20, 55), (48, 65)]),  # participant attribute before transcript's
        ({"country": ["Kenya"]}, [(0, 12), (12, 30), (20, 55)]),
        ({"country": ["Kenya"], "gender": ["m"]}, [(20, 55)]),
        ({"gender": ["(none)"]}, [(0, 12)]),  # the unlinked moderator (and Amina of interview-01)
        ({"speaker": ["Brian"]}, [(20, 55), (48, 65)]),  # built-in attribute
        ({"gender": ["m", "f"], "country": []}, [(12, 30), (20, 55), (48, 65)]),  # OR within a filter; empty = none
    ],
)
def test_quote_list_and_report_give_the_same_rows(project, tmp_path, where, spans) -> None:
    _coded_focus_group(project, tmp_path)
    screen = _screen_rows(project, "instability", where)
    assert screen == _report_rows(project, "instability", where)
    assert [(s, e) for name, s, e, *_ in screen if name == "fg-nairobi"] == spans


def test_unknown_filter_attribute_is_an_error_not_an_empty_list(project, tmp_path) -> None:
    from qcode.core.errors import NotFoundError

    _coded_focus_group(project, tmp_path)
    with pytest.raises(NotFoundError, match="Unknown attribute 'gendr'. Did you mean 'gender'"):
        retrieval.quotes(project, "instability", filters={"gendr": ["m"]})


def test_attribute_of_a_transcript_without_codings_is_known(project, tmp_path) -> None:
    make_focus_group(project, tmp_path)
    t = project.transcript("interview-01")
    apply_code(project, t.id, *_span(t, "Unstable."), "instability")
    # only interview-01 is coded, but 'country' exists in the project: no error, no quote
    assert retrieval.quotes(project, "instability", filters={"country": ["Kenya"]}) == []
    assert [q.text for q in retrieval.quotes(project, "instability", filters={"country": ["(none)"]})] == ["Unstable."]


def test_co_occurrence_filters_on_every_speaker_of_the_union(project, tmp_path) -> None:
    t = make_focus_group(project, tmp_path)
    apply_code(project, t.id, 35, 55, "pay")  # "pay is low." + Brian's "Same fo"
    apply_code(project, t.id, 14, 40, "instability")  # Amina only
    [q] = retrieval.quotes(project, "instability", with_code="pay", filters={"gender": ["m"]})
    assert (q.start, q.end, q.speaker, q.code_ids) == (14, 55, "Amina & Brian", ("instability", "pay"))
    assert q.text == "Work is unstable and pay is low.\n\nSame fo"
    with pytest.raises(NotFoundError, match="No value 'France' for attribute 'country'"):
        retrieval.quotes(project, "instability", with_code="pay", filters={"country": ["France"]})


def test_co_occurrence_of_a_code_with_itself_lists_each_pair_once(project) -> None:
    t = project.transcript("interview-01")
    a = _span(t, "Piece rates, very low.")
    b = _span(t, "very low. You are paid")
    apply_code(project, t.id, *a, "pay")
    apply_code(project, t.id, *b, "pay")
    [q] = retrieval.quotes(project, "pay", with_code="pay")
    assert (q.start, q.end, q.code_ids) == (a[0], b[1], ("pay", "pay"))
    assert q.coding_ids == tuple(c.id for c in project.store.codings.list(code_ids=["pay"]))


def test_children_are_listed_in_reading_order(project) -> None:
    t = project.transcript("interview-01")
    apply_code(project, t.id, *_span(t, "very low. You are paid"), "pay")
    apply_code(project, t.id, *_span(t, "Piece rates"), "piece-rates")
    got = [q.text for q in retrieval.quotes(project, "pay", include_children=True)]
    assert got == ["Piece rates", "very low. You are paid"]


# ----------------------------------------------------------------------------
# A passage coded alike by several coders is one quote, as in reports.


def test_same_passage_by_two_coders_is_one_quote_naming_both(project) -> None:
    t = project.transcript("interview-01")
    span = _span(t, "Unstable.")
    apply_code(project, t.id, *span, "instability", memo="Mine.")
    apply_code(project, t.id, *span, "instability", coder="lucia", memo="Hers.")
    apply_code(project, t.id, *_span(t, "Piece rates"), "instability", coder="lucia")
    got = retrieval.quotes(project, "instability")
    assert [(q.text, q.coders, q.coder) for q in got] == [
        ("Unstable.", ("tester", "lucia"), "tester, lucia"),
        ("Piece rates", (), "lucia"),
    ]
    assert got[0].memo == "Mine.\nHers."
    assert got[0].coded_by() == "coded by tester, lucia"
    # one coder's quotes stay one row each
    assert [q.text for q in retrieval.quotes(project, "instability", coders=["lucia"])] == ["Unstable.", "Piece rates"]


def test_two_coders_coding_the_same_two_codes_give_one_overlap_quote(project) -> None:
    t = project.transcript("interview-01")
    a = _span(t, "Piece rates, very low.")
    b = _span(t, "very low. You are paid")
    for coder in ("tester", "lucia"):
        apply_code(project, t.id, *a, "pay", coder=coder)
        apply_code(project, t.id, *b, "invisible-work", coder=coder)
    [q] = retrieval.quotes(project, "pay", with_code="invisible-work")
    assert (q.start, q.end, q.coders) == (a[0], b[1], ("tester", "lucia"))


def test_misspelt_attribute_lists_each_name_once(project) -> None:
    from qcode.core.errors import NotFoundError

    t = project.transcript("interview-01")
    project.store.transcripts.update_fields(t.id, attributes={"language": "en", "mode": "video"})
    project.invalidate()
    with pytest.raises(NotFoundError) as err:
        retrieval.quotes(project, "instability", filters={"mood": ["x"]})
    names = err.value.hint.split(": ", 1)[1].rstrip(".").split(", ")
    assert names == ["transcript", "kind", "language", "speaker", "participant", "coder", "mode"]
