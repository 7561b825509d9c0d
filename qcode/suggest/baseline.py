"""The plain keyword baseline that evaluation compares against.

It does what rival tools' "auto-code" does: a case-insensitive search for
the code's keywords (every language) and for the words of its label, on word
boundaries, with no lemmas, no patterns and no learning. A unit gets a code
when at least one term is found; units are ranked by the number of distinct
terms found. Label words that are stop words or shorter than three letters
are left out (nobody types "and" into an auto-code box).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qcode.core.codebook import Codebook


@dataclass
class KeywordBaseline:
    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def build(
        cls, codebook: Codebook, depth: int | None = None, stop_words: Iterable[str] = (), codes: Iterable[str] | None = None
    ) -> KeywordBaseline:
        stops = {w.lower() for w in stop_words}
        wanted = set(codes) if codes is not None else None
        terms: dict[str, set[str]] = {}
        for code in codebook.codes:
            if code.retired:
                continue
            target = codebook.rollup(code.id, depth) if depth else code.id
            if wanted is not None and target not in wanted:
                continue
            bag = terms.setdefault(target, set())
            bag.update(k.strip().lower() for k in code.all_keywords() if k.strip())
            for label in code.label.values():
                for w in re.findall(r"\w+", label.lower()):
                    if len(w) >= 3 and w not in stops:
                        bag.add(w)
        patterns = {
            code: re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in sorted(bag, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)
            for code, bag in terms.items()
            if bag
        }
        return cls(patterns)

    def scores(self, text: str) -> dict[str, int]:
        """Codes found in *text* with the number of distinct terms found."""
        out: dict[str, int] = {}
        for code, pat in self.patterns.items():
            found = {m.group(1).lower() for m in pat.finditer(text)}
            if found:
                out[code] = len(found)
        return out
