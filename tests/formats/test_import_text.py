"""Plain text import: encodings, hostile bytes and the speaker conventions."""

from __future__ import annotations

import pytest

from qcode.core.errors import ImportFormatError
from qcode.formats.encoding import decode_bytes
from qcode.formats.importers.base import ImportOptions
from qcode.formats.importers.plain_text import PlainTextImporter


def read(data: bytes, name: str = "t.txt", **opts) -> object:
    return PlainTextImporter().read(data, name, ImportOptions(**opts))


def spoken(t) -> list[tuple[str | None, str]]:
    return [(tr.speaker, t.text[tr.start:tr.end]) for tr in t.turns]


# --- speaker conventions (table-driven) --------------------------------------
CONVENTIONS = [
    ("colon", "Interviewer: How are you?\nAmina: Fine, thanks.\n",
     [("Interviewer", "How are you?"), ("Amina", "Fine, thanks.")], [None, None]),
    ("french-colon", "ENQUÊTEUR : Vous travaillez ?\nLUCIE : Oui, à la tâche.\n",
     [("ENQUÊTEUR", "Vous travaillez ?"), ("LUCIE", "Oui, à la tâche.")], [None, None]),
    ("time-name", "[00:01:02] Sara: Hello there\n[00:01:10] Joseph: Hi\n",
     [("Sara", "Hello there"), ("Joseph", "Hi")], [62.0, 70.0]),
    ("name-time", "Sara (00:01:02): Hello there\nJoseph (1:01:10): Hi\n",
     [("Sara", "Hello there"), ("Joseph", "Hi")], [62.0, 3670.0]),
    ("markdown", "**Interviewer:** Your pay?\n\n**Priya**: Ten dollars.\n",
     [("Interviewer", "Your pay?"), ("Priya", "Ten dollars.")], [None, None]),
    ("tab", "Interviewer\tYour pay?\nPriya\tTen dollars.\n",
     [("Interviewer", "Your pay?"), ("Priya", "Ten dollars.")], [None, None]),
    ("otter", "Sara  00:13\nI label images.\nSecond line.\n\nMateo  01:02\nI review labels.\n",
     [("Sara", "I label images.\nSecond line."), ("Mateo", "I review labels.")], [13.0, 62.0]),
    ("short-codes", "I: Your job?\nR: Annotator.\nP1: Me too.\n",
     [("I", "Your job?"), ("R", "Annotator."), ("P1", "Me too.")], [None, None, None]),
    ("role-once", "Enquêteur : Bonjour.\nLa suite du texte.\n",
     [("Enquêteur", "Bonjour.\nLa suite du texte.")], [None]),
]


@pytest.mark.parametrize(("name", "source", "expected", "times"), CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_speaker_conventions(name: str, source: str, expected: list, times: list) -> None:
    t = read(source.encode())
    assert spoken(t) == expected
    assert [tr.time_start for tr in t.turns] == times
    assert "00:" not in t.text  # timestamps are turn times, not text


def test_prose_with_colons_is_not_split_into_speakers() -> None:
    t = read(b"The survey asked one thing: how much do you earn.\n\nNote: amounts in dollars.\n")
    assert all(tr.speaker is None for tr in t.turns)
    assert len(t.turns) == 2


def test_continuation_lines_and_preamble() -> None:
    src = "Interview 3, Nairobi\n\nInterviewer: First?\nAmina: Line one\nline two\n\nstill Amina\n"
    t = read(src.encode())
    assert spoken(t) == [(None, "Interview 3, Nairobi"), ("Interviewer", "First?"),
                         ("Amina", "Line one\nline two\nstill Amina")]
    assert t.text.count("\n\n") == 2  # turns separated by exactly one blank line


def test_custom_speaker_pattern() -> None:
    src = "-- ANA -- hola\n-- BEN -- buenas\n"
    t = read(src.encode(), speaker_pattern=r"^-- (?P<speaker>\w+) -- (?P<text>.*)$")
    assert spoken(t) == [("ANA", "hola"), ("BEN", "buenas")]


def test_bad_custom_pattern_is_a_clear_error() -> None:
    with pytest.raises(ImportFormatError, match="no \\(\\?P<speaker>"):
        read(b"x", speaker_pattern=r"^(\w+):")
    with pytest.raises(ImportFormatError, match="not a valid regular expression"):
        read(b"x", speaker_pattern=r"^(?P<speaker>\w+")


def test_four_speakers_make_a_focus_group_unless_kind_given() -> None:
    src = b"A1: x\nB1: y\nC1: z\nD1: w\nA1: v\nB1: u\nC1: s\nD1: r\n"
    assert read(src).kind == "focus_group"
    assert read(src, kind="interview").kind == "interview"
    assert read(b"I: a\nR: b\n").kind == "interview"


OTTER = """Interview with Sara - data work
Tue, 3/14 10:02AM • 45:12

SUMMARY KEYWORDS
pay, tasks, platform,
rejection

SPEAKERS
Sara, Mateo

Sara  00:13
I label images.

Mateo  01:02
I review labels.
"""


def test_otter_header_block_is_metadata_not_a_turn() -> None:
    t = read(OTTER.encode())
    assert [(tr.speaker, t.text[tr.start:tr.end]) for tr in t.turns] == [
        ("Sara", "I label images."), ("Mateo", "I review labels.")]
    assert [(n.kind, n.text, n.offset) for n in t.notes] == [
        ("metadata", "title: Interview with Sara - data work", 0),
        ("metadata", "recorded: Tue, 3/14 10:02AM • 45:12", 0),
        ("metadata", "keywords: pay, tasks, platform, rejection", 0),
        ("metadata", "speakers: Sara, Mateo", 0),
    ]
    assert "SUMMARY" not in t.text


def test_bystanders_who_hardly_talk_do_not_make_a_focus_group() -> None:
    long = " ".join(["mot"] * 60)
    interview = f"I: {long}\nR: {long}\nI: {long}\nR: {long}\nChild: oui\nNeighbour: bonjour\nChild: non\n"
    assert read(interview.encode()).kind == "interview"
    group = "".join(f"{p}: {long}\n" for p in ["A", "B", "C", "D"] * 2)
    assert read(group.encode()).kind == "focus_group"


def test_overlap_labels_are_not_extra_people() -> None:
    src = b"OU: a\nBA725: b\nOU + BA725: c\nBA725 + OU: d\nLOC1: e\n"
    t = read(src)
    assert len(t.speaker_labels()) == 5 and t.kind == "interview"


# --- encodings ---------------------------------------------------------------
def test_utf8_bom_removed() -> None:
    t = read("\ufeffI: café\nR: oui\n".encode())
    assert t.text.startswith("café")
    assert t.source.encoding == "utf-8" and not t.source.encoding_guessed


def test_utf16_with_bom_word_unicode_text() -> None:
    t = read("Interviewer: niña\r\nAmina: Œuvre €\r\n".encode("utf-16"))
    assert spoken(t) == [("Interviewer", "niña"), ("Amina", "Œuvre €")]
    assert t.source.encoding.startswith("utf-16")


def test_utf16_without_bom() -> None:
    t = read("Interviewer: hello there\nAmina: fine thanks\n".encode("utf-16-le"))
    assert spoken(t)[1] == ("Amina", "fine thanks")


def test_cp1252_is_guessed_and_said() -> None:
    src = "Interviewer: Où travaillez-vous ?\nAmina: À la tâche, niña, Œuvre, “payé” 5 €.\n" * 3
    t = read(src.encode("cp1252"))
    assert "À la tâche, niña, Œuvre, “payé” 5 €." in t.text
    assert t.source.encoding == "cp1252" and t.source.encoding_guessed
    assert any("assumed the encoding" in w for w in t.warnings)
    assert "\ufffd" not in t.text


def test_given_encoding_is_used_strictly_and_errors_name_the_byte() -> None:
    data = "ligne un\nré\n".encode("latin-1")
    assert "ré" in read(data, encoding="latin-1").text
    with pytest.raises(ImportFormatError, match=r"byte 10 \(line 2\)"):
        read(data, encoding="utf-8")
    with pytest.raises(ImportFormatError, match="unknown encoding"):
        read(data, encoding="klingon")


def test_decoding_never_produces_replacement_characters() -> None:
    d = decode_bytes(bytes(range(0x20, 0x7F)) + "é".encode("cp1252"), "x.txt")
    assert "\ufffd" not in d.text and d.text.endswith("é")


# --- hostile inputs ----------------------------------------------------------
def test_empty_file() -> None:
    with pytest.raises(ImportFormatError, match="no text"):
        read(b"")
    with pytest.raises(ImportFormatError, match="no text"):
        read(b"\n\n  \r\n")


@pytest.mark.parametrize(("data", "what"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
    (b"PK\x03\x04" + b"\x00" * 100, "ZIP archive"),
    (b"%PDF-1.4\n" + b"\x00\xff" * 50, "PDF document"),
])
def test_binary_renamed_txt(data: bytes, what: str) -> None:
    with pytest.raises(ImportFormatError, match=what):
        read(data)


def test_nul_bytes_are_refused_with_position() -> None:
    with pytest.raises(ImportFormatError, match=r"NUL byte at byte 10 \(line 2\)"):
        read(b"I: hello\nR\x00: text and more text here to avoid utf-16 detection, really a lot of ascii text")


def test_mixed_line_endings_are_normalised() -> None:
    t = read(b"I: one\r\nR: two\rI: three\nR: four\r\n")
    assert [s for s, _ in spoken(t)] == ["I", "R", "I", "R"]
    assert "\r" not in t.text


def test_terminal_escape_sequences_are_kept_as_text_with_a_warning() -> None:
    evil = "I: \x1b[2J\x1b[31mred\x1b[0m and \x1b]0;title\x07 done\nR: ok\n"
    t = read(evil.encode())
    assert "\x1b[31mred\x1b[0m" in t.text
    assert any("terminal control characters" in w for w in t.warnings)


def test_size_limit_is_checked() -> None:
    with pytest.raises(ImportFormatError, match="over the import limit"):
        read(b"I: x\n" * 100, max_bytes=50)


def test_nfd_text_becomes_nfc() -> None:
    t = read("I: Jose\u0301\n".encode())
    assert t.text == "José" and len(t.text) == 4


def test_vertical_tab_from_word_becomes_line_end() -> None:
    t = read(b"I: one\x0btwo\n")
    assert t.text == "one\ntwo"


def test_speaker_with_a_role_in_brackets() -> None:
    t = read(b"Laurence Lefebure (ENQ): depuis quand ?\n\nPaul: depuis quarante-trois\n\nLaurence Lefebure (ENQ): ah oui\n")
    assert t.speaker_labels() == ["Laurence Lefebure (ENQ)", "Paul"]
    assert t.text.startswith("depuis quand ?")


def test_cfpp_conversions_have_their_published_speakers(shared_real) -> None:
    """CFPP2000 .txt files: speakers as listed in ATTRIBUTION.md (interviewer marked (ENQ))."""
    from pathlib import Path

    expected = {
        "Anita_MUSSO_F_46_11e-v2.txt": {"Anita Musso", "Sonia Branca-Rosoff (ENQ)"},
        "Morel_Paul_H_71_Morel_Amandine_F_67_15e-v2.txt": {"Paul", "Amandine", "Laurence Lefebure (ENQ)"},
    }
    for name, speakers in expected.items():
        path = Path(shared_real) / "fr" / "cfpp" / name
        t = read(path.read_bytes())
        assert set(t.speaker_labels()) == speakers, name
