"""Agreement statistics between coders, as pure functions (standard library only).

The figures are computed per code on a binary variable, *coded with this code
or not*, over units of the transcripts that several coders coded; see
:mod:`qcode.core.agreement_units` for the unit rules. Every unit contributes
a small :data:`Table` of sums; a statistic is a function of a table, so a
code's figures, the overall figures and every bootstrap resample are sums of
tables.

Statistics (each per code, and overall on the codes stacked: every
(unit, code) pair is one binary decision):

* **percent**: share of pairable units (units with values from at least two
  coders) on which every coder gave the same value. Not corrected for chance;
  uncoded text agreeing with uncoded text counts, so it is high whenever a
  code is rare.
* **positive**: among pairable units that at least one coder coded with the
  code, the share that every coder coded (for characters: the overlap of the
  coders' coded text over its union).
* **kappa**: Cohen's kappa (1960), two coders only, on the units both coded.
* **alpha**: Krippendorff's alpha for nominal data, any number of coders,
  missing values allowed (Krippendorff 2004/2011, from the coincidence
  matrix): ``alpha = 1 - (n - 1) * o01 / (n0 * n1)`` for binary values.

Confidence intervals: percentile bootstrap (``resamples`` draws, default
2,000, seeded so the same data and seed give the same interval). A resample
draws the bootstrap *clusters* with replacement: each unit is its own cluster,
except characters, which are drawn in blocks of whole turns because
neighbouring characters are not independent. A resample where a statistic is
undefined is left out of that statistic's interval.

Reading (Krippendorff 2004): alpha >= .800 *reliable*; .667 <= alpha < .800
*tentative* (tentative conclusions only); below .667 *not reliable*. A code
with fewer than ``min_codings`` codings by the compared coders is *too rare*
to judge: its figures are left out (``None``) rather than shown misleadingly.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter, mul, rshift
from typing import Any

# Table fields (a plain list of floats, summed over units).
PAIRABLE, AGREE, O00, O01, O11, N11, N10, N01, N00, POS_ANY, POS_ALL = range(11)
TABLE_SIZE = 11
Table = list[float]

RELIABLE = 0.800
TENTATIVE = 0.667
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0
DEFAULT_MIN_CODINGS = 5
STATISTICS = ("percent", "positive", "kappa", "alpha")


def empty_table() -> Table:
    return [0.0] * TABLE_SIZE


def unit_table(values: Sequence[int | None], weight: float = 1.0) -> Table:
    """The table of one unit: the binary *values* of the coders (None when missing), times *weight*."""
    t = empty_table()
    add_unit(t, values, weight)
    return t


def add_unit(t: Table, values: Sequence[int | None], weight: float = 1.0) -> None:
    """Add one unit (or *weight* identical units, e.g. a run of characters) to table *t*."""
    k1 = sum(1 for v in values if v == 1)
    k0 = sum(1 for v in values if v == 0)
    m = k1 + k0
    if m < 2:
        return  # not pairable: tells nothing about agreement
    t[PAIRABLE] += weight
    if k1 == 0 or k0 == 0:
        t[AGREE] += weight
    if k1:
        t[POS_ANY] += weight
        if k0 == 0:
            t[POS_ALL] += weight
    w = weight / (m - 1)
    t[O11] += w * k1 * (k1 - 1)
    t[O00] += w * k0 * (k0 - 1)
    t[O01] += w * k1 * k0
    if len(values) == 2 and m == 2:
        a, b = values
        t[N11 if a and b else N10 if a else N01 if b else N00] += weight


def add_tables(into: Table, other: Sequence[float], times: float = 1.0) -> None:
    for i in range(TABLE_SIZE):
        into[i] += other[i] * times


# ------------------------------------------------------------------ statistics
def percent(t: Sequence[float]) -> float | None:
    return t[AGREE] / t[PAIRABLE] if t[PAIRABLE] else None


def positive(t: Sequence[float]) -> float | None:
    return t[POS_ALL] / t[POS_ANY] if t[POS_ANY] else None


def alpha(t: Sequence[float]) -> float | None:
    """Krippendorff's alpha (nominal) of a binary table; None when no value varies."""
    n0 = t[O00] + t[O01]
    n1 = t[O11] + t[O01]
    n = n0 + n1
    if n0 <= 0 or n1 <= 0:
        return None
    return 1.0 - (n - 1.0) * t[O01] / (n0 * n1)


def kappa(t: Sequence[float]) -> float | None:
    """Cohen's kappa of a two-coder binary table; None when chance agreement is 1 (or no unit)."""
    n = t[N11] + t[N10] + t[N01] + t[N00]
    if n <= 0:
        return None
    po = (t[N11] + t[N00]) / n
    a1 = (t[N11] + t[N10]) / n
    b1 = (t[N11] + t[N01]) / n
    pe = a1 * b1 + (1 - a1) * (1 - b1)
    if pe >= 1.0:
        return None
    return (po - pe) / (1.0 - pe)


STAT_FUNCS: dict[str, Callable[[Sequence[float]], float | None]] = {
    "percent": percent,
    "positive": positive,
    "kappa": kappa,
    "alpha": alpha,
}


def reading(value: float | None) -> str:
    """The conventional reading of an alpha: reliable, tentative, not reliable (or undefined)."""
    if value is None:
        return "undefined"
    if value >= RELIABLE:
        return "reliable"
    if value >= TENTATIVE:
        return "tentative"
    return "not reliable"


# ----------------------------------------------- general forms (for any data)
def nominal_alpha(data: Sequence[Sequence[Any]]) -> float | None:
    """Krippendorff's alpha (nominal) of reliability data: one row per coder, one column per
    unit, ``None`` for a missing value; values may be any hashable category."""
    if not data:
        return None
    n_units = len(data[0])
    coinc: dict[tuple[Any, Any], float] = {}
    for j in range(n_units):
        vals = [row[j] for row in data if row[j] is not None]
        m = len(vals)
        if m < 2:
            continue
        for i, a in enumerate(vals):
            for k, b in enumerate(vals):
                if i != k:
                    coinc[(a, b)] = coinc.get((a, b), 0.0) + 1.0 / (m - 1)
    totals: dict[Any, float] = {}
    for (a, _), v in coinc.items():
        totals[a] = totals.get(a, 0.0) + v
    n = sum(totals.values())
    d_o = sum(v for (a, b), v in coinc.items() if a != b)
    d_e = sum(totals[a] * totals[b] for a in totals for b in totals if a != b)
    if d_e == 0:
        return None
    return 1.0 - (n - 1.0) * d_o / d_e


def cohen_kappa(table: Sequence[Sequence[float]]) -> float | None:
    """Cohen's kappa of a square contingency table (rows: coder A's category, columns: coder B's)."""
    n = sum(sum(row) for row in table)
    if n <= 0:
        return None
    k = len(table)
    po = sum(table[i][i] for i in range(k)) / n
    pe = sum(sum(table[i]) * sum(row[i] for row in table) for i in range(k)) / (n * n)
    return None if pe >= 1.0 else (po - pe) / (1.0 - pe)


# ------------------------------------------------------------------ bootstrap
@dataclass
class Clustered:
    """Tables of the bootstrap clusters, stored sparsely.

    ``base[k]`` is cluster *k*'s table when every coder present left every unit
    uncoded (the same for all codes); ``deltas[code]`` maps the clusters where
    a code was used to the difference from ``base``. A code's table over the
    whole data is ``sum(base) + sum(deltas[code])``.
    """

    base: list[Table] = field(default_factory=list)
    deltas: dict[str, dict[int, Table]] = field(default_factory=dict)
    _columns: list[tuple[float, ...]] | None = field(default=None, repr=False, compare=False)
    _sparse: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _used: list[bool] = field(default_factory=list, repr=False, compare=False)

    def add_cluster(self, base: Table) -> int:
        self.base.append(base)
        self._columns = None
        self._sparse = {}
        return len(self.base) - 1

    def add_delta(self, code: str, cluster: int, delta: Table) -> None:
        self._sparse.pop(code, None)
        d = self.deltas.setdefault(code, {})
        if cluster in d:
            add_tables(d[cluster], delta)
        else:
            d[cluster] = list(delta)

    def totals(self, codes: Iterable[str], weights: Sequence[float] | None = None) -> dict[str, Table]:
        """Each code's table, with clusters counted *weights* times (one each by default)."""
        if self._columns is None:
            self._columns = list(zip(*self.base, strict=True)) if self.base else [() for _ in range(TABLE_SIZE)]
            self._used = [any(col) for col in self._columns]
            self._sparse = {}
        columns = self._columns
        if weights is None:
            base = [float(sum(col)) for col in columns]
        else:
            base = [float(sum(map(mul, weights, col))) if self._used[j] else 0.0 for j, col in enumerate(columns)]
        out: dict[str, Table] = {}
        for code in codes:
            pick, cols = self._code_columns(code)
            t = list(base)
            if pick is not None:
                w = None if weights is None else pick(weights)
                for j, col in cols:
                    t[j] += sum(col) if w is None else sum(map(mul, w, col))
            out[code] = t
        return out

    def _code_columns(self, code: str) -> tuple[Callable[[Sequence[float]], Sequence[float]] | None, list[tuple[int, tuple[float, ...]]]]:
        """The clusters where *code* differs from the base, as a weight picker and delta columns (cached)."""
        hit = self._sparse.get(code)
        if hit is None:
            deltas = self.deltas.get(code, {})
            if not deltas:
                hit = (None, [])
            else:
                idx = list(deltas)
                getter = itemgetter(*idx)
                pick = getter if len(idx) > 1 else (lambda w, g=getter: (g(w),))
                cols = list(zip(*(deltas[k] for k in idx), strict=True))
                hit = (pick, [(j, col) for j, col in enumerate(cols) if any(col)])
            self._sparse[code] = hit
        return hit


def stacked(tables: Iterable[Sequence[float]]) -> Table:
    """The overall table: the codes' tables summed (each (unit, code) pair one decision)."""
    out = empty_table()
    for t in tables:
        add_tables(out, t)
    return out


Resampler = Callable[["Clustered", Sequence[str], int, int], Iterable[dict[str, Table]]]
"""resampler(data, codes, resamples, seed) -> each resample's table of every code."""


def pure_resamples(data: Clustered, codes: Sequence[str], resamples: int, seed: int) -> Iterator[dict[str, Table]]:
    """The resamples drawn here, in plain Python (clusters drawn with replacement)."""
    rng = random.Random(seed)
    k = len(data.base)
    population = range(k)
    for _ in range(resamples):
        drawn = Counter(draw(rng, k))
        yield data.totals(codes, list(map(drawn.get, population, repeat(0))))


def bootstrap(
    data: Clustered,
    codes: Sequence[str],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    statistics: Sequence[str] = STATISTICS,
    level: float = 0.95,
    resampler: Resampler | None = None,
) -> dict[str, dict[str, tuple[float, float] | None]]:
    """Percentile bootstrap intervals: ``{code or "overall": {statistic: (low, high) or None}}``.

    All codes and the overall figure are computed on the same resamples.
    *resampler* draws them (default :func:`pure_resamples`; the use cases pass
    a vectorised one).
    """
    k = len(data.base)
    samples: dict[str, dict[str, list[float]]] = {c: {s: [] for s in statistics} for c in [*codes, "overall"]}
    if k == 0 or resamples <= 0:
        return {c: dict.fromkeys(statistics) for c in samples}
    for tables in (resampler or pure_resamples)(data, codes, resamples, seed):
        tables["overall"] = stacked(tables[c] for c in codes)
        for name, t in tables.items():
            bucket = samples[name]
            for s in statistics:
                v = STAT_FUNCS[s](t)
                if v is not None:
                    bucket[s].append(v)
    tail = (1.0 - level) / 2.0
    return {name: {s: _percentile_interval(vals, tail) for s, vals in bucket.items()} for name, bucket in samples.items()}


_U32 = next(t for t in "IL" if array(t).itemsize == 4)


def draw(rng: random.Random, n: int) -> map:
    """*n* cluster indices drawn uniformly with replacement: 32 random bits each, scaled to
    ``range(n)`` by multiply-and-shift (C-level loops; reproducible from the seed)."""
    bits = array(_U32)
    if n:
        bits.frombytes(rng.getrandbits(32 * n).to_bytes(4 * n, "little"))
    return map(rshift, map(n.__mul__, bits), repeat(32))


def _percentile_interval(values: list[float], tail: float) -> tuple[float, float] | None:
    if len(values) < 2:
        return None
    values.sort()
    return (_quantile(values, tail), _quantile(values, 1.0 - tail))


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default 'linear' method)."""
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)
