"""Retrieving quotes of a code, of two overlapping codes, filtered by attributes."""

from __future__ import annotations

from qcode.core.transcript import Participant
from qcode.usecases import retrieval
from qcode.usecases.coding import apply_code


def _span(t, phrase: str) -> tuple[int, int]:  # noqa: ANN001
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
    project.store.upsert_participant(Participant("Amina B.", {"country": "MA"}))
    project.store.link_speaker(t.id, "Amina", "Amina B.")
    project.store.update_transcript_fields(t.id, attributes={"mode": "video"})
    project.invalidate()
    apply_code(project, t.id, *_span(t, "Unstable."), "instability")
    apply_code(project, t.id, *_span(t, "How is the work"), "instability")
    assert [q.text for q in retrieval.quotes(project, "instability", filters={"country": ["MA"]})] == ["Unstable."]
    assert retrieval.quotes(project, "instability", filters={"country": ["FR"]}) == []
    assert len(retrieval.quotes(project, "instability", filters={"mode": ["video"]})) == 2
    assert retrieval.attribute_values(project) == {"country": ["MA"], "mode": ["video"]}
