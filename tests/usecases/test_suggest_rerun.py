"""A re-run after a codebook change, from the caches, suggests exactly what a run from scratch does."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from qcode.usecases import suggesting
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


def _make(folder: Path) -> Path:
    from qcode.core.transcript import Transcript, build_text

    folder.mkdir()
    (folder / "codebook.yaml").write_text(yaml.safe_dump(CODEBOOK, sort_keys=False), encoding="utf-8")
    rng = random.Random(3)
    with Project.init(folder, codebook=folder / "codebook.yaml", language="en") as p:
        for n in range(4):
            turns = [("P" if k % 2 else "I", " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 12))), None, None)
                     for k in range(30)]
            text, tt = build_text(turns)
            p.store.transcripts.add(Transcript(name=f"t{n}", title=f"t{n}", text=text, turns=tt, language="en"))
        # Codings, so that the learned model and the coded passages take part.
        t = p.transcript("t0")
        for turn in t.turns:
            quote = t.text[turn.start:turn.end]
            for code, word in (("pay", "pay"), ("rejection", "rejected"), ("time", "night")):
                if word in quote:
                    apply_code(p, "t0", turn.start, turn.end, code)
    return folder


def _pending(project: Project) -> list[tuple[object, ...]]:
    names = {s.id: s.name for s in project.store.transcripts.summaries()}
    return sorted((names[v.transcript_id], v.code_id, v.start, v.end, v.score, repr(v.evidence))
                  for v in suggesting.pending(project))


def test_a_cached_rerun_after_each_kind_of_codebook_change_equals_a_cold_run(tmp_path):
    original = _make(tmp_path / "original")
    warm = tmp_path / "warm"
    shutil.copytree(original, warm)
    codebook = yaml.safe_load((original / "codebook.yaml").read_text(encoding="utf-8"))
    with Project.open(warm) as p:
        first = suggesting.run_suggestions(p)
        assert first.suggestions > 50 and first.cached_docs == 1  # t0, parsed to learn from
        assert any("learned model on" in n for n in first.pipeline_notes), first.pipeline_notes
        for n, (kind, change) in enumerate(CHANGES):
            change(codebook)
            text = yaml.safe_dump(codebook, sort_keys=False)
            (warm / f"cb-{n}.yaml").write_text(text, encoding="utf-8")
            attach_codebook(p, warm / f"cb-{n}.yaml")
            before = {v.id for v in suggesting.pending(p)}
            again = suggesting.run_suggestions(p)
            assert again.cached_docs == 4, kind  # nothing parsed again
            cold = tmp_path / f"cold-{n}"
            shutil.copytree(original, cold)
            (cold / f"cb-{n}.yaml").write_text(text, encoding="utf-8")
            with Project.open(cold) as q:
                attach_codebook(q, cold / f"cb-{n}.yaml")
                scratch = suggesting.run_suggestions(q)
                assert scratch.cached_docs == 1
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
    left = sorted(f.name for f in tmp_path.glob("*.npz"))
    assert left == sorted(cache.path(f"entry-{k}").name for k in (1, 4, 5))  # type: ignore[union-attr]
    monkeypatch.setattr(ArrayCache, "KEEP_FILES", 0)
    cache.prune()  # never what this run used
    assert [f.name for f in tmp_path.glob("*.npz")] == [cache.path("entry-1").name]  # type: ignore[union-attr]
