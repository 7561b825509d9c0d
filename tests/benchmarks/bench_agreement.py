"""Agreement benchmark: 20 transcripts of 10,000 words, 2,000 codings per coder, 2,000 bootstrap resamples.

Run: python tests/benchmarks/bench_agreement.py [RESAMPLES]

Prints the time of qcode's agreement (reliability data, point figures and the
bootstrap intervals of every code and overall) per unit, next to the
`krippendorff` package's own time for the point alpha of every code on the
same coder x character reliability matrix (numpy arrays, built outside the
timing), and the package's time for the same number of bootstrap resamples
estimated from 3 timed resamples. The figures of both agree (checked).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import krippendorff
import numpy as np

from qcode.core.agreement import alpha
from qcode.core.agreement_units import Doc, reliability, summarize
from qcode.core.coding import Coding
from qcode.usecases.agreement import numpy_resamples

N_TRANSCRIPTS, WORDS, TURN_WORDS, N_CODES, PER_CODER = 20, 10_000, 50, 20, 2000
CHARS_PER_WORD = 6


def make_data(seed: int = 1) -> tuple[list[Doc], list[Coding]]:
    rng = random.Random(seed)
    docs = []
    turn_len = TURN_WORDS * CHARS_PER_WORD
    for tid in range(1, N_TRANSCRIPTS + 1):
        turns = tuple((i * (turn_len + 2), i * (turn_len + 2) + turn_len) for i in range(WORDS // TURN_WORDS))
        docs.append(Doc(tid, turns[-1][1], turns))
    a: list[Coding] = []
    b: list[Coding] = []
    for _ in range(PER_CODER):
        doc = rng.choice(docs)
        s, e = rng.choice(doc.turns)
        start = rng.randrange(s, e - 60)
        end = min(e, start + rng.randrange(40, 600))
        code = f"c{rng.randrange(N_CODES)}"
        a.append(Coding(doc.transcript_id, start, end, code, "a"))
        r = rng.random()
        if r < 0.6:  # the same passage, boundaries a little off
            bs = max(s, start + rng.randrange(-15, 16))
            be = min(e, max(bs + 5, end + rng.randrange(-15, 16)))
            b.append(Coding(doc.transcript_id, bs, be, code, "b"))
        elif r < 0.75:  # the same passage, another code
            b.append(Coding(doc.transcript_id, start, end, f"c{rng.randrange(N_CODES)}", "b"))
    while len(b) < PER_CODER:  # passages only b coded
        doc = rng.choice(docs)
        s, e = rng.choice(doc.turns)
        start = rng.randrange(s, e - 60)
        b.append(Coding(doc.transcript_id, start, min(e, start + rng.randrange(40, 600)), f"c{rng.randrange(N_CODES)}", "b"))
    return docs, a + b


def char_matrices(docs: list[Doc], codings: list[Coding], codes: list[str]) -> dict[str, np.ndarray]:
    """Coder x character matrix of each code over the spoken characters (as the package takes it)."""
    out = {}
    for code in codes:
        rows = []
        for who in ("a", "b"):
            parts = []
            for d in docs:
                cov = np.zeros(d.length, dtype=np.float64)
                for c in codings:
                    if c.coder == who and c.code_id == code and c.transcript_id == d.transcript_id:
                        cov[c.start : c.end] = 1
                parts += [cov[s:e] for s, e in d.turns]
            rows.append(np.concatenate(parts))
        out[code] = np.array(rows)
    return out


def main() -> None:
    resamples = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    docs, codings = make_data()
    codes = [f"c{i}" for i in range(N_CODES)]
    chars = sum(e - s for d in docs for s, e in d.turns)
    print(f"{N_TRANSCRIPTS} transcripts x {WORDS} words ({chars:,} spoken characters), {N_CODES} codes, "
          f"{PER_CODER} codings per coder, {resamples} bootstrap resamples")
    times = {}
    for unit in ("character", "segment", "turn"):
        t0 = time.perf_counter()
        rel = reliability(docs, codings, ["a", "b"], codes, unit)
        t1 = time.perf_counter()
        s = summarize(rel, resamples=resamples, min_codings=1, resampler=numpy_resamples)
        t2 = time.perf_counter()
        times[unit] = (t1 - t0, t2 - t1)
        print(f"  qcode {unit:<9}: reliability data {t1 - t0:6.2f} s, figures + {resamples} resamples {t2 - t1:6.2f} s; "
              f"overall alpha {s.overall.alpha:.3f} CI {s.overall.ci['alpha'][0]:.3f}-{s.overall.ci['alpha'][1]:.3f}")
    rel = reliability(docs, codings, ["a", "b"], codes, "character")
    t0 = time.perf_counter()
    pure = summarize(rel, resamples=resamples // 10, min_codings=1)
    t_pure = (time.perf_counter() - t0) * 10
    print(f"  qcode character, pure-Python resampler (core, no numpy): about {t_pure:.1f} s for {resamples} resamples "
          f"(measured on {resamples // 10}); CI {pure.overall.ci['alpha'][0]:.3f}-{pure.overall.ci['alpha'][1]:.3f}")
    matrices = char_matrices(docs, codings, codes)
    rel = reliability(docs, codings, ["a", "b"], codes, "character")
    tables = rel.tables()
    t0 = time.perf_counter()
    theirs = {c: krippendorff.alpha(reliability_data=m, level_of_measurement="nominal", value_domain=[0.0, 1.0]) for c, m in matrices.items()}
    point = time.perf_counter() - t0
    worst = max(abs(theirs[c] - (alpha(tables[c]) or 0.0)) for c in codes)
    print(f"  krippendorff package, point alpha of the {N_CODES} codes on the coder x character matrices: {point:.2f} s "
          f"(largest difference from qcode's alpha: {worst:.1e})")
    rng = np.random.default_rng(0)
    n = next(iter(matrices.values())).shape[1]
    k = 3
    t0 = time.perf_counter()
    for _ in range(k):
        idx = rng.integers(0, n, n)
        for m in matrices.values():
            krippendorff.alpha(reliability_data=m[:, idx], level_of_measurement="nominal", value_domain=[0.0, 1.0])
    per = (time.perf_counter() - t0) / k
    total_q = sum(times["character"])
    print(f"  krippendorff package, {resamples} bootstrap resamples of every code: about {per * resamples:.0f} s "
          f"(measured {per:.2f} s per resample over {k})")
    print(f"  ratio, character unit with intervals: package {per * resamples + point:.0f} s / qcode {total_q:.1f} s "
          f"= {(per * resamples + point) / total_q:.0f}x")


if __name__ == "__main__":
    main()
