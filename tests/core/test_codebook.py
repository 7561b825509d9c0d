import pytest

from qcode.core.codebook import Code, Codebook, new_code_id
from qcode.core.errors import NotFoundError


@pytest.fixture
def cb() -> Codebook:
    return Codebook(
        title="t",
        codes=(
            Code("work", {"en": "Work", "fr": "Travail"}),
            Code("pay", {"": "Pay"}, parent="work"),
            Code("piece", {"": "Piece rates"}, parent="pay"),
            Code("voice", {"": "Voice"}),
        ),
    )


def test_tree_navigation(cb: Codebook) -> None:
    assert [c.id for c in cb.roots()] == ["work", "voice"]
    assert cb.path("piece") == ["work", "pay", "piece"]
    assert cb.depth("piece") == 2
    assert [c.id for c in cb.descendants("work")] == ["pay", "piece"]
    assert cb.rollup("piece", 1) == "work"
    assert cb.rollup("piece", 2) == "pay"
    assert cb.rollup("voice", 2) == "voice"
    assert [(d, c.id) for d, c in cb.walk()] == [(0, "work"), (1, "pay"), (2, "piece"), (0, "voice")]


def test_labels_per_language(cb: Codebook) -> None:
    assert cb.get("work").display("fr") == "Travail"
    assert cb.get("work").display("de") == "Work"
    assert cb.get("pay").display("fr") == "Pay"
    assert Code("x").display() == "x"


def test_unknown_code_suggests_spelling(cb: Codebook) -> None:
    with pytest.raises(NotFoundError) as err:
        cb.get("peice")
    assert "Did you mean 'piece'?" in err.value.message


def test_with_code_keeps_tree_order(cb: Codebook) -> None:
    cb2 = cb.with_code(Code("bonus", {"": "Bonus"}, parent="pay"))
    assert cb2.ids == ["work", "pay", "piece", "bonus", "voice"]
    assert "bonus" not in cb
    cb3 = cb2.with_code(Code("bonus", {"": "Bonuses"}, parent="pay"))
    assert cb3.get("bonus").display() == "Bonuses" and len(cb3) == 5


def test_cycle_does_not_lose_codes() -> None:
    cb = Codebook(codes=(Code("a", parent="b"), Code("b", parent="a")))
    assert sorted(cb.with_code(Code("c")).ids) == ["a", "b", "c"]
    assert cb.ancestors("a") == [cb.get("b")]


def test_content_hash_ignores_nothing_meaningful(cb: Codebook) -> None:
    assert cb.content_hash() == Codebook(title="t", codes=cb.codes).content_hash()
    assert cb.content_hash() != cb.with_code(Code("new")).content_hash()


@pytest.mark.parametrize(
    ("label", "existing", "expected"),
    [
        ("Passing as a machine", [], "passing-as-a-machine"),
        ("Instabilité de l'emploi", [], "instabilite-de-l-emploi"),
        ("Pay", ["pay"], "pay-2"),
        ("Pay", ["pay", "pay-2"], "pay-3"),
        ("???", [], "code"),
    ],
)
def test_new_code_id(label: str, existing: list[str], expected: str) -> None:
    assert new_code_id(label, existing) == expected
