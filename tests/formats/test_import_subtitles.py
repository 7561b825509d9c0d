"""WebVTT and SubRip import."""

from __future__ import annotations

import pytest

from qcode.core.errors import ImportFormatError
from qcode.formats.importers.base import ImportOptions
from qcode.formats.importers.subtitles import SrtImporter, VttImporter


def vtt(text: str):
    return VttImporter().read(text.encode("utf-8"), "m.vtt", ImportOptions())


def spoken(t):
    return [(tr.speaker, t.text[tr.start:tr.end], tr.time_start, tr.time_end) for tr in t.turns]


def test_voice_tags_merge_consecutive_cues() -> None:
    t = vtt("WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.000\n<v Grace>I moderated <i>videos</i>.</v>\n\n"
            "2\n00:00:03.000 --> 00:00:05.250\n<v Grace>Nine hours a day.</v>\n\n"
            "3\n00:00:06.000 --> 00:00:07.000\n<v.loud Interviewer>Why?</v>\n")
    assert spoken(t) == [("Grace", "I moderated videos. Nine hours a day.", 1.5, 5.25),
                         ("Interviewer", "Why?", 6.0, 7.0)]


def test_zoom_style_name_colon_cues() -> None:
    t = vtt("\ufeffWEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nSara Lopez: Hello everyone\n\n"
            "2\n00:00:02.000 --> 00:00:03.000\nSara Lopez: and welcome\n\n"
            "3\n00:00:03.500 --> 00:00:04.000\nJoseph: Thanks\n")
    assert [(s, x) for s, x, *_ in spoken(t)] == [("Sara Lopez", "Hello everyone and welcome"), ("Joseph", "Thanks")]


def test_malformed_timing_is_not_dropped_silently() -> None:
    with pytest.raises(ImportFormatError, match="line 3: malformed cue timing"):
        vtt("WEBVTT\n\n00:00:05.000 --> 00:00:0x.000\nLost words\n\n00:00:06.000 --> 00:00:07.000\nKept\n")


def test_not_webvtt() -> None:
    with pytest.raises(ImportFormatError, match="not a valid WebVTT"):
        vtt("1\n00:00:01,000 --> 00:00:02,000\nhello\n")


def test_backwards_timestamps_warn() -> None:
    t = vtt("WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nA: one\n\n00:00:01.000 --> 00:00:02.000\nB: two\n")
    assert any("cue 2 starts before cue 1" in w for w in t.warnings)


def test_srt_with_french_labels_and_crlf() -> None:
    src = ("1\r\n00:00:01,000 --> 00:00:04,000\r\nENQUÊTEUR : Vous êtes payée ?\r\n\r\n"
           "2\r\n00:00:04,500 --> 00:00:06,000\r\nLUCIE : À la tâche,\r\n\r\n"
           "3\r\n00:00:06,000 --> 00:00:08,000\r\n<i>trois centimes.</i>\r\n\r\n")
    t = SrtImporter().read(src.encode("utf-8"), "e.srt", ImportOptions())
    assert spoken(t) == [("ENQUÊTEUR", "Vous êtes payée ?", 1.0, 4.0), ("LUCIE", "À la tâche, trois centimes.", 4.5, 8.0)]


def test_srt_garbage_is_an_error_with_line() -> None:
    with pytest.raises(ImportFormatError, match="line 1"):
        SrtImporter().read(b"this is not srt at all\n", "x.srt", ImportOptions())


@pytest.mark.parametrize("name", ["interview-grace.vtt", "entretien-lucie.srt"])
def test_demo_subtitles(name: str) -> None:
    from pathlib import Path

    from qcode.formats.importers import importer_for

    path = Path(__file__).resolve().parents[2] / "transcripts" / name
    t = importer_for(path).read(path.read_bytes(), name, ImportOptions())
    assert len(t.speaker_labels()) == 2 and all(tr.time_start is not None for tr in t.turns)
    assert 600 <= t.words <= 2000


def test_srt_block_without_number_and_timing_is_not_merged_silently() -> None:
    """Issue 14, finding 12: "Bob: yo" was merged into Amina's cue without a word."""
    from qcode.formats.importers.base import ImportOptions
    from qcode.formats.importers.subtitles import SrtImporter

    data = (
        b"1\n00:00:01,000 --> 00:00:02,000\nAmina: hello there\n\nBob: yo\n\n"
        b"2\n00:00:05,000 --> 00:00:06,000\nAmina: again\n"
    )
    t = SrtImporter().read(data, "talk.srt", ImportOptions())
    turns = [(tr.speaker, t.text[tr.start:tr.end]) for tr in t.turns]
    assert ("Bob", "yo") in turns and all("yo" not in text for sp, text in turns if sp == "Amina")
    [warning] = [w for w in t.warnings if "without a cue number" in w]
    assert warning.startswith("line 5:") and "cue 1" in warning
