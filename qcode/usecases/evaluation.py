"""Measuring suggestion quality on the project's own human codings.

Protocol (what ``qcode evaluate`` does):

* Only transcripts with human codings take part (codings whose origin is
  ``suggestion`` are left out: they are the tool's own output). With
  ``coder`` given, only that coder's codings are the gold standard.
* Transcripts are split into K folds (round robin over transcript ids). For
  each fold, the engine learns only from the codings of the *other*
  transcripts and suggests on the held-out ones.
* Units are speaker turns (``unit="turn"``) or sentences (``"sentence"``).
  A unit counts as coded with a code when a coding of that code covers at
  least half of the unit, or the unit holds at least half of the coding.
* ``depth=1`` rolls every code up to its top-level theme (``depth=N``: its
  ancestor at depth N); suggestions are made directly at that level.
* A unit is *suggested* a code when its score reaches ``min_score`` and the
  code is among the unit's ``per_unit`` best (default 3, as ``qcode
  suggest`` stores: the figures describe what users are shown). Top-3
  hit rate: among units with at least one gold code, the share where a gold
  code is among the three best-ranked codes (every code with a positive
  score is ranked, so ranking is judged independently of the threshold).
* The keyword baseline (:mod:`qcode.suggest.baseline`) runs on the same
  units in the same run: case-insensitive search for the code's keywords and
  label words; ranked by the number of distinct terms found.

* The plain supervised baseline (:class:`qcode.suggest.baseline.SupervisedBaseline`:
  TF-IDF over words and one scikit-learn logistic regression per code) learns
  on the same training units of each fold and is scored on the same held-out
  units, with probability 0.5 as its threshold and the same per-unit cap.
* Curves: micro precision, recall and F1 of qcode and of the supervised
  baseline at thresholds 0.05, 0.10 ... 0.95 (same per-unit cap), so a
  threshold can be chosen on held-out figures (``qcode evaluate --plot``).

JSON fields (stable names; ``EvaluationReport.to_dict``)::

    unit, depth, folds, coder, min_score,      the settings used
    per_unit                                   (null: no limit per unit)
    signals                                    qcode's signals evaluated
    transcripts, units, coded_units, words     the data evaluated
    seconds, words_per_second                  wall time of the whole evaluation
    pipeline, pipeline_notes                   spaCy pipeline and what it lacks
    suggest, baseline, supervised: {           same shape for the three methods
        micro: {precision, recall, f1, tp, fp, fn},   (baseline = keyword search)
        macro: {precision, recall, f1},        mean over codes present in the gold standard
        top3_hit_rate,
        per_code: {code: {precision, recall, f1, support, predicted, tp}}}
    curves: {suggest, supervised: [{threshold, precision, recall, f1, predicted}]}
    ratio: {micro_f1, macro_f1, top3_hit_rate} suggest / keyword baseline (null when it is 0)
    ratio_supervised: {micro_f1, macro_f1, top3_hit_rate} suggest / supervised baseline
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from qcode.core.errors import SuggestError
from qcode.usecases.project import Progress, Project, no_progress

THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
SUPERVISED_THRESHOLD = 0.5


@dataclass
class Scores:
    micro: dict[str, float] = field(default_factory=dict)
    macro: dict[str, float] = field(default_factory=dict)
    top3_hit_rate: float = 0.0
    per_code: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class EvaluationReport:
    unit: str
    depth: int | None
    folds: int
    coder: str | None
    min_score: float
    per_unit: int | None
    transcripts: int
    units: int
    coded_units: int
    words: int
    seconds: float
    words_per_second: float
    pipeline: str
    pipeline_notes: list[str]
    suggest: Scores
    baseline: Scores
    ratio: dict[str, float | None]
    supervised: Scores = field(default_factory=Scores)
    ratio_supervised: dict[str, float | None] = field(default_factory=dict)
    curves: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    signals: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Ranked = list[tuple[set[str], dict[str, float]]]
"""Per held-out unit: its gold codes and each method's score of every code it scored."""


class _Tally:
    def __init__(self) -> None:
        self.tp: dict[str, int] = {}
        self.fp: dict[str, int] = {}
        self.fn: dict[str, int] = {}
        self.hits = 0
        self.coded = 0

    def add(self, gold: set[str], predicted: set[str], ranked: list[str]) -> None:
        for c in predicted & gold:
            self.tp[c] = self.tp.get(c, 0) + 1
        for c in predicted - gold:
            self.fp[c] = self.fp.get(c, 0) + 1
        for c in gold - predicted:
            self.fn[c] = self.fn.get(c, 0) + 1
        if gold:
            self.coded += 1
            self.hits += bool(gold & set(ranked[:3]))

    def scores(self) -> Scores:
        codes = sorted(set(self.tp) | set(self.fp) | set(self.fn))
        per: dict[str, dict[str, float]] = {}
        for c in codes:
            tp, fp, fn = self.tp.get(c, 0), self.fp.get(c, 0), self.fn.get(c, 0)
            per[c] = {**_prf(tp, fp, fn), "support": tp + fn, "predicted": tp + fp, "tp": tp}
        TP, FP, FN = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        present = [per[c] for c in codes if per[c]["support"] > 0]
        macro = {
            k: (sum(p[k] for p in present) / len(present) if present else 0.0) for k in ("precision", "recall", "f1")
        }
        return Scores({**_prf(TP, FP, FN), "tp": TP, "fp": FP, "fn": FN}, macro, self.hits / self.coded if self.coded else 0.0, per)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score_units(units: Ranked, threshold: float, cap: int | None) -> Scores:
    """Figures of a method over held-out units: a code is predicted when its score reaches
    *threshold* and it is among the unit's *cap* best (ties: code id); top-3 ranks every positive score."""
    tally = _Tally()
    for gold, scores in units:
        ranked = sorted((c for c, v in scores.items() if v > 0), key=lambda c: (-scores[c], c))
        kept = ranked[:cap] if cap else ranked
        tally.add(gold, {c for c in kept if scores[c] >= threshold}, ranked)
    return tally.scores()


def curve(units: Ranked, cap: int | None) -> list[dict[str, float]]:
    """Micro precision, recall, F1 and the number predicted at each of :data:`THRESHOLDS`."""
    out = []
    for t in THRESHOLDS:
        m = score_units(units, t, cap).micro
        out.append({"threshold": t, "precision": m["precision"], "recall": m["recall"], "f1": m["f1"],
                    "predicted": m["tp"] + m["fp"]})
    return out


def evaluate(
    project: Project,
    coder: str | None = None,
    unit: str = "turn",
    depth: int | None = None,
    folds: int = 5,
    min_score: float | None = None,
    signals: list[str] | None = None,
    progress: Progress = no_progress,
    per_unit: int | None = None,
) -> EvaluationReport:
    """Cross-validated quality of suggestions and of the two baselines (see module doc)."""
    from qcode.suggest.base import DEFAULT_SIGNALS, Training, build_profiles
    from qcode.suggest.baseline import KeywordBaseline, SupervisedBaseline
    from qcode.suggest.cache import DocCache
    from qcode.suggest.engine import Engine, add_training, unit_labels
    from qcode.suggest.pipeline import get_pipeline
    from qcode.usecases.suggest_inputs import read_inputs
    from qcode.usecases.suggesting import _min_score, per_unit_cap

    t0 = time.perf_counter()
    if unit not in ("turn", "sentence"):
        raise SuggestError(f"Unknown unit '{unit}'.", hint="Use --unit turn or --unit sentence.")
    if depth is not None and depth < 1:
        raise SuggestError(f"--depth must be 1 or more (got {depth}).", hint="--depth 1 rolls codes up to their top-level theme.")
    if folds < 2:
        raise SuggestError(f"--folds must be at least 2 (got {folds}).", hint="5 folds is usual.")
    floor = _min_score(project, min_score)
    cap = per_unit_cap(project, per_unit)
    codebook = project.codebook
    if coder is not None and coder not in project.store.coders.names():
        raise SuggestError(
            f"No coder named '{coder}' in this project.",
            hint="Known coders: " + (", ".join(project.store.coders.names()) or "none yet") + ".",
        )
    every = project.store.codings.list(coders=[coder] if coder else None)
    codings = [c for c in every if c.origin != "suggestion"]
    if not codings:
        accepted = len(every)
        raise SuggestError(
            "There are no human codings to evaluate against" + (f" by {coder}" if coder else "") + "."
            + ((" The coding made by accepting a suggestion does not count" if accepted == 1 else
                f" The {accepted} codings made by accepting suggestions do not count")
               + ": they would grade the suggester on its own output." if accepted else ""),
            hint="Code some transcripts first (or import codings with `qcode codings import`).",
        )
    summaries = {s.id: s for s in project.store.transcripts.summaries()}
    tids = sorted({c.transcript_id for c in codings})
    if len(tids) < 2:
        raise SuggestError(
            "Evaluation needs human codings in at least 2 transcripts (it learns on some and tests on others).",
            hint="Code another transcript, then run `qcode evaluate` again.",
        )
    k = min(folds, len(tids))
    fold_of = {tid: i % k for i, tid in enumerate(tids)}
    default_lang = project.settings.language or "en"
    by_lang: dict[str, list[int]] = {}
    for tid in tids:
        by_lang.setdefault(summaries[tid].language or default_lang, []).append(tid)
    cache = DocCache(project.data_dir / "cache" / "docs")
    preferred = project.settings.suggest.get("pipeline")
    ours: Ranked = []
    keyword: Ranked = []
    supervised: Ranked = []
    names: list[str] = []
    notes: list[str] = []
    if k < folds:
        notes.append(f"{k} folds instead of {folds}: only {len(tids)} transcripts have human codings "
                     "(a fold holds whole transcripts)")
    n_units = n_coded = words = 0
    done = 0
    for lang, ltids in by_lang.items():
        info = get_pipeline(lang, str(preferred) if preferred else None)
        names.append(info.name)
        notes.extend(n for n in info.notes if n not in notes)
        profiles = build_profiles(codebook, lang, depth=depth)
        engine = Engine(info, profiles, signals=signals, unit_mode=unit)  # type: ignore[arg-type]
        baseline = KeywordBaseline.build(codebook, depth=depth, stop_words=info.nlp.Defaults.stop_words)
        member_of = engine.member_of
        gold_spans: dict[int, list[tuple[str, int, int, int | None, str]]] = {}
        for c in codings:
            if c.transcript_id in ltids and c.code_id in member_of:
                gold_spans.setdefault(c.transcript_id, []).append((member_of[c.code_id], c.start, c.end, c.id, c.quote))
        analysed = {}
        for a in engine.analyse(read_inputs(project, ltids), cache):
            analysed[a.transcript_id] = a
            words += a.words
            done += 1
            progress(done, len(tids), f"parsing ({info.name})")
        gold = {tid: unit_labels(a.units, [(c, s, e) for c, s, e, _, _ in gold_spans.get(tid, [])]) for tid, a in analysed.items()}
        texts = {tid: [a.text[s:e] for s, e in zip(a.feats.start.tolist(), a.feats.end.tolist(), strict=True)]
                 for tid, a in analysed.items()}
        for f in range(k):
            test = [t for t in ltids if fold_of[t] == f]
            if not test:
                continue
            train = [t for t in ltids if fold_of[t] != f]
            training = Training()
            for tid in train:
                add_training(training, analysed[tid], gold_spans.get(tid, []))
            engine.fit(training)
            sup = SupervisedBaseline.fit([x for t in train for x in texts[t]], [g for t in train for g in gold[t]])
            for tid in test:
                S = engine.table(analysed[tid]).score
                sup_scores = sup.scores(texts[tid])
                for i, g in enumerate(gold[tid]):
                    ours.append((g, {engine.codes[j]: float(S[i, j]) for j in S[i].nonzero()[0].tolist()}))
                    keyword.append((g, {c: float(v) for c, v in baseline.scores(texts[tid][i]).items()}))
                    supervised.append((g, sup_scores[i]))
                    n_units += 1
                    n_coded += bool(g)
            progress(f + 1, k, "cross-validating")
        notes.extend(n for n in engine.notes() if n not in notes)
    seconds = time.perf_counter() - t0
    s = score_units(ours, floor, cap)
    b = score_units(keyword, 1.0, cap)
    sv = score_units(supervised, SUPERVISED_THRESHOLD, cap)
    return EvaluationReport(
        unit=unit, depth=depth, folds=k, coder=coder, min_score=floor, per_unit=cap, transcripts=len(tids), units=n_units,
        coded_units=n_coded, words=words, seconds=seconds, words_per_second=words / seconds if seconds else 0.0,
        pipeline=", ".join(names), pipeline_notes=notes, suggest=s, baseline=b, ratio=_ratios(s, b),
        supervised=sv, ratio_supervised=_ratios(s, sv),
        curves={"suggest": curve(ours, cap), "supervised": curve(supervised, cap)},
        signals=list(signals or DEFAULT_SIGNALS),
    )


def _ratios(s: Scores, b: Scores) -> dict[str, float | None]:
    return {
        "micro_f1": _ratio(s.micro["f1"], b.micro["f1"]),
        "macro_f1": _ratio(s.macro["f1"], b.macro["f1"]),
        "top3_hit_rate": _ratio(s.top3_hit_rate, b.top3_hit_rate),
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def plot(report: EvaluationReport, path: Any) -> None:
    """Precision and recall across thresholds of qcode and the supervised baseline, the keyword
    baseline as a point, and the threshold used marked: a PNG at *path* (matplotlib, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    styles = {"suggest": ("qcode", "tab:blue"), "supervised": ("supervised baseline (TF-IDF + LR)", "tab:orange")}
    for key, (label, color) in styles.items():
        pts = report.curves.get(key, [])
        xs = [p["threshold"] for p in pts]
        ax.plot(xs, [p["precision"] for p in pts], color=color, label=f"{label}: precision")
        ax.plot(xs, [p["recall"] for p in pts], color=color, linestyle="--", label=f"{label}: recall")
    ax.axvline(report.min_score, color="tab:blue", linestyle=":", label=f"qcode threshold {report.min_score:.2f}")
    kw = report.baseline.micro
    ax.scatter([1.0], [kw["precision"]], color="tab:gray", marker="o", label="keyword baseline: precision")
    ax.scatter([1.0], [kw["recall"]], color="tab:gray", marker="x", label="keyword baseline: recall")
    level = f"depth {report.depth}" if report.depth else "all codes"
    ax.set(xlabel="threshold (score / probability)", ylabel="micro precision, recall", ylim=(0, 1.02), xlim=(0, 1.05),
           title=f"{report.transcripts} transcripts, {report.units} {report.unit}s, {level}, {report.folds} folds")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
