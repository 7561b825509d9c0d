"""Codings given on the source text (speaker labels, times, CRLF included) land on the spoken text."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from qcode.usecases import exchange, importing
from qcode.usecases.project import Project
from qcode.usecases.replace import replace_transcript
from qcode.usecases.sources import source_of

SOURCE = "Interviewer: How is the work these days?\r\nAmina: Unstable. Some weeks there is nothing.\r\n\r\nInterviewer: And the pay?\r\nAmina: Piece rates,   very low.\r\n"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def crlf(project: Project, tmp_path: Path) -> Project:
    f = tmp_path / "crlf.txt"
    f.write_bytes(SOURCE.encode("utf-8"))
    assert not importing.import_paths(project, [f]).failed
    return project


def test_source_text_is_the_decoded_file_and_is_stored(crlf: Project) -> None:
    t = crlf.transcript("crlf")
    src, smap = source_of(crlf, t)
    assert src == SOURCE and crlf.store.transcripts.source(t.id) is not None
    assert smap.text_len == len(t.text) and smap.source_len == len(SOURCE)


def test_source_offsets_over_labels_and_turns_map_to_the_spoken_text(crlf: Project, tmp_path: Path) -> None:
    t = crlf.transcript("crlf")
    a = SOURCE.index("Amina: Unstable")
    b = SOURCE.index("nothing.") + len("nothing.")
    c = SOURCE.index("Interviewer: And")
    d = SOURCE.index("very low.") + len("very low.")
    label = SOURCE.index("Amina: Piece")
    rows = [
        {"transcript": "crlf", "start": a, "end": b, "code": "instability", "offsets": "source"},
        {"transcript": "crlf", "start": c, "end": d, "code": "pay", "offsets": "source"},  # two turns
        {"transcript": "crlf", "start": label, "end": label + 7, "code": "pay", "offsets": "source"},  # a label alone
    ]
    r = exchange.import_codings(crlf, _write(tmp_path / "c.jsonl", rows), skip_bad=True)
    assert r.imported == 2 and r.placed_by_source == 2
    [msg] = r.failed
    assert "line 3" in msg and "'Amina: '" in msg and "not placed" in msg
    quotes = sorted(c.quote for c in crlf.store.codings.list(transcript_id=t.id))
    assert quotes == ["And the pay?\n\nPiece rates,   very low.", "Unstable. Some weeks there is nothing."] or quotes == sorted(
        [t.text[t.text.index("And the pay"):t.text.index("very low.") + 9], "Unstable. Some weeks there is nothing."])
    spoken = t.text[t.text.index("And the pay"):t.text.index("very low.") + 9]
    assert "Amina" not in spoken and "\r" not in spoken


def test_source_offsets_are_detected_by_their_quote(crlf: Project, tmp_path: Path) -> None:
    s = SOURCE.index("Piece rates")
    row = {"transcript": "crlf", "start": s, "end": s + 11, "code": "piece-rates", "quote": "Piece rates"}
    t = crlf.transcript("crlf")
    assert t.text[s:s + 11] != "Piece rates"  # qcode's offsets differ (labels and CR left out)
    r = exchange.import_codings(crlf, _write(tmp_path / "c.jsonl", [row]))
    assert (r.imported, r.placed_by_source, r.failed) == (1, 1, [])
    [c] = crlf.store.codings.list(transcript_id=t.id)
    assert t.text[c.start:c.end] == "Piece rates"


def test_quote_found_up_to_normalisation_reports_the_adjustment(crlf: Project, tmp_path: Path) -> None:
    quote = "Piece rates, very\r\nlow."  # the tool's copy collapsed the spaces and broke the line
    row = {"transcript": "crlf", "start": 0, "end": 5, "code": "piece-rates", "quote": quote, "offsets": "text"}
    r = exchange.import_codings(crlf, _write(tmp_path / "c.jsonl", [row]))
    assert r.imported == 1 and r.placed_by_quote == 1
    [adj] = r.adjusted
    assert "line ends" in adj and "whitespace" in adj
    t = crlf.transcript("crlf")
    [c] = crlf.store.codings.list(transcript_id=t.id)
    assert t.text[c.start:c.end] == "Piece rates,   very low."


def test_source_map_follows_a_replace(crlf: Project, tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    new.write_text(SOURCE.replace("Piece rates", "Piece-rate pay"), encoding="utf-8")
    replace_transcript(crlf, "crlf", new)
    t = crlf.transcript("crlf")
    src, smap = source_of(crlf, t)
    assert "Piece-rate pay" in src
    s = src.index("Piece-rate pay")
    span = smap.source_to_text(s, s + 14)
    assert span is not None and t.text[span[0]:span[1]] == "Piece-rate pay"


def test_cli_reports_source_placements(crlf: Project, tmp_path: Path, project_dir: Path) -> None:
    from click.testing import CliRunner

    from qcode.cli import cli

    crlf.close()
    s = SOURCE.index("Amina: Unstable")
    f = _write(tmp_path / "c.jsonl", [{"transcript": "crlf", "start": s, "end": s + 15, "code": "instability"}])
    r = CliRunner().invoke(cli, ["-p", str(project_dir), "codings", "import", "--offsets", "source", str(f)])
    assert r.exit_code == 0, r.output
    assert "1 from source-text offsets" in r.output


# ------------------------------------------------------------------ real data
def _alnum(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


@pytest.mark.shared
def test_pdpilot_codings_are_placed_through_source_offsets(shared_real: Path, tmp_path: Path) -> None:
    """The authors' 262 MAXQDA codings, given as offsets into the .txt files, land on their words."""
    folder = shared_real / "en" / "pdpilot_interviews"
    rows = list(csv.DictReader((folder / "coded_segments.csv").open(encoding="utf-8")))
    assert len(rows) == 262
    paths = {r["code"] for r in rows}
    book = ["qcode_codebook: 1", "title: PDPilot", "codes:"]
    ids = {p: f"c{i}" for i, p in enumerate(sorted(paths))}
    book += [f"  - id: {cid}\n    label: {json.dumps(p)}" for p, cid in ids.items()]
    (tmp_path / "codebook.yaml").write_text("\n".join(book) + "\n", encoding="utf-8")
    with Project.init(tmp_path / "proj", codebook=tmp_path / "codebook.yaml", language="en") as p:
        assert not importing.import_paths(p, sorted(folder.glob("P*.txt"))).failed
        lines = [{"transcript": r["doc"].lower(), "start": int(r["start"]), "end": int(r["end"]),
                  "code": ids[r["code"]], "coder": "authors", "offsets": "source"} for r in rows]
        report = exchange.import_codings(p, _write(tmp_path / "c.jsonl", lines), skip_bad=True)
        placed = report.imported
        assert placed / 262 >= 0.99, report.failed
        assert report.placed_by_source == placed
        # Each placed coding holds exactly the spoken words of its source span (labels left out).
        texts = {n: (folder / f"P{n}.txt").read_text(encoding="utf-8") for n in range(1, 8)}
        expected = set()
        for r in rows:
            span = texts[int(r["doc"][1:])][int(r["start"]):int(r["end"])]
            spoken = re.sub(r"(?m)^(Dan|Participant|Particpant|Interview):", "", span)
            expected.add((r["doc"].lower(), ids[r["code"]], _alnum(spoken)))
        got = [(p.transcript(c.transcript_id).name, c.code_id, _alnum(c.quote)) for c in p.store.codings.list()]
        wrong = [g for g in got if g not in expected]
        assert len(got) == placed
        assert not wrong
        print(f"PDPilot: {placed}/262 placed through source offsets; not placed: {report.failed}")


def test_non_text_formats_get_a_rendered_source() -> None:
    from qcode.core.transcript import SourceInfo, build_text
    from qcode.formats.source_text import attach_source

    text, turns = build_text([("Ana", "Hello there", 5.0, None), ("Ben", "Fine", 65.0, None)])
    from qcode.core.transcript import Transcript

    t = Transcript("x", "x", text, turns, source=SourceInfo("x.srt", "0", "srt"))
    attach_source(t, b"1\n00:00:05,000 --> 00:00:06,000\nAna: Hello there\n")
    assert t.source_text == "[00:00:05] Ana: Hello there\n\n[00:01:05] Ben: Fine"
    assert t.source_map is not None and t.source_map.source_to_text(0, 27) == (0, 11)


def test_transcript_imported_before_source_maps_existed(crlf: Project) -> None:
    """Older projects have no stored source: it is computed from the original bytes on demand."""
    import sqlalchemy as sa

    from qcode.storage import schema
    from tests.helpers import raw_connection

    t = crlf.transcript("crlf")
    with raw_connection(crlf.store) as conn:
        conn.execute(sa.delete(schema.transcript_sources))
    assert crlf.store.transcripts.source(t.id) is None
    src, smap = source_of(crlf, t)
    assert src == SOURCE and smap.source_to_text(SOURCE.index("Piece"), SOURCE.index("Piece") + 5) == (
        t.text.index("Piece"), t.text.index("Piece") + 5)
