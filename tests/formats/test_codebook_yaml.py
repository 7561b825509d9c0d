"""The YAML codebook reader: every validation rule, each at its exact line and column.

Columns are 1-based and were counted by hand from the snippets (comments show the count).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qcode.core.errors import CodebookError
from qcode.formats.codebook_write import CodebookEditor, dump_codebook
from qcode.formats.codebook_yaml import (
    MAX_BYTES,
    check_codebook,
    load_codebook,
    parse_codebook_text,
)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "codebooks" / "data-work.yaml"


def problems(text: str) -> list[tuple[int, int, str, str]]:
    _, found = parse_codebook_text(text, "cb.yaml")
    return [(p.line, p.column, p.path, p.message + " " + p.hint) for p in found]


def only(text: str) -> tuple[int, int, str, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_valid_minimal_codebook_loads_with_tree_order() -> None:
    cb, problems_ = parse_codebook_text(
        "qcode_codebook: 1\ntitle: T\ncodes:\n  - id: a\n    children:\n      - id: b\n  - id: c\n    parent: a\n", "x.yaml"
    )
    assert problems_ == []
    assert cb is not None
    assert cb.ids == ["a", "b", "c"]
    assert cb.get("c").parent == "a"


def test_duplicate_key_points_at_the_second_key() -> None:
    text = "codes:\n  - id: pay\n    label: Pay\n    label: Wages\n"
    line, col, path, msg = only(text)
    # line 4 "    label: Wages": the key starts after 4 spaces -> column 5
    assert (line, col, path) == (4, 5, "codes[0].label")
    assert "duplicate key 'label'" in msg and "line 3" in msg


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [("no", "a boolean", "false"), ("off", "a boolean", "false"), ("yes", "a boolean", "true"),
     ("1.10", "a number", "1.1"), ("2024-01-02", "a date", "2024-01-02"), ("NULL", "empty", "null")],
)
def test_yaml11_values_where_text_is_expected(value: str, kind: str, shown: str) -> None:
    text = f"codes:\n  - id: a\n    label: {value}\n"
    line, col, path, msg = only(text)
    # "    label: " is 11 characters -> the value starts at column 12
    if value == "NULL":  # an empty label is reported as empty, at the value
        assert (line, col, path) == (3, 12, "codes[0].label")
        assert "empty" in msg
        return
    assert (line, col, path) == (3, 12, "codes[0].label")
    assert kind in msg and f"({shown})" in msg and f'"{value}"' in msg


def test_boolean_id_and_number_version() -> None:
    text = "version: 1.2\ncodes:\n  - id: no\n"
    found = problems(text)
    # "version: " 9 chars -> col 10 ; "  - id: " 8 chars -> col 9
    assert [(f[0], f[1], f[2]) for f in found] == [(1, 10, "version"), (3, 9, "codes[0].id")]
    assert "a number (1.2)" in found[0][3]
    assert "a boolean (false)" in found[1][3]


def test_boolean_keyword_inside_a_language_list() -> None:
    text = "language: [en]\ncodes:\n  - id: a\n    keywords: {en: [fine, yes]}\n"
    line, col, path, msg = only(text)
    # "    keywords: {en: [fine, " is 26 characters -> col 27
    assert (line, col, path) == (4, 27, "codes[0].keywords.en[1]")
    assert "boolean (true)" in msg


def test_duplicate_ids_anywhere_in_the_tree() -> None:
    text = "codes:\n  - id: pay\n    children:\n      - id: pay\n"
    line, col, path, msg = only(text)
    # "      - id: " is 12 characters -> col 13
    assert (line, col, path) == (4, 13, "codes[0].children[0].id")
    assert "duplicate code id 'pay'" in msg and "line 2" in msg


def test_cycle_through_parent_references() -> None:
    text = "codes:\n  - id: a\n    parent: b\n  - id: b\n    parent: a\n"
    line, col, path, msg = only(text)
    # "    parent: " is 12 characters -> col 13
    assert (line, col, path) == (3, 13, "codes[0].parent")
    assert "cycle: a -> b -> a" in msg


def test_unknown_parent_suggests_a_spelling() -> None:
    text = "codes:\n  - id: payment\n  - id: b\n    parent: paymnt\n"
    line, col, path, msg = only(text)
    assert (line, col, path) == (4, 13, "codes[1].parent")
    assert "Did you mean 'payment'?" in msg


def test_parent_inside_children_is_refused() -> None:
    text = "codes:\n  - id: a\n    children:\n      - id: b\n        parent: a\n"
    line, col, path, _ = only(text)
    # the key "parent" after 8 spaces -> col 9
    assert (line, col, path) == (5, 9, "codes[0].children[0].parent")


def test_see_also_reference_checked() -> None:
    text = "codes:\n  - id: pay\n  - id: b\n    see_also: [pya]\n"
    line, col, path, msg = only(text)
    # "    see_also: [" is 15 characters -> col 16
    assert (line, col, path) == (4, 16, "codes[1].see_also[0]")
    assert "Did you mean 'pay'?" in msg


@pytest.mark.parametrize(("value", "col"), [('"#12345"', 12), ('"red"', 12), ('"#gggggg"', 12)])
def test_invalid_colours(value: str, col: int) -> None:
    line, c, path, msg = only(f"codes:\n  - id: a\n    color: {value}\n")
    # "    color: " is 11 characters -> col 12
    assert (line, c, path) == (3, col, "codes[0].color")
    assert "is not a colour" in msg


def test_unquoted_hex_colour_is_a_comment() -> None:
    line, col, path, msg = only("codes:\n  - id: a\n    color: #d62728\n")
    assert (line, col, path) == (3, 5, "codes[0].color")
    assert "comment" in msg and '"#d62728"' in msg


def test_misspelt_key_did_you_mean_and_x_keys_allowed() -> None:
    text = "codes:\n  - id: a\n    lable: A\n    x-note: mine\n"
    line, col, path, msg = only(text)
    assert (line, col, path) == (3, 5, "codes[0].lable")
    assert "Did you mean 'label'?" in msg
    cb, _ = parse_codebook_text("codes:\n  - id: a\n    x-note: mine\n", "x")
    assert cb is not None and cb.get("a").extra == {"x-note": "mine"}


def test_unknown_and_undeclared_languages() -> None:
    found = problems("language: [fr, eng]\ncodes:\n  - id: a\n    label: {de: Lohn}\n")
    # "language: [fr, " is 15 characters -> col 16 ; "    label: {" is 12 -> col 13
    assert [(f[0], f[1], f[2]) for f in found] == [(1, 16, "language[1]"), (4, 13, "codes[0].label.de")]
    assert "Did you mean 'en'?" in found[0][3]
    assert "not in the codebook's `language:` list (fr)" in found[1][3]


@pytest.mark.parametrize(
    ("pattern", "col", "path_end", "needle"),
    [
        ("[{LEMA: payer}]", 11, "[0][0].LEMA", "Did you mean 'LEMMA'?"),
        ("[{LOWER: {INN: [a]}}]", 19, "[0][0].LOWER.INN", "Did you mean 'IN'?"),
        ('[{OP: "x"}]', 15, "[0][0].OP", "not a Matcher operator"),
        ("[{IS_ALPHA: yes}]", 21, "[0][0].IS_ALPHA", "true or false"),
        ("[{LOWER: {IN: a}}]", 23, "[0][0].LOWER.IN", "needs a list"),
        ("[]", 9, "[0]", "non-empty list"),
        ("[piece]", 10, "[0][0]", "must be a mapping"),
        ("[{LENGTH: long}]", 19, "[0][0].LENGTH", "a number"),
    ],
)
def test_invalid_matcher_patterns(pattern: str, col: int, path_end: str, needle: str) -> None:
    text = f"codes:\n  - id: a\n    patterns:\n      - {pattern}\n"
    # "      - " is 8 characters: the pattern starts at col 9, its first token at col 10,
    # the first key at col 11; offsets inside were counted per case.
    line, c, path, msg = only(text)
    assert (line, c, path) == (4, col, "codes[0].patterns" + path_end)
    assert needle in msg


def test_valid_matcher_patterns_agree_with_spacy() -> None:
    schemas = pytest.importorskip("spacy.schemas")
    good = [[{"LEMMA": {"IN": ["payer"]}}, {"OP": "?"}, {"LIKE_NUM": True}, {"LENGTH": {">=": 3}}, {"OP": "{1,3}"}]]
    bad = [[{"LEMA": "x"}], [{"OP": "x"}], [{"LOWER": {"INN": ["a"]}}], []]
    for pat in good:
        assert schemas.validate_token_pattern(pat) == []
    for pat in bad:
        assert schemas.validate_token_pattern(pat) != []
    import json

    for pat in good:
        assert problems(f"codes:\n  - id: a\n    patterns:\n      - {json.dumps(pat)}\n") == []
    for pat in bad:
        assert problems(f"codes:\n  - id: a\n    patterns:\n      - {json.dumps(pat)}\n") != []


def test_every_problem_reported_at_once_in_line_order() -> None:
    text = "title: [x]\ncodes:\n  - id: a\n    color: red\n  - label: nothing\n  - id: a\n"
    found = problems(text)
    assert [(f[0], f[1]) for f in found] == [(1, 8), (4, 12), (5, 5), (6, 9)]


def test_invalid_id_suggests_a_slug_and_missing_id() -> None:
    found = problems("codes:\n  - id: Job instability\n  - label: x\n")
    assert (found[0][0], found[0][1]) == (2, 9)
    assert "'job-instability'" in found[0][3]
    assert (found[1][0], found[1][1], found[1][2]) == (3, 5, "codes[1]")
    assert "no 'id'" in found[1][3]


def test_format_version_and_missing_codes() -> None:
    assert only("qcode_codebook: 2\ncodes: []\n")[:3] == (1, 17, "qcode_codebook")
    line, col, _, msg = only("title: T\n")
    assert (line, col) == (1, 1) and "no `codes:` list" in msg


def test_syntax_error_points_at_the_line() -> None:
    line, col, _, msg = only("codes:\n  - id: a\n    label: [unclosed\n")
    assert line == 4 and "invalid YAML" in msg  # PyYAML reports the end of input...
    assert "flow sequence that starts at line 3, column 12" in msg  # ...and the bracket left open
    line, col, _, msg = only("codes:\n\t- id: a\n")
    assert (line, col) == (2, 1) and "tabs" in msg


def test_conflict_markers_are_reported() -> None:
    found = problems("codes:\n<<<<<<< ours\n  - id: a\n=======\n  - id: b\n>>>>>>> theirs\n")
    assert [(f[0], f[1]) for f in found] == [(2, 1), (4, 1), (6, 1)]
    assert "merge conflict" in found[0][3]


def test_multiple_documents_refused() -> None:
    line, col, _, msg = only("codes: []\n---\ncodes: []\n")
    assert line == 2 and "more than one YAML document" in msg


# ------------------------------------------------------------------ hostile input
def test_alias_bomb_rejected_before_expansion(tmp_path: Path) -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.perf_counter()
    found = check_codebook(path)
    assert time.perf_counter() - start < 5  # generous: expansion would take forever
    assert len(found) == 1
    assert (found[0].line, found[0].column) == (1, 4)  # "a: " then the anchor
    assert "anchors and aliases" in found[0].message
    with pytest.raises(CodebookError, match="anchors and aliases"):
        load_codebook(path)


def test_fifty_megabyte_file_refused_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.write(b"codes:\n")
        chunk = b"  - id: x\n" * 100_000
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            fh.write(chunk)
    assert path.stat().st_size > 50 * 1024 * 1024 > MAX_BYTES
    with pytest.raises(CodebookError, match=r"MB; the limit is"):
        load_codebook(path)
    assert "limit" in check_codebook(path)[0].message


def test_deep_nesting_rejected_clearly(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("codes: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    found = check_codebook(path)
    assert len(found) == 1 and "nested more than" in found[0].message
    assert found[0].line == 1


def test_python_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    path = tmp_path / "tag.yaml"
    path.write_text(f'codes: !!python/object/apply:os.system ["touch {target}"]\n', encoding="utf-8")
    found = check_codebook(path)
    assert (found[0].line, found[0].column) == (1, 8)
    assert "unsupported YAML tag" in found[0].message
    assert not target.exists()


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("codes:\n  - id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(CodebookError, match=r":2: the codebook is not valid UTF-8"):
        load_codebook(path)


# ------------------------------------------------------------------ the demo codebook
def test_demo_codebook_is_valid_and_has_the_themes() -> None:
    assert check_codebook(DEMO) == []
    cb, _ = load_codebook(DEMO)
    for cid in ("job-instability", "unpredictable-income", "invisible-work", "over-qualification",
                "passing-as-machine", "pay-piece-rates", "algorithmic-management", "surveillance",
                "isolation", "collective-voice", "outsourcing-chains", "psychological-toll",
                "regulation", "employee-status"):
        code = cb.get(cid)
        assert code.definition and code.include and code.exclude and code.color
        assert set(code.label) == {"en", "fr"} and {"en", "fr"} <= set(code.keywords)
        assert len(code.examples) >= 2
    assert cb.languages == ("fr", "en")
    assert sum(1 for c in cb if c.patterns) >= 4


# ------------------------------------------------------------------ writing
def test_dump_then_read_gives_the_same_codebook() -> None:
    cb, _ = load_codebook(DEMO)
    again, found = parse_codebook_text(dump_codebook(cb), "again.yaml")
    assert found == []
    assert again is not None and again.codes == cb.codes and again.content_hash() == cb.content_hash()


def test_dump_quotes_yaml11_lookalikes() -> None:
    from qcode.core.codebook import Code, Codebook

    cb = Codebook(title="no", version="1.10", codes=(Code(id="a", label={"": "yes"}, keywords={"": ("on", "2024-01-02")}),))
    again, found = parse_codebook_text(dump_codebook(cb), "x")
    assert found == [] and again is not None
    assert again.title == "no" and again.version == "1.10"
    assert again.get("a").label == {"": "yes"} and again.get("a").keywords == {"": ("on", "2024-01-02")}


def test_editor_noop_is_byte_identical_and_edits_keep_comments(tmp_path: Path) -> None:
    from qcode.core.codebook import Code

    path = tmp_path / "cb.yaml"
    original = DEMO.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    editor = CodebookEditor(path)
    assert editor.dumps() == original
    editor.add_code(Code(id="night-work", label={"en": "Night work"}, parent="job-instability"))
    editor.move_code("surveillance", None)
    editor.save()
    text = path.read_text(encoding="utf-8")
    for comment in ("# ------------------------------------------------------------ work and pay",
                    "# Check it with:  qcode codebook check codebooks/data-work.yaml"):
        assert comment in text
    assert '    color: "#d62728"' in text  # quoting kept
    cb, _ = load_codebook(path)
    assert cb.get("night-work").parent == "job-instability"
    assert cb.get("surveillance").parent is None
    # untouched codes keep their exact lines
    assert "      - id: unpredictable-income\n        label: {en: Unpredictable income, fr: Revenus imprévisibles}\n" in text


def test_editor_refuses_to_save_an_invalid_result(tmp_path: Path) -> None:
    path = tmp_path / "cb.yaml"
    path.write_text("codes:\n  - id: a  # keep me\n", encoding="utf-8")
    editor = CodebookEditor(path)
    editor.set_field("a", "color", "not-a-colour")
    with pytest.raises(CodebookError, match="is not a colour"):
        editor.save()
    assert path.read_text(encoding="utf-8") == "codes:\n  - id: a  # keep me\n"


def test_shipped_json_schema_accepts_the_demo_and_rejects_bad_codes() -> None:
    import json

    import yaml

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "qcode" / "formats" / "codebook_schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(demo)) == []
    bad = {"codes": [{"id": "a", "lable": "x", "color": "red", "children": [{"label": "no id"}]}]}
    messages = sorted(e.message for e in validator.iter_errors(bad))
    assert len(messages) == 3, messages
