"""Fixtures for the suggestion engine tests: one blank pipeline per session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from qcode.core.codebook import Code, Codebook


@pytest.fixture(scope="session")
def en():
    """spacy.blank("en") + lookup lemmatizer (built once; ~2 s)."""
    from qcode.suggest.pipeline import get_pipeline

    return get_pipeline("en", "blank")


@pytest.fixture(scope="session")
def fr():
    """spacy.blank("fr") + lookup lemmatizer (the French tokenizer takes ~6 s to build: few tests use it)."""
    from qcode.suggest.pipeline import get_pipeline

    return get_pipeline("fr", "blank")


def engine_for(info, codes: Sequence[Code], signals=None, unit_mode="turn", depth=None, keep_parses=None):
    from qcode.suggest.base import build_profiles
    from qcode.suggest.engine import Engine

    cb = Codebook(codes=tuple(codes))
    return Engine(info, build_profiles(cb, info.lang, depth=depth), signals=signals, unit_mode=unit_mode,
                  keep_parses=keep_parses)


def analyse_text(engine, text: str, tid: int = 1):
    """Analyse *text* as one transcript whose turns are its blank-line paragraphs."""
    from qcode.suggest.engine import TranscriptInput
    from qcode.suggest.units import paragraph_spans

    return next(iter(engine.analyse([TranscriptInput(tid, text, tuple(paragraph_spans(text)))])))


@dataclass
class Hit:
    """One signal of a suggestion's evidence, as a researcher reads it (the rendered stored evidence)."""

    code: str
    signal: str
    contribution: float
    detail: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    similar: dict | None = None


@dataclass
class Scored:
    """A code's score on one unit and its evidence, read the way a run stores and shows it."""

    code: str
    score: float
    hits: list[Hit]
    evidence: dict


def evidence_many(engine, t, units, profs) -> list[dict]:
    """The readable evidence of each (unit, profile) pair of the table *t*: the compact form a run stores,
    rendered as a suggestion read from the store is (similar passages' quotes by coding id)."""
    import json

    from qcode.suggest.evidence import render

    quotes = engine.quotes
    starts, ends = t.feats.start.tolist(), t.feats.end.tolist()
    return [render(json.loads(ev), t.text[starts[i]:ends[i]], starts[i], lambda cid: quotes.get(cid, ""))
            for ev, i in zip(engine.compact_many(t, units, profs), list(units), strict=True)]


def best(engine, analysed, code: str, i: int = 0) -> Scored | None:
    """*code* on unit *i* (:meth:`~qcode.suggest.engine.Engine.table`, then the compact evidence a run stores,
    rendered as it is read), or None when it does not score there."""
    t = engine.table(analysed)
    j = engine.codes.index(code)
    if t.score[i, j] <= 0:
        return None
    [ev] = evidence_many(engine, t, [i], [j])
    hits = [Hit(code, s["name"], s["contribution"], s["detail"], [tuple(x) for x in ev["spans"]],
                ev.get("similar") if s["name"] in ("qcode.similarity.v1", "qcode.vectors.v1") else None)
            for s in ev["signals"]]
    return Scored(code, float(t.score[i, j]), hits, ev)


def scored(engine, analysed, i: int = 0) -> list[Scored]:
    """Every code with a positive score on unit *i*, best first (ties by code id)."""
    out = [best(engine, analysed, c, i) for c in engine.codes]
    return sorted((s for s in out if s is not None), key=lambda s: (-s.score, s.code))


def rule_hits(analysed) -> list[list[Hit]]:
    """Per unit, the keyword and pattern evidence of each code matched there: its detail (as stored and read)
    and the offsets of its matches."""
    import numpy as np

    from qcode.suggest.rules import PATTERN

    engine, m = analysed.engine, analysed.matches
    t = engine.table(analysed)
    prof, kind = engine.ruleset.profile[m.rule], engine.ruleset.kind[m.rule]
    out: list[list[Hit]] = [[] for _ in range(len(analysed.feats))]
    for i in sorted(set(m.unit.tolist())):
        for j in sorted(set(prof[m.unit == i].tolist())):
            [ev] = evidence_many(engine, t, [i], [j])
            details = {s["name"]: s["detail"] for s in ev["signals"]}
            for name, is_pattern in (("qcode.lemma_keywords.v2", False), ("qcode.patterns.v2", True)):
                mine = (m.unit == i) & (prof == j) & ((kind == PATTERN) == is_pattern)
                if mine.any():
                    spans = sorted(set(zip(m.start[mine].tolist(), m.end[mine].tolist(), strict=True)))
                    out[i].append(Hit(engine.codes[j], name, float(np.round(t.parts[name][i, j], 4)),
                                      details.get(name, ""), spans))
    return out
