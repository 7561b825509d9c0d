"""Fixtures for the suggestion engine tests: one blank pipeline per session."""

from __future__ import annotations

from collections.abc import Sequence

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


def best(engine, analysed, code: str, i: int = 0):
    """The candidate for *code* on unit *i*, or None."""
    for c in engine.score(analysed.units[i], analysed.rule_hits[i]):
        if c.code == code:
            return c
    return None
