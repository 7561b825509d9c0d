"""The suggestion engine: parse (with the cache), cut into units, score, explain.

:meth:`Engine.analyse` streams transcripts through the pipeline (with
``n_process`` for large corpora) and keeps, per transcript, only arrays: the
units and their terms (:class:`~qcode.suggest.units.Features`) and the rule
matches (:class:`~qcode.suggest.rules.Matches`); the parsed documents are
dropped. :meth:`Engine.fit` teaches the model signals from coded passages;
:meth:`Engine.table` scores every (unit, code) of a transcript at once with
array operations, combining the signals' contributions with a noisy-or, and
:meth:`Engine.compact_many` explains the (unit, code) pairs kept: evidence is only built for the
suggestions that are kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qcode.core.agreement_units import covers
from qcode.core.text import count_words
from qcode.suggest.arrays import unique
from qcode.suggest.base import SUPPORT_FACTOR, CodeProfile, Passage, Training
from qcode.suggest.cache import DocCache, text_key
from qcode.suggest.explain import Explaining
from qcode.suggest.learn import FitCache
from qcode.suggest.learned import Learned
from qcode.suggest.match_cache import CachedAnalysis, _feature_arrays
from qcode.suggest.pipeline import PipelineInfo, parse
from qcode.suggest.rules import LemmaKeywords, Matches, Patterns, RuleSignal, _empty_matches
from qcode.suggest.ruleset import RuleSet
from qcode.suggest.signals import make_signals
from qcode.suggest.units import TABLE_ATTRS, Features, Unit, UnitMode, build_features, token_table

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["BATCH_SIZE", "Analysed", "Engine", "Table", "TranscriptInput", "add_training", "covers", "top_pairs",
           "unit_labels"]

BATCH_SIZE = 64


@dataclass(frozen=True)
class TranscriptInput:
    transcript_id: int
    text: str
    turns: tuple[tuple[int, int], ...]
    words: int | None = None
    """Its word count when known (the store keeps it), else counted from *text*."""
    cuts: tuple[tuple[int, ...], ...] = ()
    """Per turn (or none at all), the offsets in the turn where a window should preferably end
    (its Transcriber ``<Sync>`` times)."""
    sha256: str = ""
    """The SHA-256 (hex) of *text* when known (the store keeps it): see :func:`~qcode.suggest.cache.text_key`."""

    def word_count(self) -> int:
        return self.words if self.words is not None else count_words(self.text)


@dataclass(eq=False)
class Analysed:
    """One transcript's units (arrays) and rule matches."""

    transcript_id: int
    feats: Features
    matches: Matches
    words: int
    cached: bool
    text: str = ""
    engine: Any = field(default=None, repr=False)

    @property
    def units(self) -> list[Unit]:
        if not hasattr(self, "_units"):
            self._units = self.feats.units()
        return self._units

    def rule_codes(self) -> list[set[str]]:
        codes = self.engine.codes
        out: list[set[str]] = [set() for _ in range(len(self.feats))]
        prof = self.engine.ruleset.profile
        for u, r in zip(self.matches.unit.tolist(), self.matches.rule.tolist(), strict=True):
            out[u].add(codes[int(prof[r])])
        return out


@dataclass(eq=False)
class Table:
    """Scores of every (unit, profile) of some units, with what the evidence needs."""

    feats: Features
    parts: dict[str, Any]
    """Signal name -> (units x profiles) contributions (after the support factor)."""
    score: Any
    ctx: dict[str, Any]
    matches: Matches | None = None
    text: str = ""


class Engine(CachedAnalysis, Explaining):
    """Signals for one pipeline (one language) and one set of code profiles.

    Its array cache is :class:`~qcode.suggest.match_cache.CachedAnalysis`, its evidence
    :class:`~qcode.suggest.explain.Explaining`."""

    def __init__(
        self,
        info: PipelineInfo,
        profiles: list[CodeProfile],
        signals: Sequence[str] | None = None,
        unit_mode: UnitMode = "auto",
        fit_cache: FitCache | None = None,
        keep_parses: bool | None = None,
    ) -> None:
        """*fit_cache*: where the learned signal finds per-code fits to reuse (:class:`~qcode.suggest.learn.FitCache`).
        *keep_parses*: whether the doc cache keeps the parses themselves (None: unless parsing is cheap,
        :func:`~qcode.suggest.pipeline.parse_is_cheap`)."""
        self.info = info
        self.profiles = profiles
        self.unit_mode = unit_mode
        self.signals = make_signals(signals, info, profiles)
        self.codes = [p.id for p in profiles]
        self.ruleset = RuleSet([s for s in self.signals if isinstance(s, RuleSignal)], len(profiles))
        self.unit_signals = [s for s in self.signals if s.kind == "unit"]
        self.member_of = {m: p.id for p in profiles for m in p.members}
        self.quotes: dict[int, str] = {}
        """Quote of each coded passage learned from, by coding id (set by :meth:`fit`; the store gives a
        suggestion read from it the same)."""
        for sig in self.signals:
            if isinstance(sig, Learned):
                sig.fit_cache = fit_cache
        from qcode.suggest.pipeline import parse_is_cheap

        self.keep_parses = not parse_is_cheap(info) if keep_parses is None else keep_parses
        """Whether the doc cache keeps the parses (units and matches are kept in any case)."""
        self.rule_keys = self.ruleset.rule_keys()
        """Per rule, the key of what it matches: a cached transcript keeps each rule's own matches under it."""
        self._rule_ids: NDArray[np.uint64] | None = None
        self._key_of_rule: tuple[NDArray[np.str_], NDArray[np.int64], NDArray[np.int64]] | None = None
        self._alone: dict[tuple[int, ...], tuple[RuleSet, tuple[NDArray[np.int64], NDArray[np.int64]]]] = {}
        self._stored: dict[bytes, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}
        self._strings_added: set[str] = set()
        self._lead_flags: dict[str, NDArray[np.bool_]] | None = None

    # ------------------------------------------------------------- parsing
    def analyse(
        self, items: Iterable[TranscriptInput], cache: DocCache | None = None, processes: int = 1
    ) -> Iterator[Analysed]:
        """Units and rule matches of each transcript, in no particular order (cached ones first)."""
        pending: list[tuple[TranscriptInput, str]] = []
        for item in items:
            if not item.turns:
                yield self._empty(item)
                continue
            key = text_key(item.text, item.turns, item.sha256)
            known = self._load_arrays(item, key, cache) if cache else None
            if known is not None:
                yield known
                continue
            docs = cache.load(key, self.info.key, self.info.nlp.vocab) if cache else None
            if docs is not None and len(docs) == len(item.turns):
                yield self._finish(item, docs, cached=True, key=key, cache=cache)
            else:
                pending.append((item, key))
        if not pending:
            if cache is not None:
                cache.flush()
            return

        def stream() -> Iterator[tuple[str, int]]:
            for n, (item, _) in enumerate(pending):
                for a, b in item.turns:
                    yield item.text[a:b], n

        current, bucket = -1, list[Any]()
        for doc, n in parse(self.info, stream(), BATCH_SIZE, processes, as_tuples=True):
            if n != current:
                if bucket:
                    yield self._store(pending[current], bucket, cache)
                current, bucket = n, []
            bucket.append(doc)
        if bucket:
            yield self._store(pending[current], bucket, cache)
        if cache is not None:
            cache.flush()

    def rule_ids(self) -> NDArray[np.uint64]:
        """See :meth:`~qcode.suggest.ruleset.RuleSet.rule_ids`."""
        if self._rule_ids is None:
            self._rule_ids = self.ruleset.rule_ids(self.codes)
        return self._rule_ids

    def match_key(self, a: Analysed) -> str:
        """A key of what the rule matches of *a* say (which code's keyword or pattern, where), whatever the rule numbers."""
        import hashlib

        import numpy as np

        m = a.matches
        h = hashlib.sha256()
        for arr in (m.unit, m.start, m.end, self.rule_ids()[m.rule]):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()[:40]

    def _empty(self, item: TranscriptInput) -> Analysed:
        feats, _ = build_features(item.transcript_id, [], [], self.unit_mode)
        return Analysed(item.transcript_id, feats, _empty_matches(), item.word_count(), False, item.text, self)

    def _store(self, entry: tuple[TranscriptInput, str], docs: list[Any], cache: DocCache | None) -> Analysed:
        item, key = entry
        tables = [token_table(d) for d in docs]
        done = self._finish(item, docs, cached=False, tables=tables, key=key, cache=cache)
        if cache is not None and self.keep_parses:
            # The parse itself, for a re-run whose new rules can match here (a cheap parse is done again instead).
            for d in docs:  # the cache keeps the parse only (units: unit mode; matches: codebook)
                d.spans.clear()
            cache.save(key, self.info.key, docs)
        return done

    def _finish(
        self, item: TranscriptInput, docs: list[Any], cached: bool, tables: list[Any] | None = None,
        key: str = "", cache: DocCache | None = None,
    ) -> Analysed:
        if tables is None:
            tables = [token_table(d) for d in docs]
        from qcode.suggest.components import analyse_arrays

        # The same arrays as the qcode_units_v1 / qcode_codebook_matcher_v1 span groups
        # (tests/suggest/test_components.py), with each rule's own matches for the cache. Without Span
        # objects (~320 per 1,000 words): 1M-word cold run 0.49 of nlp.pipe instead of 0.43 (bench_suggest.py).
        feats, _, matches, (unit, rule, start, end) = analyse_arrays(
            item.transcript_id, list(item.turns), docs, self.unit_mode, self.ruleset, tables, item.cuts or None)
        if cache is not None and key:
            import numpy as np

            filled = [t for t in tables if len(t)]
            cols = [TABLE_ATTRS.index("LEMMA"), TABLE_ATTRS.index("NORM")]
            hashes = unique(np.concatenate(filled)[:, cols]) if filled else np.zeros(0, dtype=np.uint64)
            arrays = _feature_arrays(feats, self.info.nlp.vocab.strings)
            arrays["hashes"] = hashes
            parts = self._array_key(key, item.cuts)
            cache.save_arrays(self._with_matches(arrays, unit, rule, start, end), *parts)
        return Analysed(item.transcript_id, feats, matches, item.word_count(), cached, item.text, self)

    # ------------------------------------------------------------ learning
    def fit(self, training: Training) -> None:
        self.quotes = {p.coding_id: p.quote for p in training.passages if p.coding_id is not None}
        for sig in self.unit_signals:
            sig.fit(training)
        self._lead_flags = None

    def _leads(self) -> dict[str, NDArray[np.bool_]]:
        """Per model signal, the codes it leads (what it learned decides it; kept until the next fit)."""
        import numpy as np

        if self._lead_flags is None:
            self._lead_flags = {sig.name: np.array([sig.leads(c) for c in self.codes], dtype=bool)
                                for sig in self.unit_signals}
        return self._lead_flags

    def notes(self) -> list[str]:
        out: list[str] = []
        for sig in self.signals:
            out.extend(sig.describe())
        return out

    # ------------------------------------------------------------- scoring
    def table(self, a: Analysed, cols: Any = None) -> Table:
        """Scores of every unit of *a* for every code, or for the codes (profile numbers) *cols* only: the
        other columns are then 0 (a re-run after a codebook change rescores the codes it changed)."""
        import numpy as np

        m = a.matches
        if cols is not None and len(m):
            on = np.zeros(len(self.profiles), dtype=bool)
            on[np.asarray(cols, dtype=np.int64)] = True
            keep = on[self.ruleset.profile[m.rule]]
            m = Matches(m.unit[keep], m.rule[keep], m.start[keep], m.end[keep])
        K, T = self.ruleset.contributions(m, len(a.feats))
        t = self._combine(a.feats, {LemmaKeywords.name: K, Patterns.name: T}, cols)
        t.matches, t.text = a.matches, a.text
        return t

    def _combine(self, feats: Features, parts: dict[str, Any], cols: Any = None) -> Table:
        import numpy as np

        n, P = len(feats), len(self.profiles)
        sel = np.arange(P) if cols is None else np.asarray(cols, dtype=np.int64)
        ctx: dict[str, Any] = {}
        for sig in self.unit_signals:
            parts[sig.name], ctx[sig.name] = sig.contributions(feats, None if cols is None else sel)
        leads = self._leads()
        lead = np.zeros(P, dtype=bool)
        for v in leads.values():
            lead |= v
        on = np.zeros(P, dtype=bool)  # the columns scored (the parts' other columns are not to be read)
        on[sel] = True
        keep = np.ones((n, len(sel)))
        for name, C in parts.items():
            # Where a signal has proven itself for a code, the others only support it.
            scaled = (lead & ~leads[name] if name in leads else lead) & on
            if scaled.any():
                C[:, scaled] *= SUPPORT_FACTOR
            keep *= 1.0 - (C if cols is None else C[:, sel])
        if cols is None:
            return Table(feats, parts, 1.0 - keep, ctx)
        score = np.zeros((n, P))
        score[:, sel] = 1.0 - keep
        return Table(feats, parts, score, ctx)

    def column_keys(self) -> list[str]:
        """Per code (profile), a key of everything its scores and evidence depend on besides the units and the
        transcript's rule matches (:meth:`match_prints`): its rules, the signals' fitted state for it
        (:meth:`~qcode.suggest.base.Signal.column_states`) and which signals lead it. Equal keys and equal
        matches: equal column, whatever the other codes."""
        from qcode.suggest.base import digest

        rules: list[list[str]] = [[] for _ in self.profiles]
        for r, key in enumerate(self.rule_keys):
            rules[int(self.ruleset.profile[r])].append(key)
        states = [sig.column_states() for sig in self.unit_signals]
        return [digest(code, sorted(rules[j]), [st[j] for st in states], [sig.leads(code) for sig in self.unit_signals])
                for j, code in enumerate(self.codes)]

    def match_prints(self, a: Analysed) -> NDArray[np.uint64]:
        """Per code (profile), a 64-bit fingerprint of its rule matches in *a* (which rule, which unit, where)."""
        import numpy as np

        out = np.zeros(len(self.profiles), dtype=np.uint64)
        m = a.matches
        if not len(m):
            return out
        with np.errstate(over="ignore"):
            h = self.rule_ids()[m.rule]
            for col, mult in ((m.unit, 0x9E3779B97F4A7C15), (m.start, 0xC2B2AE3D27D4EB4F), (m.end, 0x165667B19E3779F9)):
                h = (h ^ (col.astype(np.uint64) * np.uint64(mult))) * np.uint64(0xFF51AFD7ED558CCD)
                h ^= h >> np.uint64(29)
            np.add.at(out, self.ruleset.profile[m.rule], h)
            out ^= np.bincount(self.ruleset.profile[m.rule], minlength=len(self.profiles)).astype(np.uint64) << np.uint64(48)
        return out

# ----------------------------------------------------------------- helpers
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
    training.rule_codes.extend(analysed.rule_codes())
    for code, s, e, cid, quote in codings:
        terms = passage_terms(units, s, e)
        if terms:
            training.passages.append(Passage(code, analysed.transcript_id, s, e, terms, cid, quote[:300]))
    for code, s, e in rejected:
        terms = passage_terms(units, s, e)
        if terms:
            training.rejected.append(Passage(code, analysed.transcript_id, s, e, terms))


def top_pairs(score: Any, eligible: Any, k: int | None, codes: Sequence[str]) -> tuple[Any, Any]:
    """(units, profiles) of the at most *k* best eligible codes of each unit (all of them when *k* is None).

    Ties are broken by code id, as in the evaluation's ranking.
    """
    import numpy as np

    if k is None or k >= score.shape[1]:
        nz = np.nonzero(eligible)
        return nz[0], nz[1]
    rows = np.nonzero(eligible.any(axis=1))[0]
    if not len(rows):
        return rows, rows.copy()
    S = np.where(eligible[rows], score[rows], -1.0)
    name_rank = np.argsort(np.argsort(np.array(codes, dtype=object)))
    order = np.lexsort((np.broadcast_to(name_rank, S.shape), -S), axis=1)[:, :k]
    keep = np.take_along_axis(eligible[rows], order, axis=1)
    ii = np.repeat(rows, order.shape[1]).reshape(order.shape)
    return ii[keep], order[keep]
