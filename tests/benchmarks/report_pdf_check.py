"""Convert Word reports to PDF with LibreOffice and check them: page count, contents, header words.

Builds the demo report (the repository root is a demo project; it is copied
to a temporary folder) and, when ../shared/data/real/fr exists, a report of
the shared French interviews (ESLO .trs and CFPP .txt imported into a
temporary project with the demo codebook, a few passages coded), converts
each with a plain ``soffice --headless --convert-to pdf`` (as a user would:
LibreOffice fills the contents' page numbers as it lays out the pages), and checks:

* the page count (printed);
* every line of the contents ends with a page number;
* no table header word is broken across lines (the pieces of a header word
  found one under the other on a page) and every header word is found whole.

    python tests/benchmarks/report_pdf_check.py [--keep DIR]

Needs LibreOffice (soffice) and poppler-utils (pdftotext, pdfinfo). Prints figures; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_FR = next((p / "shared" / "data" / "real" / "fr" for p in REPO.parents if (p / "shared" / "data" / "real" / "fr").is_dir()),
                 REPO.parent / "shared" / "data" / "real" / "fr")
"""The shared French interviews (../shared from the main checkout, ../../shared from a worktree)."""
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def missing_tools() -> str:
    """Why the PDF check cannot run here ('' when it can)."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        return "LibreOffice (soffice) is not installed"
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        return "poppler-utils (pdftotext, pdfinfo) are not installed"
    return ""


def to_pdf(docx_path: Path, pdf_path: Path) -> None:
    """``soffice --headless --convert-to pdf``, with a profile of its own (a running LibreOffice is not disturbed)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, missing_tools()
    with tempfile.TemporaryDirectory(prefix="qcode-lo-") as profile, tempfile.TemporaryDirectory() as out:
        subprocess.run([exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", out, str(docx_path)], check=True, capture_output=True, timeout=300)
        shutil.move(str(Path(out) / (docx_path.stem + ".pdf")), pdf_path)


def _qcode(project: Path, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-m", "qcode", "-p", str(project), *args], check=True, env=env,
                   capture_output=True, text=True)


def demo_report(work: Path, *extra: str) -> Path:
    """The demo project (copied from the repository root) and its Word report."""
    project = work / "demo"
    project.mkdir()
    shutil.copy2(REPO / "qcode.toml", project / "qcode.toml")
    for folder in ("codebooks", "transcripts"):
        shutil.copytree(REPO / folder, project / folder)
    out = work / "demo.docx"
    _qcode(project, "report", "-o", str(out), "--by", "country", "--by", "gender", "--date", "2025-03-31", *extra)
    return out


FR_RULES = (("pay-piece-rates", r"\b(argent|payé|salaire|francs)\b"), ("job-instability", r"\b(boulot|chômage)\b"),
            ("isolation", r"\b(seule?|solitude)\b"), ("psychological-toll", r"\b(peur|fatigu)"),
            ("regulation", r"\b(loi|mairie)\b"), ("collective-voice", r"\b(syndicat|grève)\b"))


def french_report(work: Path, shared: Path = SHARED_FR, *extra: str) -> Path:
    """The shared French interviews in a new project (demo codebook), a few whole turns coded, and its report."""
    sys.path.insert(0, str(REPO))
    from qcode.usecases import coding as uc
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    project = work / "fr"
    files = sorted((shared / "eslo").glob("*.trs")) + sorted((shared / "cfpp").glob("*.txt"))
    with Project.init(project, codebook=REPO / "codebooks" / "data-work.yaml", language="fr") as p:
        importing.import_paths(p, files)
    toml = project / "qcode.toml"
    toml.write_text(re.sub(r'(?m)^name = .*$', 'name = "Entretiens ESLO et CFPP (essai)"', toml.read_text("utf-8")),
                    encoding="utf-8")
    # What a researcher records: the corpus of each transcript and, for ESLO, its interviewers (their
    # initials, OU, JK...; the people interviewed have codes with digits, BA725, 001LOC1); CFPP marks them "(ENQ)".
    rows = ["transcript,corpus,interviewer"]
    with Project.open(project) as p:
        for s in p.store.transcripts.summaries():
            t = p.transcript(s.id)
            corpus = "ESLO" if t.name.startswith("eslo") else "CFPP"
            asking = [lab for lab in t.speaker_labels() if corpus == "ESLO" and re.fullmatch(r"[A-Z]{2,3}", lab)]
            rows.append(f"{t.name},{corpus},{';'.join(asking)}")
    corpus_csv = project / "corpus.csv"
    corpus_csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _qcode(project, "attributes", "import", str(corpus_csv))
    with Project.open(project) as p:
        from qcode.core.analysis import find_interviewers
        from qcode.usecases.reporting import load_analysis_data

        skip = find_interviewers(load_analysis_data(p))
        for s in p.store.transcripts.summaries():
            t = p.transcript(s.id)
            done: dict[str, int] = {}
            for turn in t.turns:
                text = t.text[turn.start : turn.end]
                if (t.id, turn.speaker or "") in skip or len(text.split()) < 12:
                    continue
                for code, rx in FR_RULES:
                    if done.get(code, 0) < 2 and re.search(rx, text, re.I):
                        done[code] = done.get(code, 0) + 1
                        uc.apply_code(p, t.name, turn.start, turn.end, code, coder="essai")
                        if code == "pay-piece-rates" and done[code] == 1:  # one overlap, for co-occurrence
                            uc.apply_code(p, t.name, turn.start, turn.end, "job-instability", coder="essai")
                        break
    out = work / "fr.docx"
    _qcode(project, "report", "-o", str(out), "--by", "corpus", "--max-words", "80", "--date", "2025-03-31", *extra)
    return out


@dataclass
class Checked:
    pages: int
    broken: list[str] = field(default_factory=list)
    """Header words found in pieces one under the other ('Casablan|ca, page 9')."""
    missing: list[str] = field(default_factory=list)
    """Header words never found whole."""
    toc_without_page: list[str] = field(default_factory=list)


def header_words(docx_path: Path) -> set[str]:
    import docx
    from docx.oxml.ns import qn

    words: set[str] = set()
    for table in docx.Document(str(docx_path)).tables:
        for row in table._tbl.findall(qn("w:tr")):
            if row.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is None:
                break
            for tc in row.findall(qn("w:tc")):
                text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                words.update(w.strip("()[],.;:") for w in text.split())
    return {w for w in words if len(w) >= 3}


def check(docx_path: Path, pdf_path: Path) -> Checked:
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    result = Checked(pages)
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    wanted = header_words(docx_path)
    whole: set[str] = set()
    for number, page in enumerate(bbox.split("<page ")[1:], start=1):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in _WORD.findall(page)]
        texts = {w[4].strip("()[],.;:") for w in words}
        whole |= texts & wanted
        for i, (x0, _y0, _x1, y1, t) in enumerate(words):
            for target in wanted:
                if len(t) >= len(target) or not target.startswith(t) or target in texts:
                    continue
                # The rest of the word on the next line(s), starting at the same left edge (a table cell).
                rest, y_end = target[len(t) :], y1
                for x2, y2, _x3, y3, t2 in words[i + 1 :]:
                    if abs(x2 - x0) < 3 and 0 < y2 - y_end < 14 and rest.startswith(t2):
                        rest, y_end = rest[len(t2) :], y3
                        if not rest:
                            result.broken.append(f"{t}|{target[len(t):]} ({target}, page {number})")
                            break
    result.missing = sorted(wanted - whole)
    text = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", str(min(3, pages)), str(pdf_path), "-"],
                          capture_output=True, text=True, check=True).stdout if pages >= 2 else ""
    for line in text.splitlines():
        if re.search(r"\.{5,}", line) and not re.search(r"\.{5,}\s*\d+\s*$", line):
            result.toc_without_page.append(line.strip())
    return result


def run(label: str, docx_path: Path) -> Checked:
    pdf = docx_path.with_suffix(".pdf")
    to_pdf(docx_path, pdf)
    result = check(docx_path, pdf)
    print(f"{label}: {pdf} — {result.pages} pages; header words broken across lines: {len(result.broken)}"
          f"{' ' + '; '.join(result.broken[:5]) if result.broken else ''}; header words not found whole: "
          f"{len(result.missing)}{' ' + ', '.join(result.missing[:8]) if result.missing else ''}; "
          f"contents lines without a page number: {len(result.toc_without_page)}")
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", type=Path, help="Write the reports and PDFs here (default: a temporary folder).")
    args = ap.parse_args()
    reason = missing_tools()
    if reason:
        print(f"skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = [run("demo", demo_report(work))]
        if SHARED_FR.is_dir():
            results.append(run("French interviews", french_report(work)))
        else:
            print(f"French interviews: skipped ({SHARED_FR} is absent)")
    bad = any(r.broken or r.missing or r.toc_without_page for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
