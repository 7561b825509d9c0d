"""The learned signal's fit cache: a re-run reuses unchanged codes' regressions and gives the cold run's results."""

from __future__ import annotations

from qcode.core.codebook import Code
from qcode.suggest.base import Training
from qcode.suggest.engine import add_training
from qcode.suggest.learn import FitCache
from tests.suggest.conftest import analyse_text, engine_for

POS_C = "The deadline was impossible and the overtime exhausting."
POS_D = "The parking lot was full again and the bus was late."
NEG = "The weather was nice and the canteen food was good."
PROBES = [
    "An impossible deadline and more overtime.",
    "The bus was late and the parking lot full.",
    "The canteen food was good.",
    "The deadline was late and the parking impossible.",
]


def _codes(d_keywords=(), d_definition=""):
    return [
        Code("c", {"": "Zzz"}, keywords={"": ("overtime",)}),
        Code("d", {"": "Yyy"}, definition=d_definition, keywords={"": tuple(d_keywords)}),
    ]


def _training(engine, extra_d: int = 0) -> Training:
    """Coded units for c and d in twelve transcripts; *extra_d* NEG units also coded d (one code's codings change)."""
    training = Training()
    texts = [(POS_C, "c")] * 8 + [(POS_D, "d")] * 8 + [(NEG, None)] * 20
    for i, (text, code) in enumerate(texts):
        a = analyse_text(engine, text, tid=100 + i % 12)
        if code is None and i - 16 < extra_d:
            code = "d"
        add_training(training, a, [(code, 0, len(text), 1000 + i, text)] if code else [])
    return training


def _results(engine):
    """Scores and stored evidence of the probes: what a run writes."""
    out = []
    for k, text in enumerate(PROBES):
        a = analyse_text(engine, text, tid=900 + k)
        t = engine.table(a)
        units, profs = (t.score > 0).nonzero()
        out.append((t.score.round(12).tolist(), engine.compact_many(t, units, profs)))
    return out


def _run(en, codes, cache, extra_d: int = 0):
    engine = engine_for(en, codes, signals=["qcode.lemma_keywords.v2", "qcode.learned.v2"])
    engine.signals[-1].fit_cache = cache
    engine.fit(_training(engine, extra_d))
    return engine, _results(engine)


def test_a_rerun_after_a_codebook_change_gives_the_cold_run_s_results(en, tmp_path):
    cache = FitCache(tmp_path / "models")
    engine, first = _run(en, _codes(), cache)
    assert cache.fits > 0
    assert "learned model on for 1 of 2 codes (d)" in " ".join(engine.notes())  # part of the results
    for change in (_codes(d_keywords=("bus",)), _codes(d_definition="Getting to work: parking, buses, traffic.")):
        cold = _run(en, change, None)[1]
        again = FitCache(tmp_path / "models")  # a new run: the cache is read back from disk
        warm = _run(en, change, again)[1]
        assert warm == cold
    assert first != cold  # the changes do change the suggestions


def test_unchanged_codes_models_are_not_refit(en, tmp_path):
    cache = FitCache(tmp_path / "models")
    _run(en, _codes(), cache)
    asked = cache.fits + cache.hits  # held-out folds + the final fit, for c and for d (identical folds: one fit)
    per_code = asked // 2
    assert cache.fits > 0 and per_code >= 2 and asked == 2 * per_code

    keywords = FitCache(tmp_path / "models")  # only d's keywords change: no regression sees keywords
    _run(en, _codes(d_keywords=("bus",)), keywords)
    assert keywords.fits == 0 and keywords.hits == asked

    codings = FitCache(tmp_path / "models")  # only d's codings change: d is refit, c is read back
    _, warm = _run(en, _codes(), codings, extra_d=2)
    assert 0 < codings.fits <= per_code and codings.fits + codings.hits == asked
    assert warm == _run(en, _codes(), None, extra_d=2)[1]


def test_editing_one_code_s_definition_refits_that_code_only(en, tmp_path):
    """Each code's vocabulary is the shared one plus its own texts' terms, and the IDF comes from the units:
    a definition edit leaves the other codes' features, hence their fits, as they were."""
    cache = FitCache(tmp_path / "models")
    _, first = _run(en, _codes(), cache)
    asked = cache.fits + cache.hits
    per_code = asked // 2

    edited = FitCache(tmp_path / "models")
    engine, warm = _run(en, _codes(d_definition="Getting to work: parking, buses, traffic, the commute."), edited)
    assert 0 < edited.fits <= per_code and edited.hits >= per_code  # d refit; c (and its folds) read back
    assert warm == _run(en, _codes(d_definition="Getting to work: parking, buses, traffic, the commute."), None)[1]
    model = engine.signals[-1].model
    own = {engine.info.nlp.vocab.strings[int(t)] for t in model.terms[model.weights[:, 0] == 0].tolist()}
    assert {"commute", "traffic"} <= own  # d's own terms: columns c's model does not use
    c_scores = [[row[0] for row in s] for s, _ in first]
    assert c_scores == [[row[0] for row in s] for s, _ in warm]  # c's column is unchanged
