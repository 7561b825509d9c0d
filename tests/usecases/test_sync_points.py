"""Transcriber ``<Sync time>`` points: stored as notes, where long turns' suggested passages end, never shown."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from qcode.core.transcript import SYNC
from qcode.usecases import importing, suggesting
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
    [a] = list(engine.analyse(suggesting._inputs(project, [tid]), cache))
    return [(int(s), int(e)) for s, e in zip(a.feats.start, a.feats.end, strict=True)]


def test_a_long_unpunctuated_turn_is_cut_at_its_sync_points(project: Project, tmp_path: Path) -> None:
    from qcode.suggest.units import MAX_WINDOW_TOKENS

    tid = import_trs(project, tmp_path, trs(LONG, PLAIN))
    t = project.transcript(tid)
    long_turn, plain_turn = t.turns[1], t.turns[2]
    points = syncs(project, tid)
    inside = [p for p in points if long_turn.start < p < long_turn.end]
    assert [t.text[p + 1:].split()[0] for p in inside] == [c.split()[0] for c in LONG[1:]]
    [item] = suggesting._inputs(project, [tid])
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
