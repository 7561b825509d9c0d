import pytest

from qcode.core.text import count_words, is_normalized, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\r\n\r\nb\n", "a\n\nb\n"),
        ("\ufeffHello", "Hello"),
        ("Jose\u0301", "José"),  # NFD -> NFC: 5 code points become 4
        ("line\u2028next", "line\nnext"),
        ("plain", "plain"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected
    assert is_normalized(expected)


def test_nfc_changes_offsets_so_it_happens_before_any_offset_exists() -> None:
    nfd = "Jose\u0301 dit"
    assert len(nfd) == 9
    assert len(normalize_text(nfd)) == 8


def test_count_words() -> None:
    assert count_words("  un deux\n\ntrois ") == 3
    assert count_words("") == 0


@pytest.mark.parametrize(("quote", "label"), [
    ("outsourcing firm.", "outsourcing firm"),
    ("  « pas de contrat » ", "pas de contrat"),
    ("Unstable.\n", "Unstable"),
    ("(really?!)", "really"),
    ("l'emploi, c'est", "l'emploi, c'est"),
])
def test_in_vivo_label_from_a_quote(quote: str, label: str) -> None:
    from qcode.core.text import label_from_quote

    assert label_from_quote(quote) == label


@pytest.mark.parametrize(("start", "end", "expected"), [
    (2, 12, (0, 14)),       # inside "Unstable" and inside "week": out to the words' edges
    (0, 8, (0, 8)),         # already whole words
    (9, 14, (9, 14)),       # spaces and punctuation are edges
    (None, 12, (None, 14)),  # one end only: the other stays None
    (4, None, (0, None)),
    (16, 18, (16, 19)),     # a hyphen is an edge; accented letters are letters
    (22, 24, (21, 26)),     # and so are combining accents ("cafe" + U+0301)
])
def test_word_edges_move_typed_offsets_out_of_words(start, end, expected) -> None:
    from qcode.core.text import word_edges

    text = "Unstable, week é-té. cafe\u0301 !"
    assert word_edges(text, start, end) == expected
