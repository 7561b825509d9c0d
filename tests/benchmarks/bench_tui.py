"""Benchmark: the coding app on a 50,000-word transcript with 5,000 codings.

Prints the time from launch (opening the project included) to an interactive
coding screen, and key press -> updated screen p50/p95 for apply code, move
selection and scroll a page, measured with Textual's Pilot. A minimal Textual
app is measured in the same run as the baseline (launch, and a key press that
updates one widget).

Run: python tests/benchmarks/bench_tui.py [--words 50000] [--codings 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QCODE_CODER", "bench")

CODEBOOK = "qcode_codebook: 1\ntitle: Bench\nversion: '1'\ncodes:\n" + "".join(
    f"  - id: code-{i}\n    label: Code {i}\n" for i in range(20)
)
WORDS = (
    "the work platform task client pay rate week night kitchen machine answer team lead rejected "
    "contract hour message screen account rating review nobody family money time late again really "
    "because so then when we they I you it was is had have not very more less always never often"
).split()


def make_project(root: Path, n_words: int, n_codings: int) -> None:
    from qcode.core.anchor import make_anchor
    from qcode.core.coding import Coding
    from qcode.core.transcript import Transcript, build_text
    from qcode.usecases.project import Project

    rng = random.Random(7)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    turns = []
    words = 0
    t = 0.0
    while words < n_words:
        n = rng.randint(20, 180)
        sentences = []
        left = n
        while left > 0:
            k = min(left, rng.randint(5, 20))
            s = " ".join(rng.choice(WORDS) for _ in range(k))
            sentences.append(s[0].upper() + s[1:] + rng.choice([".", ".", "?", "!"]))
            left -= k
        turns.append((rng.choice(["Interviewer", "Amina", "Joseph", "Sara"]), " ".join(sentences), t, t + n / 2.5))
        t += n / 2.5 + 1
        words += n
    text, tr = build_text(turns)
    with Project.init(root, codebook=root / "codebook.yaml", name="bench") as p:
        tid = p.store.transcripts.add(Transcript(name="focus-group", title="Focus group", text=text, turns=tr))
        items = []
        for i in range(n_codings):
            turn = rng.choice(tr)
            a = rng.randint(turn.start, max(turn.start, turn.end - 2))
            b = min(turn.end, a + rng.randint(10, 300))
            if b <= a:
                continue
            an = make_anchor(text, a, b)
            items.append(Coding(tid, a, b, f"code-{i % 20}", "bench" if i % 3 else "other", quote=an.quote, prefix=an.prefix, suffix=an.suffix))
        p.store.codings.add_many(items)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def timed_keys(pilot, keys: list[str], before=None) -> list[float]:
    out = []
    for key in keys:
        if before is not None:
            await before()
        t0 = time.perf_counter()
        await pilot.press(key)
        await pilot.pause()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def bench_baseline(reps: int) -> tuple[float, list[float]]:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Minimal(App[None]):
        BINDINGS = [("x", "bump", "Bump")]
        n = 0

        def compose(self) -> ComposeResult:
            yield Static("0", id="s")
            yield Footer()

        def action_bump(self) -> None:
            self.n += 1
            self.query_one(Static).update(str(self.n))

    t0 = time.perf_counter()
    app = Minimal()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        launch = time.perf_counter() - t0
        keys = await timed_keys(pilot, ["x"] * reps)
    return launch, keys


async def bench_app(root: Path, reps: int) -> dict[str, object]:
    from qcode.tui.app import make_app
    from qcode.tui.screens.coding import CodingScreen

    t0 = time.perf_counter()
    app = make_app(root, transcript="focus-group")
    results: dict[str, object] = {"open": time.perf_counter() - t0}
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, CodingScreen) and app.screen.view._layout is not None):
            await pilot.pause()
        await pilot.pause()
        results["launch"] = time.perf_counter() - t0
        screen = app.screen
        results["codings"] = len(screen.view.codings)
        results["rows"] = len(screen.view._layout)
        await pilot.press("pagedown", "pagedown")
        results["move"] = await timed_keys(pilot, ["right", "shift+right", "left", "down"] * (reps // 4))
        results["page"] = await timed_keys(pilot, ["pagedown"] * reps)

        async def select_next_sentence() -> None:
            await pilot.press(")", "s")

        results["apply"] = await timed_keys(pilot, [str(1 + i % 9) for i in range(reps)], before=select_next_sentence)
        results["stored"] = len(app.project.store.codings.list())
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--codings", type=int, default=5_000)
    ap.add_argument("--reps", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        root.mkdir()
        t = time.perf_counter()
        make_project(root, args.words, args.codings)
        print(f"project: {args.words:,} words, {args.codings:,} codings (built in {time.perf_counter() - t:.1f} s)")
        base_launch, base_keys = asyncio.run(bench_baseline(args.reps))
        r = asyncio.run(bench_app(root, args.reps))
    print(f"rows laid out: {r['rows']:,}; codings shown: {r['codings']:,}; codings stored after: {r['stored']:,}")
    print(f"launch -> interactive coding screen: {r['launch']:.2f} s  (minimal Textual app: {base_launch:.2f} s, ratio {r['launch'] / base_launch:.1f}x)")
    print(f"  of which opening the project: {r['open']:.2f} s; after the project is open: {r['launch'] - r['open']:.2f} s")
    b50, b95 = statistics.median(base_keys), pct(base_keys, 0.95)
    print(f"baseline key press (minimal app, update a Static): p50 {b50:.1f} ms  p95 {b95:.1f} ms")
    for name in ("move", "page", "apply"):
        v = r[name]
        assert isinstance(v, list)
        p50, p95 = statistics.median(v), pct(v, 0.95)
        print(f"{name:>6}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (x{p50 / b50:.1f} / x{p95 / b95:.1f} of baseline; n={len(v)})")


if __name__ == "__main__":
    main()
