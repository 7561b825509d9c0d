"""The text a coder saw in another tool, and where it lies in qcode's text.

qcode codes the *spoken* text of a transcript (:mod:`qcode.core.transcript`):
speaker labels and times live on the turns, line ends are ``\\n``, text is NFC,
turns are separated by one blank line. Other tools show and count the
**source text**: the decoded original file with its labels, timestamps, CRLF
and spacing. A :class:`SourceMap` links the two with *runs*: stretches where
``text[t:t+n]`` is ``source[s:s+n]`` character for character (or, for a
character NFC composed, one text character standing for ``m`` source
characters). Characters outside every run exist on one side only (a speaker
label, a timestamp, a doubled space).

:func:`align` computes the map for any importer's output by walking the two
texts together and re-synchronising on the next stretch of text when the
source holds something qcode left out, so importers need no change.
:func:`render_source` builds a plain source text (``Speaker: text`` turns) with
its exact map, for transcripts whose original is not plain text.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

RESYNC_WINDOW = 4000
"""How far ahead in the source a left-out stretch (a label, a header) may reach."""
RESYNC_NEEDLE = 24
"""Length of the text stretch searched for when re-synchronising."""


@dataclass(frozen=True)
class SourceMap:
    """Runs ``(text_start, source_start, text_len, source_len)``, increasing on both sides."""

    runs: tuple[tuple[int, int, int, int], ...]
    text_len: int
    source_len: int

    # The run boundaries, for bisection; cached in the instance's __dict__ (a frozen
    # dataclass still allows it).
    @cached_property
    def _src_starts(self) -> list[int]:
        return [r[1] for r in self.runs]

    @cached_property
    def _src_ends(self) -> list[int]:
        return [r[1] + r[3] for r in self.runs]

    @cached_property
    def _txt_starts(self) -> list[int]:
        return [r[0] for r in self.runs]

    @cached_property
    def _txt_ends(self) -> list[int]:
        return [r[0] + r[2] for r in self.runs]

    # -- storage ---------------------------------------------------------
    def to_json(self) -> dict[str, object]:
        """A compact form: ``[t, s, n]`` for equal runs, ``[t, s, n, m]`` otherwise."""
        return {
            "text_len": self.text_len,
            "source_len": self.source_len,
            "runs": [[t, s, n] if n == m else [t, s, n, m] for t, s, n, m in self.runs],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceMap:
        """The map :meth:`to_json` wrote (parsed JSON, hence ``Any`` values)."""
        runs = tuple(
            (int(r[0]), int(r[1]), int(r[2]), int(r[3] if len(r) > 3 else r[2]))
            for r in data["runs"]
        )
        return cls(runs, int(data["text_len"]), int(data["source_len"]))

    # -- mapping ---------------------------------------------------------
    def source_to_text(self, start: int, end: int) -> tuple[int, int] | None:
        """The text span covering what ``source[start:end]`` holds of the text; None when nothing."""
        if start >= end:
            return None
        i = bisect_right(self._src_ends, start)
        j = bisect_left(self._src_starts, end) - 1
        if i > j:
            return None
        t0, s0, n0, m0 = self.runs[i]
        t_start = t0 + (max(0, start - s0) if n0 == m0 else 0)
        t1, s1, n1, m1 = self.runs[j]
        t_end = t1 + (min(n1, end - s1) if n1 == m1 else n1)
        return (t_start, t_end) if t_start < t_end else None

    def text_to_source(self, start: int, end: int) -> tuple[int, int]:
        """The source span of ``text[start:end]`` (from its first to its last character found there)."""
        if not 0 <= start <= end <= self.text_len:
            raise ValueError(f"text span {start}-{end} outside text of length {self.text_len}")
        i = bisect_right(self._txt_ends, start)
        j = bisect_left(self._txt_starts, end) - 1
        if i > j or start == end:
            pos = self._point(start)
            return pos, pos
        t0, s0, n0, m0 = self.runs[i]
        s_start = s0 + (max(0, start - t0) if n0 == m0 else 0)
        t1, s1, n1, m1 = self.runs[j]
        s_end = s1 + (min(n1, end - t1) if n1 == m1 else m1)
        return s_start, s_end

    def _point(self, offset: int) -> int:
        """Source position of a text boundary with no character of its own mapped."""
        i = bisect_right(self._txt_starts, offset) - 1
        if i < 0:
            return self.runs[0][1] if self.runs else 0
        t, s, n, m = self.runs[i]
        return s + (min(n, offset - t) if n == m else (m if offset > t else 0))

    def mapped_chars(self) -> int:
        return sum(r[2] for r in self.runs)


class _Runs:
    def __init__(self) -> None:
        self.runs: list[tuple[int, int, int, int]] = []

    def add(self, t: int, s: int, n: int, m: int | None = None) -> None:
        m = n if m is None else m
        if self.runs and n == m:
            pt, ps, pn, pm = self.runs[-1]
            if pn == pm and pt + pn == t and ps + pm == s:
                self.runs[-1] = (pt, ps, pn + n, pm + n)
                return
        self.runs.append((t, s, n, m))


def _common_run(a: str, i: int, b: str, j: int) -> int:
    """Length of the common prefix of ``a[i:]`` and ``b[j:]`` (doubling, then halving slice compares)."""
    limit = min(len(a) - i, len(b) - j)
    step, n = 64, 0
    while n < limit:
        k = min(step, limit - n)
        if a[i + n : i + n + k] == b[j + n : j + n + k]:
            n += k
            step *= 2
            continue
        lo, hi = 0, k - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if a[i + n : i + n + mid] == b[j + n : j + n + mid]:
                lo = mid
            else:
                hi = mid - 1
        return n + lo
    return n


def _composed(source: str, j: int, ch: str) -> int:
    """How many source characters from *j* NFC-compose to *ch* (0 when they do not)."""
    for m in (2, 3, 4):
        if j + m > len(source):
            break
        if unicodedata.normalize("NFC", source[j : j + m]) == ch and not (
            j + m < len(source) and unicodedata.combining(source[j + m])
        ):
            return m
    return 0


def _resync(text: str, i: int, source: str, j: int) -> int | None:
    """Where in ``source[j:]`` the text from *i* resumes, or None."""
    end = text.find("\n", i)
    end = len(text) if end == -1 else end
    needle = text[i : min(end, i + RESYNC_NEEDLE)]
    window = source[j : j + RESYNC_WINDOW]
    while needle:
        p = window.find(needle)
        if p != -1:
            return j + p
        if len(needle) <= 3:
            break
        needle = needle[: len(needle) * 2 // 3]
    return None


def align(text: str, source: str) -> SourceMap:
    """The map between qcode's normalised *text* and the *source* it was made from."""
    runs = _Runs()
    i = j = 0
    nt, ns = len(text), len(source)
    while i < nt:
        if j < ns and text[i] == source[j]:
            k = _common_run(text, i, source, j)
            runs.add(i, j, k)
            i += k
            j += k
            continue
        c = text[i]
        if j < ns:
            sc = source[j]
            if sc in "\r\ufeff" or (sc.isspace() and not c.isspace()):
                j += 1  # CR of CRLF, a BOM, spacing qcode dropped
                continue
            if c.isspace() and sc.isspace():
                runs.add(i, j, 1)
                i += 1
                j += 1
                continue
            m = _composed(source, j, c)
            if m:
                runs.add(i, j, 1, m)
                i += 1
                j += m
                continue
        if c.isspace():
            i += 1  # spacing qcode added (a turn separator)
            continue
        p = _resync(text, i, source, j) if j < ns else None
        if p is None:
            i += 1  # a character the source does not have: left unmapped
        else:
            j = p
    return SourceMap(tuple(runs.runs), nt, ns)


def format_time(seconds: float) -> str:
    """``[hh:mm:ss]`` as transcription tools print it."""
    s = int(seconds)
    return f"[{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}]"


def render_source(text: str, turns: Sequence[tuple[int, int, str | None, float | None]]) -> tuple[str, SourceMap]:
    """A plain source text for *text*: one ``[time] Speaker: words`` paragraph per turn, blank lines between.

    *turns* are ``(start, end, speaker, time_start)``. Text outside every turn is kept as it is.
    """
    parts: list[str] = []
    runs = _Runs()
    pos = 0  # source length so far
    cursor = 0  # text consumed so far

    def emit_text(a: int, b: int) -> None:
        nonlocal pos
        if b > a:
            parts.append(text[a:b])
            runs.add(a, pos, b - a)
            pos += b - a

    def emit(s: str) -> None:
        nonlocal pos
        parts.append(s)
        pos += len(s)

    for start, end, speaker, t0 in turns:
        emit_text(cursor, start)
        head = (format_time(t0) + " " if t0 is not None else "") + (f"{speaker}: " if speaker else "")
        emit(head)
        emit_text(start, end)
        cursor = max(cursor, end)
    emit_text(cursor, len(text))
    return "".join(parts), SourceMap(tuple(runs.runs), len(text), pos)
