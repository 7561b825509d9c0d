"""Benchmark: REFI-QDA export and import of 100 transcripts with 50,000 codings.

Prints the time of ``qcode export --format qdpx`` and of ``qcode import`` of
that file into a fresh project and, as the baseline measured in the same run,
the time lxml alone needs to parse the same ``project.qde`` and walk its
selections (what any reader of the file must at least do).

Run: python tests/benchmarks/bench_exchange.py [--transcripts 100] [--codings 50000] [--words 1500]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qcode.core.anchor import make_anchor
from qcode.core.coding import Coding
from qcode.usecases import importing
from qcode.usecases.project import Project
from qcode.usecases.refi_export import export_qdpx
from qcode.usecases.refi_import import import_project

VOCAB = ("the pay per task was low and the platform changed the rules without notice we were never told "
         "who the client was travail tâche plateforme rémunération été très précaire 😀 annotation").split()
CODEBOOK = "qcode_codebook: 1\ntitle: Bench\ncodes:\n" + "".join(f"  - id: c{i}\n    label: Code {i}\n" for i in range(40))


def build(root: Path, n_transcripts: int, n_codings: int, words: int, rng: random.Random) -> Project:
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    p = Project.init(root / "src", codebook=root / "codebook.yaml", language="en")
    files = []
    for i in range(n_transcripts):
        lines, n = [], 0
        while n < words:
            k = rng.randint(8, 80)
            lines.append(f"[00:{len(lines) % 60:02d}:00] {['Interviewer', 'Amina'][len(lines) % 2]}: "
                         + " ".join(rng.choice(VOCAB) for _ in range(k)))
            n += k
        f = root / f"t{i:03d}.txt"
        f.write_text("\r\n\r\n".join(lines) + "\r\n", encoding="utf-8")
        files.append(f)
    assert not importing.import_paths(p, files).failed
    per = n_codings // n_transcripts
    for s in p.store.transcripts.summaries():
        t = p.transcript(s.id)
        items = []
        for _ in range(per):
            a = rng.randrange(0, len(t.text) - 200)
            b = a + rng.randint(20, 400)
            b = min(b, len(t.text))
            anc = make_anchor(t.text, a, b)
            items.append(Coding(t.id, a, b, f"c{rng.randrange(40)}", rng.choice(["ana", "bob", "chen"]),
                                quote=anc.quote, prefix=anc.prefix, suffix=anc.suffix))
        p.store.codings.add_many(items)
    return p


def lxml_baseline(qdpx: Path) -> tuple[float, int]:
    from lxml import etree

    t0 = time.perf_counter()
    with zipfile.ZipFile(qdpx) as zf:
        data = zf.read("project.qde")
    root = etree.fromstring(data)
    n = sum(1 for el in root.iter("{urn:QDA-XML:project:1.0}PlainTextSelection")
            if int(el.get("startPosition")) <= int(el.get("endPosition")))
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transcripts", type=int, default=100)
    ap.add_argument("--codings", type=int, default=50_000)
    ap.add_argument("--words", type=int, default=1500)
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        p = build(root, args.transcripts, args.codings, args.words, rng)
        print(f"built project: {args.transcripts} transcripts, {len(p.store.codings.list())} codings "
              f"in {time.perf_counter() - t0:.1f} s")
        out = root / "bench.qdpx"
        t0 = time.perf_counter()
        export_qdpx(p, out, positions="utf16")
        t_export = time.perf_counter() - t0
        p.close()
        with zipfile.ZipFile(out) as zf:
            qde_size = zf.getinfo("project.qde").file_size
        base, n_sel = lxml_baseline(out)
        base2, _ = lxml_baseline(out)
        base = min(base, base2)
        fresh = Project.init(root / "dst", language="en")
        t0 = time.perf_counter()
        r = import_project(fresh, out)
        t_import = time.perf_counter() - t0
        fresh.close()
        print(f"project.qde: {qde_size / 1e6:.1f} MB, {n_sel} selections; archive {out.stat().st_size / 1e6:.1f} MB")
        print(f"lxml alone (parse + walk selections): {base:.2f} s")
        print(f"qcode export: {t_export:.2f} s  ({t_export / base:.1f}x lxml)")
        print(f"qcode import: {t_import:.2f} s  ({t_import / base:.1f}x lxml); "
              f"{r.codings} codings, {r.exact} exact, {len(r.adjusted)} adjusted, {len(r.unplaced)} not placed")


if __name__ == "__main__":
    main()
