"""On-disk cache of parsed transcripts (spaCy ``DocBin``), one file per transcript.

The key is the SHA-256 of the transcript text *and* its turn boundaries (the
parser sees one turn at a time), plus the pipeline's name and version: when
any of them changes the entry is simply not found and the transcript is parsed
again. A codebook change does not touch the key, so re-suggesting after
editing codes does not parse again. Entries are written to a temporary file
and renamed, so a crash never leaves a torn entry; an unreadable entry is
treated as missing and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qcode.suggest.arrays import unique

ATTRS = ["ORTH", "NORM", "LEMMA", "SENT_START", "POS", "TAG", "MORPH"]
_STRING_ATTRS = ("ORTH", "NORM", "LEMMA", "TAG", "MORPH")
_OPTIONAL_ATTRS = ("POS", "TAG", "MORPH")


def _docbin_message(docs: Sequence[Any], tables: Sequence[Any] | None = None) -> dict[str, Any]:
    """What ``DocBin(attrs=ATTRS)`` + ``add`` per doc + ``to_bytes`` serialises, built with arrays.

    ``DocBin.add`` collects the strings of every token one by one, which
    costs more than parsing with a blank pipeline; here they are collected
    from the unique hashes of the stored columns of the whole transcript.
    The result is read back by ``DocBin().from_bytes`` as usual. *tables*:
    the docs' :func:`~qcode.suggest.units.token_table`, when the caller has them.
    """
    import numpy as np
    from spacy.attrs import IDS, SPACY
    from spacy.tokens import DocBin

    proto = DocBin(attrs=ATTRS)
    attrs = proto.attrs
    if tables is not None:
        from qcode.suggest.units import TABLE_ATTRS

        table_ids = [IDS[a] for a in TABLE_ATTRS]
        cols = [table_ids.index(a) for a in attrs]
        space = table_ids.index(SPACY)
        arrays = [t[:, cols] for t in tables]
        spaces = [t[:, space:space + 1].astype(bool) for t in tables]
    else:
        arrays = [d.to_array(attrs).reshape(len(d), len(attrs)) for d in docs]
        spaces = [d.to_array(SPACY).reshape(-1, 1).astype(bool) for d in docs]
    tokens = np.vstack(arrays) if arrays else np.zeros((0, len(attrs)), dtype=np.uint64)
    # Columns no component filled (POS, TAG, MORPH of a blank pipeline) are left out: DocBin reads
    # the attributes it finds, and a missing one is 0 in the restored docs, as it was.
    optional = {IDS[name] for name in _OPTIONAL_ATTRS}
    empty = [k for k, a in enumerate(attrs) if a in optional and not tokens[:, k].any()]
    if empty:
        keep = [k for k in range(len(attrs)) if k not in empty]
        attrs, tokens = [attrs[k] for k in keep], tokens[:, keep]
    vocab = docs[0].vocab if docs else None
    strings: list[str] = []
    if vocab is not None and len(tokens):
        cols = [attrs.index(IDS[name]) for name in _STRING_ATTRS if IDS[name] in attrs]
        strings = _string_table(vocab.strings).strings(unique(tokens[:, cols]))
    empty_spans = None
    groups = []
    for d in docs:
        if d.spans:
            groups.append(d.spans.to_bytes())
        else:
            if empty_spans is None:
                empty_spans = d.spans.to_bytes()
            groups.append(empty_spans)
    return {
        "version": proto.version,
        "attrs": attrs,
        "tokens": tokens.astype(np.uint64).tobytes("C"),
        "spaces": (np.vstack(spaces) if spaces else np.zeros((0, 1), dtype=bool)).tobytes("C"),
        "lengths": np.asarray([len(d) for d in docs], dtype="int32").tobytes("C"),
        "strings": strings,  # in hash order: DocBin adds them all, in any order
        "cats": [d.cats for d in docs],
        "flags": [{"has_unknown_spaces": d.has_unknown_spaces} for d in docs],
        "span_groups": groups,
    }


class _StringTable:
    """The strings of the hashes of one ``StringStore`` already looked up.

    A transcript's cache entry lists the strings of its few thousand distinct
    hashes; most were listed by the transcripts before, so they are found
    with one array search instead of a string-store lookup each.
    """

    def __init__(self, store: Any) -> None:
        import threading

        from qcode.suggest.arrays import HashIndex

        self.store = store
        self.index = HashIndex()
        self.values: list[str] = []
        """The string of each hash of :attr:`index`, in the order they were added."""
        self.lock = threading.Lock()

    def strings(self, hashes: Any) -> list[str]:
        """The known strings of the sorted distinct *hashes* (0 and unknown hashes left out), in hash order."""
        with self.lock:
            number = self.index.find(hashes)
            new = hashes[number < 0]
            if len(new):
                store = self.store
                # Only strings the store has are remembered (a hash unknown now is asked again).
                known = [(h, store[h]) for h in new.tolist() if h and h in store]
                self.index.add([h for h, _ in known])
                self.values.extend(v for _, v in known)
                number = self.index.find(hashes)
            return list(map(self.values.__getitem__, number[number >= 0].tolist()))


_TABLES: dict[int, _StringTable] = {}


def _string_table(store: Any) -> _StringTable:
    table = _TABLES.get(id(store))
    if table is None or table.store is not store:
        table = _TABLES[id(store)] = _StringTable(store)
    return table


def _write(path: Path, msg: dict[str, Any]) -> None:
    """Compress and write one entry atomically (on the cache's thread; zlib releases the GIL)."""
    import zlib

    import srsly

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = zlib.compress(srsly.msgpack_dumps(msg), 1)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # A read-only or full disk costs speed next time, not correctness.


def _build_and_write(path: Path, docs: Sequence[Any], tables: Sequence[Any] | None) -> None:
    _write(path, _docbin_message(docs, tables))


def text_key(text: str, turns: Sequence[tuple[int, int]]) -> str:
    """Hash of *text* and its turn spans (what the parser's output depends on)."""
    h = hashlib.sha256(text.encode("utf-8"))
    h.update(repr(list(turns)).encode("ascii"))
    return h.hexdigest()[:40]


class DocCache:
    """A folder of ``<text hash>-<pipeline key>.spacy`` files."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._writer: Any = None
        self._pending: list[Any] = []

    def path(self, key: str, pipeline_key: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{key}-{pipeline_key}.spacy"

    def load(self, key: str, pipeline_key: str, vocab: Any) -> list[Any] | None:
        """The cached docs, or None when absent or unreadable."""
        self.flush()
        p = self.path(key, pipeline_key)
        if p is None or not p.is_file():
            return None
        from spacy.tokens import DocBin

        try:
            return list(DocBin().from_bytes(p.read_bytes()).get_docs(vocab))
        except Exception:  # noqa: BLE001 - a damaged cache entry is just a miss
            return None

    def save(self, key: str, pipeline_key: str, docs: Sequence[Any], tables: Sequence[Any] | None = None) -> None:
        """Write *docs* atomically (temp file + rename) on a background thread; errors only lose the cache.

        Call :meth:`flush` to wait for the writes (``load`` does it too).
        """
        p = self.path(key, pipeline_key)
        if p is None:
            return
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qcode-doc-cache")
        # The message is built on the writer thread too: its sort and compression release the GIL,
        # so they overlap with the parsing of the next transcript (the docs are not changed after this).
        self._pending.append(self._writer.submit(_build_and_write, p, docs, tables))
        if len(self._pending) > 4:  # bound the memory held by queued entries
            self._pending.pop(0).result()

    def flush(self) -> None:
        """Wait until every entry given to :meth:`save` is on disk."""
        while self._pending:
            self._pending.pop(0).result()
