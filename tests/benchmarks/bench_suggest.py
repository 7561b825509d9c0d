"""Benchmark: spaCy-assisted suggestions, speed, memory and quality.

    python tests/benchmarks/bench_suggest.py [--words 1000000] [--processes 1] [--rounds 3] [--skip-quality]

Speed (same run, same pipeline: spacy.blank("en") + lookup lemmatizer + sentencizer +
qcode_lemma_case_v1), in
rounds that each time run the two back to back, so that both see the same
machine load (the machine is shared and its speed drifts by a fifth): the
ratio is the median of the rounds' ratios; each round's ratio and the ratio
of the best times are printed too:

* spaCy's own ``nlp.pipe`` over every turn of the corpus (the baseline,
  after a warm-up);
* ``qcode suggest`` end to end (``run_suggestions``: read transcripts, learn
  from the coded datawork transcripts, parse, cache, score, store) on a cold
  cache, in a new process on a fresh copy of the project (spaCy, SciPy and
  scikit-learn imported and the pipeline loaded before the clock starts, as
  for the baseline); target >= 50 % of spaCy's words/s (qcode's own work
  costs at most as much as parsing);
* the same command again after each codebook change of ``--changes`` (in
  order, each on top of the previous ones: a keyword added to one code, its
  definition and examples edited, its label edited, a code added; see
  :data:`CHANGES`): the units and each rule's matches come from the cache,
  new rules are matched on the cached parse where their words occur, and a
  transcript whose matches and other inputs did not change is not scored
  again (a definition, a label or a new code changes every code's model:
  everything is scored again, without parsing); target >= 10x faster than
  the first, as the median of the rounds' ratios;
* peak resident memory of the process running ``qcode suggest``; target < 2 GB.

The corpus: the datawork survey answers (CC BY 4.0, read at run time from
../shared, never copied into the repository) shuffled into 100-word turns
and 10,000-word transcripts, plus the 50 coded survey transcripts to learn
from. Without ../shared, a synthetic English corpus is used.

Quality: ``qcode evaluate`` on the datawork survey (5 folds by participant,
unit = answer) and on the PDPilot interviews (5 folds by interview, unit =
turn), at theme level (--depth 1) and at code level, against the keyword
baseline and the plain supervised baseline (TF-IDF + logistic regression)
in the same run, and an ablation (each signal left out, and the learned
model alone). Targets (#12): theme micro-F1 >= 0.30 and >= the supervised
baseline; theme precision >= 0.35 at the default threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("QCODE_SHARED", REPO.parent / "shared"))
"""../shared, or the folder named by $QCODE_SHARED (a worktree elsewhere)."""
DATAWORK = SHARED / "data" / "real" / "en" / "datawork_survey"
os.environ.setdefault("QCODE_CODER", "bench")


def corpus_answers() -> list[str]:
    import csv

    if DATAWORK.is_dir():
        rows = csv.DictReader((DATAWORK / "final_manual_coding_NO_Q13.csv").open(encoding="utf-8"))
        return [r["Text"].strip() for r in rows if r["Text"].strip()]
    rng = random.Random(1)
    vocab = ("pay task platform rejected review work hours worker deadline content violent images support "
             "appeal rating unclear instructions time income week month account client feedback quality").split()
    return [" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 40))).capitalize() + "." for _ in range(300)]


def build(target: Path, words: int) -> Path:
    """A project with the coded datawork transcripts and *words* words of generated interviews."""
    from qcode.core.transcript import Transcript, build_text
    from tests.suggest.datawork import build_project

    if DATAWORK.is_dir():
        project = build_project(DATAWORK, target)
    else:  # synthetic fallback: no codings, a tiny codebook
        target.mkdir(parents=True)
        (target / "cb.yaml").write_text(
            "qcode_codebook: 1\ntitle: b\ncodes:\n  - id: pay\n    label: Pay\n    keywords: {en: [wage, income]}\n"
            "  - id: rejection\n    label: Rejected tasks\n", encoding="utf-8")
        from qcode.usecases.project import Project

        project = Project.init(target, codebook=target / "cb.yaml")
    answers = corpus_answers()
    rng = random.Random(7)
    total, n = 0, 0
    with project.store.transaction():
        while total < words:
            turns, t_words = [], 0
            while t_words < 10_000 and total + t_words < words:
                turn, tw = [], 0
                while tw < 100:
                    a = rng.choice(answers)
                    turn.append(a)
                    tw += len(a.split())
                turns.append(("P" if len(turns) % 2 else "I", " ".join(turn), None, None))
                t_words += tw
            text, tt = build_text(turns)
            n += 1
            project.store.transcripts.add(Transcript(name=f"gen-{n:03d}", title=f"gen {n}", text=text, turns=tt, language="en"))
            total += t_words
    project.close()
    return target


class SpacyBaseline:
    """spaCy's ``nlp.pipe`` over every turn of the generated transcripts (qcode's pipeline, as qcode loads it)."""

    def __init__(self, project_dir: Path) -> None:
        from qcode.suggest.engine import BATCH_SIZE
        from qcode.suggest.pipeline import get_pipeline
        from qcode.usecases.project import Project

        with Project.open(project_dir) as p:
            self.texts = []
            for s in p.store.transcripts.summaries():
                if s.name.startswith("gen-"):
                    t = p.store.transcripts.get(s.id)
                    self.texts.extend(t.text[tr.start:tr.end] for tr in t.turns)
        self.words = sum(len(x.split()) for x in self.texts)
        self.info, self.batch = get_pipeline("en"), BATCH_SIZE
        for _ in self.info.nlp.pipe(self.texts[:500], batch_size=BATCH_SIZE):  # warm-up
            pass

    def pipe_seconds(self) -> float:
        t0 = time.perf_counter()
        for _ in self.info.nlp.pipe(self.texts, batch_size=self.batch):
            pass
        return time.perf_counter() - t0


def child(project_dir: Path, processes: int, changes: list[str]) -> None:
    """Run in a separate process: qcode suggest cold, then cached; print JSON."""
    # Loading libraries and the pipeline is not throughput: the spaCy baseline excludes spaCy's
    # import and pipeline loading too, so SciPy's and scikit-learn's (the similarity and learned
    # signals; scikit-learn's import alone takes 1-2.5 s on the shared machine) are done here.
    import scipy.sparse  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    from qcode.suggest.pipeline import get_pipeline
    from qcode.usecases import suggesting
    from qcode.usecases.project import Project

    get_pipeline("en")
    with Project.open(project_dir) as p:
        gen = [s.id for s in p.store.transcripts.summaries() if s.name.startswith("gen-")]
        t0 = time.perf_counter()
        r1 = suggesting.run_suggestions(p, gen, processes=processes)
        first = time.perf_counter() - t0
        reruns = {}
        for n, kind in enumerate(changes):
            change_codebook(p, kind, n)
            t0 = time.perf_counter()
            r2 = suggesting.run_suggestions(p, gen, processes=processes)
            reruns[kind] = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"first": first, "reruns": reruns, "words": r1.words, "suggestions": r1.suggestions,
                      "cached_docs": r2.cached_docs, "pipeline": r1.pipeline, "notes": r1.pipeline_notes,
                      "peak_rss_mb": rss_mb}))


CHANGES = {
    "keyword": "one keyword more for one code",
    "definition": "one code's definition and examples edited",
    "label": "one code's label edited",
    "add-code": "a new code (label, definition, keyword)",
}
"""The codebook changes timed after the cold run, in this order (each on top of the previous ones)."""


def change_codebook(project, kind: str = "keyword", n: int = 0) -> None:
    """A codebook change between two runs (see :data:`CHANGES`)."""
    import yaml

    from qcode.usecases.codebook import attach_codebook

    path = project.path(project.settings.codebook)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    theme = data["codes"][0]
    siblings = theme.get("children") or data["codes"]  # a leaf code of the first theme (the tree is nested)
    code = siblings[0]
    if kind == "keyword":
        code.setdefault("keywords", {}).setdefault("en", []).append("benchmark keyword")
    elif kind == "definition":
        code["definition"] = (code.get("definition") or "") + " Also when the answer mentions a benchmark."
        code["examples"] = [*(code.get("examples") or []), "I was paid less than the benchmark said."]
    elif kind == "label":
        code["label"] = f"{code.get('label') or code['id']} edited"
    elif kind == "add-code":
        siblings.append({"id": "benchmark-added", "label": "Benchmarks",
                         "definition": "The answer compares with a benchmark.", "keywords": {"en": ["benchmark"]}})
    else:
        raise ValueError(kind)
    changed = path.with_name(f"codebook-changed-{n}.yaml")
    changed.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    attach_codebook(project, changed)


ABLATION = {
    "all signals": None,
    "without learned": ["qcode.lemma_keywords.v2", "qcode.patterns.v2", "qcode.similarity.v1", "qcode.vectors.v1"],
    "without keywords": ["qcode.patterns.v2", "qcode.similarity.v1", "qcode.vectors.v1", "qcode.learned.v2"],
    "without similarity": ["qcode.lemma_keywords.v2", "qcode.patterns.v2", "qcode.vectors.v1", "qcode.learned.v2"],
    "learned only": ["qcode.learned.v2"],
    "keywords only": ["qcode.lemma_keywords.v2"],
}


def quality() -> list[str]:
    from qcode.usecases.evaluation import evaluate
    from tests.suggest import datawork, pdpilot

    sets = [("datawork", datawork, DATAWORK), ("pdpilot", pdpilot, DATAWORK.parent / "pdpilot_interviews")]
    lines = []
    for name, loader, folder in sets:
        if not folder.is_dir():
            continue
        with tempfile.TemporaryDirectory() as d, loader.build_project(folder, Path(d) / name) as p:
            for level, depth in (("theme", 1), ("code", None)):
                r = evaluate(p, depth=depth, folds=5)
                lines.append(f"{name} {level} ({r.units} units, {r.coded_units} coded): " + "; ".join(
                    f"{label} P {s.micro['precision']:.3f} R {s.micro['recall']:.3f} F1 {s.micro['f1']:.3f} "
                    f"macro {s.macro['f1']:.3f} top-3 {s.top3_hit_rate:.3f}"
                    for label, s in (("qcode", r.suggest), ("supervised", r.supervised), ("keyword", r.baseline))))
            for label, sig in ABLATION.items():
                r = evaluate(p, depth=1, folds=5, signals=sig)
                lines.append(f"  ablation {name} theme, {label:18}: P {r.suggest.micro['precision']:.3f} "
                             f"R {r.suggest.micro['recall']:.3f} F1 {r.suggest.micro['f1']:.3f}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--quality-only", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="baseline + cold run pairs; the best of each is compared")
    ap.add_argument("--child", type=Path)
    ap.add_argument("--changes", default="keyword",
                    help=f"comma-separated codebook changes timed after the cold run, in order: {', '.join(CHANGES)}")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.processes, args.changes.split(","))
        return
    if args.quality_only:
        for line in quality():
            print(line, flush=True)
        return
    rounds = []
    with tempfile.TemporaryDirectory() as d:
        proj = build(Path(d) / "bench", args.words)
        baseline = SpacyBaseline(proj)
        # Rounds alternate the baseline and a cold qcode run (a fresh copy of the project, a new
        # process), so that both see the same machine load; the best of each is compared.
        for k in range(args.rounds):
            base_s = baseline.pipe_seconds()
            copy = Path(d) / f"run-{k}"
            shutil.copytree(proj, copy)
            out = subprocess.run([sys.executable, __file__, "--child", str(copy), "--processes", str(args.processes),
                                  "--changes", args.changes],
                                 check=True, capture_output=True, text=True)
            shutil.rmtree(copy)
            rounds.append((base_s, json.loads(out.stdout.strip().splitlines()[-1])))
            print(f"round {k + 1}: nlp.pipe {base_s:.2f} s, qcode suggest (cold) {rounds[-1][1]['first']:.2f} s: "
                  f"ratio {rounds[-1][1]['words'] / rounds[-1][1]['first'] / (baseline.words / base_s):.2f}; re-runs "
                  + ", ".join(f"{kind} {sec:.2f} s" for kind, sec in rounds[-1][1]["reruns"].items()), flush=True)
    base_s = min(b for b, _ in rounds)
    r = min((x for _, x in rounds), key=lambda x: x["first"])
    changes = args.changes.split(",")
    spacy_wps = baseline.words / base_s
    ours_wps = r["words"] / r["first"]
    per_round = sorted(x["words"] / x["first"] / (baseline.words / b) for b, x in rounds)
    median = statistics.median(per_round)
    print(f"corpus: {r['words']:,} words (generated transcripts), pipeline {r['pipeline']}, processes {args.processes}, "
          f"best of {args.rounds} rounds")
    print(f"spaCy nlp.pipe:             {base_s:7.1f} s  {spacy_wps:10,.0f} words/s")
    print(f"qcode suggest (cold cache): {r['first']:7.1f} s  {ours_wps:10,.0f} words/s  "
          f"{r['suggestions']:,} suggestions")
    print(f"throughput ratio to nlp.pipe, median of the {len(rounds)} paired rounds: {median:.2f} (target >= 0.50); "
          f"rounds {', '.join(f'{x:.2f}' for x in per_round)}; best time vs best time {ours_wps / spacy_wps:.2f}")
    for kind in changes:
        # Each round's ratio (its cold run over its re-run), so that both see the same machine load.
        ratios = sorted(x["first"] / x["reruns"][kind] for _, x in rounds)
        secs = sorted(x["reruns"][kind] for _, x in rounds)
        print(f"after a codebook change ({kind}: {CHANGES[kind]}): median {statistics.median(secs):.2f} s "
              f"(rounds {', '.join(f'{x:.2f}' for x in secs)}); speed-up median {statistics.median(ratios):.1f}x "
              f"(rounds {', '.join(f'{x:.1f}' for x in ratios)}; target >= 10x)")
    print(f"{r['cached_docs']} transcripts from the cache in the last re-run")
    r["peak_rss_mb"] = max(x["peak_rss_mb"] for _, x in rounds)
    print(f"peak RSS of the suggest process: {r['peak_rss_mb']:,.0f} MB (target < 2048 MB)")
    if not args.skip_quality:
        for line in quality():
            print(line, flush=True)


if __name__ == "__main__":
    main()
