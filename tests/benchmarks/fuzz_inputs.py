"""Fuzzing at a large budget, plus SIGKILL trials of imports; prints figures (not collected by pytest).

    python tests/benchmarks/fuzz_inputs.py [--examples 300] [--kills 20] [--memory-mb 1024]

Figures: inputs fuzzed (per kind and in all), accepted/refused, failures (uncaught
exceptions, MemoryError under the limit, a project changed by a refused input),
the peak resident memory and the input kind that reached it; for the kill
trials: how many, and how many left a damaged project or a half-imported file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.fuzz.harness import KINDS  # noqa: E402
from tests.hostile.limited import run_limited  # noqa: E402

IMPORTER = r"""
import sys
from pathlib import Path
from qcode.usecases import importing
from qcode.usecases.project import Project
with Project.open(Path(sys.argv[1])) as p:
    print("ready", flush=True)
    importing.import_paths(p, [Path(sys.argv[2])])
    print("done", flush=True)
"""


def kill_trials(n: int, seed: int = 1) -> dict[str, int]:
    """Kill an import of a large transcript at random instants; the project must be intact, the file all or nothing."""
    from qcode.storage import Store
    from qcode.usecases.project import Project
    from tests.conftest import SMALL_CODEBOOK

    rng = random.Random(seed)
    bad = half = finished = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        root.mkdir()
        (root / "cb.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
        Project.init(root, codebook=root / "cb.yaml").close()
        big = Path(tmp) / "long.txt"
        big.write_text("".join(f"Speaker{i % 3}: turn {i} " + "words of an interview " * 30 + "\n"
                               for i in range(20000)), encoding="utf-8")
        expected_chars = None
        for _ in range(n):
            proc = subprocess.Popen([sys.executable, "-c", IMPORTER, str(root), str(big)], stdout=subprocess.PIPE,
                                    text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 1.5))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=60)
            finished += "done" in out
            try:
                s = Store.open_sqlite(root / ".qcode" / "project.sqlite")
                rows = s.transcripts.summaries()
                with s.engine.connect() as conn:
                    ok = conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                for r in rows:
                    text = s.transcripts.get(r.id).text
                    expected_chars = expected_chars or len(text)
                    half += len(text) != expected_chars or r.turns != 20000
                    s.transcripts.delete(r["id"])
                s.close()
                bad += not ok
            except Exception:  # a project that does not open is what this counts
                bad += 1
    return {"kill_trials": n, "finished_before_kill": finished, "damaged_projects": bad, "partial_imports": half}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=300, help="inputs per kind")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--memory-mb", type=int, default=1024)
    ap.add_argument("--random", action="store_true")
    a = ap.parse_args()
    t0 = time.perf_counter()
    child = "import sys\nfrom tests.fuzz import harness\nRESULT = harness.main(sys.argv[1:])\n"
    args = ["--examples", str(a.examples)] + (["--random"] if a.random else [])
    out = run_limited(child, memory_mb=a.memory_mb, timeout=7200, args=args)
    secs = time.perf_counter() - t0
    print(f"fuzzed inputs:       {out['inputs']:,} ({a.examples} per kind, {len(KINDS)} kinds: {', '.join(KINDS)})")
    print(f"accepted / refused:  {out['accepted']:,} / {out['refused']:,}")
    print(f"failures:            {out['failure_count']} (uncaught exceptions, MemoryError, project changed)")
    for f in out["failures"][:10]:
        print(f"  - {f['kind']}: {f['error']}")
    print(f"library errors turned into clear refusals: {json.dumps(out['wrapped'])}")
    print(f"memory limit:        RLIMIT_AS {a.memory_mb} MB; peak resident {out['peak_mb']:.0f} MB "
          f"(worst input: {json.dumps(out['worst'])})")
    print(f"time:                {secs:.0f} s ({out['inputs'] / secs:.1f} inputs/s)")
    if a.kills:
        k = kill_trials(a.kills)
        print(f"kill trials:         {k['kill_trials']} SIGKILLs during an import of a 20,000-turn transcript "
              f"({k['finished_before_kill']} finished first): {k['damaged_projects']} damaged projects, "
              f"{k['partial_imports']} partial imports")


if __name__ == "__main__":
    main()
