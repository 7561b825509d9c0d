"""Units of agreement: how coders' codings become reliability data.

Which transcripts and values take part:

* A coder has *coded* a transcript when they made at least one coding in it
  (any code). For each unit of such a transcript the coder's value for a code
  is 1 (coded with it) or 0 (not coded with it); in a transcript the coder did
  not code, the value is *missing*. Only units with values from at least two
  coders count (Krippendorff's "pairable" values).
* Per code, the value is about that exact code (a sub-code is another code).

Unit rules (``unit=``):

``character``
    Every character of the spoken text (inside the transcript's turns; the
    whole text when it has no turns) is a unit: a coder coded it with a code
    when one of their codings of that code covers it. This is how NVivo and
    QualCoder compute their character-level kappa.
``segment``
    The units are the coded passages. Two codings (any code, any coder) are
    the same passage when they overlap on at least ``overlap`` (default 0.9,
    as QDA Miner) of the length of *each* of them, i.e. ``intersection /
    max(length) >= overlap``; passages join transitively. A coder coded a
    passage with a code when one of their codings of that code is in it.
    Nested or merely touching codings are different passages.
``sentence`` / ``turn``
    The transcript's sentences (given by the caller) or speaker turns. A unit
    is coded with a code when a coding of that code covers at least half of
    the unit, or the unit holds at least half of the coding (the rule of
    ``qcode evaluate``).

Bootstrap clusters: each turn (for characters), passage, sentence or turn.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from qcode.core.agreement import (
    DEFAULT_MIN_CODINGS,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    N00,
    N01,
    N10,
    N11,
    PAIRABLE,
    POS_ANY,
    STATISTICS,
    Clustered,
    Resampler,
    Table,
    add_tables,
    alpha,
    bootstrap,
    kappa,
    percent,
    positive,
    reading,
    stacked,
    unit_table,
)
from qcode.core.coding import Coding

UNITS = ("character", "segment", "sentence", "turn")
DEFAULT_UNIT = "character"
DEFAULT_OVERLAP = 0.9

Span = tuple[int, int]


@dataclass(frozen=True)
class Doc:
    """What the unit rules need of a transcript."""

    transcript_id: int
    length: int
    turns: tuple[Span, ...] = ()
    sentences: tuple[Span, ...] = ()

    def blocks(self) -> tuple[Span, ...]:
        return self.turns or ((0, self.length),)


@dataclass
class Reliability:
    """Reliability data of several coders, per code, ready for the statistics."""

    unit: str
    coders: tuple[str, ...]
    codes: tuple[str, ...]
    data: Clustered = field(default_factory=Clustered)
    transcripts: list[int] = field(default_factory=list)
    """Transcripts coded by at least two of the coders (the ones compared)."""
    codings: dict[str, int] = field(default_factory=dict)
    """Code -> number of codings by the coders in the compared transcripts."""
    differ: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    """Code -> (transcript id, start, end) of the units where the coders differ."""
    units: int = 0
    """Number of units (characters, passages, sentences or turns) in the compared transcripts."""

    def tables(self) -> dict[str, Table]:
        return self.data.totals(self.codes)


def covers(u_start: int, u_end: int, c_start: int, c_end: int) -> bool:
    """The coding covers >= half the unit, or the unit holds >= half the coding."""
    inter = min(u_end, c_end) - max(u_start, c_start)
    if inter <= 0:
        return False
    return 2 * inter >= (u_end - u_start) or 2 * inter >= (c_end - c_start)


def same_passage(a: Coding, b: Coding, overlap: float) -> bool:
    """True when *a* and *b* overlap on at least *overlap* of the length of each."""
    inter = min(a.end, b.end) - max(a.start, b.start)
    return inter > 0 and inter >= overlap * max(a.end - a.start, b.end - b.start)


def reliability(
    docs: Iterable[Doc],
    codings: Iterable[Coding],
    coders: Sequence[str],
    codes: Sequence[str],
    unit: str = DEFAULT_UNIT,
    overlap: float = DEFAULT_OVERLAP,
) -> Reliability:
    """Build the reliability data of *coders* for *codes* under *unit* (see module doc)."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    rel = Reliability(unit, tuple(coders), tuple(codes))
    wanted = set(codes)
    col = {c: i for i, c in enumerate(coders)}
    by_doc: dict[int, list[Coding]] = {}
    for c in codings:
        if c.coder in col:
            by_doc.setdefault(c.transcript_id, []).append(c)
    for doc in docs:
        mine = by_doc.get(doc.transcript_id, [])
        present = {c.coder for c in mine}
        if len(present) < 2:
            continue
        rel.transcripts.append(doc.transcript_id)
        base_values: list[int | None] = [0 if name in present else None for name in coders]
        coded = [c for c in mine if c.code_id in wanted]
        for c in coded:
            rel.codings[c.code_id] = rel.codings.get(c.code_id, 0) + 1
        if unit == "character":
            _characters(rel, doc, coded, col, base_values)
        elif unit == "segment":
            _segments(rel, doc, coded, col, base_values, overlap)
        else:
            spans = doc.turns if unit == "turn" else doc.sentences
            _spans(rel, doc, spans or ((0, doc.length),), coded, col, base_values)
    return rel


def _delta(values: Sequence[int | None], base: Table, weight: float) -> Table:
    d = unit_table(values, weight)
    add_tables(d, base, -weight)
    return d


def _by_code(codings: Iterable[Coding]) -> dict[str, list[Coding]]:
    out: dict[str, list[Coding]] = {}
    for c in codings:
        out.setdefault(c.code_id, []).append(c)
    return out


def _differ(values: Sequence[int | None]) -> bool:
    seen = {v for v in values if v is not None}
    return len(seen) > 1


def _characters(rel: Reliability, doc: Doc, coded: list[Coding], col: dict[str, int], base_values: list[int | None]) -> None:
    blocks = doc.blocks()
    clusters = [rel.data.add_cluster(unit_table(base_values, float(e - s))) for s, e in blocks]
    rel.units += sum(e - s for s, e in blocks)
    one = unit_table(base_values)
    starts = [s for s, _ in blocks]
    for code, items in _by_code(coded).items():
        points: set[int] = set()
        for c in items:
            points.update((c.start, c.end))
        for s, e in blocks:
            points.update((s, e))
        cuts = sorted(points)
        # coverage count per coder between consecutive cut points
        events: dict[int, list[tuple[int, int]]] = {}
        for c in items:
            events.setdefault(c.start, []).append((col[c.coder], 1))
            events.setdefault(c.end, []).append((col[c.coder], -1))
        depth = [0] * len(base_values)
        differ = rel.differ.setdefault(code, [])
        for a, b in zip(cuts, cuts[1:], strict=False):
            for i, step in events.get(a, ()):
                depth[i] += step
            if not any(depth):
                continue
            bi = bisect.bisect_right(starts, a) - 1
            if bi < 0 or a >= blocks[bi][1]:
                continue  # between turns: not a unit
            values = [None if v is None else int(depth[i] > 0) for i, v in enumerate(base_values)]
            rel.data.add_delta(code, clusters[bi], _delta(values, one, float(b - a)))
            if _differ(values):
                if differ and differ[-1][0] == doc.transcript_id and differ[-1][2] == a:
                    differ[-1] = (doc.transcript_id, differ[-1][1], b)
                else:
                    differ.append((doc.transcript_id, a, b))


def _spans(
    rel: Reliability, doc: Doc, spans: Sequence[Span], coded: list[Coding], col: dict[str, int], base_values: list[int | None]
) -> None:
    base = unit_table(base_values)
    clusters = [rel.data.add_cluster(list(base)) for _ in spans]
    rel.units += len(spans)
    starts = [s for s, _ in spans]
    for code, items in _by_code(coded).items():
        hit: dict[int, set[int]] = {}
        for c in items:
            i = max(0, bisect.bisect_right(starts, c.start) - 1)
            while i < len(spans) and spans[i][0] < c.end:
                if covers(spans[i][0], spans[i][1], c.start, c.end):
                    hit.setdefault(i, set()).add(col[c.coder])
                i += 1
        differ = rel.differ.setdefault(code, [])
        for i in sorted(hit):
            values = [None if v is None else int(j in hit[i]) for j, v in enumerate(base_values)]
            rel.data.add_delta(code, clusters[i], _delta(values, base, 1.0))
            if _differ(values):
                differ.append((doc.transcript_id, *spans[i]))


def passages(codings: Sequence[Coding], overlap: float) -> list[list[Coding]]:
    """Group codings into passages (see ``segment`` in the module doc), in text order."""
    order = sorted(range(len(codings)), key=lambda i: (codings[i].start, codings[i].end))
    parent = list(range(len(codings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for pos, i in enumerate(order):
        a = codings[i]
        for j in order[pos + 1 :]:
            b = codings[j]
            if b.start >= a.end:
                break
            if same_passage(a, b, overlap):
                parent[find(j)] = find(i)
    groups: dict[int, list[Coding]] = {}
    for i in order:
        groups.setdefault(find(i), []).append(codings[i])
    return sorted(groups.values(), key=lambda g: (min(c.start for c in g), max(c.end for c in g)))


def _segments(
    rel: Reliability, doc: Doc, coded: list[Coding], col: dict[str, int], base_values: list[int | None], overlap: float
) -> None:
    base = unit_table(base_values)
    for group in passages(coded, overlap):
        k = rel.data.add_cluster(list(base))
        rel.units += 1
        start, end = min(c.start for c in group), max(c.end for c in group)
        for code, items in _by_code(group).items():
            who = {col[c.coder] for c in items}
            values = [None if v is None else int(j in who) for j, v in enumerate(base_values)]
            rel.data.add_delta(code, k, _delta(values, base, 1.0))
            if _differ(values):
                rel.differ.setdefault(code, []).append((doc.transcript_id, start, end))


# --------------------------------------------------------------- disagreements
@dataclass(frozen=True)
class Disagreement:
    """A passage where the coders differ on one code: the codings of that code overlapping
    there (any coder), joined while they overlap."""

    transcript_id: int
    code_id: str
    start: int
    end: int
    codings: tuple[Coding, ...]
    coded_by: tuple[str, ...]
    """Coders who coded (part of) the passage with the code."""
    not_coded_by: tuple[str, ...]
    """Coders who coded the transcript but not this passage with the code."""


def disagreements(rel: Reliability, codings: Iterable[Coding], present: dict[int, set[str]] | None = None) -> list[Disagreement]:
    """The review queue: one item per passage holding a unit where the coders differ,
    in transcript order, then position, then code (order of ``rel.codes``)."""
    col = set(rel.coders)
    keep = set(rel.transcripts)
    by_key: dict[tuple[int, str], list[Coding]] = {}
    who: dict[int, set[str]] = {}
    for c in codings:
        if c.coder in col and c.transcript_id in keep:
            who.setdefault(c.transcript_id, set()).add(c.coder)
            if c.code_id in rel.codes:
                by_key.setdefault((c.transcript_id, c.code_id), []).append(c)
    present = present or who
    order = {c: i for i, c in enumerate(rel.codes)}
    out: list[Disagreement] = []
    for code in rel.codes:
        spans = rel.differ.get(code, [])
        if not spans:
            continue
        for tid in sorted({s[0] for s in spans}):
            groups = _overlapping(by_key.get((tid, code), []))
            marks = [(s, e) for t, s, e in spans if t == tid]
            for g in groups:
                gs, ge = min(c.start for c in g), max(c.end for c in g)
                if not any(s < ge and gs < e for s, e in marks):
                    continue
                coded = sorted({c.coder for c in g}, key=rel.coders.index)
                others = [name for name in rel.coders if name in present.get(tid, set()) and name not in coded]
                out.append(Disagreement(tid, code, gs, ge, tuple(g), tuple(coded), tuple(others)))
    out.sort(key=lambda d: (rel.transcripts.index(d.transcript_id), d.start, order[d.code_id], d.end))
    return out


def _overlapping(items: list[Coding]) -> list[list[Coding]]:
    """Codings joined while they overlap (touching is not overlapping)."""
    items = sorted(items, key=lambda c: (c.start, c.end))
    groups: list[list[Coding]] = []
    end = -1
    for c in items:
        if groups and c.start < end:
            groups[-1].append(c)
            end = max(end, c.end)
        else:
            groups.append([c])
            end = c.end
    return groups



# ------------------------------------------------------------------- summary
@dataclass(frozen=True)
class Figures:
    """The statistics of one code (or overall), with their intervals and reading."""

    percent: float | None
    positive: float | None
    kappa: float | None
    alpha: float | None
    ci: dict[str, tuple[float, float] | None]
    reading: str
    """reliable / tentative / not reliable / undefined (of alpha), or ``too rare``."""
    units: float
    """Pairable units (characters for the character unit)."""
    coded_units: float
    """Pairable units at least one coder coded with the code."""
    codings: int = 0
    too_rare: bool = False


@dataclass(frozen=True)
class Agreement:
    unit: str
    coders: tuple[str, ...]
    overlap: float | None
    transcripts: tuple[int, ...]
    units: int
    codes: dict[str, Figures]
    overall: Figures
    resamples: int
    seed: int
    min_codings: int


def summarize(
    rel: Reliability,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    min_codings: int = DEFAULT_MIN_CODINGS,
    overlap: float | None = None,
    resampler: Resampler | None = None,
) -> Agreement:
    """Figures per code and overall. Codes with fewer than *min_codings* codings are
    ``too rare``: no figures, and left out of the overall figures (so are codes nobody used)."""
    tables = rel.tables()
    judged = [c for c in rel.codes if rel.codings.get(c, 0) >= max(1, min_codings)]
    intervals = bootstrap(rel.data, judged, resamples, seed, resampler=resampler) if judged else {}
    out: dict[str, Figures] = {}
    for code in rel.codes:
        n = rel.codings.get(code, 0)
        t = tables[code]
        if code not in judged:
            out[code] = Figures(None, None, None, None, {}, "too rare", t[PAIRABLE], t[POS_ANY], n, True)
            continue
        out[code] = _figures(t, intervals.get(code, {}), n)
    overall_t = stacked(tables[c] for c in judged)
    overall = _figures(overall_t, intervals.get("overall", {}), sum(rel.codings.get(c, 0) for c in judged))
    return Agreement(
        unit=rel.unit, coders=rel.coders, overlap=overlap if rel.unit == "segment" else None,
        transcripts=tuple(rel.transcripts), units=rel.units, codes=out, overall=overall,
        resamples=resamples, seed=seed, min_codings=min_codings,
    )


def _figures(t: Table, ci: dict[str, tuple[float, float] | None], n: int) -> Figures:
    a = alpha(t)
    return Figures(
        percent(t), positive(t), kappa(t) if t[N11] + t[N10] + t[N01] + t[N00] else None, a,
        {s: ci.get(s) for s in STATISTICS}, reading(a), t[PAIRABLE], t[POS_ANY], n,
    )
