"""Benchmark: a team on one PostgreSQL server.

Prints codings per second (each coding one `apply_code` use case: duplicate
check, insert, commit) with 1, 4 and 8 coder processes at once on
PostgreSQL, each its own database role, next to one coder on a local SQLite
project measured in the same run (the baseline). Then the refresh latency
when another coder adds a coding: how long until the change feed of an open
project hears it (LISTEN/NOTIFY), and until the app's coding screen shows it.

Needs a server: QCODE_TEST_POSTGRES_URL (see .ci/postgres, e.g.
`bash .ci/postgres start /tmp/pg` prints one).

Run: python tests/benchmarks/bench_server.py [--codings 300] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from qcode.usecases import coding, importing  # noqa: E402
from qcode.usecases.project import Project  # noqa: E402
from qcode.usecases.server import ChangeFeed  # noqa: E402
from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT, new_database  # noqa: E402
from tests.team import make_team, run_coders  # noqa: E402

COUNTS = (1, 4, 8)


def _project(folder: Path, work: Path, database: str | None) -> None:
    with Project.init(folder, codebook=work / "cb.yaml", database=database) as p:
        assert not importing.import_paths(p, [work / "i1.txt"]).failed


def codings_per_second(team, work: Path, each: int, env: dict[str, str]) -> dict[str, float]:
    folders = [work / f"c{i}" for i in range(max(COUNTS))]
    for i, folder in enumerate(folders):
        Project.init(folder, database=team.url(f"c{i}")).close()
    admin = sa.create_engine(team.admin_url)
    rates = {}
    for n in COUNTS:
        with admin.begin() as conn:
            conn.exec_driver_sql("DELETE FROM codings")
        elapsed, rows = run_coders(folders[:n], work / f"run{n}", each, env)
        assert len(rows) == n * each
        rates[f"postgresql, {n} coder{'s' if n > 1 else ''}"] = n * each / elapsed
    admin.dispose()
    local = work / "local"
    _project(local, work, None)
    elapsed, rows = run_coders([local], work / "run-sqlite", each, {**env, "QCODE_CODER": "solo"})
    rates["sqlite, 1 coder (baseline)"] = each / elapsed
    return rates


def feed_latency(team, work: Path, rounds: int) -> list[float]:
    """Seconds from the start of a colleague's coding (its transaction included) to the change feed hearing it."""
    out = []
    with Project.open(work / "lead") as lead, Project.open(work / "c0") as other:
        feed = ChangeFeed(lead.store)
        time.sleep(0.5)
        for i in range(rounds):
            feed.poll()
            t0 = time.perf_counter()
            coding.apply_code(other, "i1", 100 + i, 102 + i, "pay")
            while not feed.poll():
                time.sleep(0.001)
            out.append(time.perf_counter() - t0)
        feed.close()
    return out


def app_latency(work: Path, rounds: int) -> list[float]:
    """Seconds from the start of a colleague's coding to it on the lead's coding screen."""
    from qcode.tui.app import make_app

    out: list[float] = []

    async def run() -> None:
        app = make_app(work / "lead", transcript="i1")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.5)
            screen = app.screen
            with Project.open(work / "c1") as other:
                for i in range(rounds):
                    before = len(screen.view.codings)
                    t0 = time.perf_counter()
                    coding.apply_code(other, "i1", 120 + i, 122 + i, "pay")
                    while len(screen.view.codings) == before and time.perf_counter() - t0 < 10:
                        await asyncio.sleep(0.002)
                    out.append(time.perf_counter() - t0)

    asyncio.run(run())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--codings", type=int, default=300, help="codings per coder process")
    ap.add_argument("--rounds", type=int, default=10, help="refresh latency rounds")
    args = ap.parse_args()
    base = os.environ.get("QCODE_TEST_POSTGRES_URL", "")
    if not base:
        print("QCODE_TEST_POSTGRES_URL is not set: start a server with `bash .ci/postgres start DIR` first.")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "cb.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
        (work / "i1.txt").write_text(SMALL_TRANSCRIPT * 4, encoding="utf-8")
        team = make_team(new_database(base, "qcode_bench_server"), work / "pgpass",
                         {"lead": "owner", **{f"c{i}": "coder" for i in range(max(COUNTS))}})
        os.environ["PGPASSFILE"] = str(team.passfile)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        _project(work / "lead", work, team.url("lead"))
        print(f"{args.codings} codings per coder process, each one transaction (apply_code); {os.cpu_count()} CPUs")
        rates = codings_per_second(team, work, args.codings, env)
        baseline = rates["sqlite, 1 coder (baseline)"]
        for name, rate in rates.items():
            print(f"  {name:<28} {rate:8.0f} codings/s  ({rate / baseline:4.2f}x SQLite)")
        feed = feed_latency(team, work, args.rounds)
        print("from the start of a colleague's coding (its commit included):")
        print(f"  the change feed hears it:  median {statistics.median(feed) * 1000:.1f} ms, "
              f"max {max(feed) * 1000:.1f} ms ({len(feed)} rounds)")
        shown = app_latency(work, args.rounds)
        print(f"  the coding screen shows it: median {statistics.median(shown) * 1000:.1f} ms, "
              f"max {max(shown) * 1000:.1f} ms (the app looks at the feed every 100 ms)")


if __name__ == "__main__":
    main()
