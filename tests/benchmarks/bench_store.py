"""Store benchmark: 100,000 codings, one transaction each and in one batch, then queries.

Run: python tests/benchmarks/bench_store.py [N]

Prints codings/s for each insert mode and the time of "all codings of one
code", "all codings in a transcript" and "all codings by a coder", next to a
baseline measured in the same run: the same rows inserted with the bare
sqlite3 module (one executemany in one transaction), so the figures can be
compared across machines.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qcode.core import Code, Codebook, Coding, Transcript, build_text
from qcode.storage import Store

N_CODES = 50
N_CODERS = 4


def make_store(folder: Path) -> tuple[Store, list[int]]:
    store = Store.open_sqlite(folder / "p.sqlite", create=True)
    store.codes.save(Codebook(title="bench", codes=tuple(Code(f"c{i}", {"": f"Code {i}"}) for i in range(N_CODES))))
    tids = []
    for t in range(20):
        text, turns = build_text([("S", "word " * 2500, None, None)])
        tids.append(store.transcripts.add(Transcript(name=f"t{t}", title=f"t{t}", text=text, turns=turns)))
    return store, tids


def codings(n: int, tids: list[int]) -> list[Coding]:
    return [
        Coding(tids[i % len(tids)], (i * 7) % 12000, (i * 7) % 12000 + 40, f"c{i % N_CODES}", f"coder{i % N_CODERS}", quote="word " * 8)
        for i in range(n)
    ]


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        # Baseline: bare sqlite3, one transaction, executemany.
        conn = sqlite3.connect(folder / "bare.sqlite")
        conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, t INT, code TEXT, coder TEXT, s INT, e INT, quote TEXT)")
        rows = [(c.transcript_id, c.code_id, c.coder, c.start, c.end, c.quote) for c in codings(n, [1])]
        bare = timed(lambda: (conn.executemany("INSERT INTO c (t, code, coder, s, e, quote) VALUES (?,?,?,?,?,?)", rows), conn.commit()))
        conn.close()

        (folder / "a").mkdir()
        store, tids = make_store(folder / "a")
        items = codings(n, tids)
        batch = timed(lambda: store.codings.add_many(items))

        (folder / "b").mkdir()
        store_b, tids_b = make_store(folder / "b")
        items_b = codings(n, tids_b)
        one_each = timed(lambda: [store_b.codings.add(c) for c in items_b])
        store_b.close()

        q_code = timed(lambda: store.codings.list(code_ids=["c7"]))
        q_transcript = timed(lambda: store.codings.list(transcript_id=tids[3]))
        q_coder = timed(lambda: store.codings.list(coders=["coder2"]))
        n_code = len(store.codings.list(code_ids=["c7"]))
        store.close()

    print(f"codings: {n:,}")
    print(f"baseline bare sqlite3 executemany, 1 transaction: {n / bare:>10,.0f} codings/s  ({bare:.2f} s)")
    print(f"qcode codings.add_many, 1 transaction (batch):  {n / batch:>10,.0f} codings/s  ({batch:.2f} s)  = {batch / bare:.1f}x baseline time")
    print(f"qcode codings.add, 1 transaction each (durable):{n / one_each:>10,.0f} codings/s  ({one_each:.2f} s)")
    print(f"all codings of one code ({n_code:,} rows):        {q_code * 1000:>8.1f} ms")
    print(f"all codings in one transcript:                     {q_transcript * 1000:>8.1f} ms")
    print(f"all codings by one coder:                          {q_coder * 1000:>8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
