"""Semantic diff and three-way merge by code id: table-driven cases checked by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qcode.core.codebook import Code, Codebook
from qcode.core.codebook_diff import diff_codebooks, merge_codebooks


def cb(*codes: Code, **meta: object) -> Codebook:
    return Codebook(codes=codes, **meta)  # type: ignore[arg-type]


A = Code(id="a", label={"en": "A"}, definition="def a", keywords={"en": ("x", "y")})
B = Code(id="b", label={"en": "B"})
C = Code(id="c", label={"en": "C"}, parent="a")
BASE = cb(A, C, B, title="T", version="1.0")


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (BASE, []),
        (cb(A, C, B, Code(id="d"), title="T", version="1.0"), [("added", "d", "")]),
        (cb(A, B, title="T", version="1.0"), [("removed", "c", "")]),
        (cb(replace(A, label={"en": "A2"}), C, B, title="T", version="1.0"), [("relabelled", "a", "label")]),
        (cb(A, B, replace(C, parent="b"), title="T", version="1.0"), [("moved", "c", "parent")]),
        (cb(replace(A, definition="new"), C, B, title="T", version="1.0"), [("changed", "a", "definition")]),
        (cb(replace(A, include="inc", exclude="exc"), C, B, title="T", version="1.0"),
         [("changed", "a", "include"), ("changed", "a", "exclude")]),
        (cb(replace(A, keywords={"en": ("x",)}), C, B, title="T", version="1.0"), [("changed", "a", "keywords")]),
        (cb(replace(A, examples=("q",)), C, B, title="T", version="1.0"), [("changed", "a", "examples")]),
        (cb(replace(A, color="#fff"), C, B, title="T", version="1.0"), [("recoloured", "a", "color")]),
        (cb(A, C, replace(B, retired=True), title="T", version="1.0"), [("retired", "b", "retired")]),
        # reordering siblings is not a change
        (cb(B, A, C, title="T", version="1.0"), []),
    ],
)
def test_diff_cases(new: Codebook, expected: list[tuple[str, str, str]]) -> None:
    d = diff_codebooks(BASE, new)
    assert [(c.kind, c.code_id, c.field) for c in d.changes] == expected


def test_diff_meta_summary_and_json() -> None:
    new = cb(replace(A, label={"en": "A2"}), B, Code(id="d"), title="T", version="1.1")
    d = diff_codebooks(BASE, new)
    assert d.meta == [("version", "1.0", "1.1")]
    assert d.summary() == "1 relabelled, 1 added, 1 removed, version changed"
    j = d.to_dict()
    assert j["changes"][0] == {"kind": "relabelled", "code": "a", "field": "label", "old": {"en": "A"}, "new": {"en": "A2"}}
    assert "~ a: relabelled {en: 'A'} -> {en: 'A2'}" in d.lines()
    assert "- c: removed (C)" in d.lines()


def test_keyword_change_lists_words() -> None:
    d = diff_codebooks(BASE, cb(replace(A, keywords={"en": ("x", "z")}), C, B, title="T", version="1.0"))
    assert d.lines() == ["~ a: keywords changed (+en:z, -en:y)"]


def ids(result) -> list[str]:
    return [c.id for c in result.codebook.codes]


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "expect_ids", "check", "conflicts"),
    [
        ("identical", BASE, BASE, ["a", "c", "b"], None, []),
        ("added on each side",
         cb(A, C, B, Code(id="d")), cb(A, C, B, Code(id="e")), ["a", "c", "b", "d", "e"], None, []),
        ("removed by theirs, untouched by ours", BASE, cb(A, B), ["a", "b"], None, []),
        ("relabelled by ours only", cb(replace(A, label={"en": "A2"}), C, B), BASE, ["a", "c", "b"],
         lambda m: m.get("a").label == {"en": "A2"}, []),
        ("definition by theirs, label by ours: both kept",
         cb(replace(A, label={"en": "A2"}), C, B), cb(replace(A, definition="new"), C, B), ["a", "c", "b"],
         lambda m: m.get("a").label == {"en": "A2"} and m.get("a").definition == "new", []),
        ("same edit on both sides", cb(replace(A, definition="same"), C, B), cb(replace(A, definition="same"), C, B),
         ["a", "c", "b"], lambda m: m.get("a").definition == "same", []),
        ("definition edited differently: conflict, ours kept",
         cb(replace(A, definition="ours"), C, B), cb(replace(A, definition="theirs"), C, B), ["a", "c", "b"],
         lambda m: m.get("a").definition == "ours", [("a", "definition")]),
        ("keywords merged item by item",
         cb(replace(A, keywords={"en": ("x", "y", "o")}), C, B), cb(replace(A, keywords={"en": ("y", "t")}), C, B),
         ["a", "c", "b"], lambda m: m.get("a").keywords == {"en": ("y", "o", "t")}, []),
        ("deleted by ours, edited by theirs: kept with conflict",
         cb(C, B), cb(replace(A, definition="edited"), C, B), ["b", "a", "c"],
         lambda m: m.get("a").definition == "edited", [("a", "code")]),
        ("moved by theirs", BASE, cb(A, B, replace(C, parent="b")), ["a", "b", "c"],
         lambda m: m.get("c").parent == "b", []),
        ("parent deleted by theirs, child added by ours under it",
         cb(A, C, B, Code(id="d", parent="b")), cb(A, C), ["a", "c", "b", "d"],
         lambda m: m.get("d").parent == "b", [("b", "code")]),
        ("moves that make a cycle", cb(A, replace(B, parent="c"), C), cb(replace(A, parent="b"), C, B),
         ["a", "c", "b"], lambda m: m.get("a").parent is None, [("a", "parent")]),
    ],
)
def test_merge_cases(name, ours, theirs, expect_ids, check, conflicts) -> None:
    base = cb(A, C, B)
    result = merge_codebooks(base, ours, theirs)
    assert sorted(ids(result)) == sorted(expect_ids), name
    assert [(c.code_id, c.field) for c in result.conflicts] == conflicts, name
    if check is not None:
        assert check(result.codebook), name
    # parents always come before their children
    seen: set[str] = set()
    for code in result.codebook.codes:
        assert code.parent is None or code.parent in seen, name
        seen.add(code.id)


def test_merge_meta_conflict_and_clean_languages() -> None:
    base = cb(A, title="T", version="1.0", languages=("en",))
    ours = cb(A, title="T", version="1.1", languages=("en", "fr"))
    theirs = cb(A, title="T2", version="1.2", languages=("en", "de"))
    r = merge_codebooks(base, ours, theirs)
    assert r.codebook.title == "T2" and r.codebook.version == "1.1"
    assert r.codebook.languages == ("en", "fr", "de")
    assert [(c.code_id, c.field) for c in r.conflicts] == [("", "version")]
    assert "changed on both sides" in r.conflicts[0].describe()


def test_merge_is_symmetric_without_conflicts() -> None:
    ours = cb(replace(A, label={"en": "A2"}), C, B, Code(id="d"))
    theirs = cb(A, B, Code(id="e", parent="a"))
    one = merge_codebooks(BASE, ours, theirs).codebook
    two = merge_codebooks(BASE, theirs, ours).codebook
    assert {c.id: c for c in one.codes} == {c.id: c for c in two.codes}
