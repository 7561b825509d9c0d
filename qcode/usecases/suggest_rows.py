"""One transcript's suggestion rows: scored whole, or only for the codes a codebook change touched.

:func:`transcript_rows` turns an analysed transcript into the rows a run
writes. A run remembers, per transcript, its *eligible pairs* (unit, code,
score: every pair at or above the minimum score, rejected and coded passages
left out) and which of them it kept, together with a key per code
(:meth:`~qcode.suggest.engine.Engine.column_keys` and the code's rule matches
there, :meth:`~qcode.suggest.engine.Engine.match_prints`): the
:class:`~qcode.usecases.suggest_memory.ScoreMemo`. After a codebook change, a code whose key is the same has
the same column of scores, so the next run scores only the codes whose key
changed, merges their pairs with the remembered ones, picks the best
``per_unit`` codes of each unit again, and writes only the codes whose kept
suggestions changed (:meth:`~qcode.storage.interface.Suggestions.replace_transcripts_pending`
with those codes). The result is the rows a full run would write.

The memo is used only when the pending suggestions stored are still the ones
that run wrote (their count, sum of ids and sum of scores) and the rest of the
transcript's inputs are the same (:func:`~qcode.usecases.suggest_memory.inputs_key`);
anything else means a full scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qcode.storage.interface import SuggestionInput
from qcode.usecases.suggest_memory import MemoEntry, code_keys

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SUGGESTER = "qcode-suggest/1"


@dataclass
class Scored:
    """What :func:`transcript_rows` gives for one transcript."""

    rows: list[SuggestionInput]
    codes: list[str] | None
    """The codes whose pending suggestions *rows* replace (None: all the run's codes)."""
    entry: MemoEntry
    """What to remember once the rows are written."""
    scored_codes: int
    """How many codes were scored (all of them, or the changed ones)."""


def transcript_rows(
    engine: Any,
    a: Any,
    floor: float,
    per_unit: int | None,
    spans_rej: set[tuple[int, str, int, int]],
    quotes_rej: set[tuple[int, str, str]],
    already: dict[tuple[int, str], list[tuple[int, int]]],
    heads: NDArray[np.uint64],
    base: str,
    memo: MemoEntry | None = None,
) -> Scored:
    """The suggestion rows of one analysed transcript (:data:`qcode.storage.interface.SuggestionInput` tuples).

    Per unit, the *per_unit* best codes (all when None) whose score is >=
    *floor*, leaving out rejected and already coded passages (so the next
    best code can take their place). Evidence is stored compact
    (:mod:`qcode.suggest.evidence`). With a *memo* of the same *base*, only the
    codes whose key changed are scored (module docstring).
    """
    import numpy as np

    from qcode.suggest.engine import top_pairs

    codes = engine.codes
    P = len(codes)
    keys = code_keys(heads, engine.match_prints(a))
    usable = memo is not None and memo.base == base
    old: dict[str, int] = {}
    if usable:
        assert memo is not None
        old = {c: int(k) for c, k in zip(memo.codes, memo.keys.tolist(), strict=True)}
    changed = np.array([j for j in range(P) if old.get(codes[j]) != int(keys[j])], dtype=np.int64)
    partial = usable and len(changed) < P
    n = len(a.feats)
    tid, text = a.transcript_id, a.text
    starts, ends = a.feats.start.tolist(), a.feats.end.tolist()
    table = engine.table(a, changed if partial else None)
    score = table.score
    eligible = (score >= floor) & (score > 0)
    if partial:
        assert memo is not None
        todo = np.zeros(P, dtype=bool)
        todo[changed] = True
        eligible &= todo[None, :]
        mine = {c: j for j, c in enumerate(codes)}
        to_now = np.array([mine.get(c, -1) for c in memo.codes], dtype=np.int64)
        j_now = to_now[memo.code] if len(memo.code) else memo.code
        keep = (j_now >= 0) & ~todo[np.maximum(j_now, 0)] & (memo.unit < n)
        mu, mj, ms = memo.unit[keep], j_now[keep], memo.score[keep]
        score[mu, mj] = ms
        eligible[mu, mj] = True
    rej_spans = {(c, s, e) for (t, c, s, e) in spans_rej if t == tid}
    rej_quotes = {(c, q) for (t, c, q) in quotes_rej if t == tid}
    if rej_spans or rej_quotes or any(already.get((tid, c)) for c in codes):
        check = eligible if not partial else eligible & todo[None, :]
        for i, j in zip(*(x.tolist() for x in np.nonzero(check)), strict=True):
            code, s, e = codes[j], starts[i], ends[i]
            if (code, s, e) in rej_spans or (code, text[s:e]) in rej_quotes or _is_coded(already, tid, code, s, e):
                eligible[i, j] = False
    if partial:
        # Only the units with an eligible pair of a rescored code, now or last time, can keep other codes
        # than last time; the others keep what the memo says they kept.
        assert memo is not None
        before = np.zeros(eligible.shape, dtype=bool)
        was = memo.kept[keep]
        before[mu[was], mj[was]] = True
        old_units = memo.unit[(j_now >= 0) & todo[np.maximum(j_now, 0)] & (memo.unit < n)] if len(j_now) else j_now
        again = np.zeros(n, dtype=bool)
        again[eligible[:, changed].any(axis=1)] = True
        again[old_units] = True
        redo = np.nonzero(again)[0]
        si, sj = top_pairs(score[redo], eligible[redo], per_unit, codes)
        kept = before.copy()
        kept[redo] = False
        kept[redo[si], sj] = True
        ii, jj = np.nonzero(kept)
    else:
        ii, jj = top_pairs(score, eligible, per_unit, codes)
        kept = np.zeros(eligible.shape, dtype=bool)
        kept[ii, jj] = True
    order = np.lexsort((jj, ii))
    ii, jj = ii[order], jj[order]
    eu, ej = np.nonzero(eligible)
    entry = MemoEntry(base, list(codes), keys, eu.astype(np.int64), ej.astype(np.int64), score[eu, ej].astype(np.float64),
                      kept[eu, ej])
    write_codes: list[str] | None = None
    if partial:
        assert memo is not None
        # An unchanged code is written again only when its kept suggestions changed (another code took or gave
        # up a unit's place): the same pairs with the same scores are the same rows.
        moved = set(np.nonzero((kept ^ before).any(axis=0) & ~todo)[0].tolist())
        affected = np.zeros(P, dtype=bool)
        affected[changed] = True
        if moved:
            affected[sorted(moved)] = True
            table = engine.table(a, np.nonzero(affected)[0])  # their evidence, and the changed codes' again
        sel = affected[jj]
        ii, jj = ii[sel], jj[sel]
        write_codes = [codes[j] for j in np.nonzero(affected)[0].tolist()]
    evidence = engine.compact_many(table, ii, jj)
    scores = score[ii, jj].tolist()
    rows = [
        (tid, codes[j], starts[i], ends[i], text[starts[i]:ends[i]], round(sc, 6), ev, SUGGESTER)
        for i, j, sc, ev in zip(ii.tolist(), jj.tolist(), scores, evidence, strict=True)
    ]
    return Scored(rows, write_codes, entry, len(changed) if partial else P)


def _is_coded(index: dict[tuple[int, str], list[tuple[int, int]]], tid: int, code: str, start: int, end: int) -> bool:
    from qcode.core.agreement_units import covers

    return any(covers(start, end, s, e) for s, e in index.get((tid, code), ()))
