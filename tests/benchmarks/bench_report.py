"""Benchmark: a report of 5,000 quotes over 50 themes, in Word then in XLSX, against bare writers.

Word: timed next to python-docx writing the same paragraphs and tables bare
(same headings, one Quote paragraph per quote with its attribution, the same
table sizes filled row by row, the same PNGs inserted), in the same run,
twice: passing the style by name (python-docx then scans every style per
paragraph) and "tuned", with the style id looked up once. qcode's figure
includes its analyses and rendering the charts; the baselines only insert
the PNGs. XLSX: qcode's workbook (quotes, every matrix, codebook, About;
formula neutralising; fixed zip times) next to openpyxl writing the same
rows into the same sheets bare. Goal: each at most 1.5x its bare baseline.

    python tests/benchmarks/bench_report.py [--quotes 5000] [--themes 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qcode.core.analysis import AnalysisData, Filters
from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding
from qcode.core.transcript import Participant, Transcript, build_text

WORDS = ("work platform task pay week money client account rejected waiting night queue contract "
         "moderation images stress tired team union alone screen score manager email rate").split()


def make_data(n_quotes: int, n_themes: int, n_transcripts: int = 40, seed: int = 7) -> AnalysisData:
    rng = random.Random(seed)
    codes = []
    tops = max(1, n_themes // 5)
    for i in range(n_themes):
        parent = None if i < tops else f"t{i % tops}"
        codes.append(Code(f"t{i}", {"": f"Theme {i} " + " ".join(rng.choice(WORDS) for _ in range(2))}, parent=parent,
                          definition="A definition of the theme. " * 3, include="When it fits.", exclude="When not.",
                          examples=("an example",)))
    cb = Codebook(title="Bench", version="1", codes=tuple(codes))
    per = n_quotes // n_transcripts + 1
    transcripts, codings = [], []
    people = [Participant(f"P{i}", {"country": rng.choice(["Kenya", "France", "Madagascar"]),
                                    "gender": rng.choice(["woman", "man"])}) for i in range(n_transcripts * 2)]
    cid = 0
    for t in range(n_transcripts):
        turns = []
        for k in range(per * 2):
            speaker = "Q" if k % 2 == 0 else f"P{t * 2 + (k // 2) % 2}"
            turns.append((speaker, " ".join(rng.choice(WORDS) for _ in range(40)), k * 30.0, k * 30.0 + 29))
        text, tl = build_text(turns)
        transcripts.append(Transcript(f"int-{t:02d}", f"Interview {t}", text, tl, id=t + 1,
                                      speakers={f"P{t * 2}": f"P{t * 2}", f"P{t * 2 + 1}": f"P{t * 2 + 1}"}))
        for k in range(1, len(tl), 2):
            if cid >= n_quotes:
                break
            turn = tl[k]
            start = turn.start + rng.randrange(0, 40)
            cid += 1
            codings.append(Coding(t + 1, start, min(turn.end, start + 200), f"t{rng.randrange(n_themes)}", "ann",
                                  memo="a memo" if cid % 10 == 0 else "", id=cid))
    return AnalysisData(cb, tuple(transcripts), tuple(people), tuple(codings), project="bench")


def qcode_report(data: AnalysisData, out: Path) -> dict[str, float]:
    from qcode.formats.reports.data import ReportOptions, build_report
    from qcode.formats.reports.docx_report import write_docx
    from qcode.usecases.reporting import _charts

    t0 = time.perf_counter()
    report = build_report(data, ReportOptions(date="2025-03-31", by=("country",), filters=Filters()))
    t1 = time.perf_counter()
    charts = _charts(report, {}, lambda *a: None)
    t2 = time.perf_counter()
    write_docx(report, out, charts=charts)
    t3 = time.perf_counter()
    return {"analysis": t1 - t0, "charts": t2 - t1, "docx": t3 - t2, "total": t3 - t0,
            "_report": report, "_charts": charts}  # type: ignore[dict-item]


def bare_docx(report, charts: dict[str, bytes], out: Path, *, cached_styles: bool = False) -> float:
    """The same content written with python-docx directly, no layout care.

    With *cached_styles*, the Quote style id is looked up once and set on each
    paragraph (python-docx otherwise scans every style per ``style=`` name).
    """
    import docx
    from docx.shared import Inches

    t0 = time.perf_counter()
    doc = docx.Document()
    doc.add_heading(report.title, 0)
    quote_id = doc.styles["Quote"].style_id
    for t in report.themes:
        doc.add_heading(f"{t.number} {t.label}", min(2 + t.depth, 4))
        doc.add_paragraph(t.summary)
        for q in t.quotes:
            if cached_styles:
                p = doc.add_paragraph(q.excerpt.text + "\n— " + q.attribution)
                p._p.style = quote_id
            else:
                doc.add_paragraph(q.excerpt.text + "\n— " + q.attribution, style="Quote")
    tables = [
        [[r.label, str(r.codings), str(r.total_codings), str(r.total_transcripts), str(r.total_participants), str(r.total_words)]
         for r in report.frequencies],
        [[r.label] + [str(x) for pair in zip(r.counts, r.shares, strict=True) for x in pair] for c in report.crosstabs for r in c.rows],
        [[lab] + [str(v) for v in row] for lab, row in zip(report.cooccurrence_table.labels, report.cooccurrence_table.values, strict=True)],
        [[lab] + [str(v) for v in row] for lab, row in zip(report.by_transcript.row_labels, report.by_transcript.values, strict=True)],
    ]
    for rows in tables:
        if not rows:
            continue
        table = doc.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = "Light Grid Accent 1"
        for row, values in zip(table.rows, rows, strict=True):
            for cell, v in zip(row.cells, values, strict=True):
                cell.text = v
    for png in charts.values():
        doc.add_picture(io.BytesIO(png), width=Inches(6))
    doc.save(str(out))
    return time.perf_counter() - t0


def qcode_xlsx(report, out: Path) -> float:
    from qcode.formats.reports.tables import write_xlsx

    t0 = time.perf_counter()
    write_xlsx(report, out)
    return time.perf_counter() - t0


def bare_xlsx(report, out: Path) -> float:
    """openpyxl writing the same rows into the same sheets, nothing else (no neutralising, widths, About)."""
    from openpyxl import Workbook

    from qcode.formats.reports.tables import matrices, quote_header, quote_rows

    t0 = time.perf_counter()
    wb = Workbook()
    ws = wb.active
    ws.title = "Quotes"
    ws.append(quote_header(report))
    for row in quote_rows(report):
        ws.append(row)
    for name, (head, rows) in matrices(report).items():
        sheet = wb.create_sheet(name[:31])
        sheet.append(head)
        for row in rows:
            sheet.append(row)
    wb.save(str(out))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quotes", type=int, default=5000)
    ap.add_argument("--themes", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = make_data(args.quotes, args.themes)
    print(f"data: {len(data.codings):,} quotes, {len(data.codebook)} themes, {len(data.transcripts)} transcripts")
    with tempfile.TemporaryDirectory() as tmp:
        # Warm imports (docx, matplotlib) so both sides start equal.
        warm = qcode_report(make_data(50, 5), Path(tmp) / "warm.docx")
        bare_docx(warm["_report"], warm["_charts"], Path(tmp) / "warm-bare.docx")
        q_runs, b_runs, c_runs, parts, x_runs, xb_runs = [], [], [], [], [], []
        for _ in range(args.runs):
            r = qcode_report(data, Path(tmp) / "q.docx")
            q_runs.append(r["total"])
            parts.append(r)
            b_runs.append(bare_docx(r["_report"], r["_charts"], Path(tmp) / "b.docx"))
            c_runs.append(bare_docx(r["_report"], r["_charts"], Path(tmp) / "c.docx", cached_styles=True))
            x_runs.append(qcode_xlsx(r["_report"], Path(tmp) / "q.xlsx"))
            xb_runs.append(bare_xlsx(r["_report"], Path(tmp) / "b.xlsx"))
        xq, xb = statistics.median(x_runs), statistics.median(xb_runs)
        q, b, c = statistics.median(q_runs), statistics.median(b_runs), statistics.median(c_runs)
        med = {k: statistics.median(r[k] for r in parts) for k in ("analysis", "charts", "docx")}
        no_charts = statistics.median(r["total"] - r["charts"] for r in parts)
        size_q = (Path(tmp) / "q.docx").stat().st_size
        size_b = (Path(tmp) / "b.docx").stat().st_size
    print(f"qcode report (analyses + {len(parts[0]['_charts'])} charts + Word): {q:.2f} s  "
          f"[medians: analysis {med['analysis']:.2f} s, charts {med['charts']:.2f} s, docx {med['docx']:.2f} s]  {size_q / 1e6:.1f} MB")
    print(f"bare python-docx, style passed by name: {b:.2f} s  {size_b / 1e6:.1f} MB")
    print(f"tuned bare python-docx (Quote style id looked up once): {c:.2f} s")
    ratio = q / c
    print(f"ratio vs tuned bare: {ratio:.2f}x (goal <= 1.5x) -> {'OK' if ratio <= 1.5 else 'OVER'}")
    print(f"ratio vs bare by name: {q / b:.2f}x; Word writing alone vs tuned bare: {med['docx'] / c:.2f}x; "
          f"without chart rendering (both insert the same PNGs): {no_charts / c:.2f}x")
    print(f"qcode XLSX (same report): {xq:.2f} s; bare openpyxl, same rows and sheets: {xb:.2f} s; "
          f"ratio {xq / xb:.2f}x (goal <= 1.5x) -> {'OK' if xq / xb <= 1.5 else 'OVER'}")

if __name__ == "__main__":
    main()
