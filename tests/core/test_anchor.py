"""Re-anchoring codings after the transcript text changes."""

from __future__ import annotations

import random
import time

from qcode.core.anchor import make_anchor, reanchor

OLD = ("Interviewer: How is the pay?\n\nAmina: Eight cents for rating one answer, thirty cents for a rewrite. "
       "The hour is counted only when the tool says you are active.\n\nInterviewer: And the queue?\n\n"
       "Amina: Empty for three weeks, no explanation.")


def place(old: str, new: str, quote: str):
    s = old.index(quote)
    return reanchor(make_anchor(old, s, s + len(quote)), s, new, old)


def test_unchanged_text_is_exact() -> None:
    p = place(OLD, OLD, "thirty cents for a rewrite")
    assert p.status == "exact" and OLD[p.start:p.end] == "thirty cents for a rewrite"


def test_edit_before_shifts_but_stays_exact() -> None:
    new = OLD.replace("How is the pay?", "How is the pay these days, really?")
    p = place(OLD, new, "thirty cents for a rewrite")
    assert p.status == "exact" and new[p.start:p.end] == "thirty cents for a rewrite"


def test_edit_next_to_quote_is_moved() -> None:
    new = OLD.replace("Eight cents for rating one answer, ", "Nine cents per rating, ")
    p = place(OLD, new, "thirty cents for a rewrite")
    assert p.status == "moved" and new[p.start:p.end] == "thirty cents for a rewrite"


def test_edited_quote_is_fuzzy_at_the_right_place() -> None:
    new = OLD.replace("Empty for three weeks", "Empty for four weeks")
    p = place(OLD, new, "Empty for three weeks, no explanation")
    assert p.status == "fuzzy"
    assert new[p.start:p.end].startswith("Empty for four weeks")


def test_deleted_passage_is_lost_not_dropped() -> None:
    quote = "The hour is counted only when the tool says you are active."
    new = OLD.replace(quote, "")
    p = place(OLD, new, quote)
    assert p.status in ("lost", "fuzzy")
    assert 0 <= p.start < p.end <= len(new)


def test_repeated_quote_prefers_matching_context() -> None:
    old = "Alpha said yes. Beta said no. Gamma said yes. Delta said no."
    s = old.index("yes", 20)  # Gamma's yes
    new = "Intro. " + old
    p = reanchor(make_anchor(old, s, s + 3), s, new, old)
    assert p.start == s + 7 and p.status == "exact"


def test_fast_on_200k_characters() -> None:
    rng = random.Random(3)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(35000)]
    old = " ".join(words)
    new = old[:1000] + "INSERTED " + old[1000:90000] + old[90040:] + " tail"
    spans = [(s, s + rng.randint(10, 200)) for s in (rng.randint(0, len(old) - 300) for _ in range(300))]
    t0 = time.perf_counter()
    results = [reanchor(make_anchor(old, s, e), s, new, old) for s, e in spans]
    elapsed = time.perf_counter() - t0
    assert all(0 <= r.start < r.end <= len(new) for r in results)
    assert sum(r.status == "exact" for r in results) >= 280
    assert elapsed < 30  # generous bound; linear work, not a benchmark
