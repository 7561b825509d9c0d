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

        attrs = ["ORTH", "NORM", "LEMMA", "SENT_START", "POS", "TAG", "MORPH"]
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            data = DocBin(attrs=attrs, docs=docs).to_bytes()
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
