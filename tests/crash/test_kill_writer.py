"""Crash tests: a writer killed with SIGKILL at random moments loses nothing it acknowledged.

A child process codes passages one transaction at a time and prints the id
of each coding only after its transaction has committed. The parent kills it
at a random instant, reopens the project, and checks that the database is
intact and holds every acknowledged coding. Bounded: a few rounds, each well
under a second of writing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qcode.storage import Store

WRITER = r"""
import sys
from pathlib import Path
from qcode.core import Code, Codebook, Coding, Transcript, build_text
from qcode.storage import Store

path = Path(sys.argv[1])
store = Store.open_sqlite(path, create=True)
if not store.codes.codebook().ids:
    store.codes.save(Codebook(title="c", codes=(Code("a"),)))
    text, turns = build_text([("S", "word " * 1000, None, None)])
    store.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns))
print("ready", flush=True)
i = len(store.codings.list())  # a later round goes on with new spans: one coding per span and code
while True:
    c = store.codings.add(Coding(1, i % 900, i % 900 + 1 + i // 900, "a", "w"))
    print(c.id, flush=True)
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_during_writes_loses_no_acknowledged_coding(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = tmp_path / "p.sqlite"
    acknowledged: set[int] = set()
    for _round in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        acknowledged |= {int(x) for x in out.split() if x.isdigit()}
    store = Store.open_sqlite(db)  # runs quick_check; raises if damaged
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    stored = {c.id for c in store.codings.list()}
    store.close()
    assert acknowledged, "the writer never got to commit anything"
    assert acknowledged <= stored
