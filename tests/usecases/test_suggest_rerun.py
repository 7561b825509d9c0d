"""A re-run after a codebook change, from the caches, suggests exactly what a run from scratch does."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

from qcode.usecases import suggest_inputs, suggesting
from qcode.usecases.codebook import attach_codebook
from qcode.usecases.coding import apply_code
from qcode.usecases.project import Project

CODEBOOK = {
    "qcode_codebook": 1,
    "title": "Re-run",
    "language": ["en"],
    "codes": [
        {"id": "pay", "label": "Pay and income", "definition": "Money earned for the work.",
         "keywords": {"en": ["wage", "paid per task"]}, "examples": ["The pay was too low for the hours."]},
        {"id": "rejection", "label": "Rejected work", "definition": "Tasks refused by clients.",
         "keywords": {"en": ["rejected"]}, "patterns": [[{"LOWER": "no"}, {"LOWER": "feedback"}]]},
        {"id": "time", "label": "Working hours", "definition": "How long and when people work.",
         "keywords": {"en": ["night", "deadline"]}},
    ],
}
SENTENCES = [
    "The pay was low and I was paid per task.", "My wage did not cover the rent.", "Clients rejected my work twice.",
    "They rejected it with no feedback at all.", "I worked at night to meet the deadline.", "The hours were long.",
    "Some weeks there is nothing, then everything at once.", "Income changes from one month to the next.",
    "Reviews were unclear and the instructions changed.", "We label images and violent content all day.",
]
CHANGES = [
    ("keyword that matches", lambda cb: cb["codes"][2]["keywords"]["en"].append("weeks")),
    ("keyword that matches nowhere", lambda cb: cb["codes"][0]["keywords"]["en"].append("benchmark keyword")),
    ("definition and examples", lambda cb: cb["codes"][1].update(definition="Work the client refused.",
                                                                  examples=["My task was rejected."])),
    ("label", lambda cb: cb["codes"][0].update(label="Pay and rent")),
    ("pattern", lambda cb: cb["codes"][2].setdefault("patterns", []).append([{"LOWER": "long"}])),
    ("code added", lambda cb: cb["codes"].append({"id": "content", "label": "Violent content",
                                                  "keywords": {"en": ["images"]}})),
]


def _make(folder: Path, size: int = 30, coded: int = 1) -> Path:
    """Four transcripts of *size* turns, the first *coded* of them coded."""
    from qcode.core.transcript import Transcript, build_text

    folder.mkdir()
    (folder / "codebook.yaml").write_text(yaml.safe_dump(CODEBOOK, sort_keys=False), encoding="utf-8")
    rng = random.Random(3)
    with Project.init(folder, codebook=folder / "codebook.yaml", language="en") as p:
        for n in range(4):
            turns = [("P" if k % 2 else "I", " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 12))), None, None)
                     for k in range(size)]
            text, tt = build_text(turns)
            p.store.transcripts.add(Transcript(name=f"t{n}", title=f"t{n}", text=text, turns=tt, language="en"))
        # Codings, so that the learned model and the coded passages take part.
        for name in [f"t{n}" for n in range(coded)]:
            t = p.transcript(name)
            for turn in t.turns:
                quote = t.text[turn.start:turn.end]
                # (not only the keywords' words: the learned model then has something to add)
                for code, words in (("pay", ("pay", "Income")), ("rejection", ("rejected", "Reviews")),
                                    ("time", ("night", "hours"))):
                    if any(w in quote for w in words):
                        apply_code(p, name, turn.start, turn.end, code)
    return folder


def _pending(project: Project) -> list[tuple[object, ...]]:
    names = {s.id: s.name for s in project.store.transcripts.summaries()}
    return sorted((names[v.transcript_id], v.code_id, v.start, v.end, v.score, repr(v.evidence))
                  for v in suggesting.pending(project))


@pytest.mark.parametrize("keep_parses", [True, "auto"])  # the parses cached, or (blank pipeline) parsed again
def test_a_cached_rerun_after_each_kind_of_codebook_change_equals_a_cold_run(tmp_path, keep_parses):
    original = _make(tmp_path / "original")
    warm = tmp_path / "warm"
    shutil.copytree(original, warm)
    codebook = yaml.safe_load((original / "codebook.yaml").read_text(encoding="utf-8"))
    with Project.open(warm) as p:
        p.settings.suggest["keep_parses"] = keep_parses
        first = suggesting.run_suggestions(p)
        assert first.suggestions > 50 and first.cached_docs == 0  # t0, parsed to learn from, is not "from the cache"
        assert any("learned model on" in n for n in first.pipeline_notes), first.pipeline_notes
        for n, (kind, change) in enumerate(CHANGES):
            change(codebook)
            text = yaml.safe_dump(codebook, sort_keys=False)
            (warm / f"cb-{n}.yaml").write_text(text, encoding="utf-8")
            attach_codebook(p, warm / f"cb-{n}.yaml")
            before = {v.id for v in suggesting.pending(p)}
            again = suggesting.run_suggestions(p)
            if keep_parses is True:
                assert again.cached_docs == 4, kind  # nothing parsed again
            else:  # only the transcripts where a new rule can match are parsed again
                assert again.cached_docs == 4 or kind in ("keyword that matches", "label", "pattern", "code added"), kind
            cold = tmp_path / f"cold-{n}"
            shutil.copytree(original, cold)
            (cold / f"cb-{n}.yaml").write_text(text, encoding="utf-8")
            with Project.open(cold) as q:
                attach_codebook(q, cold / f"cb-{n}.yaml")
                scratch = suggesting.run_suggestions(q)
                assert scratch.cached_docs == 0
                assert _pending(p) == _pending(q), kind
            if kind == "keyword that matches nowhere":
                # No match, no other input changed: the stored suggestions are the answer, kept as they were.
                assert {v.id for v in suggesting.pending(p)} == before


def test_the_array_cache_keeps_its_most_recently_used_entries(tmp_path, monkeypatch):
    import os

    from qcode.suggest.cache import ArrayCache

    cache = ArrayCache(tmp_path)
    for k in range(6):
        other = ArrayCache(tmp_path)
        other.save({"a": __import__("numpy").arange(k + 1)}, f"entry-{k}")
        p = other.path(f"entry-{k}")
        assert p is not None
        os.utime(p, (1000 + k, 1000 + k))  # entry-0 is the oldest
    assert cache.load("entry-1") is not None  # used now: kept, and the most recent
    monkeypatch.setattr(ArrayCache, "KEEP_FILES", 3)
    cache.prune()
    left = sorted(f.name for f in tmp_path.glob("*.arrays"))
    assert left == sorted(cache.path(f"entry-{k}").name for k in (1, 4, 5))  # type: ignore[union-attr]
    monkeypatch.setattr(ArrayCache, "KEEP_FILES", 0)
    cache.prune()  # never what this run used
    assert [f.name for f in tmp_path.glob("*.arrays")] == [cache.path("entry-1").name]  # type: ignore[union-attr]


def _spy(monkeypatch) -> list[tuple[int, int, list[str] | None]]:
    """(transcript, codes scored, codes written or None for all) of each transcript a run scores."""
    from qcode.usecases import suggest_rows

    calls: list[tuple[int, int, list[str] | None]] = []
    real = suggest_rows.transcript_rows

    def spy(engine, a, *args, **kwargs):
        out = real(engine, a, *args, **kwargs)
        calls.append((a.transcript_id, out.scored_codes, out.codes))
        return out

    monkeypatch.setattr(suggesting, "transcript_rows", spy)
    return calls


def _use(p: Project, folder: Path, codebook: dict, name: str) -> None:
    (folder / name).write_text(yaml.safe_dump(codebook, sort_keys=False), encoding="utf-8")
    attach_codebook(p, folder / name)


def test_a_definition_edit_rescores_and_rewrites_that_code_only(tmp_path, monkeypatch):
    # enough coded units (>= MIN_IDF_UNITS) for the similarity IDF to come from the units alone
    folder = _make(tmp_path / "p", size=60, coded=4)
    codebook = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    calls = _spy(monkeypatch)
    with Project.open(folder) as p:
        suggesting.run_suggestions(p)
        assert calls and all(n == 3 and codes is None for _, n, codes in calls)  # cold: every code, all written
        ids = {(v.code_id, v.start, v.end, v.transcript_id): v.id for v in suggesting.pending(p)}
        calls.clear()
        codebook["codes"][1].update(definition="Work the client refused, with or without a reason.")
        _use(p, folder, codebook, "cb-def.yaml")
        report = suggesting.run_suggestions(p)
        assert report.suggestions == len(suggesting.pending(p))  # all pending ones, not only those rewritten
        assert len(calls) == 4 and all(n == 1 and codes == ["rejection"] for _, n, codes in calls), calls
        after = {(v.code_id, v.start, v.end, v.transcript_id): v.id for v in suggesting.pending(p)}
        # the other codes' suggestions were not touched: same passages, same ids
        assert {k: i for k, i in after.items() if k[0] != "rejection"} == {k: i for k, i in ids.items() if k[0] != "rejection"}

        calls.clear()
        codebook["codes"].append({"id": "content", "label": "Violent content", "definition": "Images that hurt.",
                                  "keywords": {"en": ["images"]}})
        _use(p, folder, codebook, "cb-add.yaml")
        suggesting.run_suggestions(p)
        scored = {n for _, n, _ in calls}
        assert scored == {1}, calls  # the new code only (plus any code whose place in a unit it took)
        assert all(codes is not None and "content" in codes for _, _, codes in calls)
        assert any(v.code_id == "content" for v in suggesting.pending(p))


def test_the_remembered_scores_are_not_used_once_the_stored_suggestions_changed(tmp_path, monkeypatch):
    folder = _make(tmp_path / "p", size=60, coded=4)
    codebook = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    calls = _spy(monkeypatch)
    with Project.open(folder) as p:
        suggesting.run_suggestions(p)
        victim = next(v for v in suggesting.pending(p) if v.code_id == "time")
        p.store.suggestions.delete(victim.id)  # behind the run's back
        calls.clear()
        codebook["codes"][0].update(definition="Money earned, or not earned, for the work.")
        _use(p, folder, codebook, "cb-1.yaml")
        suggesting.run_suggestions(p)
        of = {tid: (n, codes) for tid, n, codes in calls}
        assert of[victim.transcript_id] == (3, None)  # scored whole: what is stored is not what the memo says
        assert any(codes == ["pay"] for n, codes in of.values())
        assert any((v.code_id, v.start, v.end) == ("time", victim.start, victim.end) for v in suggesting.pending(p))

        (p.data_dir / "cache" / "suggest" / "scores.arrays").write_bytes(b"damaged")  # damaged: score everything
        calls.clear()
        codebook["codes"][0].update(definition="Money earned for the hours worked.")
        _use(p, folder, codebook, "cb-2.yaml")
        suggesting.run_suggestions(p)
        assert calls and all(n == 3 and codes is None for _, n, codes in calls)


def test_inputs_read_turns_again_for_a_transcript_edited_since_its_turns_were_read(tmp_path):
    """A run reads every transcript's turns once (for its keys) and later only the texts; a transcript
    edited between the two reads gets its new turns with its new text, not the old turns."""
    from qcode.core.transcript import Transcript, build_text

    folder = _make(tmp_path / "p", size=3)
    with Project.open(folder) as p:
        tid = p.store.transcripts.find("t0")
        known = p.store.suggestions.transcript_inputs([tid, p.store.transcripts.find("t1")], text=False)
        [before] = suggest_inputs.read_inputs(p, [tid], known=known)
        assert (before.text, before.turns) == (p.transcript("t0").text, tuple(known[tid][2]))
        text, turns = build_text([("P", "A new first turn.", None, None), ("I", "And a second one, longer.", None, None)])
        p.store.transcripts.replace_content(tid, Transcript(name="t0", title="t0", text=text, turns=turns, language="en"))
        [after] = suggest_inputs.read_inputs(p, [tid], known=known)  # *known* is stale now
    assert after.text == text
    assert after.turns == tuple((t.start, t.end) for t in turns) != before.turns
