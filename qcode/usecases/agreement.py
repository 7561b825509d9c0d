"""Agreement between coders: compute, keep, list history, and the review queue.

What ``qcode agreement --json`` prints (stable field names; ``result_dict``)::

    id                      the kept computation's id (null when not kept)
    computed                ISO time of the computation (UTC)
    unit                    character | segment | sentence | turn
    overlap                 the segment overlap threshold (null for other units)
    coders                  the coders compared
    codebook: {hash, version}
    transcripts             names of the transcripts coded by at least two of the coders
    units                   number of units in them (characters, passages, sentences, turns)
    resamples, seed, level  the bootstrap settings (level 0.95)
    clusters                what the bootstrap draws (turns for characters, else units); under
                            FEW_CLUSTERS the intervals are rough
    min_codings             codes with fewer codings are "too rare"
    overall: FIGURES        the codes judged, stacked (each unit x code one decision)
    overall_codes           those codes (the others are too rare, or nobody used them)
    codes: [ {code, label, FIGURES} ]   in codebook order
    FIGURES = percent, positive, kappa, alpha      (null when undefined or too rare)
              ci: {percent, positive, kappa, alpha: [low, high] or null}
              reading      reliable | tentative | not reliable | undefined | too rare
              units        pairable units; coded_units: those any coder coded with the code
              codings      codings of the code by the coders in those transcripts
              too_rare     true when the code has fewer than min_codings codings

The unit rules and statistics are documented in :mod:`qcode.core.agreement_units`
and :mod:`qcode.core.agreement`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from qcode.core.agreement import (
    DEFAULT_MIN_CODINGS,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    STATISTICS,
    TABLE_SIZE,
    Clustered,
    Table,
)
from qcode.core.agreement_units import (
    DEFAULT_OVERLAP,
    UNITS,
    Agreement,
    Disagreement,
    Doc,
    Figures,
    Reliability,
    disagreements,
    reliability,
    summarize,
)
from qcode.core.coding import Coding, now
from qcode.core.errors import CodingError, NotFoundError, did_you_mean
from qcode.usecases.project import Project

FEW_CLUSTERS = 30
"""Below this many bootstrap clusters the table warns that the intervals are rough."""
CONSENSUS = "consensus"
"""Default name of the coder that review decisions are written to."""


@dataclass
class Inputs:
    coders: list[str]
    codes: list[str]
    unit: str
    overlap: float
    codings: list[Coding]
    rel: Reliability


def compared_coders(project: Project, coders: Sequence[str] | None, consensus: str = CONSENSUS) -> list[str]:
    """The coders to compare: those given (checked), else every coder with codings but the consensus coder."""
    known = sorted({c.coder for c in project.store.codings.iter()})
    if coders:
        for name in coders:
            if name not in known:
                raise NotFoundError(
                    f"No codings by coder '{name}'." + did_you_mean(name, known),
                    hint="Coders with codings: " + (", ".join(known) or "none yet") + ".",
                )
        chosen = list(dict.fromkeys(coders))
    else:
        chosen = [c for c in known if c != consensus]
    if len(chosen) < 2 and coders:
        raise CodingError(
            f"Agreement compares at least two coders; --coders names {len(chosen)}.",
            hint="Name two or more: --coders A B" + (f" (coders with codings: {', '.join(known)})." if known else "."),
        )
    if len(chosen) < 2:
        raise CodingError(
            "Agreement needs the codings of at least two coders"
            + (f"; this project has codings by {', '.join(known)} only." if known else "; this project has no codings yet."),
            hint="Bring a colleague's work in with `qcode merge PATH`, or name the coders with --coders A B.",
        )
    return chosen


def _check_unit(unit: str, overlap: float) -> None:
    if unit not in UNITS:
        raise CodingError(f"Unknown unit '{unit}'." + did_you_mean(unit, list(UNITS)), hint="Use --unit " + " | ".join(UNITS) + ".")
    if not 0 < overlap <= 1:
        raise CodingError(f"--overlap must be above 0 and at most 1 (got {overlap:g}).", hint="0.9 means 90% of each coding's length.")


def sentence_spans(text: str, turns: Sequence[tuple[int, int]], language: str) -> tuple[tuple[int, int], ...]:
    """Sentences of each turn by spaCy's rule-based sentencizer (the same on every machine)."""
    import spacy

    try:
        nlp = spacy.blank(language or "xx")
    except (ImportError, KeyError, ValueError):
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    out: list[tuple[int, int]] = []
    for (s, _end), doc in zip(turns, nlp.pipe(text[s:e] for s, e in turns), strict=True):
        for sent in doc.sents:
            piece = sent.text.strip()
            if piece:
                a = s + sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
                out.append((a, a + len(piece)))
    return tuple(out)


def gather(
    project: Project,
    coders: Sequence[str] | None = None,
    unit: str = "character",
    codes: Sequence[str] | None = None,
    overlap: float = DEFAULT_OVERLAP,
    consensus: str = CONSENSUS,
) -> Inputs:
    """The reliability data of the project's coders (see the module doc for defaults)."""
    _check_unit(unit, overlap)
    chosen = compared_coders(project, coders, consensus)
    cb = project.codebook
    codes = [cb.resolve(ref).id for ref in codes] if codes else None  # an id, or a label in any language
    codings = project.store.codings.list(coders=chosen)
    used = {c.code_id for c in codings}
    code_ids = list(dict.fromkeys(codes)) if codes else [c.id for c in cb.codes if c.id in used]
    code_ids += sorted(used - set(cb.ids)) if not codes else []
    docs = []
    for tid in sorted({c.transcript_id for c in codings}):
        t = project.transcript(tid)
        turns = tuple((tr.start, tr.end) for tr in t.turns)
        sentences: tuple[tuple[int, int], ...] = ()
        if unit == "sentence":
            sentences = sentence_spans(t.text, turns or ((0, len(t.text)),), t.language or project.settings.language)
        docs.append(Doc(tid, len(t.text), turns, sentences))
    rel = reliability(docs, codings, chosen, code_ids, unit, overlap)
    return Inputs(chosen, code_ids, unit, overlap, codings, rel)


def compute(
    project: Project,
    coders: Sequence[str] | None = None,
    unit: str = "character",
    codes: Sequence[str] | None = None,
    overlap: float = DEFAULT_OVERLAP,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    min_codings: int = DEFAULT_MIN_CODINGS,
    keep: bool = True,
    consensus: str = CONSENSUS,
) -> dict[str, Any]:
    """Agreement figures as :func:`result_dict`; kept in the project when *keep*."""
    if resamples < 0:
        raise CodingError(f"--resamples must be 0 or more (got {resamples}).", hint="2000 is usual; 0 skips the intervals.")
    inp = gather(project, coders, unit, codes, overlap, consensus)
    if not inp.rel.transcripts:
        raise CodingError(
            f"No transcript was coded by at least two of {', '.join(inp.coders)}.",
            hint="Agreement compares coders on the same transcripts: double-code some transcripts first.",
        )
    result = result_dict(
        project,
        summarize(inp.rel, resamples=resamples, seed=seed, min_codings=min_codings, overlap=overlap, resampler=numpy_resamples),
    )
    result["clusters"] = len(inp.rel.data.base)
    if keep:
        result["id"] = project.store.team.add_agreement_run(
            unit, inp.coders, result["codebook"]["hash"], result["codebook"]["version"] or "", result
        )
    return result


BATCH = 250
"""Resamples drawn per matrix product (250 x clusters weights)."""


def weighted_tables(data: Clustered, codes: Sequence[str], weights: Any) -> list[dict[str, Table]]:
    """Each code's table for each row of *weights* (resamples x clusters), by matrix products:
    the same sums as :meth:`Clustered.totals` row by row."""
    import numpy as np

    w = np.asarray(weights, dtype=np.float64)
    base = w @ np.asarray(data.base, dtype=np.float64).reshape(len(data.base), TABLE_SIZE)
    per: dict[str, Any] = {}
    for c in codes:
        d = data.deltas.get(c, {})
        if d:
            idx = np.fromiter(d, dtype=np.int64, count=len(d))
            per[c] = base + w[:, idx] @ np.asarray(list(d.values()), dtype=np.float64)
        else:
            per[c] = base
    lists = {c: per[c].tolist() for c in codes}
    return [{c: lists[c][r] for c in codes} for r in range(len(w))]


def numpy_resamples(data: Clustered, codes: Sequence[str], resamples: int, seed: int) -> Iterator[dict[str, Table]]:
    """Resamples drawn with numpy (multinomial counts of the clusters, seeded PCG64): the same
    bootstrap as :func:`qcode.core.agreement.pure_resamples`, other random draws, ~100x faster."""
    import numpy as np

    k = len(data.base)
    rng = np.random.default_rng(seed)
    p = np.full(k, 1.0 / k)
    for start in range(0, resamples, BATCH):
        yield from weighted_tables(data, codes, rng.multinomial(k, p, size=min(BATCH, resamples - start)))


def _figures(f: Figures) -> dict[str, Any]:
    return {
        "percent": f.percent,
        "positive": f.positive,
        "kappa": f.kappa,
        "alpha": f.alpha,
        "ci": {s: (list(ci) if (ci := f.ci.get(s)) else None) for s in STATISTICS},
        "reading": f.reading,
        "units": f.units,
        "coded_units": f.coded_units,
        "codings": f.codings,
        "too_rare": f.too_rare,
    }


def result_dict(project: Project, a: Agreement) -> dict[str, Any]:
    names = {s.id: s.name for s in project.store.transcripts.summaries()}
    rec = project.store.codes.record()
    cb = project.codebook
    return {
        "id": None,
        "computed": now().isoformat(),
        "unit": a.unit,
        "overlap": a.overlap,
        "coders": list(a.coders),
        "codebook": {"hash": rec.content_hash if rec else None,
                     "version": (rec.version if rec else None) or cb.version or None},
        "transcripts": [names.get(t, str(t)) for t in a.transcripts],
        "units": a.units,
        "resamples": a.resamples,
        "seed": a.seed,
        "level": 0.95,
        "min_codings": a.min_codings,
        "overall": _figures(a.overall),
        "overall_codes": [cid for cid, f in a.codes.items() if not f.too_rare],
        "codes": [{"code": cid, "label": code.display(project.settings.language) if (code := cb.find(cid)) else cid,
                   **_figures(f)} for cid, f in a.codes.items()],
    }


def history(project: Project) -> list[dict[str, Any]]:
    """Kept computations, oldest first (each as ``compute`` returned it)."""
    out = []
    for run in project.store.team.agreement_runs():
        r = dict(run["result"])
        r["id"] = run["id"]
        out.append(r)
    return out


# --------------------------------------------------------------- review queue
def queue(
    project: Project,
    coders: Sequence[str] | None = None,
    unit: str = "character",
    codes: Sequence[str] | None = None,
    overlap: float = DEFAULT_OVERLAP,
    consensus: str = CONSENSUS,
) -> list[Disagreement]:
    """The passages where the coders differ (see :func:`qcode.core.agreement_units.disagreements`)."""
    inp = gather(project, coders, unit, codes, overlap, consensus)
    return disagreements(inp.rel, inp.codings)


def decisions(project: Project) -> dict[tuple[int, str, int, int], dict[str, Any]]:
    """The latest review decision of each (transcript id, code, start, end)."""
    return {(r["transcript_id"], r["code_id"], r["start"], r["end"]): dict[str, Any](r) for r in project.store.team.reviews()}


def disagreement_dict(project: Project, d: Disagreement, done: dict[tuple[int, str, int, int], dict[str, Any]] | None = None) -> dict[str, Any]:
    """One queue item as ``qcode agreement --disagreements --json`` prints it."""
    t = project.transcript(d.transcript_id)
    code = project.codebook.find(d.code_id)
    decision = (done or {}).get((d.transcript_id, d.code_id, d.start, d.end))
    return {
        "transcript": t.name,
        "transcript_id": d.transcript_id,
        "code": d.code_id,
        "label": code.display() if code else d.code_id,
        "start": d.start,
        "end": d.end,
        "text": t.text[d.start : d.end],
        "coded_by": list(d.coded_by),
        "not_coded_by": list(d.not_coded_by),
        "codings": [
            {"id": c.id, "coder": c.coder, "start": c.start, "end": c.end, "quote": t.text[c.start : c.end], "memo": c.memo}
            for c in d.codings
        ],
        "decision": decision["decision"] if decision else None,
    }
