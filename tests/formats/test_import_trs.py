"""Transcriber .trs import, on a small synthetic file and on the real ESLO files."""

from __future__ import annotations

import pytest

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import SYNC
from qcode.formats.importers.base import ImportOptions
from qcode.formats.importers.transcriber import TranscriberImporter

TRS = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE Trans SYSTEM "trans-14.dtd">
<Trans scribe="x" audio_filename="t" version="1" version_date="1">
<Topics><Topic id="to1" desc="QP1"/></Topics>
<Speakers>
<Speaker id="spk1" name="OU" check="no"/>
<Speaker id="spk2" name="401PERS" check="no"/>
</Speakers>
<Episode>
<Section type="report" topic="to1" startTime="0" endTime="30">
<Turn startTime="0" endTime="1"><Sync time="0"/>
</Turn>
<Turn speaker="spk1" startTime="1" endTime="10">
<Sync time="1"/>
<Event desc="pi" type="pronounce" extent="instantaneous"/>
 vous êtes   enseignant
<Sync time="5"/>
<Comment desc="coupure bande"/>
à Orléans ?
</Turn>
<Turn speaker="spk2 spk1" startTime="10" endTime="12">
<Sync time="10"/>
<Who nb="1"/>
oui depuis dix ans
<Who nb="2"/>
ah bon
</Turn>
<Turn speaker="spk2" startTime="12" endTime="20">
<Sync time="12"/>
<Event desc="rire" type="noise" extent="begin"/>
c'est très reposant
<Event desc="rire" type="noise" extent="end"/>
</Turn>
</Section>
</Episode>
</Trans>
"""


def read(data: bytes):
    return TranscriberImporter().read(data, "t.trs", ImportOptions())


def test_turns_overlap_notes_and_latin1() -> None:
    t = read(TRS.encode("iso-8859-1"))
    got = [(tr.speaker, t.text[tr.start:tr.end], tr.overlap, tr.time_start) for tr in t.turns]
    assert got == [
        ("OU", "vous êtes enseignant à Orléans ?", False, 1.0),
        ("401PERS", "oui depuis dix ans", True, 10.0),
        ("OU", "ah bon", True, 10.0),
        ("401PERS", "c'est très reposant", False, 12.0),
    ]
    notes = [(n.kind, n.text, t.text[n.offset:n.offset + 5]) for n in t.notes]
    assert ("topic", "QP1", "vous ") in notes
    assert ("event", "pronounce: pi", "vous ") in notes
    assert ("comment", "coupure bande", " à Or") in notes
    assert ("event", "noise: rire (begin)", "c'est") in notes
    assert "rire" not in t.text and "coupure" not in t.text
    assert t.source.encoding == "iso-8859-1"


def test_sync_times_are_notes_at_their_place() -> None:
    t = read(TRS.encode("iso-8859-1"))
    syncs = [(n.offset, n.time, n.text) for n in t.notes if n.kind == SYNC]
    # the empty first turn's <Sync time="0"> is not moved to the next turn, whose start it would misdate
    assert syncs == [(0, 1.0, ""), (20, 5.0, ""), (34, 10.0, ""), (62, 12.0, "")]
    assert t.text[20:] .startswith(" à Orléans")  # after "enseignant", where <Sync time="5"/> stands
    # a <Sync> before the first <Who> of an overlapped turn: that speaker's part starts there
    assert t.turns[1].start == 34 and t.turns[1].overlap


def test_entities_in_trs_refused() -> None:
    evil = TRS.replace('<!DOCTYPE Trans SYSTEM "trans-14.dtd">',
                       '<!DOCTYPE Trans [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace("ah bon", "&x;")
    with pytest.raises(ImportFormatError, match="entities"):
        read(evil.encode("iso-8859-1"))


def test_not_transcriber() -> None:
    with pytest.raises(ImportFormatError, match="not a Transcriber file"):
        read(b"<?xml version='1.0'?><html/>")
    with pytest.raises(ImportFormatError, match="not well-formed"):
        read(b"<Trans><Turn>")


# Figures from ../shared/data/real/ATTRIBUTION.md (words per speaker leave out
# overlapped blocks); non-empty and overlapped <Turn> counts checked by hand
# with ElementTree for 401.
ESLO = {
    "ESLO1_INTPERS_401_C": (13975, {"401PERS": 12112, "OU": 1060, "JR": 543, "JK": 61}),
    "ESLO1_INTPERS_403_C": (17255, {"403PERS": 12802, "PB": 966, "DP": 366, "403INC": 3, "403INC2": 4}),
    "ESLO1_INTPERS_418_C": (10030, {"417PERS": 7589, "MB": 792, "BV": 272, "OU": 217, "JK": 29}),
    "ESLO1_ENT_001_C": (11450, {"BA725": 7651, "OU": 2992, "001LOC1": 54, "001LOC2": 2}),
    "ESLO1_ENT_006_C": (9625, {"FD237": 5742, "JK": 3492, "006LOC": 199}),
    "ESLO1_ENT_008_C": (7069, {"GJ131": 4337, "RC": 2344, "GJ131FEM": 92}),
}


@pytest.mark.shared
@pytest.mark.parametrize("stem", sorted(ESLO))
def test_eslo_files(shared_real, stem: str) -> None:
    path = shared_real / "fr" / "eslo" / f"{stem}.trs"
    t = read(path.read_bytes())
    total, per_speaker = ESLO[stem]
    assert t.words == total
    words: dict[str, int] = {}
    for tr in t.turns:
        if not tr.overlap:
            words[tr.speaker] = words.get(tr.speaker, 0) + len(t.text[tr.start:tr.end].split())
    assert words == per_speaker
    assert set(t.speaker_labels()) == set(per_speaker)
    assert any(tr.overlap for tr in t.turns)
    assert t.validate() == []


@pytest.mark.shared
def test_eslo_401_turns_and_accents(shared_real) -> None:
    t = read((shared_real / "fr" / "eslo" / "ESLO1_INTPERS_401_C.trs").read_bytes())
    assert t.source.encoding == "iso-8859-1"
    assert "une documentation destinée à l'enseignement et à la à la recherche" in t.text
    # 386 non-empty <Turn>s, 36 of them overlapped; each overlapped one yields one turn per <Who>.
    overlapped_groups = {(tr.time_start, tr.time_end) for tr in t.turns if tr.overlap}
    assert len(overlapped_groups) == 36
    assert len([tr for tr in t.turns if not tr.overlap]) == 386 - 36
    assert any(n.kind == "event" and "toux" in n.text for n in t.notes)
    # An individual interview (INTPERS): JK says 61 of 13,975 words, so three people talk.
    assert t.kind == "interview"


@pytest.mark.shared
def test_eslo_418_is_utf8(shared_real) -> None:
    t = read((shared_real / "fr" / "eslo" / "ESLO1_INTPERS_418_C.trs").read_bytes())
    assert t.source.encoding == "utf-8"
    assert "é" in t.text and "\ufffd" not in t.text


@pytest.mark.shared
@pytest.mark.parametrize("stem", sorted(ESLO))
def test_eslo_sync_points(shared_real, stem: str) -> None:
    """Every <Sync> of a turn that has words is a time point between two words of that turn, in time order."""
    import re

    data = (shared_real / "fr" / "eslo" / f"{stem}.trs").read_bytes()
    t = read(data)
    syncs = [n for n in t.notes if n.kind == SYNC]
    in_file = len(re.findall(rb"<Sync ", data))
    # each non-empty <Turn> opens with one (overlapped turns count once, they give a turn per speaker)
    opening = len({(tr.time_start, tr.time_end) for tr in t.turns})
    assert opening <= len(syncs) <= in_file and len(syncs) > 0.9 * in_file
    import bisect

    starts = [tr.start for tr in t.turns]
    last: dict[int, float] = {}
    for n in syncs:
        k = bisect.bisect_right(starts, n.offset) - 1
        tr = t.turns[k]
        assert tr.start <= n.offset <= tr.end  # in a turn, never in the blank line between two
        assert n.offset in (tr.start, tr.end) or t.text[n.offset] == " "  # between two words
        assert n.time is not None and tr.time_start - 0.001 <= n.time <= tr.time_end + 0.001
        assert n.time >= last.get(k, n.time)
        last[k] = n.time
