"""Benchmark: import 1,000,000 words of transcripts (txt and docx).

Prints words/s for qcode's .txt and .docx importers and, as the baseline
measured in the same run, the time python-docx alone needs to open the same
.docx files and read their paragraphs and table cells. Goal: qcode's docx
import costs at most 1.5x python-docx's own read time.

Run: python tests/benchmarks/bench_import.py [--words 1000000] [--files 10]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qcode.formats.importers.base import ImportOptions
from qcode.formats.importers.docx import DocxImporter
from qcode.formats.importers.plain_text import PlainTextImporter

VOCAB = ("the pay per task was low and the platform changed the rules without notice we were never told "
         "who the client was travail tâche plateforme rémunération été très précaire annotation modération "
         "surveillance algorithm score queue rejected unpaid hours contract employee statut").split()


def make_turns(words: int, rng: random.Random) -> list[tuple[str, str]]:
    turns, n = [], 0
    speakers = ["Interviewer", "Amina", "Joseph", "Priya"]
    while n < words:
        k = rng.randint(8, 120)
        turns.append((speakers[len(turns) % 4], " ".join(rng.choice(VOCAB) for _ in range(k))))
        n += k
    return turns


def make_docx(turns: list[tuple[str, str]], as_table: bool) -> bytes:
    from docx import Document

    doc = Document()
    if as_table:
        table = doc.add_table(rows=0, cols=2)
        for sp, text in turns:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = sp, text
    else:
        for sp, text in turns:
            par = doc.add_paragraph()
            par.add_run(sp + ":").bold = True
            par.add_run(" " + text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def python_docx_read(data: bytes) -> int:
    """What python-docx needs to get the text: paragraphs plus every table cell."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    n = sum(len(p.text) for p in doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                n += len(cell.text)
    return n


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(42)
    per_file = args.words // args.files
    files = [make_turns(per_file, rng) for _ in range(args.files)]
    total_words = sum(len(t.split()) for f in files for _, t in f)
    opts = ImportOptions(max_bytes=1 << 30)

    txts = [("\n\n".join(f"{s}: {t}" for s, t in f)).encode("utf-8") for f in files]
    t_txt = best_of(lambda: [PlainTextImporter().read(d, "x.txt", opts) for d in txts], args.repeat)
    print(f"txt   : {total_words:,} words in {t_txt:.2f} s = {total_words / t_txt:,.0f} words/s")

    for layout in ("table", "bold"):
        t0 = time.perf_counter()
        docs = [make_docx(f, as_table=layout == "table") for f in files]
        build = time.perf_counter() - t0
        check = [DocxImporter().read(d, "x.docx", opts) for d in docs]
        got = sum(t.words for t in check)
        assert got == total_words, f"docx import lost words: {got} != {total_words}"
        t_q = best_of(lambda docs=docs: [DocxImporter().read(d, "x.docx", opts) for d in docs], args.repeat)
        t_p = best_of(lambda docs=docs: [python_docx_read(d) for d in docs], args.repeat)
        ratio = t_q / t_p
        verdict = "OK" if ratio <= 1.5 else "OVER GOAL"
        print(f"docx ({layout:5}): qcode {t_q:.2f} s = {total_words / t_q:,.0f} words/s | python-docx read "
              f"{t_p:.2f} s | ratio {ratio:.2f}x (goal <= 1.5x: {verdict}) [built in {build:.1f} s]")


if __name__ == "__main__":
    main()
