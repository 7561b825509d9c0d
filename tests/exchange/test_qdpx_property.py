"""Property: any qcode project -> .qdpx -> a fresh project gives the same transcripts, codebook, codings,
memos and attributes (emoji, combining accents, CRLF sources, labels and times, overlapping and cross-turn
codings), whatever position convention the export used."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcode.core.coding import Memo
from qcode.core.transcript import AttributeDef, Participant
from qcode.usecases import coding as uc
from qcode.usecases import importing
from qcode.usecases.project import Project
from qcode.usecases.refi_export import export_qdpx
from qcode.usecases.refi_import import import_project
from tests.conftest import SMALL_CODEBOOK
from tests.exchange.helpers import snapshot

SPEAKERS = ["Interviewer", "Amina", "Jörg", "Zoë K"]
WORDS = ["work", "pay", "😀", "cafe\u0301", "naïve", "über", "👩\u200d🔬", "ok.", "Ça", "x", "«oui»", "日本"]
CODES = ["instability", "pay", "piece-rates", "invisible-work"]
CODERS = ["ana", "bob", "Zoë"]

turn = st.tuples(st.sampled_from(SPEAKERS), st.lists(st.sampled_from(WORDS), min_size=1, max_size=7),
                 st.booleans())
transcript = st.tuples(st.lists(turn, min_size=1, max_size=5), st.booleans(), st.booleans(), st.booleans())


def source_file(turns: list, crlf: bool, times: bool, blank: bool) -> str:
    lines = []
    for i, (speaker, words, wrap) in enumerate(turns):
        body = " ".join(words)
        if wrap and len(words) > 2:  # a line break inside the turn
            body = " ".join(words[:2]) + "\n  " + " ".join(words[2:])
        lines.append((f"[00:{i // 60:02d}:{i % 60:02d}] " if times else "") + f"{speaker}: {body}")
    text = ("\n\n" if blank else "\n").join(lines) + "\n"
    return text.replace("\n", "\r\n") if crlf else text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(transcript, min_size=1, max_size=3), st.sampled_from(["codepoints", "utf16", "crlf", "utf16+crlf"]),
       st.data())
def test_qdpx_round_trip_keeps_everything(transcripts: list, positions: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
        with Project.init(root / "a", codebook=root / "codebook.yaml", language="en") as p:
            files = []
            for i, (turns, crlf, times, blank) in enumerate(transcripts):
                f = root / f"t{i}.txt"
                f.write_bytes(source_file(turns, crlf, times, blank).encode("utf-8"))
                files.append(f)
            assert not importing.import_paths(p, files).failed
            p.store.attributes.define(AttributeDef("country", "category", "transcript"))
            p.store.attributes.define(AttributeDef("age", "number", "participant"))
            p.store.attributes.define(AttributeDef("since", "date", "participant"))
            for s in p.store.transcripts.summaries():
                t = p.transcript(s.id)
                n = len(t.text)
                for _ in range(data.draw(st.integers(0, 6))):
                    a = data.draw(st.integers(0, n - 1))
                    b = data.draw(st.integers(a + 1, n))
                    try:
                        uc.apply_code(p, t.id, a, b, data.draw(st.sampled_from(CODES)),
                                      coder=data.draw(st.sampled_from(CODERS)),
                                      memo=data.draw(st.sampled_from(["", "memo ✍", "deux\nlignes"])))
                    except Exception as exc:  # only an exact duplicate may be refused
                        assert "already coded" in str(exc)
                p.store.transcripts.update_fields(t.id, attributes={"country": data.draw(st.sampled_from(["Kenya", "Côte d'Ivoire"]))})
                p.store.memos.add(Memo("transcript", str(t.id), data.draw(st.sampled_from(["note 😀", "é\u0301"])), "bob"))
                labels = t.speaker_labels()
                if labels:
                    p.store.participants.link_speaker(t.id, labels[-1], f"P {labels[-1]}")
            for pt in p.store.participants.list():
                p.store.participants.upsert(Participant(pt.name, {"age": data.draw(st.sampled_from([34, 40.5])),
                                                                 "since": "2023-05-01"}))
            p.store.memos.add(Memo("project", "project", "Overall ✍", "ana", title="Notes"))
            p.store.memos.add(Memo("code", "pay", "rates table", "Zoë"))
            p.invalidate()
            out = root / "x.qdpx"
            export_qdpx(p, out, positions=positions)
            expected = snapshot(p)
        with Project.init(root / "b", language="en") as fresh:
            r = import_project(fresh, out)
            assert r.unplaced == [] and r.adjusted == []
            assert snapshot(fresh) == expected
