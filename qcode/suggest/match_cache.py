"""The per-transcript array cache of the engine: units, terms and each rule's own matches, without the documents.

:class:`CachedAnalysis` is the part of :class:`~qcode.suggest.engine.Engine`
that stores what :meth:`~qcode.suggest.engine.Engine.analyse` derived from a
parse in the :class:`~qcode.suggest.cache.ArrayCache` and reads it back: the
units (:class:`~qcode.suggest.units.Features`), the transcript's LEMMA and
NORM hashes, and each rule's matches under the rule's own key
(:meth:`~qcode.suggest.ruleset.RuleSet.rule_keys`). A re-run after a codebook
change keeps the matches of the rules it knows and matches only the new ones,
on the cached documents, and only when one of their phrases can be in the
transcript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qcode.suggest.arrays import unique
from qcode.suggest.cache import narrow
from qcode.suggest.rules import KEYWORD, PATTERN, Matches, Patterns
from qcode.suggest.ruleset import RuleSet
from qcode.suggest.units import Features

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from qcode.suggest.cache import DocCache
    from qcode.suggest.engine import Analysed, TranscriptInput
    from qcode.suggest.pipeline import PipelineInfo
    from qcode.suggest.units import UnitMode


class CachedAnalysis:
    """Mixin of :class:`~qcode.suggest.engine.Engine`: its array cache (module docstring)."""

    info: PipelineInfo
    unit_mode: UnitMode
    codes: list[str]
    ruleset: RuleSet
    rule_keys: list[str]
    _key_of_rule: tuple[NDArray[np.str_], NDArray[np.int64], NDArray[np.int64]] | None
    _alone: dict[tuple[int, ...], tuple[RuleSet, tuple[NDArray[np.int64], NDArray[np.int64]]]]
    _stored: dict[bytes, tuple[NDArray[np.int64], NDArray[np.int64]]]
    _strings_added: set[str]
    """The words of cache entries this engine added to the pipeline's vocabulary."""

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
        """*arrays* plus the rules' own matches (:meth:`~qcode.suggest.ruleset.RuleSet.raw_matches`, character
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
        out["m_unit"], out["m_start"], out["m_end"] = (narrow(x[order]) for x in (unit, start, end))
        return out

    def _cached_matches(
        self, item: TranscriptInput, key: str, arrays: dict[str, NDArray[Any]], feats: Features, cache: DocCache,
    ) -> tuple[Matches, tuple[Any, ...] | None] | None:
        """(matches, the rules' own matches when some rules were matched now): a rule the cache entry knows keeps
        its matches; the others are matched now, on the parsed turns from the doc cache, and only when one of
        their phrases has all its words in the transcript (or they have a token pattern). None when that parse
        is not in the cache."""
        import numpy as np

        from qcode.suggest.model_signals import _ranges
        from qcode.suggest.units import build_features

        ptr = arrays["r_ptr"]
        at, known = self._stored_rules(arrays["r_keys"])
        missing = np.nonzero(at < 0)[0]
        owner, pos = _ranges(ptr[at[known]], ptr[at[known] + 1])
        unit, rule = arrays["m_unit"][pos].astype(np.int64), known[owner]
        start, end = arrays["m_start"][pos].astype(np.int64), arrays["m_end"][pos].astype(np.int64)
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

    def _stored_rules(self, keys: NDArray[np.str_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(each of our rules' place among the rule keys *keys* of a cache entry, or -1; those that have one).
        Most entries were made with the same rule list: the answer is kept per list."""
        import numpy as np

        digest = keys.tobytes()
        if digest not in self._stored:
            stored = {k: i for i, k in enumerate(keys.tolist())}
            at = np.array([stored.get(k, -1) for k in self.rule_keys], dtype=np.int64)
            self._stored[digest] = (at, np.nonzero(at >= 0)[0])
        return self._stored[digest]

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
        # The evidence reads the terms' text from the vocabulary, which the documents used to fill (most
        # words are in every transcript: each is added once).
        strings = self.info.nlp.vocab.strings
        new = set(words).difference(self._strings_added)
        for w in new:
            strings.add(w)
        self._strings_added.update(new)
        if len(feats) and int(feats.end.max()) > len(item.text):
            return None
        from qcode.suggest.engine import Analysed

        return Analysed(item.transcript_id, feats, matches, item.word_count(), True, item.text, self)


# ----------------------------------------------------------------- helpers
_FEATURE_FIELDS = ("start", "end", "turn", "tok", "ptr", "terms", "tstart", "tend")
_HASHES = frozenset({"terms"})
"""The fields that hold string hashes (64-bit), not offsets."""


def _feature_arrays(feats: Features, strings: Any) -> dict[str, NDArray[Any]]:
    """*feats* as named arrays (for :class:`~qcode.suggest.cache.ArrayCache`), with the text of their terms
    (from the StringStore *strings*)."""
    import numpy as np

    # (the offsets and counts as 32-bit integers when they fit: a re-run reads every transcript's entry)
    out = {f"f_{name}": getattr(feats, name) if name in _HASHES else narrow(getattr(feats, name)) for name in _FEATURE_FIELDS}
    hashes = [feats.terms]
    if feats.sptr is not None and feats.sterms is not None:
        out["f_sptr"], out["f_sterms"] = narrow(feats.sptr), feats.sterms
        hashes.append(feats.sterms)
    words = [strings[h] for h in unique(np.concatenate(hashes).astype(np.uint64)).tolist() if h in strings]
    out["strings"] = np.array(words, dtype=str)
    return out


def _from_arrays(transcript_id: int, arrays: dict[str, NDArray[Any]]) -> Features:
    """The inverse of :func:`_feature_arrays` (KeyError when an array is missing)."""
    import numpy as np

    f: dict[str, Any] = {name: arrays[f"f_{name}"] if name in _HASHES else arrays[f"f_{name}"].astype(np.int64, copy=False)
                         for name in _FEATURE_FIELDS}
    return Features(transcript_id, f["start"], f["end"], f["turn"], f["tok"], f["ptr"], f["terms"], f["tstart"],
                    f["tend"], None if "f_sptr" not in arrays else arrays["f_sptr"].astype(np.int64, copy=False),
                    arrays.get("f_sterms"))
