"""The source text of an imported transcript: what another tool shows of the same file.

For plain-text formats (``.txt``, ``.md``) it is the decoded file as it is (speaker
labels, timestamps, CRLF, doubled spaces); for every other format it is a plain
rendering of the turns (``[hh:mm:ss] Speaker: words``, blank lines between turns),
which is also what a ``.qdpx`` export writes. The map to qcode's text comes from
:func:`qcode.core.sourcemap.align` or is exact by construction.
"""

from __future__ import annotations

from qcode.core.errors import QcodeError
from qcode.core.sourcemap import SourceMap, align, render_source
from qcode.core.transcript import Transcript
from qcode.formats.encoding import decode_bytes

PLAIN_FORMATS = frozenset({"txt", "md"})


def rendered(t: Transcript) -> tuple[str, SourceMap]:
    """The rendered plain source of *t* and its map."""
    return render_source(t.text, [(tr.start, tr.end, tr.speaker, tr.time_start) for tr in t.turns])


def attach_source(t: Transcript, data: bytes | None, encoding: str | None = None) -> Transcript:
    """Set ``t.source_text`` and ``t.source_map`` from the file's *data* (in place; returns *t*)."""
    fmt = t.source.format if t.source else ""
    text = None
    if data is not None and fmt in PLAIN_FORMATS:
        try:
            text = decode_bytes(data, t.source.filename if t.source else "", encoding).text
        except QcodeError:
            text = None
    if text is not None:
        t.source_text, t.source_map = text, align(t.text, text)
    else:
        t.source_text, t.source_map = rendered(t)
    return t
