"""One transcript's suggestion rows: scored whole, or only for the codes a codebook change touched.

:func:`transcript_rows` turns an analysed transcript into the rows a run
writes. A run remembers, per transcript, its *eligible pairs* (unit, code,
score: every pair at or above the minimum score, rejected and coded passages
left out) and which of them it kept, together with a key per code
(:meth:`~qcode.suggest.engine.Engine.column_keys` and the code's rule matches
there, :meth:`~qcode.suggest.engine.Engine.match_prints`): the
:class:`ScoreMemo`. After a codebook change, a code whose key is the same has
the same column of scores, so the next run scores only the codes whose key
changed, merges their pairs with the remembered ones, picks the best
``per_unit`` codes of each unit again, and writes only the codes whose kept
suggestions changed (:meth:`~qcode.storage.interface.Suggestions.replace_transcripts_pending`
with those codes). The result is the rows a full run would write.

The memo is used only when the pending suggestions stored are still the ones
that run wrote (their count, sum of ids and sum of scores) and the rest of the
transcript's inputs are the same (:func:`memo_base`); anything else means a
full scoring. It is one ``.npz`` file, written atomically after the run's
writes; a missing or unreadable file means "score everything".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qcode.storage.interface import SuggestionInput

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


@dataclass
class MemoEntry:
    base: str
    codes: list[str]
    keys: NDArray[np.uint64]
    """Per code of *codes*, its 64-bit key (:func:`code_keys`)."""
    unit: NDArray[np.int64]
    code: NDArray[np.int64]
    """Index in *codes* of each eligible pair's code."""
    score: NDArray[np.float64]
    kept: NDArray[np.bool_]
    stored: tuple[int, int, float] = (0, 0, 0.0)
    """The pending aggregates right after the write (count, sum of ids, sum of scores)."""
    rows: tuple[str, str, Any] | None = None
    """(signal name, its rows key, the units' rows it computed: a CSR matrix), given back to it next time."""


def memo_base(*parts: Any) -> str:
    import hashlib

    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40]


def code_keys(column_keys: list[str], prints: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """One 64-bit key per code: its column key (hashed) mixed with the fingerprint of its rule matches."""
    import hashlib

    import numpy as np

    heads = np.array([int.from_bytes(hashlib.sha256(k.encode("ascii")).digest()[:8], "little") for k in column_keys],
                     dtype=np.uint64)
    return heads ^ (prints * np.uint64(0x9E3779B97F4A7C15))


class ScoreMemo:
    """The remembered eligible pairs of each transcript (one ``.npz`` file, see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[int, MemoEntry] = {}
        self._loaded = False

    def get(self, tid: int) -> MemoEntry | None:
        if not self._loaded:
            self._load()
        return self.entries.get(tid)

    def _load(self) -> None:
        import numpy as np

        self._loaded = True
        try:
            with np.load(self.path, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files}
            codes = d["codes"].tolist()
            ptr = d["ptr"].tolist()
            for k, tid in enumerate(d["tids"].tolist()):
                a, b = ptr[k], ptr[k + 1]
                have = d["has"][k]
                agg = d["stored"][k].tolist()
                rows = None
                if "r_name" in d and str(d["r_name"][k]):
                    import scipy.sparse as sp

                    pa, pb = int(d["r_pptr"][k]), int(d["r_pptr"][k + 1])
                    da, db = int(d["r_dptr"][k]), int(d["r_dptr"][k + 1])
                    shape = (pb - pa - 1, int(d["r_width"][k]))
                    rows = (str(d["r_name"][k]), str(d["r_key"][k]),
                            sp.csr_matrix((d["r_data"][da:db], d["r_indices"][da:db], d["r_indptr"][pa:pb]), shape=shape))
                self.entries[int(tid)] = MemoEntry(
                    str(d["base"][k]), [c for c, h in zip(codes, have.tolist(), strict=True) if h],
                    d["keys"][k][have], d["unit"][a:b].astype(np.int64), _remap(d["code"][a:b], have),
                    d["score"][a:b], d["kept"][a:b], (int(agg[0]), int(agg[1]), float(agg[2])), rows)
        except (OSError, ValueError, KeyError, IndexError):
            self.entries = {}

    def drop(self, tids: list[int]) -> None:
        """Forget these transcripts (removed ones)."""
        if not self._loaded:
            self._load()
        if any(t in self.entries for t in tids):
            for t in tids:
                self.entries.pop(t, None)
            self._write()

    def save(self, updates: dict[int, MemoEntry]) -> None:
        """Remember *updates* (by transcript) beside the other entries, atomically; errors only cost speed."""
        if not updates:
            return
        if not self._loaded:
            self._load()
        self.entries.update(updates)
        self._write()

    def _write(self) -> None:
        import tempfile

        import numpy as np

        tids = sorted(self.entries)
        codes = sorted({c for e in self.entries.values() for c in e.codes})
        col = {c: i for i, c in enumerate(codes)}
        T, C = len(tids), len(codes)
        keys = np.zeros((T, C), dtype=np.uint64)
        has = np.zeros((T, C), dtype=bool)
        parts: dict[str, list[Any]] = {"unit": [], "code": [], "score": [], "kept": []}
        ptr = [0]
        for k, tid in enumerate(tids):
            e = self.entries[tid]
            at = np.array([col[c] for c in e.codes], dtype=np.int64)
            keys[k, at] = e.keys
            has[k, at] = True
            parts["unit"].append(e.unit.astype(np.int32))
            parts["code"].append(at[e.code].astype(np.int32) if len(e.code) else np.zeros(0, np.int32))
            parts["score"].append(e.score.astype(np.float64))
            parts["kept"].append(e.kept.astype(bool))
            ptr.append(ptr[-1] + len(e.unit))
        r_name, r_key, r_width, r_data, r_indices, r_indptr, r_dptr, r_pptr = [], [], [], [], [], [], [0], [0]
        for tid in tids:
            e = self.entries[tid]
            if e.rows is None:
                r_name.append("")
                r_key.append("")
                r_width.append(0)
                r_dptr.append(r_dptr[-1])
                r_pptr.append(r_pptr[-1])
                continue
            name, key, U = e.rows
            r_name.append(name)
            r_key.append(key)
            r_width.append(U.shape[1])
            r_data.append(U.data)
            r_indices.append(U.indices.astype(np.int32))
            r_indptr.append(U.indptr.astype(np.int64))
            r_dptr.append(r_dptr[-1] + len(U.data))
            r_pptr.append(r_pptr[-1] + len(U.indptr))
        arrays = {name: np.concatenate(v) if v else np.zeros(0) for name, v in parts.items()}
        arrays.update(r_name=np.array(r_name, dtype=str), r_key=np.array(r_key, dtype=str),
                      r_width=np.array(r_width, dtype=np.int64),
                      r_data=np.concatenate(r_data) if r_data else np.zeros(0),
                      r_indices=np.concatenate(r_indices) if r_indices else np.zeros(0, np.int32),
                      r_indptr=np.concatenate(r_indptr) if r_indptr else np.zeros(0, np.int64),
                      r_dptr=np.array(r_dptr, dtype=np.int64), r_pptr=np.array(r_pptr, dtype=np.int64))
        arrays.update(tids=np.array(tids, dtype=np.int64), codes=np.array(codes, dtype=str), keys=keys, has=has,
                      ptr=np.array(ptr, dtype=np.int64), base=np.array([self.entries[t].base for t in tids], dtype=str),
                      stored=np.array([list(self.entries[t].stored) for t in tids], dtype=np.float64).reshape(T, 3))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".scores.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez(f, **arrays)  # type: ignore[arg-type]
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full disk costs speed next time, not correctness


def _remap(code: NDArray[Any], has: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Global code numbers of the stored pairs -> their index among the transcript's own codes."""
    import numpy as np

    local = np.cumsum(has) - 1
    return local[code.astype(np.int64)].astype(np.int64)


def transcript_rows(
    engine: Any,
    a: Any,
    floor: float,
    per_unit: int | None,
    spans_rej: set[tuple[int, str, int, int]],
    quotes_rej: set[tuple[int, str, str]],
    already: dict[tuple[int, str], list[tuple[int, int]]],
    column_keys: list[str],
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
    keys = code_keys(column_keys, engine.match_prints(a))
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
    # The units' rows a signal computed last time with the same key are given back to it.
    given: dict[str, Any] = {}
    rows_keys = engine.rows_keys()
    if partial and memo is not None and memo.rows is not None:
        name, key, U = memo.rows
        if rows_keys.get(name) == key and U.shape[0] == n:
            given[name] = U
    table = engine.table(a, changed if partial else None, given)
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
    if rej_spans or rej_quotes or any(t == tid for t, _ in already):
        check = eligible if not partial else eligible & todo[None, :]
        for i, j in zip(*(x.tolist() for x in np.nonzero(check)), strict=True):
            code, s, e = codes[j], starts[i], ends[i]
            if (code, s, e) in rej_spans or (code, text[s:e]) in rej_quotes or _is_coded(already, tid, code, s, e):
                eligible[i, j] = False
    ii, jj = top_pairs(score, eligible, per_unit, codes)
    order = np.lexsort((jj, ii))
    ii, jj = ii[order], jj[order]
    eu, ej = np.nonzero(eligible)
    kept = np.zeros(eligible.shape, dtype=bool)
    kept[ii, jj] = True
    remembered = None
    for name, key in rows_keys.items():
        ctx = table.ctx.get(name)
        U = given.get(name, ctx[0] if ctx is not None else None)
        if U is not None:
            remembered = (name, key, U)
            break
    entry = MemoEntry(base, list(codes), keys, eu.astype(np.int64), ej.astype(np.int64), score[eu, ej].astype(np.float64),
                      kept[eu, ej], rows=remembered)
    write_codes: list[str] | None = None
    if partial:
        assert memo is not None
        # An unchanged code is written again only when its kept suggestions changed (another code took or gave
        # up a unit's place): the same pairs with the same scores are the same rows.
        was = memo.kept[keep]
        moved_pairs = np.setxor1d(mu[was] * P + mj[was], ii * P + jj)
        moved = set((moved_pairs % P).tolist()) - set(changed.tolist())
        affected = np.zeros(P, dtype=bool)
        affected[changed] = True
        if moved:
            affected[sorted(moved)] = True
            table = engine.table(a, np.nonzero(affected)[0], given)  # their evidence, and the changed codes' again
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
    from qcode.suggest.engine import covers

    return any(covers(start, end, s, e) for s, e in index.get((tid, code), ()))
