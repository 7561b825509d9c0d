"""Removing a transcript: refused while work is on it, forced removal takes exactly it, the backup undoes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from qcode.core.anchor import make_anchor
from qcode.core.coding import Coding, Memo
from qcode.core.errors import NotFoundError, ProjectError
from qcode.storage import schema
from qcode.usecases import importing
from qcode.usecases.backups import restore
from qcode.usecases.project import Project
from qcode.usecases.transcripts import removal_preview, remove_transcript
from tests.helpers import raw_connection

OTHER = """\
Interviewer: Tell me about the platform.
Jo: Unstable hours, and the pay is per task.
"""


def contents(project: Project) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: the whole project as the database holds it."""
    with raw_connection(project.store) as conn:
        return {
            t.name: sorted((tuple(r) for r in conn.execute(sa.select(t))), key=repr)
            for t in schema.metadata.sorted_tables
        }


def add(project: Project, tid: int, quote: str, code: str, coder: str = "tester") -> Coding:
    text = project.transcript(tid).text
    s = text.index(quote)
    a = make_anchor(text, s, s + len(quote))
    return project.store.codings.add(Coding(tid, s, s + len(quote), code, coder, quote=a.quote, prefix=a.prefix,
                                            suffix=a.suffix))


@pytest.fixture
def worked(project: Project, project_dir: Path) -> Project:
    """interview-01 with codings by two coders, memos, suggestions, a review and a linked speaker; interview-02 coded too."""
    (project_dir / "interview-02.txt").write_text(OTHER, encoding="utf-8")
    assert not importing.import_paths(project, [project_dir / "interview-02.txt"]).failed
    t1, t2 = project.find_transcript("interview-01"), project.find_transcript("interview-02")
    c1 = add(project, t1, "Piece rates, very low", "pay")
    add(project, t1, "Unstable", "instability", coder="jo")
    add(project, t1, "paid per task", "piece-rates", coder="jo")
    c2 = add(project, t2, "Unstable hours", "instability")
    store = project.store
    store.memos.add(Memo("transcript", str(t1), "A wrong file?", "tester"))
    store.memos.add(Memo("coding", str(c1.id), "Low pay, said twice.", "tester"))
    store.memos.add(Memo("coding", str(c2.id), "Hours, not days.", "tester"))
    store.memos.add(Memo("project", "", "Project memo.", "tester"))
    store.participants.link_speaker(t1, "Amina", "Amina K.")
    store.participants.link_speaker(t2, "Jo", "Jo B.")
    text = project.transcript(t1).text
    s = text.index("nothing at all")
    rows = [(t1, "instability", s, s + 14, "nothing at all", 0.8, "{}", "rules"),
            (t1, "pay", 0, 11, text[:11], 0.3, "{}", "rules")]
    store.suggestions.replace_pending([t1], ["instability", "pay"], rows)
    decided = store.suggestions.list(transcript_id=t1)[0]
    store.suggestions.decide(decided.id, "rejected", "tester")
    store.team.add_review(transcript_id=t1, code_id="pay", start=c1.start, end=c1.end, decision="keep",
                          kept=[c1.id], consensus="tester", reviewer="tester", memo="")
    return project


def test_refused_with_codings_and_the_project_is_unchanged(worked: Project) -> None:
    before = contents(worked)
    backups = list((worked.data_dir / "backups").glob("*")) if (worked.data_dir / "backups").exists() else []
    with pytest.raises(ProjectError) as exc:
        remove_transcript(worked, "interview-01")
    msg = str(exc.value)
    assert "3 codings by 2 coders (jo 2, tester 1)" in msg
    assert "2 memos" in msg and "1 decided suggestion" in msg and "1 review" in msg
    assert "nothing was removed" in msg and "--force" in msg and "qcode restore" in msg
    assert contents(worked) == before
    now = list((worked.data_dir / "backups").glob("*")) if (worked.data_dir / "backups").exists() else []
    assert now == backups  # a refused removal does not even take a backup


def test_forced_removal_takes_exactly_that_transcript(worked: Project) -> None:
    t1, t2 = worked.find_transcript("interview-01"), worked.find_transcript("interview-02")
    before = contents(worked)
    other_codings = worked.store.codings.list(transcript_id=t2)
    rep = remove_transcript(worked, "interview-01.txt", force=True)  # by its file name
    assert rep.removed and rep.id == t1 and rep.name == "interview-01"
    assert (rep.codings, rep.coders, rep.memos) == (3, {"tester": 1, "jo": 2}, 2)
    assert (rep.suggestions_decided, rep.suggestions_pending, rep.reviews, rep.speakers_linked) == (1, 1, 1, 1)
    assert rep.backup is not None and rep.backup.is_file()
    after = contents(worked)
    for table in schema.metadata.sorted_tables:
        if "transcript_id" in table.c:
            col = list(table.c.keys()).index("transcript_id")
            assert all(r[col] != t1 for r in after[table.name]), table.name
    assert [r[0] for r in after["transcripts"]] == [t2]
    assert worked.store.codings.list(transcript_id=t2) == other_codings
    memo_texts = sorted(m.text for m in worked.store.memos.list())
    assert memo_texts == ["Hours, not days.", "Project memo."]
    # The participants stay (they are the project's); only the removed transcript's link goes.
    assert after["participants"] == before["participants"]
    assert worked.store.participants.speakers() == {(t2, "Jo"): "Jo B."}
    # Nothing outside the transcript changed: codebook, coders, settings, other transcripts.
    for name in ("codes", "codebooks", "coders", "qcode_meta", "attribute_defs", "agreement_runs"):
        assert after[name] == before[name], name
    with pytest.raises(NotFoundError):
        worked.find_transcript("interview-01")


def test_the_backup_brings_everything_back(worked: Project, project_dir: Path) -> None:
    before = contents(worked)
    rep = remove_transcript(worked, "interview-01", force=True)
    assert rep.backup is not None
    worked.close()
    restore(project_dir, rep.backup.name)
    with Project.open(project_dir) as p:
        assert contents(p) == before
        t1 = p.find_transcript("interview-01")
        assert len(p.store.codings.list(transcript_id=t1)) == 3


def test_a_transcript_without_work_goes_without_force(project: Project) -> None:
    rep = remove_transcript(project, "interview-01")
    assert rep.removed and rep.codings == 0
    assert project.store.transcripts.summaries() == []


def test_unknown_reference_suggests_the_closest_name(worked: Project) -> None:
    before = contents(worked)
    with pytest.raises(NotFoundError) as exc:
        remove_transcript(worked, "interview-1", force=True)
    assert "Did you mean" in str(exc.value) and "interview-01" in str(exc.value)
    assert contents(worked) == before


def test_preview_changes_nothing(worked: Project) -> None:
    before = contents(worked)
    rep = removal_preview(worked, "interview-01")
    assert not rep.removed and rep.has_work and rep.codings == 3
    assert contents(worked) == before


def test_an_error_half_way_leaves_the_project_as_it_was(worked: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    before = contents(worked)
    repo = worked.store.transcripts
    real_delete = repo.delete

    def delete_then_fail(tid: int) -> None:
        real_delete(tid)  # every row of it is deleted, then the transaction fails before it commits
        raise RuntimeError("disk went away")

    monkeypatch.setattr(repo, "delete", delete_then_fail)
    with pytest.raises(RuntimeError):
        remove_transcript(worked, "interview-01", force=True)
    worked.invalidate()
    assert contents(worked) == before
    assert len(worked.store.codings.list(transcript_id=worked.find_transcript("interview-01"))) == 3


def test_on_a_server_the_removal_is_one_transaction_without_a_local_backup(tmp_path: Path, postgres_url: str) -> None:
    (tmp_path / "a.txt").write_text(OTHER, encoding="utf-8")
    (tmp_path / "b.txt").write_text(OTHER.replace("Jo", "Sam"), encoding="utf-8")
    with Project.init(tmp_path / "p", language="en", database=postgres_url) as p:
        assert not importing.import_paths(p, [tmp_path / "a.txt", tmp_path / "b.txt"]).failed
        p.store.memos.add(Memo("transcript", str(p.find_transcript("a")), "wrong file", "tester"))
        with pytest.raises(ProjectError, match="1 memo"):
            remove_transcript(p, "a")
        rep = remove_transcript(p, "a", force=True)
        assert rep.removed and rep.backup is None
        assert [s.name for s in p.store.transcripts.summaries()] == ["b"] and p.store.memos.list() == []
        assert not (tmp_path / "p" / ".qcode" / "backups").exists()


def test_a_removed_transcript_s_parse_does_not_stay_in_the_suggestion_caches(worked: Project, project_dir: Path) -> None:
    from qcode.usecases import suggesting

    # the parses themselves are cached too (a blank pipeline's are not, by default: parsing is as fast as reading)
    worked.settings.suggest["keep_parses"] = True
    suggesting.run_suggestions(worked)
    t1, t2 = worked.find_transcript("interview-01"), worked.find_transcript("interview-02")
    docs = project_dir / ".qcode" / "cache" / "docs"
    before = {p.name for p in docs.rglob("*") if p.is_file()}
    assert len([n for n in before if n.endswith(".spacy")]) == 2 and any(n.endswith(".arrays") for n in before)
    from qcode.suggest.cache import text_key

    def key(tid: int) -> str:
        t = worked.transcript(tid)
        return text_key(t.text, [(x.start, x.end) for x in t.turns if x.end > x.start])

    k1, k2 = key(t1), key(t2)
    assert {n.split("-")[0] for n in before} == {k1, k2}  # every entry is named by its parse's text key
    remove_transcript(worked, t1, force=True)
    after = {p.name for p in docs.rglob("*") if p.is_file()}
    assert after and {n.split("-")[0] for n in after} == {k2}  # interview-02's parse and arrays stay
    manifest = (project_dir / ".qcode" / "cache" / "suggest" / "manifest.json").read_text(encoding="utf-8")
    assert f'"{t1}"' not in manifest and f'"{t2}"' in manifest
    # interview-02 is still suggested from its cached parse
    again = suggesting.run_suggestions(worked)
    assert again.transcripts == 1
