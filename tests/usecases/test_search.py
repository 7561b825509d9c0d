"""Keyword-in-context search and coding all results."""

from __future__ import annotations

import pytest

from qcode.core.errors import QcodeError
from qcode.usecases import search
from qcode.usecases.coding import History, apply_code


def test_search_finds_phrase_across_line_breaks_with_context(project) -> None:
    hits = search.search(project, "piece   RATES", context=10)
    assert [(h.match, h.speaker) for h in hits] == [("Piece rates", "Amina")]
    h = hits[0]
    t = project.transcript("interview-01")
    assert t.text[h.start : h.end] == "Piece rates"
    assert h.after == t.text[h.end : h.end + 10]


def test_whole_words_and_case(project) -> None:
    assert len(search.search(project, "the")) > len(search.search(project, "the", whole_words=True))
    assert search.search(project, "amina") == search.search(project, "Amina", case_sensitive=False)
    assert search.search(project, "unstable", case_sensitive=True) == []


def test_bad_regex_and_empty_query_are_user_errors(project) -> None:
    with pytest.raises(QcodeError, match="not a valid regular expression"):
        search.search(project, "(unclosed", regex=True)
    with pytest.raises(QcodeError, match="empty"):
        search.search(project, "   ")


def test_code_all_is_one_transaction_and_one_undo_step(project) -> None:
    history = History(project)
    t = project.transcript("interview-01")
    hits = search.search(project, "the", whole_words=True)
    first = hits[0]
    apply_code(project, t.id, first.start, first.end, "pay")  # already coded: left alone
    report = search.code_all(project, hits, "pay", history=history)
    assert report.already == 1
    assert len(report.coded) == len(hits) - 1
    assert len(project.store.codings.list(code_ids=["pay"])) == len(hits)
    history.undo()
    assert len(project.store.codings.list(code_ids=["pay"])) == 1


def test_code_all_failure_leaves_store_unchanged(project, monkeypatch) -> None:
    hits = search.search(project, "the", whole_words=True)
    calls = {"n": 0}
    real = project.store.codings.add

    def flaky(c):
        calls["n"] += 1
        if calls["n"] == 2:
            raise QcodeError("disk full")
        return real(c)

    monkeypatch.setattr(project.store.codings, "add", flaky)
    history = History(project)
    with pytest.raises(QcodeError):
        search.code_all(project, hits, "pay", history=history)
    assert project.store.codings.list() == []
    assert not history.can_undo


def test_hit_span_widens_to_sentence_or_turn() -> None:
    text = "Hello there. Piece rates, very low! You are paid.\nNext line here.\n\nOther turn? «Yes.» Done"
    turns = [(0, 65), (67, len(text))]

    def widen(word: str, unit: str) -> str:
        i = text.index(word)
        return text[slice(*search.hit_span(text, turns, i, i + len(word), unit))]

    assert widen("rates", "match") == "rates"
    assert widen("rates", "sentence") == "Piece rates, very low!"
    assert widen("Hello", "sentence") == "Hello there."
    assert widen("line", "sentence") == "Next line here."  # a line break ends a sentence
    assert widen("low! You", "sentence") == "Piece rates, very low! You are paid."
    assert widen("Yes", "sentence") == "«Yes.»"
    assert widen("Done", "sentence") == "Done"
    assert widen("Yes", "turn") == "Other turn? «Yes.» Done"
    assert widen("paid", "turn") == text[:65].strip()
    with pytest.raises(QcodeError, match="Unknown unit"):
        search.hit_span(text, turns, 0, 5, "paragraph")


def test_code_all_sentences_gives_one_coding_per_sentence(project) -> None:
    hits = search.search(project, "the")  # the, these, there, then, the, the
    assert len(hits) == 6
    report = search.code_all(project, hits, "pay", unit="sentence")
    assert sorted(c.quote for c in report.coded) == sorted([
        "How is the work these days?", "Some weeks there is nothing at all, then everything at once.",
        "And the pay?", "You are paid per task, not for the time you spend.",
    ])


def test_context_stays_in_the_hit_s_turn(project) -> None:
    """The words shown around a hit are its speaker's: the question before an answer is not
    shown as if the answerer said it."""
    [h] = search.search(project, "piece rates", context=40)
    assert h.speaker == "Amina"
    assert h.before == ""  # the answer starts with the hit; "And the pay?" is the interviewer's
    [h] = search.search(project, "pay", whole_words=True, context=60)
    assert (h.speaker, h.before, h.after) == ("Interviewer", "And the ", "?")
