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


@dataclass
class SupervisedBaseline:
    """The plain supervised baseline: TF-IDF over words and one logistic regression per code (scikit-learn).

    What a data scientist would try first, with nothing qcode-specific:
    ``TfidfVectorizer(sublinear_tf=True)`` over lowercase word unigrams and
    bigrams (terms in at least two training units), and for each code seen in
    the training units a ``LogisticRegression(class_weight="balanced")``. A
    unit gets a code when its probability is at least 0.5; units are ranked
    by probability. Codes with no positive (or no negative) training unit are
    never predicted.
    """

    vectorizer: object = None
    models: dict[str, object] | None = None

    @classmethod
    def fit(cls, texts: list[str], labels: list[set[str]]) -> SupervisedBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        try:
            X = vec.fit_transform(texts)
        except ValueError:  # no term in two units
            return cls(None, {})
        models: dict[str, object] = {}
        for code in sorted({c for lab in labels for c in lab}):
            y = [code in lab for lab in labels]
            if all(y):
                continue
            models[code] = LogisticRegression(class_weight="balanced", max_iter=1000).fit(X, y)
        return cls(vec, models)

    def scores(self, texts: list[str]) -> list[dict[str, float]]:
        """Probability of each code for each of *texts*."""
        if self.vectorizer is None or not self.models or not texts:
            return [{} for _ in texts]
        X = self.vectorizer.transform(texts)  # type: ignore[attr-defined]
        cols = {code: m.predict_proba(X)[:, 1] for code, m in self.models.items()}  # type: ignore[attr-defined]
        return [{code: float(p[i]) for code, p in cols.items()} for i in range(len(texts))]
