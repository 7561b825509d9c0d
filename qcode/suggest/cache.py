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

ATTRS = ["ORTH", "NORM", "LEMMA", "SENT_START", "POS", "TAG", "MORPH"]
_STRING_ATTRS = ("ORTH", "NORM", "LEMMA", "TAG", "MORPH")


def _add(db: Any, doc: Any) -> None:
    """``DocBin.add`` without its per-token Python loop (the same bytes on disk).

    ``DocBin.add`` collects the strings of every token one by one, which
    costs more than parsing with a blank pipeline; here the strings are
    collected from the unique hashes of the stored columns instead.
    """
    import numpy as np
    from spacy.attrs import SPACY

    array = doc.to_array(db.attrs)
    if len(array.shape) == 1:
        array = array.reshape((array.shape[0], 1))
    db.tokens.append(array)
    spaces = doc.to_array(SPACY).reshape((-1, 1))
    db.spaces.append(np.asarray(spaces, dtype=bool))
    db.flags.append({"has_unknown_spaces": doc.has_unknown_spaces})
    strings = doc.vocab.strings
    from spacy.attrs import IDS

    for name in _STRING_ATTRS:
        col = db.attrs.index(IDS[name])
        for h in np.unique(array[:, col]).tolist():
            if h and h in strings:
                db.strings.add(strings[h])
    db.cats.append(doc.cats)
    db.span_groups.append(doc.spans.to_bytes())


def text_key(text: str, turns: Sequence[tuple[int, int]]) -> str:
    """Hash of *text* and its turn spans (what the parser's output depends on)."""
    h = hashlib.sha256(text.encode("utf-8"))
    h.update(repr(list(turns)).encode("ascii"))
    return h.hexdigest()[:40]


class DocCache:
    """A folder of ``<text hash>-<pipeline key>.spacy`` files."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None

    def path(self, key: str, pipeline_key: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{key}-{pipeline_key}.spacy"

    def load(self, key: str, pipeline_key: str, vocab: Any) -> list[Any] | None:
        """The cached docs, or None when absent or unreadable."""
        p = self.path(key, pipeline_key)
        if p is None or not p.is_file():
            return None
        from spacy.tokens import DocBin

        try:
            return list(DocBin().from_bytes(p.read_bytes()).get_docs(vocab))
        except Exception:  # noqa: BLE001 - a damaged cache entry is just a miss
            return None

    def save(self, key: str, pipeline_key: str, docs: Sequence[Any]) -> None:
        """Write *docs* atomically (temp file + rename); errors only lose the cache."""
        p = self.path(key, pipeline_key)
        if p is None:
            return
        from spacy.tokens import DocBin

        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            db = DocBin(attrs=ATTRS)
            for doc in docs:
                _add(db, doc)
            data = db.to_bytes()
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, p)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # A read-only or full disk costs speed next time, not correctness.
