"""qcode's registered spaCy components: units and codebook matches as span groups."""

from __future__ import annotations

import pytest

from qcode.core.codebook import Code
from qcode.suggest.engine import TranscriptInput
from tests.suggest.conftest import engine_for


def analyse_docs(transcript_id, turns, docs, mode, matcher, spans=False, cuts=None):
    """(features, matches) of one transcript's parsed turns: straight from the arrays (the engine's way), or
    through the components' span groups, set and then read back as arrays (*spans*)."""
    import numpy as np

    from qcode.suggest.components import CUTS_EXTENSION, MATCHES_KEY, UnitSegmenter, analyse_arrays
    from qcode.suggest.rules import Matches
    from qcode.suggest.units import build_features, token_table

    tables = [token_table(d) for d in docs]
    if not spans:
        feats, _, matches, _ = analyse_arrays(transcript_id, turns, docs, mode, matcher.ruleset, tables, cuts)
        return feats, matches
    if cuts is not None:
        for doc, at in zip(docs, cuts, strict=True):
            doc._.set(CUTS_EXTENSION, list(at) or None)
    UnitSegmenter(mode).set_units(docs, tables)
    feats, tokens = build_features(transcript_id, turns, docs, mode, tables)
    matcher.set_matches(docs, tokens)
    rows = [(int(tokens.offset[k]) + span.start, int(tokens.offset[k]) + span.end, matcher.rule_of[span.kb_id])
            for k, doc in enumerate(docs) for span in doc.spans.get(MATCHES_KEY, ())]
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    a, b, rule = arr[:, 0], arr[:, 1], arr[:, 2]
    unit = np.searchsorted(tokens.unit_first, a, side="right") - 1
    return feats, Matches(unit, rule, tokens.start[a], tokens.end[b - 1])


def matcher_of(engine):
    from qcode.suggest.components import CodebookMatcher

    return CodebookMatcher(engine.ruleset)


@pytest.fixture()
def nlp():
    import spacy

    import qcode.suggest.components  # noqa: F401  (registers the factories)

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.add_pipe("sentencizer")
    return nlp


def test_the_components_are_ordinary_spacy_factories(nlp):
    nlp.add_pipe("qcode_units_v1", config={"mode": "turn"})
    nlp.add_pipe("qcode_codebook_matcher_v1", config={"codes": [
        {"id": "pay", "phrases": ["piece rate", "wage"], "patterns": [["per-task", [{"LOWER": "per"}, {"LOWER": "task"}]]]},
        {"id": "time", "phrases": ["deadline"]},
    ]})
    assert nlp.pipe_names[-2:] == ["qcode_units_v1", "qcode_codebook_matcher_v1"]
    doc = nlp("Our wages were paid per task. The piece rates fell before every deadline.")
    assert [s.text for s in doc.spans["qcode_units"]] == [doc.text]
    found = sorted((s.label_, s.text) for s in doc.spans["qcode_matches"])
    assert found == [("pay", "per task"), ("pay", "piece rates"), ("pay", "wages"), ("time", "deadline")]
    assert {s.kb_id_.split("|")[0] for s in doc.spans["qcode_matches"]} == {"qcode.lemma_keywords.v2", "qcode.patterns.v2"}
    piped = list(nlp.pipe(["No wage.", "A deadline, then another deadline."]))  # spaCy's pipe calls them per doc
    assert [[s.text for s in d.spans["qcode_matches"]] for d in piped] == [["wage"], ["deadline", "deadline"]]


def test_units_prefer_a_sync_cut_to_a_pause(nlp):
    from qcode.suggest.units import MAX_WINDOW_TOKENS

    nlp.add_pipe("qcode_units_v1")
    words = [f"w{i}" for i in range(100)]
    words[30] = "um"  # a pause the window would end after
    text = " ".join(words)
    doc = nlp(text)
    plain = [(s.start, s.end) for s in doc.spans["qcode_units"]]
    assert plain[0] == (0, 31)
    doc = nlp.make_doc(text)
    doc._.qcode_cuts = [text.index("w20 ")]  # a <Sync time> before w20
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    cut = [(s.start, s.end) for s in doc.spans["qcode_units"]]
    assert cut[0] == (0, 20)
    assert all(b - a <= MAX_WINDOW_TOKENS for a, b in cut) and cut[-1][1] == len(doc)


def test_the_engine_reads_what_the_components_set(en):
    from qcode.suggest.components import MATCHES_KEY
    from qcode.suggest.engine import TranscriptInput
    from qcode.suggest.pipeline import parse
    from qcode.suggest.units import UNITS_KEY

    engine = engine_for(en, [Code("pay", {"": "Pay"}, keywords={"en": ("wage", "piece rate")})], unit_mode="auto")
    turns = ["Wages were low. " * 20, "We had piece rates and a wage cut."]
    text = "\n\n".join(turns)
    spans = ((0, len(turns[0])), (len(turns[0]) + 2, len(text)))
    a = next(iter(engine.analyse([TranscriptInput(1, text, spans)])))
    docs = list(parse(en, turns))
    feats, matches = analyse_docs(1, list(spans), docs, "auto", matcher_of(engine), spans=False)  # the arrays alone
    assert (matches.rule == a.matches.rule).all() and (matches.start == a.matches.start).all()
    assert (matches.unit == a.matches.unit).all() and (matches.end == a.matches.end).all()
    assert [(u.start, u.end) for u in a.units] == [(int(s), int(e)) for s, e in zip(feats.start, feats.end, strict=True)]
    analyse_docs(1, list(spans), docs, "auto", matcher_of(engine), spans=True)
    n_units = sum(len(d.spans[UNITS_KEY]) for d in docs)
    assert n_units == len(a.units) > 2  # the long turn is cut into sentences
    n_matches = sum(len(d.spans[MATCHES_KEY]) for d in docs)
    assert n_matches == len(matches) == len(a.matches) > 0
    assert all(s.label_ == "pay" for d in docs for s in d.spans[MATCHES_KEY])


def test_the_cache_keeps_the_parse_without_the_span_groups(en, tmp_path):
    from qcode.suggest.cache import DocCache, text_key
    from qcode.suggest.engine import TranscriptInput

    engine = engine_for(en, [Code("pay", {"": "Pay"}, keywords={"en": ("wage",)})], keep_parses=True)
    text = "Wages were low.\n\nThe wage went up."
    item = TranscriptInput(1, text, ((0, 15), (17, len(text))))
    cache = DocCache(tmp_path)
    first = next(iter(engine.analyse([item], cache)))
    docs = cache.load(text_key(text, item.turns), en.key, en.nlp.vocab)
    assert docs is not None and all(not d.spans for d in docs)  # units and matches are not cached
    again = next(iter(engine.analyse([item], cache)))
    assert again.cached and len(again.matches) == len(first.matches) == 2


def test_the_arrays_equal_the_span_groups_with_cuts(en):
    from qcode.suggest.components import CUTS_EXTENSION
    from qcode.suggest.pipeline import parse
    from qcode.suggest.units import MAX_WINDOW_TOKENS, UNITS_KEY

    engine = engine_for(en, [Code("pay", {"": "Pay"}, keywords={"en": ("wage",)})], unit_mode="auto")
    long_turn = " ".join(f"wage{i % 7} w{i}" if i % 9 == 0 else f"w{i}" for i in range(130))  # no punctuation
    turns = [long_turn, "the wage went up", long_turn]
    text = "\n\n".join(turns)
    spans, pos = [], 0
    for turn in turns:
        spans.append((pos, pos + len(turn)))
        pos += len(turn) + 2
    cuts = [tuple(long_turn.index(f" w{i} ") for i in (17, 33, 50, 64, 99)), (), ()]  # the third turn has none
    arrays, _ = analyse_docs(1, spans, list(parse(en, turns)), "auto", matcher_of(engine), spans=False, cuts=cuts)
    docs = list(parse(en, turns))
    groups, _ = analyse_docs(1, spans, docs, "auto", matcher_of(engine), spans=True, cuts=cuts)
    assert [d._.get(CUTS_EXTENSION) for d in docs] == [list(cuts[0]), None, None]
    got = [(int(s), int(e)) for s, e in zip(arrays.start, arrays.end, strict=True)]
    assert got == [(int(s), int(e)) for s, e in zip(groups.start, groups.end, strict=True)]
    assert got == [(spans[k][0] + d[u.start:u.end].start_char, spans[k][0] + d[u.start:u.end].end_char)
                   for k, d in enumerate(docs) for u in d.spans[UNITS_KEY]]
    first = [(s, e) for s, e in got if e <= spans[0][1]]
    # windows end at the latest cut within the bound (17 and 50 are passed over), the last one at the turn's end
    assert [e - spans[0][0] for _, e in first] == [cuts[0][1], cuts[0][3], cuts[0][4], len(long_turn)]
    assert all(len(text[s:e].split()) <= MAX_WINDOW_TOKENS for s, e in first)
    third = [(s, e) for s, e in got if s >= spans[2][0]]
    # at the bound, as without cuts (the last window takes the 10 tokens that would be a scrap)
    assert [len(text[s:e].split()) for s, e in third] == [45, 45, 55]
    engine_units = next(iter(engine.analyse([TranscriptInput(1, text, tuple(spans), cuts=cuts)]))).feats
    assert [(int(s), int(e)) for s, e in zip(engine_units.start, engine_units.end, strict=True)] == got
