"""The suggestion engine: parse (with the cache), cut into units, score, explain.

:meth:`Engine.analyse` streams transcripts through ``nlp.pipe`` (with
``n_process`` for large corpora), keeps only units and rule hits, and drops
the parsed documents; :meth:`Engine.fit` teaches the model signals from
coded passages; :meth:`Engine.score` combines every signal's contribution
with a noisy-or and :func:`evidence` turns the hits into the stored evidence.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qcode.core.text import count_words
from qcode.suggest.base import SUPPORT_FACTOR, CodeProfile, Hit, Passage, Training, noisy_or
from qcode.suggest.cache import DocCache, text_key
from qcode.suggest.pipeline import PipelineInfo, fix_lemmas
from qcode.suggest.signals import make_signals
from qcode.suggest.units import Unit, UnitMode, make_units

BATCH_SIZE = 64


@dataclass(frozen=True)
class TranscriptInput:
    transcript_id: int
    text: str
    turns: tuple[tuple[int, int], ...]


@dataclass
class Analysed:
    transcript_id: int
    units: list[Unit]
    rule_hits: list[list[Hit]]
    words: int
    cached: bool


@dataclass
class Candidate:
    unit: Unit
    code: str
    score: float
    hits: list[Hit] = field(default_factory=list)


class Engine:
    """Signals for one pipeline (one language) and one set of code profiles."""

    def __init__(
        self,
        info: PipelineInfo,
        profiles: list[CodeProfile],
        signals: Sequence[str] | None = None,
        unit_mode: UnitMode = "auto",
    ) -> None:
        self.info = info
        self.profiles = profiles
        self.unit_mode = unit_mode
        self.signals = make_signals(signals, info, profiles)
        self.doc_signals = [s for s in self.signals if s.kind == "doc"]
        self.unit_signals = [s for s in self.signals if s.kind == "unit"]
        self.member_of = {m: p.id for p in profiles for m in p.members}

    # ------------------------------------------------------------- parsing
    def analyse(
        self, items: Iterable[TranscriptInput], cache: DocCache | None = None, processes: int = 1
    ) -> Iterator[Analysed]:
        """Units and rule hits of each transcript, in no particular order (cached ones first)."""
        nlp = self.info.nlp
        pending: list[tuple[TranscriptInput, str]] = []
        for item in items:
            key = text_key(item.text, item.turns)
            if not item.turns:
                yield Analysed(item.transcript_id, [], [], count_words(item.text), False)
                continue
            docs = cache.load(key, self.info.key, nlp.vocab) if cache else None
            if docs is not None and len(docs) == len(item.turns):
                yield self._finish(item, docs, cached=True)
            else:
                pending.append((item, key))
        if not pending:
            return

        def stream() -> Iterator[tuple[str, int]]:
            for n, (item, _) in enumerate(pending):
                for a, b in item.turns:
                    yield item.text[a:b], n

        kwargs: dict[str, Any] = {"as_tuples": True, "batch_size": BATCH_SIZE}
        if processes > 1:
            kwargs["n_process"] = processes
        current, bucket = -1, []
        for doc, n in nlp.pipe(stream(), **kwargs):
            if n != current:
                if bucket:
                    yield self._store(pending[current], bucket, cache)
                current, bucket = n, []
            bucket.append(fix_lemmas(doc, self.info))
        if bucket:
            yield self._store(pending[current], bucket, cache)

    def _store(self, entry: tuple[TranscriptInput, str], docs: list[Any], cache: DocCache | None) -> Analysed:
        item, key = entry
        if cache is not None:
            cache.save(key, self.info.key, docs)
        return self._finish(item, docs, cached=False)

    def _finish(self, item: TranscriptInput, docs: list[Any], cached: bool) -> Analysed:
        units = make_units(item.transcript_id, list(item.turns), docs, self.unit_mode)
        rule_hits: list[list[Hit]] = [[] for _ in units]
        by_turn: dict[int, list[int]] = {}
        for i, u in enumerate(units):
            by_turn.setdefault(u.turn, []).append(i)
        for k, idxs in by_turn.items():
            local = [units[i] for i in idxs]
            for sig in self.doc_signals:
                for j, hits in enumerate(sig.doc_hits(docs[k], item.turns[k][0], local)):
                    rule_hits[idxs[j]].extend(hits)
        return Analysed(item.transcript_id, units, rule_hits, count_words(item.text), cached)

    # ------------------------------------------------------------ learning
    def fit(self, training: Training) -> None:
        for sig in self.unit_signals:
            sig.fit(training)

    def notes(self) -> list[str]:
        out: list[str] = []
        for sig in self.signals:
            out.extend(sig.describe())
        return out

    # ------------------------------------------------------------- scoring
    def score(self, unit: Unit, rule_hits: list[Hit]) -> list[Candidate]:
        """Every code with a positive score for *unit*, best first, with evidence."""
        return self.score_batch([unit], [rule_hits])[0]

    def score_batch(
        self, units: list[Unit], rule_hits: list[list[Hit]], explain_from: float | None = 0.0
    ) -> list[list[Candidate]]:
        """:meth:`score` for several units at once (the model signals are vectorised).

        Evidence is computed for candidates scoring at least *explain_from*
        (never when None): building it for thousands of discarded candidates
        would cost more than parsing.
        """
        by_unit: list[dict[str, list[Hit]]] = [{} for _ in units]
        for i, hits in enumerate(rule_hits):
            for h in hits:
                by_unit[i].setdefault(h.code, []).append(h)
        for sig in self.unit_signals:
            for i, hits in enumerate(sig.batch_hits(units)):
                for h in hits:
                    by_unit[i].setdefault(h.code, []).append(h)
        result = []
        for unit, by_code in zip(units, by_unit, strict=True):
            out = []
            for code, hits in by_code.items():
                leaders = {s.name for s in self.unit_signals if s.leads(code)}
                if leaders:
                    hits = [h if h.signal in leaders else replace(h, contribution=h.contribution * SUPPORT_FACTOR) for h in hits]
                hits.sort(key=lambda h: -h.contribution)
                cand = Candidate(unit, code, noisy_or([h.contribution for h in hits]), hits)
                if explain_from is not None and cand.score >= explain_from:
                    for h in hits:
                        h.resolve()
                out.append(cand)
            out.sort(key=lambda c: (-c.score, c.code))
            result.append(out)
        return result


# ----------------------------------------------------------------- helpers
def covers(u_start: int, u_end: int, c_start: int, c_end: int) -> bool:
    """The evaluation rule: the coding covers >= half the unit, or the unit holds >= half the coding."""
    inter = min(u_end, c_end) - max(u_start, c_start)
    if inter <= 0:
        return False
    return 2 * inter >= (u_end - u_start) or 2 * inter >= (c_end - c_start)


def unit_labels(units: list[Unit], spans: Iterable[tuple[str, int, int]]) -> list[set[str]]:
    """Codes of each unit (from (code, start, end) codings of the same transcript)."""
    labels: list[set[str]] = [set() for _ in units]
    starts = [u.start for u in units]
    for code, s, e in spans:
        i = max(0, bisect.bisect_right(starts, s) - 1)
        while i < len(units) and units[i].start < e:
            if covers(units[i].start, units[i].end, s, e):
                labels[i].add(code)
            i += 1
    return labels


def passage_terms(units: list[Unit], start: int, end: int) -> list[int]:
    """Terms of the tokens lying inside ``[start, end)``."""
    out: list[int] = []
    for u in units:
        if u.end <= start or u.start >= end:
            continue
        out.extend(t for t, (a, b) in zip(u.terms, u.spans, strict=True) if a >= start and b <= end)
    return out


def add_training(
    training: Training,
    analysed: Analysed,
    codings: Sequence[tuple[str, int, int, int | None, str]],
    rejected: Sequence[tuple[str, int, int]] = (),
) -> None:
    """Add one transcript's units, labels and passages to *training*.

    *codings* are (profile id, start, end, coding id, quote); *rejected* are
    (profile id, start, end) of rejected suggestions.
    """
    units = analysed.units
    training.units.extend(units)
    training.labels.extend(unit_labels(units, [(c, s, e) for c, s, e, _, _ in codings]))
    training.rule_codes.extend({h.code for h in hits} for hits in analysed.rule_hits)
    for code, s, e, cid, quote in codings:
        terms = passage_terms(units, s, e)
        if terms:
            training.passages.append(Passage(code, analysed.transcript_id, s, e, terms, cid, quote[:300]))
    for code, s, e in rejected:
        terms = passage_terms(units, s, e)
        if terms:
            training.rejected.append(Passage(code, analysed.transcript_id, s, e, terms))


def evidence(c: Candidate) -> dict[str, Any]:
    """The evidence dict stored with a suggestion (see qcode.usecases.suggesting)."""
    spans = sorted({tuple(s) for h in c.hits for s in h.spans})
    similar = next((h.similar for h in c.hits if h.similar), None)
    short = {
        "qcode.lemma_keywords.v1": "keywords",
        "qcode.patterns.v1": "patterns",
        "qcode.similarity.v1": "similar",
        "qcode.learned.v1": "learned",
    }
    parts = []
    for h in c.hits:
        d = h.detail if len(h.detail) <= 90 else h.detail[:89] + "…"
        parts.append(f"{short.get(h.signal, h.signal)}: {d}")
    out: dict[str, Any] = {
        "summary": " | ".join(parts),
        "spans": [[a, b] for a, b in spans],
        "signals": [{"name": h.signal, "contribution": round(h.contribution, 4), "detail": h.detail} for h in c.hits],
    }
    if similar:
        out["similar"] = similar
    return out
