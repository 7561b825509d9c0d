"""On-disk cache of what suggestion runs derive from each transcript, and of trained pipelines' parses.

The key is the SHA-256 of the transcript text *and* its turn boundaries (the
parser sees one turn at a time), plus the pipeline's name and version: when
any of them changes the entry is simply not found and the transcript is parsed
again. A codebook change does not touch the key, so re-suggesting after
editing codes does not parse again. Entries are written to a temporary file
and renamed, so a crash never leaves a torn entry; an unreadable entry is
treated as missing and rewritten.

:class:`ArrayCache` keeps what the engine derives from a parse (the units,
their terms, the transcript's LEMMA and NORM hashes, and each rule's own
matches under that rule's key) as one buffer per transcript (:func:`as_buffers`):
a re-run reads no documents at all unless a new rule can match in the
transcript; then only the new rules are matched, on the cached documents
(``DocBin``, kept for trained pipelines only: writing a blank pipeline's parse
into a ``DocBin`` costs about what parsing again does) or on a new parse
(:meth:`qcode.suggest.engine.Engine.analyse`).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray

ATTRS = ["ORTH", "NORM", "LEMMA", "SENT_START", "POS", "TAG", "MORPH"]


def to_bytes(docs: Sequence[Any]) -> bytes:
    """The docs as one ``DocBin(attrs=ATTRS)`` (zlib-compressed by ``DocBin.to_bytes``)."""
    from spacy.tokens import DocBin

    db = DocBin(attrs=ATTRS)
    for d in docs:
        db.add(d)
    return db.to_bytes()


def _write(path: Path, docs: Sequence[Any]) -> None:
    """Serialise and write one entry atomically (on the cache's thread)."""
    write_atomically(path, lambda: to_bytes(docs))


def write_atomically(path: Path, make: Any) -> None:
    """Write what ``make()`` returns (bytes, or a list of buffers written one after the other) to *path*
    atomically (temp file + rename); errors only lose the entry."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = make()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                for piece in [data] if isinstance(data, bytes) else data:
                    fh.write(piece)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # A read-only or full disk costs speed next time, not correctness.


def text_key(text: str, turns: Sequence[tuple[int, int]], sha256: str = "") -> str:
    """Hash of *text* and its turn spans (what the parser's output depends on). *sha256*: the text's SHA-256
    (hex) when known (the store keeps it), so that a re-run does not hash every text again."""
    h = hashlib.sha256((sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()).encode("ascii"))
    h.update(repr(list(turns)).encode("ascii"))
    return h.hexdigest()[:40]


class DocCache:
    """A folder of ``<text hash>-<pipeline key>.spacy`` files."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.arrays = ArrayCache(self.folder / "units" if self.folder is not None else None)
        """What the engine derived from these parses (units, rule matches), by parse and rules."""
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
        except Exception:  # a damaged cache entry is just a miss
            return None

    def save(self, key: str, pipeline_key: str, docs: Sequence[Any]) -> None:
        """Write *docs* atomically (temp file + rename) on a background thread; errors only lose the cache.

        Call :meth:`flush` to wait for the writes (``load`` does it too).
        """
        p = self.path(key, pipeline_key)
        if p is None:
            return
        # Serialised on the writer thread (the docs are not changed after this); its compression
        # releases the GIL, so it overlaps with the parsing of the next transcript.
        self._submit(_write, p, docs)

    def save_arrays(self, arrays: dict[str, NDArray[Any]], *parts: str) -> None:
        """:meth:`ArrayCache.save` on :attr:`arrays`, on the writer thread like :meth:`save`."""
        if self.arrays.folder is None:
            return
        self._submit(self.arrays.save, arrays, *parts)

    def _submit(self, fn: Any, *args: Any) -> None:
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qcode-doc-cache")
        self._pending.append(self._writer.submit(fn, *args))
        if len(self._pending) > 4:  # bound the memory held by queued entries
            self._pending.pop(0).result()

    def flush(self) -> None:
        """Wait until every entry given to :meth:`save` or :meth:`save_arrays` is on disk."""
        while self._pending:
            self._pending.pop(0).result()

    def forget(self, key: str) -> int:
        """Remove the parse of text key *key* (every pipeline) and what was derived from it: a removed
        transcript's text does not stay on disk in the cache. Returns the number of files removed."""
        self.flush()
        if self.folder is None or not key.isalnum():
            return 0
        return _remove(self.folder, f"{key}-*.spacy") + self.arrays.forget(key)

    def prune(self) -> None:
        """Wait for the writes, then :meth:`ArrayCache.prune`."""
        self.flush()
        self.arrays.prune()


class ArrayCache:
    """A folder of ``<text key>-<key hash>.arrays`` files (:func:`as_buffers`): named NumPy arrays, written
    atomically; a damaged entry is a miss."""

    VERSION = "4"
    """Bump when what is stored for the same key changes (units, terms or matches computed differently)."""
    # The arrays of an entry are stored as one blob and a table (:func:`_pack`).

    KEEP_FILES = 1000
    """At most this many entries are kept (more when one run used more): the least recently used go first."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._used: set[str] = set()
        """Names of the entries read or written by this object (never pruned by it)."""

    def path(self, *parts: str) -> Path | None:
        """``<first part>-<hash of all parts>.arrays``: the first part is the parse's text key, so that
        :meth:`forget` finds every entry of a transcript's text."""
        if self.folder is None:
            return None
        h = hashlib.sha256(repr((self.VERSION, *parts)).encode("utf-8")).hexdigest()[:40]
        head = "".join(c for c in parts[0][:40] if c.isalnum()) if parts else ""
        return self.folder / f"{head}-{h}{SUFFIX}"

    def forget(self, key: str) -> int:
        """Remove every entry whose first part is *key* (a removed transcript's); the number removed."""
        if self.folder is None or not key.isalnum():
            return 0
        return _remove(self.folder, f"{key}-*{SUFFIX}")

    def load(self, *parts: str) -> dict[str, NDArray[Any]] | None:
        """The arrays stored under the key *parts*, or None when absent or unreadable."""
        p = self.path(*parts)
        if p is None or not p.is_file():
            return None

        try:
            out = from_bytes(p.read_bytes())
        except Exception:  # a damaged entry is just a miss
            return None
        self._used.add(p.name)
        try:
            os.utime(p)  # recently used: kept by prune
        except OSError:
            pass
        return out

    def save(self, arrays: dict[str, NDArray[Any]], *parts: str) -> None:
        """Store *arrays* under the key *parts* (uncompressed: they are small next to the parse)."""
        p = self.path(*parts)
        if p is None:
            return
        self._used.add(p.name)

        write_atomically(p, lambda: as_buffers(arrays))

    def prune(self) -> None:
        """Remove the least recently used entries beyond :attr:`KEEP_FILES`, never one this object used.

        Entries are keyed by the parse and the unit mode: an edited or deleted
        transcript, or another unit mode, leaves its old entries behind.
        """
        if self.folder is None:
            return
        import shutil

        shutil.rmtree(self.folder / "finals", ignore_errors=True)  # (the final matches earlier versions kept)
        evict(self.folder, self.KEEP_FILES, self._used)


SUFFIX = ".arrays"


def evict(folder: Path, keep: int, used: set[str] | None = None) -> None:
    """Remove the least recently used ``*.arrays`` files of *folder* beyond *keep* (beyond the number of
    *used* names when more), never one named in *used*; a read-only folder is left as it is."""
    used = used or set()
    try:
        files = [(f.stat().st_mtime, f) for f in folder.glob(f"*{SUFFIX}")]
        extra = len(files) - max(keep, len(used))
        for _, f in sorted((x for x in files if x[1].name not in used), key=lambda x: x[0])[:max(extra, 0)]:
            f.unlink(missing_ok=True)
    except OSError:
        pass
def narrow(a: NDArray[Any]) -> NDArray[Any]:
    """*a* (integers) as 32-bit integers when they fit: half the bytes to write and read."""
    import numpy as np

    return a.astype(np.int32) if not len(a) or (int(a.min()) >= -(2**31) and int(a.max()) < 2**31) else a.astype(np.int64)


MAGIC = b"QCARR1\0\0"


def as_buffers(arrays: dict[str, NDArray[Any]]) -> list[Any]:
    """*arrays* as the pieces of one buffer, to be written one after the other (:func:`write_atomically`): a
    magic number, the length of a JSON table (name, dtype, shape, offset of each array, and the CRC-32 of the
    data), the table, then the arrays' bytes, 8-byte aligned. The pieces are views of the arrays, not copies:
    the score memo is ~10 MB at 1M words. (The arrays of one transcript are small:
    an ``.npz``, a zip file with one member per array, each with its header and checksum to read, took most
    of a cached re-run's reading.)"""
    import json
    import zlib

    meta, parts = _layout(arrays)
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    table = json.dumps({"arrays": meta, "crc": crc}).encode("utf-8")
    table += b" " * (-len(table) % 8)
    return [MAGIC + len(table).to_bytes(8, "little") + table, *parts]


def from_bytes(data: bytes) -> dict[str, NDArray[Any]]:
    """The arrays of the bytes written from :func:`as_buffers` (read-only, over *data*); ValueError when damaged."""
    import json
    import math
    import zlib

    import numpy as np

    if data[:8] != MAGIC:
        raise ValueError("not a qcode array-cache entry")
    n = int.from_bytes(data[8:16], "little")
    table = json.loads(data[16:16 + n].decode("utf-8"))
    blob = memoryview(data)[16 + n:]
    if zlib.crc32(blob) != table["crc"]:
        raise ValueError("damaged array-cache entry")
    out: dict[str, NDArray[Any]] = {}
    for name, dtype, shape, offset in table["arrays"]:
        out[name] = np.frombuffer(blob, dtype=np.dtype(dtype), count=math.prod(shape), offset=offset).reshape(tuple(shape))
    return out


def _remove(folder: Path, pattern: str) -> int:
    n = 0
    try:
        for f in folder.glob(pattern):
            f.unlink(missing_ok=True)
            n += 1
    except OSError:
        pass  # (a read-only cache: nothing to do)
    return n


def _layout(arrays: dict[str, NDArray[Any]]) -> tuple[list[list[Any]], list[Any]]:
    """The (name, dtype, shape, offset) table of *arrays* and their bytes (views, with padding between them)
    one after the other, 8-byte aligned."""
    import numpy as np

    meta: list[list[Any]] = []
    parts: list[Any] = []
    offset = 0
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name]) if np.ndim(arrays[name]) else np.asarray(arrays[name])
        if a.dtype.hasobject:
            raise TypeError(f"array {name!r} holds Python objects")
        raw = a.reshape(-1).data.cast("B") if a.size else b""
        meta.append([name, a.dtype.str, list(a.shape), offset])
        parts.append(raw)
        pad = -len(raw) % 8
        if pad:
            parts.append(b"\0" * pad)
        offset += len(raw) + pad
    return meta, parts
