"""The suggestion engine: parse (with the cache), cut into units, score, explain.

:meth:`Engine.analyse` streams transcripts through the pipeline (with
``n_process`` for large corpora) and keeps, per transcript, only arrays: the
units and their terms (:class:`~qcode.suggest.units.Features`) and the rule
matches (:class:`~qcode.suggest.rules.Matches`); the parsed documents are
dropped. :meth:`Engine.fit` teaches the model signals from coded passages;
:meth:`Engine.table` scores every (unit, code) of a transcript at once with
array operations, combining the signals' contributions with a noisy-or, and
:meth:`Engine.evidence` explains one (unit, code): evidence is only built for
the suggestions that are kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from qcode.core.text import count_words
from qcode.suggest.arrays import decimal_strings, four_digit_strings, unique
from qcode.suggest.base import SUPPORT_FACTOR, CodeProfile, Hit, Passage, Training
from qcode.suggest.cache import DocCache, text_key
from qcode.suggest.learn import FitCache
from qcode.suggest.model_signals import (
    Learned,
    Similarity,
    _ranges,
    join_groups,
    word_span_arrays,
    word_spans,
)
from qcode.suggest.pipeline import PipelineInfo, parse
from qcode.suggest.rules import (
    KEYWORD,
    PATTERN,
    LemmaKeywords,
    Matches,
    Patterns,
    RuleSet,
    RuleSignal,
    _empty_matches,
)
from qcode.suggest.signals import make_signals
from qcode.suggest.units import TABLE_ATTRS, Features, Unit, UnitMode, build_features, token_table
from qcode.suggest.vectors import Vectors

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

BATCH_SIZE = 64
ORDER = (LemmaKeywords.name, Patterns.name, Similarity.name, Vectors.name, Learned.name)
"""Order of the signals in the evidence (then by contribution, highest first)."""


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

    @property
    def rule_hits(self) -> list[list[Hit]]:
        """Rule hits per unit, as :class:`Hit` objects (built on demand)."""
        if not hasattr(self, "_rule_hits"):
            self._rule_hits = self.engine.rule_hits(self)
        return self._rule_hits

    def rule_codes(self) -> list[set[str]]:
        codes = self.engine.codes
        out: list[set[str]] = [set() for _ in range(len(self.feats))]
        prof = self.engine.ruleset.profile
        for u, r in zip(self.matches.unit.tolist(), self.matches.rule.tolist(), strict=True):
            out[u].add(codes[int(prof[r])])
        return out


@dataclass
class Candidate:
    unit: Unit
    code: str
    score: float
    hits: list[Hit] = field(default_factory=list)


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


class Engine:
    """Signals for one pipeline (one language) and one set of code profiles."""

    def __init__(
        self,
        info: PipelineInfo,
        profiles: list[CodeProfile],
        signals: Sequence[str] | None = None,
        unit_mode: UnitMode = "auto",
        fit_cache: FitCache | None = None,
    ) -> None:
        """*fit_cache*: where the learned signal finds per-code fits to reuse (:class:`~qcode.suggest.learn.FitCache`)."""
        self.info = info
        self.profiles = profiles
        self.unit_mode = unit_mode
        self.signals = make_signals(signals, info, profiles)
        self.codes = [p.id for p in profiles]
        self.ruleset = RuleSet([s for s in self.signals if isinstance(s, RuleSignal)], len(profiles))
        from qcode.suggest.components import CodebookMatcher

        self.matcher = CodebookMatcher(self.ruleset)
        self.unit_signals = [s for s in self.signals if s.kind == "unit"]
        self.member_of = {m: p.id for p in profiles for m in p.members}
        for sig in self.signals:
            if isinstance(sig, Learned):
                sig.fit_cache = fit_cache
        self.rule_keys = self.ruleset.rule_keys()
        """Per rule, the key of what it matches: a cached transcript keeps each rule's own matches under it."""
        self._rule_ids: NDArray[np.uint64] | None = None
        self._key_of_rule: tuple[NDArray[np.str_], NDArray[np.int64], NDArray[np.int64]] | None = None
        self._alone: dict[tuple[int, ...], tuple[RuleSet, tuple[NDArray[np.int64], NDArray[np.int64]]]] = {}

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
            key = text_key(item.text, item.turns)
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
        """See :meth:`~qcode.suggest.rules.RuleSet.rule_ids`."""
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
        if cache is not None:
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
            cache.save_arrays(self._with_matches(arrays, unit, rule, start, end), *self._array_key(key, item.cuts))
        return Analysed(item.transcript_id, feats, matches, item.word_count(), cached, item.text, self)

    def _array_key(self, key: str, cuts: tuple[tuple[int, ...], ...] = ()) -> tuple[str, ...]:
        """Key of the units of the parse *key* (they depend on the parse, the preferred cuts and the unit mode);
        the matches of each rule are kept in the same entry under the rule's own key (:attr:`rule_keys`), so
        that a codebook change re-matches only the rules it changed."""
        if cuts:  # (the text key first: :meth:`~qcode.suggest.cache.ArrayCache.forget` finds the entry by it)
            import hashlib

            return key, self.info.key, str(self.unit_mode), hashlib.sha256(repr(cuts).encode("ascii")).hexdigest()[:40]
        return key, self.info.key, str(self.unit_mode)

    def _with_matches(self, arrays: dict[str, NDArray[Any]], unit: NDArray[np.int64], rule: NDArray[np.int64],
                      start: NDArray[np.int64], end: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        """*arrays* plus the rules' own matches (:meth:`~qcode.suggest.rules.RuleSet.raw_matches`, character
        offsets), rule by rule: ``r_keys`` (the distinct :attr:`rule_keys`), ``r_ptr`` (their matches' range)."""
        import numpy as np

        if self._key_of_rule is None:
            number: dict[str, int] = {}
            of_rule = np.array([number.setdefault(k, len(number)) for k in self.rule_keys], dtype=np.int64)
            first = np.unique(of_rule, return_index=True)[1].astype(np.int64)  # each key's first rule
            self._key_of_rule = (np.array(list(number), dtype=str), of_rule, first)
        keys, of_rule, first = self._key_of_rule
        if len(keys) < len(of_rule):  # two rules with one key (a keyword given twice): its matches once
            once = first[of_rule[rule]] == rule
            unit, rule, start, end = unit[once], rule[once], start[once], end[once]
        k = of_rule[rule]
        order = np.argsort(k, kind="stable")
        out = dict(arrays)
        out["r_keys"] = keys
        out["r_ptr"] = np.concatenate([[0], np.cumsum(np.bincount(k, minlength=len(keys)))]).astype(np.int64)
        out["m_unit"], out["m_start"], out["m_end"] = unit[order], start[order], end[order]
        return out

    def _cached_matches(
        self, item: TranscriptInput, key: str, arrays: dict[str, NDArray[Any]], feats: Features, cache: DocCache
    ) -> tuple[Matches, tuple[Any, ...] | None] | None:
        """(matches, the rules' own matches when some rules were matched now): a rule the cache entry knows keeps
        its matches; the others are matched now, on the parsed turns from the doc cache, and only when one of
        their phrases has all its words in the transcript (or they have a token pattern). None when that parse
        is not in the cache."""
        import numpy as np

        from qcode.suggest.model_signals import _ranges
        from qcode.suggest.units import build_features

        stored = {k: i for i, k in enumerate(arrays["r_keys"].tolist())}
        ptr = arrays["r_ptr"]
        at = np.array([stored.get(k, -1) for k in self.rule_keys], dtype=np.int64)
        known = np.nonzero(at >= 0)[0]
        owner, pos = _ranges(ptr[at[known]], ptr[at[known] + 1])
        unit, rule = arrays["m_unit"][pos].astype(np.int64), known[owner]
        start, end = arrays["m_start"][pos].astype(np.int64), arrays["m_end"][pos].astype(np.int64)
        missing = np.nonzero(at < 0)[0]
        raw: tuple[Any, ...] | None = None
        if len(missing):
            sub, glob = self._rules_alone(tuple(missing.tolist()))
            if sub.candidate(arrays["hashes"]):
                docs = cache.load(key, self.info.key, self.info.nlp.vocab)
                if docs is None or len(docs) != len(item.turns):
                    return None
                _, tokens = build_features(item.transcript_id, list(item.turns), docs, self.unit_mode)
                # the cached units, whatever cut them (unit mode, preferred cuts)
                first_tok = tokens.offset[feats.turn] + feats.tok[:, 0]
                tokens.unit_first, tokens.unit_last = first_tok, tokens.offset[feats.turn] + feats.tok[:, 1]
                u, r, a, b = sub.raw_matches(docs, tokens)
                o, g = _ranges(glob[0][r], glob[0][r + 1])  # each of its rules stands for these of ours
                unit = np.concatenate([unit, u[o]])
                rule = np.concatenate([rule, glob[1][g]])
                start = np.concatenate([start, tokens.start[a][o]])
                end = np.concatenate([end, tokens.end[b - 1][o]])
                raw = (unit, rule, start, end)
        keep = self.ruleset.ordered(unit, rule, start, end)
        return Matches(unit[keep], rule[keep], start[keep], end[keep]), raw

    def _rules_alone(self, rules: tuple[int, ...]) -> tuple[RuleSet, tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """The rules *rules* of :attr:`ruleset` alone (the same rule signals, only these keywords, label words and
        patterns), and for each of its rules the ones of ours it stands for (``ptr``, rule numbers)."""
        if rules not in self._alone:
            self._alone[rules] = self._make_rules_alone(rules)
        return self._alone[rules]

    def _make_rules_alone(self, rules: tuple[int, ...]) -> tuple[RuleSet, tuple[NDArray[np.int64], NDArray[np.int64]]]:
        import numpy as np

        from qcode.suggest.base import CodeProfile

        rs = self.ruleset
        wanted: dict[int, CodeProfile] = {}
        for r in rules:
            rule = rs.rules[r]
            p = wanted.setdefault(rule.profile, CodeProfile(self.codes[rule.profile], ()))
            if rule.kind == PATTERN:
                sig = next(x for x in rs.signals if isinstance(x, Patterns))
                p.patterns.append((rule.text, sig.patterns[r - rs.offsets[rs.signals.index(sig)]]))
            else:
                (p.phrases if rule.kind == KEYWORD else p.label_words).append(rule.text)
        profiles = list(wanted.values())
        sub = RuleSet([type(s)(self.info, profiles) for s in rs.signals], len(profiles))
        ours: dict[str, list[int]] = {}
        for r in rules:
            ours.setdefault(self.rule_keys[r], []).append(r)
        lists = [ours.pop(k, []) for k in sub.rule_keys()]  # (a key given twice: its matches once)
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        return sub, (ptr, np.array([r for x in lists for r in x], dtype=np.int64))

    def _load_arrays(self, item: TranscriptInput, key: str, cache: DocCache) -> Analysed | None:
        """The transcript's units and matches from the array cache (without its documents when no rule changed,
        see :meth:`_cached_matches`), or None."""
        parts = self._array_key(key, item.cuts)
        arrays = cache.arrays.load(*parts)
        if arrays is None:
            return None
        try:
            feats = _from_arrays(item.transcript_id, arrays)
            words = arrays["strings"].tolist()
            found = self._cached_matches(item, key, arrays, feats, cache)
        except KeyError:
            return None
        if found is None:
            return None
        matches, raw = found
        if raw is not None:  # keep what was matched on the documents (rules that cannot match are cheap to redo)
            cache.save_arrays(self._with_matches(arrays, *raw), *parts)
        # The evidence reads the terms' text from the vocabulary, which the documents used to fill.
        strings = self.info.nlp.vocab.strings
        for w in words:
            strings.add(w)
        if len(feats) and int(feats.end.max()) > len(item.text):
            return None
        return Analysed(item.transcript_id, feats, matches, item.word_count(), True, item.text, self)

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
    def table(self, a: Analysed, cols: Any = None, rows: dict[str, Any] | None = None) -> Table:
        """Scores of every unit of *a* for every code, or for the codes (profile numbers) *cols* only: the
        other columns are then 0 (a re-run after a codebook change rescores the codes it changed). *rows*:
        signal name -> the units' rows that signal computed last time with the same key (``rows_key()``)."""
        import numpy as np

        m = a.matches
        if cols is not None and len(m):
            on = np.zeros(len(self.profiles), dtype=bool)
            on[np.asarray(cols, dtype=np.int64)] = True
            keep = on[self.ruleset.profile[m.rule]]
            m = Matches(m.unit[keep], m.rule[keep], m.start[keep], m.end[keep])
        K, T = self.ruleset.contributions(m, len(a.feats))
        t = self._combine(a.feats, {LemmaKeywords.name: K, Patterns.name: T}, cols, rows)
        t.matches, t.text = a.matches, a.text
        return t

    def rows_keys(self) -> dict[str, str]:
        """Signal name -> key of the units' rows it computes (for the signals that can be given them back)."""
        return {sig.name: sig.rows_key() for sig in self.unit_signals if hasattr(sig, "rows_key")}

    def _combine(self, feats: Features, parts: dict[str, Any], cols: Any = None,
                 rows: dict[str, Any] | None = None) -> Table:
        import numpy as np

        n, P = len(feats), len(self.profiles)
        sel = np.arange(P) if cols is None else np.asarray(cols, dtype=np.int64)
        ctx: dict[str, Any] = {}
        for sig in self.unit_signals:
            if rows and sig.name in rows:
                parts[sig.name], ctx[sig.name] = sig.contributions(feats, None if cols is None else sel, rows=rows[sig.name])  # type: ignore[call-arg]
            else:
                parts[sig.name], ctx[sig.name] = sig.contributions(feats, None if cols is None else sel)
        leads = {sig.name: np.array([sig.leads(c) for c in self.codes], dtype=bool) for sig in self.unit_signals}
        lead = np.zeros(P, dtype=bool)
        for v in leads.values():
            lead |= v
        keep = np.ones((n, len(sel)))
        for name, C in parts.items():
            # Where a signal has proven itself for a code, the others only support it.
            scaled = lead & ~leads[name] if name in leads else lead
            if cols is not None:  # (the parts' other columns are left as they are: not to be read)
                on = np.zeros(P, dtype=bool)
                on[sel] = True
                scaled = scaled & on
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

    def compact_many(self, t: Table, units: Any, profs: Any) -> list[str]:
        """The compact stored evidence (:mod:`qcode.suggest.evidence`) of each (unit, profile) pair, as JSON text.

        A run keeps tens of thousands of suggestions, so this is done for all
        the pairs of a transcript at once: the model signals' words, every
        pair's evidence offsets (their tokens, and the rule matches) and the
        first match of each keyword or pattern are found with array
        operations, and the JSON text is assembled from ready-made pieces.
        The readable strings are only made when a suggestion is read.
        """
        import numpy as np

        from qcode.suggest.evidence import SHORT_OF, VERSION

        units = np.asarray(units, dtype=np.int64)
        profs = np.asarray(profs, dtype=np.int64)
        n, P = len(units), len(self.profiles)
        if not n:
            return []
        base = t.feats.start[units]
        data: dict[str, tuple[Any, list[str]]] = {}
        """Signal name -> (pairs, their data as JSON text)."""
        w_owner, w_terms = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.uint64)]
        for sig in self.unit_signals:
            C = t.parts.get(sig.name)
            if C is None:
                continue
            on = np.nonzero(C[units, profs] > 0)[0]
            if len(on):
                frags, found = sig.explain_json_many(t.feats, units[on], profs[on], t.ctx[sig.name])  # type: ignore[attr-defined]
                data[sig.name] = (on, frags)
                if isinstance(found, tuple):  # flat form (pair, term)
                    w_owner.append(on[found[0]])
                    w_terms.append(np.asarray(found[1], dtype=np.uint64))
                else:
                    w_owner.append(np.repeat(on, [len(w) for w in found]))
                    w_terms.append(np.array([x for w in found for x in w], dtype=np.uint64))
        owners: list[NDArray[np.int64]] = []
        starts: list[NDArray[np.int64]] = []
        ends: list[NDArray[np.int64]] = []
        o, a, b = word_span_arrays(t.feats, units, (np.concatenate(w_owner), np.concatenate(w_terms)))
        owners.append(o)
        starts.append(a)
        ends.append(b)
        m = t.matches
        if m is not None and len(m):
            key = m.unit * P + self.ruleset.profile[m.rule]
            lo_a, hi_a = np.searchsorted(key, units * P + profs), np.searchsorted(key, units * P + profs, side="right")
            o, idx = _ranges(lo_a, hi_a)
            owners.append(o)
            starts.append(m.start[idx])
            ends.append(m.end[idx])
            for name, col in self.ruleset.explain_json(m, o, idx, base, n).items():
                on = np.array([k for k, d in enumerate(col) if d is not None], dtype=np.int64)
                data[name] = (on, [str(col[k]) for k in on.tolist()])
        o, a, b = np.concatenate(owners), np.concatenate(starts), np.concatenate(ends)
        order = np.lexsort((b, a, o))
        o, a, b = o[order], a[order], b[order]
        distinct = np.r_[True, (o[1:] != o[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(o) else o.astype(bool)
        o = o[distinct]
        rel = np.empty(2 * len(o), dtype=np.int64)  # start, end, start, end... relative to the unit
        rel[0::2], rel[1::2] = a[distinct] - base[o], b[distinct] - base[o]
        spans = join_groups(np.repeat(o, 2), decimal_strings(rel), n)
        # The signals of each pair, strongest first (ties: in ORDER), as ["short",contribution,data].
        s_owner: list[NDArray[np.int64]] = []
        s_c: list[NDArray[np.float64]] = []
        s_rank: list[NDArray[np.int64]] = []
        s_frag: list[str] = []
        for rank, name in enumerate(ORDER):
            if name not in data:
                continue
            on, frags = data[name]
            C = t.parts[name][units[on], profs[on]]
            pos = np.nonzero(C > 0)[0]
            c = np.round(C[pos], 4)
            short = SHORT_OF.get(name, name)
            s_owner.append(on[pos])
            s_c.append(c)
            s_rank.append(np.full(len(pos), rank, dtype=np.int64))
            picked = frags if len(pos) == len(frags) else list(map(frags.__getitem__, pos.tolist()))
            s_frag.extend(map(f'["{short}",{{}},{{}}]'.format, four_digit_strings(c), picked))
        if s_owner:
            so, sc, sr = np.concatenate(s_owner), np.concatenate(s_c), np.concatenate(s_rank)
            order = np.lexsort((sr, -sc, so))
            sgs = join_groups(so[order], [s_frag[k] for k in order.tolist()], n)
        else:
            sgs = [""] * n
        return list(map(f'{{{{"q":{VERSION},"sp":[{{}}],"sg":[{{}}]}}}}'.format, spans, sgs))

    def passage_quotes(self) -> dict[int, str]:
        """Quotes of the coded passages the similarity signals learned from, by coding id."""
        out: dict[int, str] = {}
        for sig in self.signals:
            if isinstance(sig, Similarity | Vectors):
                out.update(sig.passage_quotes())
        return out

    def evidence_many(self, t: Table, units: Any, profs: Any) -> list[dict[str, Any]]:
        """The readable evidence dict (see :func:`evidence_of`) of each (unit, profile) pair."""
        import json

        from qcode.suggest.evidence import render

        quotes = self.passage_quotes()
        starts, ends = t.feats.start.tolist(), t.feats.end.tolist()
        return [
            render(json.loads(ev), t.text[starts[i]:ends[i]], starts[i], lambda cid: quotes.get(cid, ""))
            for ev, i in zip(self.compact_many(t, units, profs), list(units), strict=True)
        ]

    def evidence(self, t: Table, i: int, j: int) -> dict[str, Any]:
        return self.evidence_many(t, [i], [j])[0]

    def _signal(self, name: str) -> Any:
        return next(s for s in self.signals if s.name == name)

    # ------------------------------------------------- compatibility (tests)
    def _explain_one(self, t: Table, name: str, i: int, j: int) -> tuple[str, list[tuple[int, int]], Any]:
        import numpy as np

        detail, words, similar = self._signal(name).explain_many(t.feats, np.array([i]), np.array([j]), t.ctx[name])[0]
        return detail, word_spans(t.feats, [i], [words])[0], similar

    def rule_hits(self, a: Analysed) -> list[list[Hit]]:
        """Rule hits of each unit of *a* as :class:`Hit` objects."""
        import numpy as np

        K, T = self.ruleset.contributions(a.matches, len(a.feats))
        out: list[list[Hit]] = [[] for _ in range(len(a.feats))]
        m = a.matches
        for i in unique(m.unit).tolist():
            lo, hi = np.searchsorted(m.unit, [i, i + 1]).tolist()
            profs = sorted(set(self.ruleset.profile[m.rule[lo:hi]].tolist()))
            for j in profs:
                for name, detail, spans in self.ruleset.explain(m, lo, hi, j, a.text):
                    C = T if name == Patterns.name else K
                    out[i].append(Hit(self.codes[j], name, float(C[i, j]), detail, spans))
        return out

    def score(self, unit: Unit, rule_hits: list[Hit]) -> list[Candidate]:
        """Every code with a positive score for *unit*, best first, with evidence."""
        return self.score_batch([unit], [rule_hits])[0]

    def score_batch(
        self, units: list[Unit], rule_hits: list[list[Hit]], explain_from: float | None = 0.0
    ) -> list[list[Candidate]]:
        """:meth:`score` for units given as objects (evidence built for scores >= *explain_from*)."""
        import numpy as np

        n, P = len(units), len(self.profiles)
        index = {c: j for j, c in enumerate(self.codes)}
        parts = {LemmaKeywords.name: np.zeros((n, P)), Patterns.name: np.zeros((n, P))}
        for i, hits in enumerate(rule_hits):
            for h in hits:
                if h.signal in parts:
                    parts[h.signal][i, index[h.code]] = h.contribution
        t = self._combine(Features.from_units(0, units), parts)
        result = []
        for i, unit in enumerate(units):
            out = []
            for j in np.nonzero(t.score[i] > 0)[0].tolist():
                code = self.codes[j]
                hits = [replace(h, contribution=float(t.parts[h.signal][i, j])) for h in rule_hits[i] if h.code == code]
                for name in (Similarity.name, Vectors.name, Learned.name):
                    C = t.parts.get(name)
                    if C is not None and C[i, j] > 0:
                        hits.append(Hit(code, name, float(C[i, j]), "", [], None, partial(self._explain_one, t, name, i, j)))
                hits.sort(key=lambda h: -h.contribution)
                cand = Candidate(unit, code, float(t.score[i, j]), hits)
                if explain_from is not None and cand.score >= explain_from:
                    for h in hits:
                        h.resolve()
                out.append(cand)
            out.sort(key=lambda c: (-c.score, c.code))
            result.append(out)
        return result


# ----------------------------------------------------------------- helpers
_FEATURE_FIELDS = ("start", "end", "turn", "tok", "ptr", "terms", "tstart", "tend")


def _feature_arrays(feats: Features, strings: Any) -> dict[str, NDArray[Any]]:
    """*feats* as named arrays (for :class:`~qcode.suggest.cache.ArrayCache`), with the text of their terms
    (from the StringStore *strings*)."""
    import numpy as np

    out = {f"f_{name}": getattr(feats, name) for name in _FEATURE_FIELDS}
    hashes = [feats.terms]
    if feats.sptr is not None and feats.sterms is not None:
        out["f_sptr"], out["f_sterms"] = feats.sptr, feats.sterms
        hashes.append(feats.sterms)
    words = [strings[h] for h in unique(np.concatenate(hashes).astype(np.uint64)).tolist() if h in strings]
    out["strings"] = np.array(words, dtype=str)
    return out


def _from_arrays(transcript_id: int, arrays: dict[str, NDArray[Any]]) -> Features:
    """The inverse of :func:`_feature_arrays` (KeyError when an array is missing)."""
    f = {name: arrays[f"f_{name}"] for name in _FEATURE_FIELDS}
    return Features(transcript_id, f["start"], f["end"], f["turn"], f["tok"], f["ptr"], f["terms"], f["tstart"],
                    f["tend"], arrays.get("f_sptr"), arrays.get("f_sterms"))


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
    training.rule_codes.extend(analysed.rule_codes())
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
    return evidence_of([h.resolve() for h in c.hits])


def evidence_of(hits: list[Hit]) -> dict[str, Any]:
    """The evidence dict of some hits (strongest first)."""
    from qcode.suggest.evidence import readable

    spans = sorted({(a, b) for h in hits for a, b in h.spans})
    return readable([(h.contribution, h.signal, h.detail, h.similar) for h in hits], spans)


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
