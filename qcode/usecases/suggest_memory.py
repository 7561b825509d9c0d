"""What suggestion runs remember between them, so that a re-run does only the work its changes call for.

* :class:`Manifest` (``cache/suggest/manifest.json``): per transcript, the key
  of the inputs of its last suggestions and the fingerprint of what was stored;
  a transcript whose inputs did not change, or whose rule matches say the same
  after a rule change, is skipped.
* :class:`ScoreMemo` (``cache/suggest/scores.arrays``): per transcript, its
  eligible (unit, code, score) pairs, the ones kept and a key per code: a re-run
  after a codebook change scores only
  the codes whose key changed (:func:`qcode.usecases.suggest_rows.transcript_rows`).

Both are used only while what is stored is what they say was written, and are
written atomically; a missing or unreadable file means "recompute", and a
read-only or full disk costs speed, not correctness.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


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


def inputs_key(*parts: Any) -> str:
    """A key of some inputs (the SHA-256 of their repr): what the manifest and the memo compare between runs."""
    import hashlib

    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40]


def column_heads(column_keys: list[str]) -> NDArray[np.uint64]:
    """Each code's column key (:meth:`~qcode.suggest.engine.Engine.column_keys`) as a 64-bit number (once per run)."""
    import hashlib

    import numpy as np

    return np.array([int.from_bytes(hashlib.sha256(k.encode("ascii")).digest()[:8], "little") for k in column_keys],
                    dtype=np.uint64)


def code_keys(heads: NDArray[np.uint64], prints: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """One 64-bit key per code of a transcript: its column head (:func:`column_heads`) mixed with the fingerprint
    of its rule matches there."""
    import numpy as np

    with np.errstate(over="ignore"):
        return heads ^ (prints * np.uint64(0x9E3779B97F4A7C15))


class ScoreMemo:
    """The remembered eligible pairs of each transcript (one ``.arrays`` file, see the module docstring)."""

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

        from qcode.suggest.cache import from_bytes

        self._loaded = True
        try:
            d = from_bytes(self.path.read_bytes())
            codes = d["codes"].tolist()
            ptr = d["ptr"].tolist()
            for k, tid in enumerate(d["tids"].tolist()):
                a, b = ptr[k], ptr[k + 1]
                have = d["has"][k]
                agg = d["stored"][k].tolist()
                self.entries[int(tid)] = MemoEntry(
                    str(d["base"][k]), [c for c, h in zip(codes, have.tolist(), strict=True) if h],
                    d["keys"][k][have], d["unit"][a:b].astype(np.int64), _remap(d["code"][a:b], have),
                    d["score"][a:b], d["kept"][a:b], (int(agg[0]), int(agg[1]), float(agg[2])))
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
        import numpy as np

        from qcode.suggest.cache import as_buffers, write_atomically

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
        arrays = {name: np.concatenate(v) if v else np.zeros(0) for name, v in parts.items()}
        arrays.update(tids=np.array(tids, dtype=np.int64), codes=np.array(codes, dtype=str), keys=keys, has=has,
                      ptr=np.array(ptr, dtype=np.int64), base=np.array([self.entries[t].base for t in tids], dtype=str),
                      stored=np.array([list(self.entries[t].stored) for t in tids], dtype=np.float64).reshape(T, 3))
        write_atomically(self.path, lambda: as_buffers(arrays))  # (a read-only or full disk costs speed next time)


def _remap(code: NDArray[Any], has: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Global code numbers of the stored pairs -> their index among the transcript's own codes."""
    import numpy as np

    local = np.cumsum(has) - 1
    return local[code.astype(np.int64)].astype(np.int64)


class Manifest:
    """What the last runs wrote, per transcript: (inputs key, stored aggregates, words, inputs key without the rules).

    The last key replaces the codebook's keywords, labels and patterns by the transcript's rule matches (and
    those of the transcripts learned from): a re-run after a rule change compares it once they are known.

    A transcript is skipped when its inputs key is the same and its pending
    suggestions still have the same count, sum of ids and sum of scores as
    right after they were written (so a decision, a deletion or another run
    in between is noticed). A missing or unreadable file means "recompute".
    """

    def __init__(self, path: Any) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            import json

            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._data = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._data = {}
        return self._data

    def get(self, tid: int) -> tuple[str, list[Any], int, str] | None:
        e = self._load().get(str(tid))
        return (e[0], e[1], int(e[2]), str(e[3])) if isinstance(e, list) and len(e) == 4 else None

    def drop(self, tids: list[int]) -> None:
        data = self._load()
        if any(str(t) in data for t in tids):
            for t in tids:
                data.pop(str(t), None)
            self._write(data)

    def update(self, entries: dict[int, tuple[str, tuple[int, int, float], int, str]]) -> None:
        data = self._load()
        data.update({str(tid): [k, list(agg), n, late] for tid, (k, agg, n, late) in entries.items()})
        self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        import json

        from qcode.formats.atomic import atomic_write_text

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data))
        except OSError:
            pass  # a read-only or full disk costs speed next time, not correctness
