"""Quotes a reader can use: the coded span or the whole turn, shortened at word boundaries.

:func:`excerpt` returns the text before the coded passage, the passage and
the text after it, shortened to at most *max_words* words. Cuts fall
between words only (words are runs of non-space characters, as
:func:`qcode.core.text.count_words` counts them), so the ellipsis never
sits inside a word; the coded passage is kept first, then as much context
on both sides as the limit allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Excerpt:
    before: str
    coded: str
    after: str
    cut: bool
    """Whether any word was left out."""

    @property
    def text(self) -> str:
        return self.before + self.coded + self.after


def _head(text: str, n: int) -> tuple[str, bool]:
    """The first *n* words of *text* (with the spacing between them), and whether words were left out."""
    words = list(_WORD.finditer(text))
    if len(words) <= n:
        return text, False
    return (text[: words[n - 1].end()] if n else ""), True


def _tail(text: str, n: int) -> tuple[str, bool]:
    words = list(_WORD.finditer(text))
    if len(words) <= n:
        return text, False
    return (text[words[len(words) - n].start() :] if n else ""), True


def excerpt(before: str, coded: str, after: str, max_words: int | None, ellipsis: str = "[…]") -> Excerpt:
    """*before* + *coded* + *after* in at most *max_words* words, ``ellipsis`` marking each cut."""
    if not max_words or len(_WORD.findall(before + coded + after)) <= max_words:
        return Excerpt(before, coded, after, False)
    n_coded = len(_WORD.findall(coded))
    if n_coded >= max_words:
        head, _ = _head(coded, max_words)
        lead = f"{ellipsis} " if _WORD.search(before) else ""
        return Excerpt(lead, head.rstrip(), f" {ellipsis}", True)
    room = max_words - n_coded
    n_before, n_after = len(_WORD.findall(before)), len(_WORD.findall(after))
    take_b = min(n_before, room // 2)
    take_a = min(n_after, room - take_b)
    take_b = min(n_before, room - take_a)
    b, cut_b = _tail(before, take_b)
    a, cut_a = _head(after, take_a)
    if cut_b:
        b = f"{ellipsis} " + b.lstrip()
    if cut_a:
        a = a.rstrip() + f" {ellipsis}"
    # A context cut to nothing keeps the space between the ellipsis and the passage.
    return Excerpt(b, coded, a, cut_b or cut_a)
