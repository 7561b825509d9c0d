"""Check that a refactor changed no behaviour: the same CLI JSON outputs and reports on the demo project.

    python3 tests/benchmarks/same_outputs.py BASE_REV [HEAD_REV]     # HEAD_REV default: the working tree

Each revision is checked out into a temporary git worktree (the working tree itself when HEAD_REV is
omitted), a fresh copy of the demo project (the repository root: qcode.toml, codebooks/, transcripts/)
is made for it, and the commands in COMMANDS run with that revision's code on PYTHONPATH. Outputs are
normalised (project paths, timestamps, durations; .docx/.xlsx compared by their XML parts without the
zip's dates and docProps) and compared. Exit 0 when everything is the same, 1 with a unified diff of
each difference otherwise.

The installed package's metadata is shared by both revisions: qcode registers its spaCy components
as ``spacy_factories`` entry points, which spaCy imports when it builds any pipeline, so a revision
older than ``qcode/suggest/components.py`` fails ``suggest`` with "could not start" while the
current install registers them. To compare against such a revision, drop the ``[spacy_factories]``
section from ``qcode-*.dist-info/entry_points.txt`` for the run (and reinstall afterwards).
"""
from __future__ import annotations

import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_PARTS = ["qcode.toml", "codebooks", "transcripts"]

# (name, arguments after `qcode -p PROJECT`); the name is also the output file for commands with -o.
COMMANDS: list[tuple[str, list[str]]] = [
    ("transcripts.json", ["transcripts", "--json"]),
    ("codings.json", ["codings", "--json"]),
    ("codebook-show.json", ["codebook", "show", "--json"]),
    ("stats-frequencies.json", ["stats", "frequencies", "--json"]),
    ("stats-crosstab.json", ["stats", "crosstab", "--by", "country", "--json"]),
    ("stats-cooccurrence.json", ["stats", "cooccurrence", "--json"]),
    ("agreement.json", ["agreement", "--json"]),
    ("suggest.txt", ["suggest", "-q"]),
    ("suggestions.json", ["suggestions", "--json"]),
    ("report.md", ["report", "-o", "{out}/report.md"]),
    ("report.html", ["report", "-o", "{out}/report.html"]),
    ("report.csv", ["report", "-o", "{out}/report.csv"]),
    ("report.xlsx", ["report", "-o", "{out}/report.xlsx"]),
    ("report.docx", ["report", "-o", "{out}/report.docx"]),
    ("report-by-country.md", ["report", "--by", "country", "-o", "{out}/report-by-country.md"]),
    ("codings.jsonl", ["codings", "export", "-o", "{out}/codings.jsonl"]),
    ("codings.csv", ["codings", "export", "-o", "{out}/codings.csv"]),
    ("codebook.qdc", ["codebook", "export", "-o", "{out}/codebook.qdc"]),
    ("codebook.csv", ["codebook", "export", "-o", "{out}/codebook.csv"]),
    ("codebook.md", ["codebook", "export", "-o", "{out}/codebook.md"]),
    ("codebook.xlsx", ["codebook", "export", "-o", "{out}/codebook.xlsx"]),
    ("codebook.docx", ["codebook", "export", "-o", "{out}/codebook.docx"]),
]

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_DATE_WORDS = re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|"
                         r"November|December) \d{4}\b")
_DURATION = re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_RATE = re.compile(r"\b[\d,]+(\.\d+)? (words|turns|transcripts)/s\b")
_TMP = re.compile(r"(/tmp|/var/folders)/[^\s\"'<>]*")
_VOLATILE_KEYS = {"created", "created_at", "updated_at", "computed_at", "at", "timestamp", "elapsed", "seconds",
                  "duration", "path", "file", "generated"}
# Zip parts that only carry dates and tool versions.
_SKIPPED_PARTS = re.compile(r"^docProps/|\.rels$")


def normalise_text(text: str, project: str | Path = "", out: str | Path = "") -> str:
    """Text with the volatile parts replaced by placeholders: project and output folders, temporary
    paths, random GUIDs, timestamps, written-out dates, durations and rates."""
    for folder, mark in ((out, "<OUT>"), (project, "<PROJECT>")):
        if str(folder):
            text = text.replace(str(Path(folder).resolve()), mark).replace(str(folder), mark)
    text = _TMP.sub("<TMP>", text)
    text = _UUID.sub("<UUID>", text)
    text = _TIMESTAMP.sub("<TS>", text)
    text = _RATE.sub("<RATE>", text)
    text = _DATE_WORDS.sub("<DATE>", text)
    return _DURATION.sub("<DURATION>", text)


def _scrub(value: object) -> object:
    if isinstance(value, dict):
        return {k: ("<VOLATILE>" if k in _VOLATILE_KEYS else _scrub(v)) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def normalise_json(text: str, project: str | Path = "", out: str | Path = "") -> str:
    """JSON (a document or JSON Lines) re-printed with sorted keys, volatile keys blanked, then normalised as text."""
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        try:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            return normalise_text(text, project, out)
    return normalise_text("\n".join(json.dumps(_scrub(d), indent=1, ensure_ascii=False, sort_keys=True) for d in docs),
                          project, out)


def normalise_zip(data: bytes, project: str | Path = "", out: str | Path = "") -> str:
    """An Office file (.docx/.xlsx) as the text of its XML parts, sorted by name, without dates and metadata."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(z.namelist()):
            if _SKIPPED_PARTS.search(name):
                continue
            body = z.read(name).decode("utf-8", errors="replace")
            body = re.sub(r">\s*<", ">\n<", body)  # one tag a line, so a diff points at the change
            parts.append(f"=== {name}\n{normalise_text(body, project, out)}")
    return "\n".join(parts)


def normalise(name: str, data: bytes, project: str | Path = "", out: str | Path = "") -> str:
    if name.endswith((".docx", ".xlsx")):
        try:
            return normalise_zip(data, project, out)
        except zipfile.BadZipFile:
            pass
    text = data.decode("utf-8", errors="replace")
    if name.endswith((".json", ".jsonl")):
        return normalise_json(text, project, out)
    return normalise_text(text, project, out)


def diff_outputs(before: dict[str, str], after: dict[str, str]) -> str:
    """A unified diff of every output that differs (or exists on one side only); empty when all are the same."""
    chunks = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        if a is None or b is None:
            chunks.append(f"--- {name}: only {'after' if a is None else 'before'}\n")
            continue
        chunks.append("".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True),
                                                   f"before/{name}", f"after/{name}", n=2)))
    return "\n".join(chunks)


def run_outputs(code_dir: Path, work: Path) -> dict[str, str]:
    """Run COMMANDS with the code in CODE_DIR on a fresh copy of the demo project; normalised outputs by name."""
    project, out = work / "project", work / "out"
    project.mkdir(parents=True)
    out.mkdir()
    for part in DEMO_PARTS:
        src = code_dir / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, project / part)
    env = {**os.environ, "PYTHONPATH": str(code_dir), "NO_COLOR": "1", "COLUMNS": "120", "TZ": "UTC"}
    results: dict[str, str] = {}
    for name, args in COMMANDS:
        argv = [sys.executable, "-m", "qcode", "-p", str(project), *(a.format(out=out) for a in args)]
        proc = subprocess.run(argv, capture_output=True, env=env, cwd=work, timeout=900)
        status = f"[exit {proc.returncode}]\n"
        target = out / name
        if target.exists():
            results[name] = status + normalise(name, target.read_bytes(), project, out)
        else:
            results[name] = status + normalise(name, proc.stdout, project, out)
        if proc.returncode:
            results[name] += "\n[stderr]\n" + normalise_text(proc.stderr.decode("utf-8", "replace"), project, out)
    return results


def _worktree(rev: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(where), rev], check=True)
    return where


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or len(argv) > 2:
        print(__doc__)
        return 2
    base, head = argv[0], (argv[1] if len(argv) > 1 else None)
    tmp = Path(tempfile.mkdtemp(prefix="qcode-same-"))
    trees: list[Path] = []
    try:
        trees.append(_worktree(base, tmp / "base"))
        head_dir = ROOT if head is None else _worktree(head, tmp / "head")
        if head is not None:
            trees.append(head_dir)
        before = run_outputs(trees[0], tmp / "run-base")
        after = run_outputs(head_dir, tmp / "run-head")
    finally:
        for tree in trees:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [n for n, v in after.items() if v.startswith("[exit") and not v.startswith("[exit 0]")]
    diff = diff_outputs(before, after)
    print(f"{len(COMMANDS)} outputs compared: {base} vs {head or 'working tree'}")
    if failed:
        print("commands that failed (on HEAD): " + ", ".join(failed))
    if diff:
        print(diff)
        return 1
    print("same outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
