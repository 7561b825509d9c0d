"""Pipeline choice, the parsed-document cache, and units."""

from __future__ import annotations

import pytest

from qcode.core.codebook import Code
from qcode.core.errors import SuggestError
from qcode.suggest.cache import DocCache, text_key
from qcode.suggest.engine import TranscriptInput
from qcode.suggest.pipeline import get_pipeline, installed_trained
from qcode.suggest.units import paragraph_spans
from tests.suggest.conftest import engine_for, rule_hits

TEXT = "Contracts are short. We sign again each month.\n\nPaid per task, never for the waiting."


def test_blank_pipeline_says_what_it_lacks(en):
    assert en.name == "blank:en+lookup"
    notes = " ".join(en.notes)
    assert "no part-of-speech" in notes and "lookup table" in notes
    assert en.nlp.pipe_names[-1] == "qcode_lemma_case_v1"
    assert [t.lemma_ for t in en.nlp("Contracts WORKERS Workers")] == ["contract", "worker", "worker"]


def test_the_lemma_case_component_without_a_lemmatizer_gives_lowercase_forms():
    import spacy

    import qcode.suggest.components  # noqa: F401

    nlp = spacy.blank("en")
    nlp.add_pipe("qcode_lemma_case_v1")
    assert [t.lemma_ for t in nlp("Paid PER Task")] == ["paid", "per", "task"]
    assert [t.lemma_ for t in nlp("")] == []


def test_a_missing_configured_pipeline_is_a_clear_error():
    with pytest.raises(SuggestError, match="not installed") as exc:
        get_pipeline("en", "en_core_web_nonexistent")
    assert "never downloads" in exc.value.hint


def test_an_unknown_language_and_a_broken_spacy_plugin_are_told_apart(monkeypatch):
    from qcode.suggest import pipeline

    with pytest.raises(SuggestError, match="no language 'zz'"):
        pipeline._load_blank("zz")

    def broken(lang):  # what spaCy raises when a package's entry point names a module that is gone
        raise ModuleNotFoundError("No module named 'gone.components'", name="gone.components")

    monkeypatch.setattr("spacy.blank", broken)
    with pytest.raises(SuggestError, match="'gone.components'") as exc:
        pipeline._load_blank("en")
    assert "no language" not in str(exc.value) and "Reinstall" in exc.value.hint


@pytest.mark.model
def test_trained_french_pipeline_is_preferred_when_installed():
    if "fr_core_news_sm" not in installed_trained("fr"):
        pytest.skip("fr_core_news_sm is not installed")
    info = get_pipeline("fr")
    assert info.name.startswith("fr_core_news")
    assert "parser" not in info.nlp.pipe_names and "ner" not in info.nlp.pipe_names
    engine = engine_for(info, [Code("c", {"": "Zzz"}, keywords={"": ("précaire",)})], signals=["qcode.lemma_keywords.v2"])
    text = "Des contrats précaires. Elle travaillait la nuit."
    a = next(iter(engine.analyse([TranscriptInput(1, text, ((0, len(text)),))])))
    [hit] = rule_hits(a)[0]
    assert [text[s:e] for s, e in hit.spans] == ["précaires"]


def test_cache_round_trip_and_key(en, tmp_path):
    engine = engine_for(en, [Code("c", {"": "Zzz"}, keywords={"": ("contract",)})], keep_parses=True)
    item = TranscriptInput(1, TEXT, tuple(paragraph_spans(TEXT)))
    cache = DocCache(tmp_path)
    [first] = list(engine.analyse([item], cache))
    assert not first.cached
    files = list(tmp_path.glob("*.spacy"))
    assert len(files) == 1 and files[0].name.startswith(text_key(TEXT, item.turns))
    [again] = list(engine.analyse([item], cache))
    assert again.cached
    assert [(u.start, u.end, u.terms, u.spans) for u in again.units] == [(u.start, u.end, u.terms, u.spans) for u in first.units]
    assert [[h.spans for h in hs] for hs in rule_hits(again)] == [[h.spans for h in hs] for hs in rule_hits(first)]
    # Other turn boundaries mean another parse: another key.
    assert text_key(TEXT, ((0, len(TEXT)),)) != text_key(TEXT, item.turns)
    # the text's SHA-256 as the store keeps it gives the same key, without hashing the text again
    import hashlib

    assert text_key(TEXT, item.turns, hashlib.sha256(TEXT.encode("utf-8")).hexdigest()) == text_key(TEXT, item.turns)


def test_damaged_cache_entry_is_reparsed(en, tmp_path):
    engine = engine_for(en, [Code("c")], keep_parses=True)
    item = TranscriptInput(1, TEXT, tuple(paragraph_spans(TEXT)))
    cache = DocCache(tmp_path)
    list(engine.analyse([item], cache))
    [f] = tmp_path.glob("*.spacy")
    f.write_bytes(b"garbage")
    [units] = (tmp_path / "units").glob("*.arrays")
    units.write_bytes(b"garbage")
    [a] = list(engine.analyse([item], cache))
    assert not a.cached and len(a.units) == 2


def test_units_and_matches_come_from_the_array_cache_and_only_new_rules_are_matched(en, tmp_path):
    codes = [Code("c", {"": "Zzz"}, keywords={"": ("contract",)}, definition="One thing.")]
    item = TranscriptInput(1, TEXT, tuple(paragraph_spans(TEXT)))
    cache = DocCache(tmp_path)
    [first] = list(engine_for(en, codes, keep_parses=True).analyse([item], cache))
    [f] = tmp_path.glob("*.spacy")
    f.unlink()  # without the parse, only the array cache can answer
    redefined = [Code("c", {"": "Zzz"}, keywords={"": ("contract",)}, definition="Another thing.")]
    engine = engine_for(en, redefined, keep_parses=True)
    [again] = list(engine.analyse([TranscriptInput(7, TEXT, item.turns)], cache))
    assert again.cached and again.transcript_id == 7 and again.feats.transcript_id == 7
    assert [(u.start, u.end, u.terms, u.spans, u.stops) for u in again.units] == [
        (u.start, u.end, u.terms, u.spans, u.stops) for u in first.units]
    assert [[h.spans for h in hs] for hs in rule_hits(again)] == [[h.spans for h in hs] for hs in rule_hits(first)]
    assert any(rule_hits(again))
    # The terms' text is stored too: a new process reads the evidence's words from the vocabulary.
    from spacy.strings import hash_string

    from qcode.suggest.cache import from_bytes

    [entry] = (tmp_path / "units").glob("*.arrays")
    stored = {hash_string(w) for w in from_bytes(entry.read_bytes())["strings"].tolist()}
    assert stored == {t for u in first.units for t in [*u.terms, *u.stops]} and stored
    # A keyword whose words are not in the transcript cannot match: still no parse needed.
    absent = [Code("c", {"": "Zzz"}, keywords={"": ("contract", "benchmark")}, definition="One thing.")]
    [same] = list(engine_for(en, absent, keep_parses=True).analyse([item], cache))
    assert same.cached and [[h.spans for h in hs] for hs in rule_hits(same)] == [[h.spans for h in hs] for hs in rule_hits(first)]
    # One that can match is matched on the parse, which is gone here: the transcript is parsed again.
    rekeyed = [Code("c", {"": "Zzz"}, keywords={"": ("contract", "month")}, definition="One thing.")]
    [other] = list(engine_for(en, rekeyed, keep_parses=True).analyse([item], cache))
    assert not other.cached and len(other.matches) == len(first.matches) + 1
    # With the parse there, only the new keyword is matched, on the cached parse.
    more = [Code("c", {"": "Zzz"}, keywords={"": ("contract", "month", "sign")}, definition="One thing.")]
    [cached] = list(engine_for(en, more, keep_parses=True).analyse([item], cache))
    assert cached.cached and len(cached.matches) == len(first.matches) + 2


def test_units_turns_sentences_and_long_turns(en):
    long_turn = " ".join(["We label images all day and the pay is low."] * 15)  # punctuated: cut at sentences
    text = f"Short turn. Two sentences.\n\n{long_turn}"
    spans = tuple(paragraph_spans(text))
    for mode, expected in (("turn", 2), ("sentence", 2 + 15), ("auto", 1 + 15)):
        engine = engine_for(en, [Code("c")], unit_mode=mode)
        a = next(iter(engine.analyse([TranscriptInput(1, text, spans)])))
        assert len(a.units) == expected, mode
        for u in a.units:
            assert text[u.start:u.end].strip() == text[u.start:u.end]
            for (s, e) in u.spans:
                assert u.start <= s < e <= u.end
    engine = engine_for(en, [Code("c")], unit_mode="auto")
    a = next(iter(engine.analyse([TranscriptInput(1, text, spans)])))
    assert text[a.units[1].start:a.units[1].end] == "We label images all day and the pay is low."
    terms = [en.nlp.vocab.strings[t] for t in a.units[1].terms]
    assert terms == ["label", "image", "day", "pay", "low"]


def test_long_unpunctuated_turns_are_cut_into_windows_at_pauses(fr):
    from qcode.suggest.units import MAX_WINDOW_TOKENS, MIN_WINDOW_TOKENS

    # an ESLO-like turn: no punctuation, fillers
    part = "alors on travaillait à la tâche toute la journée euh on était payés très peu hein"
    turn = " ".join([part] * 12)
    engine = engine_for(fr, [Code("c")], unit_mode="auto")
    a = next(iter(engine.analyse([TranscriptInput(1, turn, ((0, len(turn)),))])))
    assert len(a.units) > 3
    covered = "".join(turn[u.start:u.end] + " " for u in a.units).strip()
    assert covered == turn  # the windows tile the turn, in order
    for u in a.units:
        n = len(turn[u.start:u.end].split())
        assert MIN_WINDOW_TOKENS <= n <= MAX_WINDOW_TOKENS
    # every window but the last ends after a pause (a filler), not in the middle of a phrase
    assert all(turn[u.start:u.end].split()[-1] in ("euh", "hein") for u in a.units[:-1])
    # the turn mode keeps the whole turn
    whole = engine_for(fr, [Code("c")], unit_mode="turn")
    assert len(next(iter(whole.analyse([TranscriptInput(1, turn, ((0, len(turn)),))]))).units) == 1


def test_windows_without_pauses_cut_at_the_bound():
    from qcode.suggest.units import MAX_WINDOW_TOKENS, MIN_WINDOW_TOKENS, windows

    n = 2 * MAX_WINDOW_TOKENS + 3
    w = windows(0, n)
    assert w[0] == (0, MAX_WINDOW_TOKENS) and w[-1][1] == n
    assert all(b - a >= MIN_WINDOW_TOKENS for a, b in w)
    assert windows(5, 10) == [(5, 10)]


def test_paragraph_spans():
    assert paragraph_spans("a b\n\n\n  c\n\n") == [(0, 3), (8, 9)]


PARSE_TEXTS = [
    "Contracts are short. We sign again each month!",
    'He said: "Stop." Then "we" left... (Really?) Yes.',
    "Workers WORKED. The Workers' union?! ... «Non» dit-elle.",
    "",
    "   ",
    "No punctuation at all here",
    "?!. leading punctuation. Then words",
]


def test_parse_keeps_the_contexts_in_order(en):
    from qcode.suggest.pipeline import parse

    pairs = list(parse(en, [(t, n) for n, t in enumerate(PARSE_TEXTS)], as_tuples=True, batch_size=3))
    assert [n for _, n in pairs] == list(range(len(PARSE_TEXTS)))
    assert [d.text for d, _ in pairs] == PARSE_TEXTS


# (pipeline, text, lemmas): capitalised at a sentence start, all capitals, a word no table has, a proper noun.
CASE_LEMMAS = [
    ("en", "Contracts end. WORKERS wait. Zorblax tasks.", ["contract", "end", ".", "worker", "wait", ".", "zorblax", "task", "."]),
    ("fr", "Contrats précaires. PRÉCAIRES aussi. Zorblax.", ["contrat", "précaire", ".", "précaire", "aussi", ".", "zorblax", "."]),
    ("fr_core_news_sm", "Contrats précaires à Orléans.", ["contrat", "précaire", "à", "orléans", "."]),
]


@pytest.mark.parametrize(("which", "text", "lemmas"), CASE_LEMMAS)
def test_capitalised_words_get_the_lemma_of_their_lowercase_form(which, text, lemmas, en, fr):
    from qcode.suggest.pipeline import get_pipeline, parse

    if which == "fr_core_news_sm":
        import spacy.util

        if not spacy.util.is_package(which):
            pytest.skip("fr_core_news_sm is not installed")
        info = get_pipeline("fr", which)
    else:
        info = en if which == "en" else fr
    assert info.nlp.pipe_names[-1] == "qcode_lemma_case_v1"
    [doc] = parse(info, [text])
    assert [t.lemma_ for t in doc] == lemmas


def test_the_lemma_case_component_reads_the_table_filled_in_after_it_was_added():
    """A spaCy user's order: add the pipes, then initialize() (or spacy.load of a saved pipeline)."""
    import spacy

    import qcode.suggest.components  # noqa: F401

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("qcode_lemma_case_v1")
    nlp.initialize()
    assert [t.lemma_ for t in nlp("Contracts WORKERS")] == ["contract", "worker"]


TABLE_TEXTS = [
    "Hello  world!\n\nThey're paid 3.50$ per task... Really?  Yes.",
    "",
    "   ",
    "One",
    "Émilie's café —  naïve 🙂 co-op\tTAB. Don't stop",
]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_cached_docs_read_back_with_every_table_column(lang, en, fr, tmp_path):
    """The docs the cache (a public DocBin) gives back have the same token table (every column, and TAG and MORPH)
    as the parsed ones, for a blank pipeline (no POS/TAG/MORPH) and a trained French one when installed."""
    import numpy as np
    from spacy.attrs import IDS

    from qcode.suggest.pipeline import get_pipeline, parse
    from qcode.suggest.units import TABLE_ATTRS

    info = en if lang == "en" else get_pipeline("fr")
    texts = TABLE_TEXTS if lang == "en" else ["Des contrats précaires, payés à la tâche.", "Elle travaillait la nuit."]
    docs = list(parse(info, texts))
    assert any(d.has_annotation("TAG") for d in docs if len(d)) == (not info.name.startswith("blank:"))
    cache = DocCache(tmp_path)
    cache.save("k", info.key, docs)
    cache.flush()
    back = cache.load("k", info.key, info.nlp.vocab)
    assert back is not None and len(back) == len(docs)
    for d, b in zip(docs, back, strict=True):
        cols = [IDS[a] for a in (*TABLE_ATTRS, "TAG", "MORPH")]
        assert np.array_equal(d.to_array(cols), b.to_array(cols)), d.text
        assert [t.lemma_ for t in d] == [t.lemma_ for t in b]
        assert d.has_annotation("TAG") == b.has_annotation("TAG") and d.has_annotation("SENT_START") == b.has_annotation("SENT_START")


def test_token_patterns_still_see_the_docs_lemmas(en):
    code = Code("c", {"": "Zzz"}, patterns=([{"LEMMA": "sign"}, {"LOWER": "again"}],))
    engine = engine_for(en, [code], signals=["qcode.patterns.v2"])
    [a] = list(engine.analyse([TranscriptInput(1, TEXT, tuple(paragraph_spans(TEXT)))]))
    hits = [h for hs in rule_hits(a) for h in hs]
    assert [TEXT[s:e] for h in hits for s, e in h.spans] == ["sign again"]


def test_an_array_cache_entry_gives_back_every_array_as_stored(tmp_path):
    import numpy as np

    from qcode.suggest.cache import ArrayCache

    arrays = {"scalar": np.array(0.25), "grid": np.arange(6, dtype=np.int64).reshape(3, 2)[:, ::-1],
              "words": np.array(["été", "a"]), "none": np.zeros(0, np.uint64), "flags": np.array([True, False, True]),
              "f32": np.linspace(0, 1, 5, dtype=np.float32)}
    cache = ArrayCache(tmp_path)
    cache.save(arrays, "k")
    back = ArrayCache(tmp_path).load("k")
    assert back is not None and sorted(back) == sorted(arrays)
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and back[name].shape == a.shape and (back[name] == a).all(), name
    p = cache.path("k")
    assert p is not None
    data = p.read_bytes()
    p.write_bytes(data[:40])  # torn: a miss, not an error
    assert ArrayCache(tmp_path).load("k") is None
    p.write_bytes(data[:-9] + bytes([data[-9] ^ 1]) + data[-8:])  # one bit changed in the data: a miss too
    assert ArrayCache(tmp_path).load("k") is None


def test_a_blank_pipeline_s_parses_are_not_cached_and_a_new_rule_parses_again(en, tmp_path):
    """Parsing with a blank pipeline costs about what reading a DocBin does: only units and matches are cached,
    and a new rule that can match in a transcript has it parsed again, with the matches a cold run finds."""
    from qcode.suggest.cache import DocCache
    from qcode.suggest.engine import TranscriptInput
    from qcode.suggest.pipeline import parse_is_cheap

    assert parse_is_cheap(en)
    text = "The contract ended.\n\nA new contract, and the wage went up."
    item = TranscriptInput(3, text, ((0, 19), (21, len(text))))
    cache = DocCache(tmp_path)
    codes = [Code("c", {"": "Zzz"}, keywords={"": ("contract",)})]
    [first] = list(engine_for(en, codes).analyse([item], cache))
    assert not list(tmp_path.glob("*.spacy")) and list((tmp_path / "units").glob("*.arrays"))
    [again] = list(engine_for(en, codes).analyse([item], cache))
    assert again.cached and len(again.matches) == len(first.matches) == 2
    more = [Code("c", {"": "Zzz"}, keywords={"": ("contract", "wage")})]
    [warm] = list(engine_for(en, more).analyse([item], cache))
    assert not warm.cached  # "wage" can match here: parsed again
    [cold] = list(engine_for(en, more).analyse([item], DocCache(tmp_path / "cold")))
    assert [(m.tolist()) for m in (warm.matches.unit, warm.matches.start, warm.matches.end)] == [
        (m.tolist()) for m in (cold.matches.unit, cold.matches.start, cold.matches.end)] and len(cold.matches) == 3
    absent = [Code("c", {"": "Zzz"}, keywords={"": ("contract", "wage", "benchmark")})]
    [kept] = list(engine_for(en, absent).analyse([item], cache))
    assert kept.cached  # "benchmark" cannot match here: the cached units and matches serve


def test_cached_matches_serve_the_same_rule_list_and_another_one_alike(en, tmp_path):
    """A re-run reads each rule's own matches from the cache and orders them for its rule list: the same
    list gives the same matches, another list (a code before them) its own rule numbers, as a cold run."""
    from qcode.suggest.cache import DocCache
    from qcode.suggest.engine import TranscriptInput

    text = "The contract ended.\n\nA new contract, and the wage went up."
    item = TranscriptInput(3, text, ((0, 19), (21, len(text))))
    cache = DocCache(tmp_path)
    codes = [Code("c", {"": "Zzz"}, keywords={"": ("contract",)}), Code("d", {"": "Yyy"}, keywords={"": ("wage",)})]
    [first] = list(engine_for(en, codes).analyse([item], cache))
    [again] = list(engine_for(en, codes).analyse([item], DocCache(tmp_path)))
    assert again.cached and len(first.matches) == 3
    assert [x.tolist() for x in (again.matches.unit, again.matches.rule, again.matches.start, again.matches.end)] == [
        x.tolist() for x in (first.matches.unit, first.matches.rule, first.matches.start, first.matches.end)]
    more = [Code("a", {"": "Xxx"}, keywords={"": ("ended",)}), *codes]
    [other] = list(engine_for(en, more).analyse([item], DocCache(tmp_path)))
    [cold] = list(engine_for(en, more).analyse([item], DocCache(tmp_path / "cold")))
    assert not cold.cached
    assert other.matches.rule.tolist() == cold.matches.rule.tolist() != first.matches.rule.tolist()
    assert other.matches.start.tolist() == cold.matches.start.tolist()


def test_cache_entries_keep_offsets_as_32_bit_integers_and_give_them_back_as_64_bit(en, tmp_path):
    """Half the bytes to read per transcript on a re-run; the engine computes with 64-bit integers."""
    from qcode.suggest.cache import DocCache, from_bytes
    from qcode.suggest.engine import TranscriptInput

    text = "The contract ended.\n\nA new contract, and the wage went up."
    item = TranscriptInput(3, text, ((0, 19), (21, len(text))))
    codes = [Code("c", {"": "Zzz"}, keywords={"": ("contract",)})]
    [cold] = list(engine_for(en, codes).analyse([item], DocCache(tmp_path)))
    [entry] = (tmp_path / "units").glob("*.arrays")
    stored = from_bytes(entry.read_bytes())
    assert {str(stored[k].dtype) for k in ("f_start", "f_end", "f_tstart", "f_tok", "m_unit", "m_start")} == {"int32"}
    assert str(stored["f_terms"].dtype) == "uint64"  # (hashes stay whole)
    [warm] = list(engine_for(en, codes).analyse([item], DocCache(tmp_path)))
    assert warm.cached and {str(warm.feats.start.dtype), str(warm.feats.tok.dtype), str(warm.matches.start.dtype)} == {"int64"}
    assert warm.feats.start.tolist() == cold.feats.start.tolist() and warm.matches.end.tolist() == cold.matches.end.tolist()


@pytest.mark.parametrize("change", ["keyword", "code before", "code removed", "same word twice"])
def test_after_a_rule_change_the_cached_matches_equal_a_cold_run(en, tmp_path, change):
    """Each rule's own matches come from the cache, under the rule's key, and are ordered for the new rule
    list: what a cold run finds."""
    parts = ["The contract ended, the contract was short.", "A new contract, and the wage went up; wages, pay.",
             "Night shifts: the pay came late, the contract said nothing."]
    text = "\n\n".join(parts)
    item = TranscriptInput(3, text, tuple((text.index(t), text.index(t) + len(t)) for t in parts))
    codes = [Code("c", {"": "Contract work"}, keywords={"": ("contract",)}),
             Code("d", {"": "Pay and wage"}, keywords={"": ("wage", "pay")}),
             Code("e", {"": "Night"}, keywords={"": ("night shifts",)})]
    changed = {
        # (a keyword that cannot match here: the blank pipeline's parse is not kept, see the test above)
        "keyword": [codes[0], Code("d", {"": "Pay and wage"}, keywords={"": ("wage", "pay", "benchmark")}), codes[2]],
        "code before": [Code("a", {"": "Zzz"}, keywords={"": ("benchmark",)}), *codes],
        "code removed": [codes[0], codes[2]],
        "same word twice": [codes[0], Code("d", {"": "Pay and wage"}, keywords={"": ("pay", "pay", "wage")}), codes[2]],
    }[change]
    list(engine_for(en, codes).analyse([item], DocCache(tmp_path)))  # the previous rule list's matches
    [warm] = list(engine_for(en, changed).analyse([item], DocCache(tmp_path)))
    [cold] = list(engine_for(en, changed).analyse([item], DocCache(tmp_path / "cold")))
    assert warm.cached
    assert [m.tolist() for m in (warm.matches.unit, warm.matches.rule, warm.matches.start, warm.matches.end)] == [
        m.tolist() for m in (cold.matches.unit, cold.matches.rule, cold.matches.start, cold.matches.end)]
    assert len(cold.matches) >= 6


def test_the_same_rules_given_to_other_codes_are_not_taken_for_the_same_rule_list(en, tmp_path):
    """Two rule lists with the same rules in the same order but another code for one of them ("Zzz" is c's
    label, then d's keyword): each gets what a cold run finds."""
    text = "Zzz: the contract ended.\n\nA new contract, and the wage went up."
    item = TranscriptInput(3, text, ((0, 24), (26, len(text))))
    one = [Code("c", {"": "Zzz"}, keywords={"": ("contract",)}), Code("d", {"": "Wage"})]
    other = [Code("c", {"": "contract"}), Code("d", {"": "Wage"}, keywords={"": ("Zzz",)})]
    first = engine_for(en, one)
    list(first.analyse([item], DocCache(tmp_path)))
    engine = engine_for(en, other)
    assert engine.rule_keys == first.rule_keys  # the same rules, in the same order
    [warm] = list(engine.analyse([item], DocCache(tmp_path)))
    [cold] = list(engine_for(en, other).analyse([item], DocCache(tmp_path / "cold")))
    assert [m.tolist() for m in (warm.matches.unit, warm.matches.rule, warm.matches.start)] == [
        m.tolist() for m in (cold.matches.unit, cold.matches.rule, cold.matches.start)]
    assert [engine.codes[p] for p in engine.ruleset.profile[warm.matches.rule].tolist()][:2] == ["c", "d"]
