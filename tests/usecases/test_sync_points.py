"""Transcriber ``<Sync time>`` points: stored as notes, where long turns' suggested passages end, never shown."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from qcode.core.transcript import SYNC
from qcode.usecases import importing, suggest_inputs, suggesting
from qcode.usecases.project import Project
from qcode.usecases.replace import replace_transcript

WORDS = ("the work was unstable and we waited for new tasks from clients in another country "
         "while the platform changed its rules without telling anybody what would happen next").split()


def chunk(i: int, n: int = 20) -> str:
    """*n* words of unpunctuated speech (no pause word), the *i*-th chunk."""
    return " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(n))


def trs(long_turn: list[str], plain_turn: str, every: float = 4.0) -> str:
    """A Transcriber file: a long turn with a <Sync> before each of its chunks, then a long turn without any."""
    body = "\n".join(f'<Sync time="{10 + every * i:.3f}"/>\n{c}' for i, c in enumerate(long_turn))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Trans SYSTEM "trans-14.dtd">
<Trans scribe="x" audio_filename="t" version="1" version_date="1">
<Speakers><Speaker id="spk1" name="OU"/><Speaker id="spk2" name="PERS"/></Speakers>
<Episode><Section type="report" startTime="0" endTime="200">
<Turn speaker="spk1" startTime="0" endTime="10"><Sync time="0"/>
et le travail alors
</Turn>
<Turn speaker="spk2" startTime="10" endTime="100">
{body}
</Turn>
<Turn speaker="spk1" startTime="100" endTime="200"><Sync time="100"/>
{plain_turn}
</Turn>
</Section></Episode></Trans>
"""


LONG = [chunk(i) for i in range(8)]  # 160 words, a <Sync> every 20
PLAIN = " ".join(chunk(i) for i in range(8, 16))


def import_trs(project: Project, tmp_path: Path, text: str, name: str = "eslo-like.trs") -> int:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    report = importing.import_paths(project, [f])
    assert not report.failed, report
    project.invalidate()
    return project.store.transcripts.find("eslo-like")


def syncs(project: Project, tid: int) -> list[int]:
    return [n.offset for n in project.transcript(tid).notes if n.kind == SYNC]


def units(project: Project, tid: int, cache=None) -> list[tuple[int, int]]:
    from qcode.suggest.base import build_profiles
    from qcode.suggest.engine import Engine
    from qcode.suggest.pipeline import get_pipeline

    engine = Engine(get_pipeline("en", "blank"), build_profiles(project.codebook, "en"))
    [a] = list(engine.analyse(suggest_inputs.read_inputs(project, [tid]), cache))
    return [(int(s), int(e)) for s, e in zip(a.feats.start, a.feats.end, strict=True)]


def test_a_long_unpunctuated_turn_is_cut_at_its_sync_points(project: Project, tmp_path: Path) -> None:
    from qcode.suggest.units import MAX_WINDOW_TOKENS

    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    t = project.transcript(tid)
    long_turn, plain_turn = t.turns[1], t.turns[2]
    points = syncs(project, tid)
    inside = [p for p in points if long_turn.start < p < long_turn.end]
    assert [t.text[p + 1:].split()[0] for p in inside] == [c.split()[0] for c in LONG[1:]]
    [item] = suggest_inputs.read_inputs(project, [tid])
    assert item.cuts[1] == tuple(p - long_turn.start for p in inside) and item.cuts[0] == item.cuts[2] == ()
    got = units(project, tid)
    in_long = [(s, e) for s, e in got if long_turn.start <= s < long_turn.end]
    # 45 tokens at most: the latest sync point within the bound is every second one (40 words)
    assert [e for _, e in in_long[:-1]] == inside[1::2]
    assert in_long[-1][1] == long_turn.end and in_long[0][0] == long_turn.start
    assert all(len(t.text[s:e].split()) <= MAX_WINDOW_TOKENS for s, e in in_long)
    # the turn without sync points is cut at the bound, as before
    in_plain = [(s, e) for s, e in got if plain_turn.start <= s < plain_turn.end]
    assert [len(t.text[s:e].split()) for s, e in in_plain] == [45, 45, 45, 25]


def test_suggested_passages_end_at_sync_points(project: Project, tmp_path: Path) -> None:
    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)
    t = project.transcript(tid)
    long_turn = t.turns[1]
    mine = [v for v in suggesting.pending(project) if v.transcript_id == tid and long_turn.start <= v.start < long_turn.end]
    assert mine and {v.code_id for v in mine} >= {"instability"}  # "unstable"
    points = set(syncs(project, tid)) | {long_turn.end}
    assert all(v.end in points for v in mine)


def test_cuts_are_part_of_the_cache_keys(project: Project, tmp_path: Path) -> None:
    from qcode.suggest.cache import DocCache

    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    cache = DocCache(tmp_path / "cache")
    with_cuts = units(project, tid, cache)
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)
    before = {(v.start, v.end) for v in suggesting.pending(project)}
    t = project.transcript(tid)
    project.store.transcripts.replace_content(tid, type(t)(t.name, t.title, t.text, t.turns, [], source=t.source))
    project.invalidate()
    assert syncs(project, tid) == []
    without = units(project, tid, cache)  # same text and turns: the parse is reused, not the units
    assert without != with_cuts and without == units(project, tid)
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)  # nor the last run's suggestions
    after = {(v.start, v.end) for v in suggesting.pending(project)}
    assert after != before and {se for se in after if se[0] >= t.turns[1].start} <= set(without)


def test_reimporting_a_changed_file_keeps_sync_points_with_the_new_text(project: Project, tmp_path: Path) -> None:
    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)
    before = {(v.start, v.end) for v in suggesting.pending(project) if v.transcript_id == tid}
    # the long turn corrected (its first ten words replaced, its last ten dropped), its sync points moved by ten words
    changed = ["encore " + " ".join(WORDS[:9])] + [" ".join((c + " " + n).split()[10:30]) for c, n in pairwise(LONG)]
    f = tmp_path / "eslo-like-v2.trs"
    f.write_text(trs(changed, PLAIN), encoding="utf-8")
    rep = replace_transcript(project, "eslo-like", f)
    assert not rep.unchanged
    project.invalidate()
    t = project.transcript(tid)
    from qcode.formats.importers.base import ImportOptions
    from qcode.formats.importers.transcriber import TranscriberImporter

    fresh = TranscriberImporter().read(f.read_bytes(), f.name, ImportOptions())
    assert t.text == fresh.text
    assert [(n.offset, n.time) for n in t.notes if n.kind == SYNC] == [(n.offset, n.time) for n in fresh.notes
                                                                      if n.kind == SYNC]
    long_turn = t.turns[1]
    inside = [p for p in syncs(project, tid) if long_turn.start < p < long_turn.end]
    assert [t.text[p + 1:].split()[0] for p in inside] == [c.split()[0] for c in changed[1:]]
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)  # not skipped: the inputs changed
    after = {(v.start, v.end) for v in suggesting.pending(project) if v.transcript_id == tid}
    assert after != before
    ends = {e for s, e in after if long_turn.start <= s < long_turn.end}
    assert ends and ends <= set(inside) | {long_turn.end}


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Project]:
    """The small codebook's project in a folder whose name (the project's, in every output) says nothing of syncs."""
    from tests.conftest import SMALL_CODEBOOK

    (tmp_path / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    with Project.init(tmp_path / "study", codebook=tmp_path / "codebook.yaml", language="en") as p:
        yield p


def test_sync_points_stay_out_of_exports_and_reports(study: Project, tmp_path: Path) -> None:
    from qcode.usecases.coding import apply_code
    from qcode.usecases.refi_export import export_qdpx
    from qcode.usecases.refi_import import import_project
    from qcode.usecases.reporting import ReportRequest, generate_report

    project = study
    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    t = project.transcript(tid)
    assert syncs(project, tid)
    apply_code(project, "eslo-like", t.turns[1].start, t.turns[1].start + 40, "instability")
    out = tmp_path / "p.qdpx"
    r = export_qdpx(project, out)
    assert r.notes == 0  # REFI-QDA notes are memos; the time points are not among them
    with zipfile.ZipFile(out) as zf:
        qde = zf.read("project.qde").decode("utf-8")
        side = json.loads(zf.read("qcode.json"))
        source = zf.read(next(n for n in zf.namelist() if n.startswith("sources/"))).decode("utf-8")

    def shown(text: str) -> bool:
        return SYNC in text.lower()

    assert "<Note" not in qde and not shown(qde) and not shown(source)
    # qcode's own side file keeps them, so that a qcode project read back has them
    [kept] = [s for s in side["sources"].values() if s["name"] == "eslo-like"]
    assert [o for o, k, _x, _t in kept["notes"] if k == SYNC] == syncs(project, tid)
    with Project.init(tmp_path / "other", language="en") as other:
        import_project(other, out)
        other.invalidate()
        back = other.transcript("eslo-like")
        assert [n.offset for n in back.notes if n.kind == SYNC] == syncs(project, tid)
    for fmt in ("md", "html", "csv"):
        path = generate_report(project, ReportRequest(fmt, tmp_path / f"r.{fmt}", date="2026-12-03"))
        text = path.read_text(encoding="utf-8")
        assert "unstable" in text and not shown(text)


def test_moving_only_the_sync_points_suggests_again(project: Project, tmp_path: Path) -> None:
    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)
    words = " ".join(LONG).split()
    regrouped = [" ".join(words[i:i + 15]) for i in range(0, len(words), 15)]  # same words, a <Sync> every 15
    f = tmp_path / "eslo-like-resynced.trs"
    f.write_text(trs(regrouped, PLAIN), encoding="utf-8")
    text = project.transcript(tid).text
    assert not replace_transcript(project, "eslo-like", f).unchanged
    project.invalidate()
    t = project.transcript(tid)
    assert t.text == text
    long_turn = t.turns[1]
    inside = [p for p in syncs(project, tid) if long_turn.start < p < long_turn.end]
    assert len(inside) == len(regrouped) - 1
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)  # same text and turns, other inputs
    ends = {v.end for v in suggesting.pending(project) if v.transcript_id == tid and long_turn.start <= v.start < long_turn.end}
    assert ends and ends <= set(inside) | {long_turn.end} and ends - {long_turn.end} <= set(inside[2::3])


EVERY = 11.0
"""Seconds between the long turn's time points in the tests of cited times: chunk *i* starts at 10 + 11 i."""


def chunk_time(t, offset: int) -> float:
    """The time the file gives to the chunk of the long turn holding *offset*, counted in words (20 a chunk)."""
    long_turn = t.turns[1]
    assert long_turn.start <= offset < long_turn.end
    return 10 + EVERY * (len(t.text[long_turn.start:offset].split()) // 20)


def test_a_quote_is_cited_at_the_sync_point_before_it(study: Project, tmp_path: Path) -> None:
    from docx import Document

    from qcode.core.analysis import format_time
    from qcode.usecases import retrieval, search
    from qcode.usecases.coding import apply_code
    from qcode.usecases.reporting import ReportRequest, generate_report

    project = study
    tid = import_trs(project, tmp_path, trs(LONG, PLAIN, every=EVERY))
    t = project.transcript(tid)
    long_turn = t.turns[1]
    # a passage in chunk 5 of the long turn, three words after its <Sync time="65">
    start = long_turn.start + len(" ".join(" ".join(LONG).split()[:103])) + 1
    end = start + len(" ".join(t.text[start:].split()[:6]))
    assert chunk_time(t, start) == 65.0 and long_turn.time_start == 10.0
    apply_code(project, "eslo-like", start, end, "instability")
    [q] = retrieval.quotes(project, "instability")
    assert (q.start, q.time, q.where) == (start, 65.0, "00:01:05")
    for fmt in ("md", "html"):
        text = generate_report(project, ReportRequest(fmt, tmp_path / f"r.{fmt}", date="2026-12-03")).read_text("utf-8")
        assert "00:01:05" in text and "00:00:10" not in text, fmt
    table = generate_report(project, ReportRequest("csv", tmp_path / "r.csv", date="2026-12-03"))
    [row] = [r for r in csv.DictReader(io.StringIO(table.read_text("utf-8-sig"))) if r.get("text") == t.text[start:end]]
    assert (row["time"], row["turn"]) == ("00:01:05", "2")
    docx = generate_report(project, ReportRequest("docx", tmp_path / "r.docx", date="2026-12-03"))
    paragraphs = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "00:01:05" in paragraphs and "00:00:10" not in paragraphs
    # every hit of a word of the long turn is dated by its own chunk; the other turns by their start
    hits = search.search(project, "unstable", transcripts=[tid])
    in_long = [h for h in hits if long_turn.start <= h.start < long_turn.end]
    assert len({h.time for h in in_long}) > 3
    assert all(h.time == chunk_time(t, h.start) for h in in_long)
    assert all(h.time == 100.0 for h in hits if h.start >= t.turns[2].start)
    assert format_time(in_long[-1].time) != format_time(long_turn.time_start)


def test_without_sync_points_quotes_keep_the_turns_time(study: Project, tmp_path: Path) -> None:
    from qcode.usecases import retrieval, search
    from qcode.usecases.coding import apply_code

    project = study
    tid = import_trs(project, tmp_path, trs(LONG, PLAIN, every=EVERY))
    t = project.transcript(tid)
    project.store.transcripts.update_fields(tid, notes=[n for n in t.notes if n.kind != SYNC])
    project.invalidate()
    start = t.turns[1].start + 500
    apply_code(project, "eslo-like", start, start + 30, "instability")
    assert [q.time for q in retrieval.quotes(project, "instability")] == [10.0]
    assert {h.time for h in search.search(project, "unstable", transcripts=[tid]) if h.start < t.turns[2].start} == {10.0}


def test_reimporting_the_same_file_brings_its_sync_points_to_an_old_import(project: Project, tmp_path: Path) -> None:
    """A project imported before qcode kept <Sync> points gets them from the very same file, codings untouched."""
    from click.testing import CliRunner

    from qcode.cli import cli
    from qcode.usecases.coding import apply_code

    tid = import_trs(project, tmp_path, trs(LONG, PLAIN, every=EVERY))
    t = project.transcript(tid)
    kept = list(t.notes)
    n = sum(note.kind == SYNC for note in kept)
    project.store.transcripts.update_fields(tid, notes=[n for n in t.notes if n.kind != SYNC])  # as an old import
    project.invalidate()
    assert syncs(project, tid) == []
    apply_code(project, "eslo-like", t.turns[1].start + 200, t.turns[1].start + 260, "instability")
    suggesting.run_suggestions(project, transcripts=[tid], min_score=0.0)
    codings = project.store.codings.list(transcript_id=tid)
    pending = suggesting.pending(project)
    assert codings and pending
    f = tmp_path / "eslo-like.trs"
    assert importing.import_paths(project, [f]).skipped  # a plain import of the same file skips it, as before

    rep = replace_transcript(project, "eslo-like", f)
    project.invalidate()
    assert not rep.unchanged and rep.notes_refreshed == {SYNC: (0, n)} and n == len(LONG) + 2
    assert (rep.kept, rep.moved, rep.flagged, rep.moves, rep.suggestions_dropped) == (0, 0, 0, [], 0)
    assert project.transcript(tid).notes == kept and project.transcript(tid).text == t.text
    assert project.store.codings.list(transcript_id=tid) == codings
    assert suggesting.pending(project) == pending
    assert replace_transcript(project, "eslo-like", f).unchanged  # now nothing is left to refresh

    project.store.transcripts.update_fields(tid, notes=[note for note in kept if note.kind != SYNC])
    r = CliRunner().invoke(cli, ["-p", str(project.root), "import", "--replace", "eslo-like", str(f)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert f"its notes were read anew (time points 0 -> {n})" in said and "codings are unchanged" in said
    r = CliRunner().invoke(cli, ["-p", str(project.root), "import", "--replace", "eslo-like", str(f), "--json"],
                           catch_exceptions=False)
    assert json.loads(r.output)["unchanged"] is True and json.loads(r.output)["notes_refreshed"] == {}
