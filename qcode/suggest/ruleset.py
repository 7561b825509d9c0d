"""The rules of a codebook together: one spaCy matching pass over a transcript, ordered matches, contributions, evidence.

:class:`RuleSet` gathers the :class:`~qcode.suggest.rules.Rule` records of the
rule signals (:class:`~qcode.suggest.rules.LemmaKeywords`,
:class:`~qcode.suggest.rules.Patterns`), runs their matchers over a
transcript's parsed turns, keeps the matches as sorted arrays
(:class:`~qcode.suggest.rules.Matches`), and turns them into contributions per
(unit, code) and into evidence. Each rule's own matches depend on that rule
only (:meth:`RuleSet.rule_keys`), which is what lets a re-run after a codebook
change match only the rules it changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qcode.suggest.arrays import unique
from qcode.suggest.base import KEYWORD_WEIGHT, LABEL_WORD_WEIGHT, PATTERN_WEIGHT, RULE_CAP
from qcode.suggest.rules import (
    KEYWORD,
    LABEL_WORD,
    PATTERN,
    LemmaKeywords,
    Matches,
    Patterns,
    Rule,
    RuleSignal,
    _empty_tokens,
    is_number,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Ints = NDArray[np.int64]


class RuleSet:
    """The rules of every enabled rule signal, as arrays, and the matching/scoring/explaining on them."""

    def __init__(self, signals: list[RuleSignal], n_profiles: int) -> None:
        import numpy as np

        self.signals = signals
        self.rules: list[Rule] = []
        self.offsets: list[int] = []
        for s in signals:
            self.offsets.append(len(self.rules))
            self.rules.extend(s.rules)
        groups: dict[str, int] = {}
        self.profile = np.array([r.profile for r in self.rules], dtype=np.int64)
        self.kind = np.array([r.kind for r in self.rules], dtype=np.int64)
        self.group = np.array([groups.setdefault(r.group, len(groups)) for r in self.rules], dtype=np.int64)
        self.n_groups = max(1, len(groups))
        self.n_profiles = n_profiles

    def rule_keys(self) -> list[str]:
        """Per rule, a key of everything its own matches (:meth:`raw_matches`) depend on: the rule and its
        signal's settings. Equal keys, equal matches in the same parse, whatever the other rules."""
        import hashlib

        out = []
        for s in self.signals:
            head = (type(s).__name__, s.state())
            for r, rule in enumerate(s.rules):
                out.append(hashlib.sha256(repr((head, rule.kind, rule.text, rule.group, s.rule_state(r)))
                                          .encode("utf-8")).hexdigest()[:32])
        return out

    def rule_ids(self, codes: list[str]) -> NDArray[np.uint64]:
        """A 64-bit hash of each rule's identity (code, signal, kind, text, group), for the inputs key of a transcript's
        suggestions (the rule numbers change with the codebook; what a match says does not)."""
        import hashlib

        import numpy as np

        return np.array([int.from_bytes(hashlib.sha256(repr((codes[r.profile], r.signal, r.kind, r.text, r.group))
                                                       .encode("utf-8")).digest()[:8], "little") for r in self.rules],
                        dtype=np.uint64)

    def candidate(self, hashes: NDArray[np.uint64]) -> bool:
        """Whether these rules can match in a transcript whose tokens' LEMMA and NORM hashes are *hashes*
        (sorted): a phrase needs each of its hashes there; a token pattern may match anything."""
        import numpy as np

        for s in self.signals:
            if isinstance(s, LemmaKeywords):
                if not s.seqs:
                    continue
                if any(len(seq) == 0 for seq in s.seqs):
                    return True
                if not len(hashes):
                    continue
                # every hash of every phrase, looked up at once in the sorted hashes
                flat, heads = s.seq_hashes, s.seq_heads
                at = np.minimum(np.searchsorted(hashes, flat), len(hashes) - 1)
                found = hashes[at] == flat
                missing = np.add.reduceat(~found, heads) if len(flat) else np.zeros(0, dtype=np.int64)
                if (missing == 0).any():
                    return True
            elif s.rules:
                return True
        return False

    def match(self, docs: list[Any], tokens: Any) -> Matches:
        """Run every matcher over the turns and keep the matches as sorted arrays."""
        unit, rule, a, b = self.match_tokens(docs, tokens)
        return Matches(unit, rule, tokens.start[a], tokens.end[b - 1])

    def match_tokens(self, docs: list[Any], tokens: Any) -> tuple[Ints, Ints, Ints, Ints]:
        """(unit, rule, start token, end token) of the matches in the turns *docs*, token positions
        global (document *k* starts at ``tokens.offset[k]``), sorted by (unit, profile, kind, token, -end)."""
        unit, rule, a, b = self.raw_matches(docs, tokens)
        keep = self.ordered(unit, rule, a, b)
        return unit[keep], rule[keep], a[keep], b[keep]

    def raw_matches(self, docs: list[Any], tokens: Any) -> tuple[Ints, Ints, Ints, Ints]:
        """(unit, rule, start token, end token) of each rule's own matches inside a unit, before :meth:`ordered`:
        what one rule finds depends on that rule only (so they can be kept per rule)."""
        import numpy as np

        rows: list[tuple[int, int, int]] = []
        found: list[Any] = []
        offs = tokens.offset.tolist()
        for sig, base_rule in zip(self.signals, self.offsets, strict=True):
            if not sig.rules:
                continue
            ids, matcher = sig.ids, sig.matcher
            if isinstance(sig, LemmaKeywords):
                r, a, b = sig.matches(docs, tokens)
                if len(r):
                    found.append(np.stack([base_rule + r, a, b], axis=1))
                continue
            lang = sig.info.lang
            for k, doc in enumerate(docs):
                if not len(doc):
                    continue
                base = offs[k]
                rows.extend((base_rule + ids[m], base + a, base + b) for m, a, b in matcher(doc)
                            if not all(is_number(t, lang) for t in doc[a:b]))  # numbers are never evidence
        if rows:
            found.append(np.array(rows, dtype=np.int64).reshape(-1, 3))
        if not found:
            return _empty_tokens()
        raw = np.concatenate(found) if len(found) > 1 else found[0]
        if not len(raw):
            return _empty_tokens()
        rule, a, b = raw[:, 0], raw[:, 1], raw[:, 2]
        unit = np.searchsorted(tokens.unit_first, a, side="right") - 1
        ok = (unit >= 0) & (a < tokens.unit_last[np.maximum(unit, 0)])
        return unit[ok], rule[ok], a[ok], b[ok]

    def ordered(self, unit: Ints, rule: Ints, a: Ints, b: Ints) -> Ints:
        """Indices of the matches (:meth:`raw_matches`) kept, sorted by (unit, profile, kind, start, -end, rule).

        *a*/*b* are token positions (end exclusive) or character offsets (start of the first token, end of the
        last): the result is the same. A label word inside a keyword match of the same code counts once (as the
        keyword), and the same word matched by two label words of one code counts once too.
        """
        import numpy as np

        if not len(rule):
            return np.zeros(0, dtype=np.int64)
        prof, kind = self.profile[rule], self.kind[rule]
        # Rule order last: the matches of one code come out the same whether its rules were matched
        # with the whole codebook's or alone (the re-run after a codebook change matches only the
        # changed rules, :meth:`qcode.suggest.engine.Engine.analyse`).
        # (unit, profile, kind) and (start, -end) each as one integer: the same order as
        # np.lexsort((rule, -b, a, kind, prof, unit)), with three sort keys instead of six.
        k1 = (unit * self.n_profiles + prof) * 3 + kind
        k2 = (a << 32) | ((1 << 32) - 1 - b)  # (offsets below 2**31)
        order = np.lexsort((rule, k2, k1))
        prof, kind, a, b = prof[order], kind[order], a[order], b[order]
        lw = kind == LABEL_WORD
        if not lw.any():
            return order
        big = np.int64(1 << 40)
        kw = np.nonzero(kind == KEYWORD)[0]
        key = prof * big + a
        drop = np.zeros(len(a), dtype=bool)
        if len(kw):
            ks = np.argsort(key[kw], kind="stable")
            kw_key = key[kw][ks]
            # the furthest end of the keyword matches of the code starting at or before each one
            reach = np.maximum.accumulate((prof * big + b)[kw][ks])
            at = np.searchsorted(kw_key, key, side="right") - 1
            drop = lw & (at >= 0) & (reach[np.maximum(at, 0)] > key)
        first = np.zeros(len(a), dtype=bool)
        idx = np.nonzero(lw & ~drop)[0]
        # The label words of one (unit, code) come together, by start: one word's matches are next to each other.
        k = key[idx]
        first[idx[np.r_[True, k[1:] != k[:-1]] if len(k) else k.astype(bool)]] = True
        return order[~lw | first]

    def contributions(self, m: Matches, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(keywords, patterns): contribution arrays of shape (units, profiles)."""
        import numpy as np

        P = self.n_profiles
        K = np.zeros((n, P))
        T = np.zeros((n, P))
        if not len(m):
            return K, T
        prof, kind, group = self.profile[m.rule], self.kind[m.rule], self.group[m.rule]
        key = unique(((m.unit * P + prof) * 3 + kind) * self.n_groups + group)
        cell, kind_u = key // self.n_groups // 3, (key // self.n_groups) % 3
        # Only the cells with a match (a few per cent of units x codes) are computed; the others are 0.
        cells = unique(cell)
        at = np.searchsorted(cells, cell)
        counts = [np.bincount(at[kind_u == k], minlength=len(cells)) for k in (KEYWORD, LABEL_WORD, PATTERN)]
        # noisy-or of the distinct keywords and label words (and patterns) found in the unit
        kw = 1.0 - np.power(1.0 - KEYWORD_WEIGHT, counts[0]) * np.power(1.0 - LABEL_WORD_WEIGHT, counts[1])
        pt = 1.0 - np.power(1.0 - PATTERN_WEIGHT, counts[2])
        K.ravel()[cells] = np.minimum(kw, RULE_CAP)
        T.ravel()[cells] = np.minimum(pt, RULE_CAP)
        return K, T

    def explain_json(self, m: Matches, owner: Any, idx: Any, base: Any, n: int) -> dict[str, list[str | None]]:
        """Per rule signal, the compact evidence data (JSON text, or None) of *n* pairs.

        ``owner``/``idx``: the matches of each pair (pair number, index into
        *m*, pair-ascending, in match order); ``base``: each pair's unit start.
        Same content as :meth:`explain_data` (first match of each keyword
        group or pattern, keywords before label words), offsets relative.
        """
        import json

        import numpy as np

        if getattr(self, "_frag", None) is None:
            self._frag = [
                f"[{json.dumps(r.text, ensure_ascii=False)}," if r.kind == PATTERN
                else f"[{0 if r.kind == KEYWORD else 1},{json.dumps(r.text, ensure_ascii=False)},"
                for r in self.rules
            ]
        out: dict[str, list[str | None]] = {}
        if not len(idx):
            return out
        rule = m.rule[idx]
        kind = self.kind[rule]
        # first match of each (pair, kind, group) for keywords, of each (pair, rule) for patterns
        ident = np.where(kind == PATTERN, self.n_groups + rule, self.group[rule])
        key = (owner * 3 + kind) * (self.n_groups + len(self.rules)) + ident
        _, first = np.unique(key, return_index=True)
        first.sort()
        rel_s = (m.start[idx[first]] - base[owner[first]]).tolist()
        rel_e = (m.end[idx[first]] - base[owner[first]]).tolist()
        frag = self._frag
        parts: dict[str, dict[int, list[str]]] = {LemmaKeywords.name: {}, Patterns.name: {}}
        for o, r, k, s, e in zip(owner[first].tolist(), rule[first].tolist(), kind[first].tolist(), rel_s, rel_e, strict=True):
            parts[Patterns.name if k == PATTERN else LemmaKeywords.name].setdefault(o, []).append(f"{frag[r]}{s},{e}]")
        for name, by_pair in parts.items():
            if by_pair:
                col: list[str | None] = [None] * n
                for o, items in by_pair.items():
                    col[o] = "[" + ",".join(items) + "]"
                out[name] = col
        return out
