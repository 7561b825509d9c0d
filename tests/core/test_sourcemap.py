"""Aligning qcode's normalised text with the source text other tools show."""

from __future__ import annotations

import unicodedata

from qcode.core.sourcemap import SourceMap, align, render_source
from qcode.core.transcript import build_text


def test_labels_times_crlf_and_spacing_are_skipped() -> None:
    source = "Interview\r\n\r\n[00:00:05] Dan: Hello  there.\r\n\r\nAmina: Fine,\r\nthanks.  \r\n"
    text, _ = build_text([("Dan", "Hello  there.", 5.0, None), ("Amina", "Fine,\nthanks.", None, None)])
    text = "Interview\n\n" + text  # an importer keeping the header line as text
    m = align(text, source)
    # Every text character that exists in the source is mapped onto the same character.
    for t_start, s_start, n, sn in m.runs:
        a, b = text[t_start:t_start + n], source[s_start:s_start + sn]
        assert n == sn and (a == b or (a.isspace() and b.isspace())), (a, b)
    hello = source.index("Dan:")
    span = m.source_to_text(hello, source.index("thanks.") + 7)  # from the label to the end of the next turn
    assert span is not None and text[span[0]:span[1]] == "Hello  there.\n\nFine,\nthanks."
    assert m.source_to_text(hello, hello + 5) is None  # the label alone: nothing of the text
    assert m.source_to_text(source.index("[00"), source.index("]") + 1) is None
    s0, s1 = m.text_to_source(text.index("Fine"), text.index("thanks.") + 7)
    assert source[s0:s1] == "Fine,\r\nthanks."


def test_nfd_source_maps_composed_characters() -> None:
    source = "Speaker: " + unicodedata.normalize("NFD", "café déjà vu") + " 👩‍🔬 ok"
    text = unicodedata.normalize("NFC", "café déjà vu 👩‍🔬 ok")
    m = align(text, source)
    start = text.index("déjà")
    s0, s1 = m.text_to_source(start, start + 4)
    assert unicodedata.normalize("NFC", source[s0:s1]) == "déjà"
    assert m.source_to_text(s0, s1) == (start, start + 4)
    e0 = text.index("👩")
    s0, s1 = m.text_to_source(e0, e0 + 3)
    assert source[s0:s1] == "👩‍🔬"


def test_json_round_trip_is_compact() -> None:
    text, turns = build_text([("A", "one two", 1.0, None), ("B", "three", 65.0, None)])
    source, m = render_source(text, [(t.start, t.end, t.speaker, t.time_start) for t in turns])
    assert source == "[00:00:01] A: one two\n\n[00:01:05] B: three"
    again = SourceMap.from_json(m.to_json())
    assert again == m and len(m.runs) == 2  # 'one two' + separator, 'three'
    assert align(text, source) == m  # alignment finds the same map as the rendering made


def test_text_characters_missing_from_the_source_stay_unmapped() -> None:
    m = align("abc XYZ def", "abc def")
    assert m.source_to_text(0, 7) == (0, 11)  # the whole source covers the whole text
    assert m.text_to_source(4, 7) == (4, 4)  # 'XYZ' has no source characters
    assert m.mapped_chars() < len("abc XYZ def")
