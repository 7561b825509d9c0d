"""What a suggestion run reads of the project: the engine's inputs, the keys of a transcript's own inputs, and
the passages the models learn from (:func:`qcode.usecases.suggesting.run_suggestions`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from qcode.usecases.suggest_memory import inputs_key

if TYPE_CHECKING:
    from qcode.core.coding import Coding
    from qcode.storage.interface import SuggestionRow
    from qcode.usecases.project import Project


def spans_of(text: str, turns: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """What the parser sees of a transcript: its non-empty turns, or its paragraphs when it has none."""
    from qcode.suggest.units import paragraph_spans

    return tuple((a, b) for a, b in turns if b > a) or tuple(paragraph_spans(text))


def read_inputs(project: Project, tids: list[int], words: dict[int, int] | None = None,
            known: dict[int, tuple[str, str, list[tuple[int, int]], list[tuple[int, float | None]]]] | None = None,
            ) -> Iterator[Any]:
    """The engine's inputs, read 50 transcripts at a time; *known*: their turns and time points, already read
    (:meth:`~qcode.storage.interface.SuggestionsRepository.transcript_inputs` without text), so that only the
    texts are read again."""
    from qcode.suggest.engine import TranscriptInput

    for part in range(0, len(tids), 50):
        chunk = tids[part:part + 50]
        again = known is None or any(t not in known for t in chunk)
        metas = project.store.suggestions.transcript_inputs(chunk, turns=again)
        if not again:
            assert known is not None
            # (a transcript edited since its turns were read: read again, text and turns together)
            edited = [t for t in chunk if metas[t][1] != known[t][1]]
            metas = {**{t: (metas[t][0], *known[t][1:]) for t in chunk},
                     **(project.store.suggestions.transcript_inputs(edited) if edited else {})}
        for tid in chunk:
            text, sha, turns, syncs = metas[tid]
            spans = spans_of(text, turns)
            yield TranscriptInput(tid, text, spans, (words or {}).get(tid), turn_cuts(spans, [a for a, _ in syncs]), sha)


def turn_cuts(turns: Sequence[tuple[int, int]], points: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """The offsets *points* (sorted, in the text) that fall strictly inside each turn, relative to it: where
    a long turn's windows should preferably end. Empty when no turn has one."""
    import bisect

    out = []
    for a, b in turns:
        lo, hi = bisect.bisect_right(points, a), bisect.bisect_left(points, b)
        out.append(tuple(dict.fromkeys(p - a for p in points[lo:hi])))
    return tuple(out) if any(out) else ()


def meta_key(meta: tuple[str, str, list[tuple[int, int]], list[tuple[int, float | None]]]) -> str:
    _, sha, turns, syncs = meta
    # the time points decide where long turns are cut (the key of a transcript without them is unchanged)
    return inputs_key(sha, turns, [a for a, _ in syncs]) if syncs else inputs_key(sha, turns)


def coded_index(codings: list[Coding]) -> dict[tuple[int, str], list[tuple[int, int]]]:
    out: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for c in codings:
        out.setdefault((c.transcript_id, c.code_id), []).append((c.start, c.end))
    return out


def coded_spans(index: dict[tuple[int, str], list[tuple[int, int]]], tid: int) -> list[tuple[str, int, int]]:
    return [(code, s, e) for (t, code), spans in index.items() if t == tid for s, e in spans]


def training_spans(
    codings: list[Coding], rejected: list[SuggestionRow], same_lang: set[int], member_of: dict[str, str]
) -> tuple[dict[int, list[tuple[str, int, int, int | None, str]]], dict[int, list[tuple[str, int, int]]]]:
    """Coded passages and rejected suggestions to learn from, per transcript of the language."""
    by_t: dict[int, list[tuple[str, int, int, int | None, str]]] = {}
    for c in codings:
        if c.transcript_id in same_lang and c.code_id in member_of:
            by_t.setdefault(c.transcript_id, []).append((member_of[c.code_id], c.start, c.end, c.id, c.quote))
    rej: dict[int, list[tuple[str, int, int]]] = {}
    for r in rejected:
        if r.transcript_id in same_lang and r.code_id in member_of:
            rej.setdefault(r.transcript_id, []).append((member_of[r.code_id], r.start, r.end))
    return by_t, rej
