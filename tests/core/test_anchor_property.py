"""Property tests: an edit elsewhere in the transcript never loses or misplaces a coding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qcode.core.anchor import make_anchor, reanchor

WORDS = st.sampled_from(
    "the pay was low and the queue was empty for three weeks no one explained why "
    "la plateforme paie à la tâche et personne ne répond 👍 café naïve".split()
)
TEXT = st.lists(WORDS, min_size=30, max_size=120).map(" ".join)


@st.composite
def edit_outside_quote(draw: st.DrawFn) -> tuple[str, int, int, str, int]:
    text = draw(TEXT)
    n = len(text)
    qs = draw(st.integers(0, n - 10))
    qe = draw(st.integers(qs + 5, min(n, qs + 60)))
    insert = draw(st.text(alphabet="abcxyz ,.\n", min_size=1, max_size=30))
    # Edit position strictly before or after the quote (never touching it).
    pos = draw(st.one_of(st.integers(0, qs), st.integers(qe, n)))
    delete = draw(st.integers(0, 5))
    if pos <= qs:
        delete = min(delete, qs - pos)
    new = text[:pos] + insert + text[pos + delete :]
    expected = qs + len(insert) - delete if pos <= qs else qs
    return text, qs, qe, new, expected


@settings(max_examples=100, deadline=None)
@given(edit_outside_quote())
def test_quote_survives_edits_elsewhere(case: tuple[str, int, int, str, int]) -> None:
    old, qs, qe, new, expected = case
    anchor = make_anchor(old, qs, qe)
    p = reanchor(anchor, qs, new, old)
    assert 0 <= p.start < p.end <= len(new)
    assert p.status in ("exact", "moved")
    assert new[p.start : p.end] == anchor.quote
    if new.count(anchor.quote) == 1:
        assert p.start == expected


@settings(max_examples=100, deadline=None)
@given(TEXT, st.data())
def test_any_text_change_yields_a_valid_placement(text: str, data: st.DataObject) -> None:
    n = len(text)
    qs = data.draw(st.integers(0, n - 2))
    qe = data.draw(st.integers(qs + 1, n))
    new = data.draw(TEXT)
    p = reanchor(make_anchor(text, qs, qe), qs, new, text)
    assert 0 <= p.start < p.end <= len(new)  # always somewhere valid: a coding is never dropped
