"""Convert the PDPilot interviews (shared real data, BSD-3) into a qcode project for evaluation.

Source: ``../shared/data/real/en/pdpilot_interviews/``: seven interviews
(``P1.txt`` .. ``P7.txt``, "Dan: ..." / "Participant: ..." turns), coded by
their author (``coded_segments.csv``: doc, code path "Theme > Code > Sub",
start and end offsets in the ``.txt`` file, the segment text) and the code
system with its memos (``code-system.txt``).

Mapping:

* each interview is imported with qcode's own plain-text importer (which
  takes the "Dan:" / "Participant:" labels off the text, so offsets move);
* the codebook is the tree of the code paths: the first element is a
  top-level theme, each further element a child; definitions are the memos
  of ``code-system.txt`` where the code has one;
* each coded segment's source offsets are carried over to the imported text
  by aligning the two texts (the imported text is the source with labels and
  some whitespace removed: a greedy subsequence walk); when the carried span
  does not hold the segment's words, the segment is placed by searching its
  text (whitespace-insensitive). Until source-offset placement lands in the
  importer (#11), this lives here, in the evaluation's test code.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

CODER = "pdpilot-author"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def memos(folder: Path, names: set[str]) -> dict[str, str]:
    """Code name -> memo, from the lines ``Name Memo Frequency`` of code-system.txt."""
    out: dict[str, str] = {}
    for line in (folder / "code-system.txt").read_text(encoding="utf-8").splitlines():
        line = re.sub(r"\s*\d+\s*$", "", line.strip())
        best = max((n for n in names if line.startswith(n)), key=len, default=None)
        if best and line[len(best):].strip():
            out[best] = line[len(best):].strip()
    return out


def read_codebook(folder: Path) -> tuple[dict, dict[str, str]]:
    """(codebook YAML data, code path -> code id)."""
    rows = list(csv.DictReader((folder / "coded_segments.csv").open(encoding="utf-8")))
    paths = sorted({r["code"].strip() for r in rows})
    names = {p for path in paths for p in path.split(" > ")}
    memo = memos(folder, names)
    tree: dict[str, dict] = {}
    ids: dict[str, str] = {}
    for path in paths:
        parts = [p.strip() for p in path.split(" > ")]
        level = tree
        for k in range(len(parts)):
            node_id = slug(" ".join(parts[:k + 1]))[:90].strip("-")
            node = level.setdefault(parts[k], {"id": node_id, "label": parts[k], "children": {}})
            level = node["children"]
        ids[path] = slug(" ".join(parts))[:90].strip("-")

    def dump(level: dict) -> list[dict]:
        out = []
        for name, node in level.items():
            d = {"id": node["id"], "label": node["label"]}
            if memo.get(name):
                d["definition"] = memo[name]
            if node["children"]:
                d["children"] = dump(node["children"])
            out.append(d)
        return out

    data = {"qcode_codebook": 1, "title": "PDPilot interviews", "version": "1", "language": ["en"], "codes": dump(tree)}
    return data, ids


def align(source: str, target: str) -> list[int]:
    """For each offset of *source* (0..len), the matching offset in *target* (greedy subsequence walk)."""
    out = [0] * (len(source) + 1)
    j = 0
    for i, ch in enumerate(source):
        out[i] = j
        if j < len(target) and target[j] == ch:
            j += 1
        elif ch.isspace():
            continue
        else:
            # a character the import changed or dropped (a speaker label): skip it, unless the
            # target has it a little further on (whitespace the import collapsed)
            k = j
            while k < len(target) and k - j < 3 and target[k].isspace():
                k += 1
            if k < len(target) and target[k] == ch:
                j = k + 1
    out[len(source)] = j
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def place(segment: str, text: str, start: int, end: int) -> tuple[int, int]:
    """The span of *text* holding *segment*: (start, end) when it does, else found by searching."""
    seg = [w for w in _words(re.sub(r"^(Dan|Participant):\s*", "", segment.strip())) if w not in ("dan", "participant")]
    have = set(_words(text[start:end]))
    if seg and sum(w in have for w in seg) >= 0.8 * len(seg) and end - start <= 1.3 * len(segment) + 20:
        return start, end
    # whitespace- and label-insensitive search for the first words, then the last words
    pattern = r"\W+(?:(?:Dan|Participant):\s*)?".join(re.escape(w) for w in seg[:8])
    m = re.search(pattern, text, re.IGNORECASE)
    if not m:
        return start, end
    tail = r"\W+(?:(?:Dan|Participant):\s*)?".join(re.escape(w) for w in seg[-6:])
    m2 = re.compile(tail, re.IGNORECASE).search(text, m.start())
    return m.start(), (m2.end() if m2 else min(len(text), m.start() + len(segment)))


def build_project(folder: Path, target: Path):
    """Create a qcode project in *target* from the interviews in *folder*; returns the open Project."""
    from qcode.core.anchor import make_anchor
    from qcode.core.coding import Coding
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    data, ids = read_codebook(folder)
    target.mkdir(parents=True, exist_ok=True)
    (target / "codebook.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    project = Project.init(target, codebook=target / "codebook.yaml", language="en", name="PDPilot interviews")
    files = sorted(folder.glob("P*.txt"))
    importing.import_paths(project, files)
    by_name = {s.name: s.id for s in project.store.transcripts.summaries()}
    rows = list(csv.DictReader((folder / "coded_segments.csv").open(encoding="utf-8")))
    codings: list[Coding] = []
    maps: dict[str, tuple[int, str, list[int]]] = {}
    for f in files:
        tid = next(v for k, v in by_name.items() if k.lower() == f.stem.lower())
        text = project.transcript(tid).text
        maps[f.stem] = (tid, text, align(f.read_text(encoding="utf-8"), text))
    for r in rows:
        tid, text, m = maps[r["doc"]]
        s, e = m[int(r["start"])], m[min(int(r["end"]), len(m) - 1)]
        s, e = place(r["segment"], text, s, e)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        a = make_anchor(text, s, e)
        codings.append(Coding(tid, s, e, ids[r["code"].strip()], CODER, origin="imported",
                              quote=a.quote, prefix=a.prefix, suffix=a.suffix))
    with project.store.transaction():
        project.store.codings.add_many(codings)
    project.invalidate()
    return project


if __name__ == "__main__":  # python -m tests.suggest.pdpilot SOURCE_FOLDER TARGET_FOLDER, then `qcode evaluate -p TARGET`
    import sys

    build_project(Path(sys.argv[1]), Path(sys.argv[2])).close()
    print(f"Project in {sys.argv[2]}: run `qcode evaluate -p {sys.argv[2]} --depth 1`.")
