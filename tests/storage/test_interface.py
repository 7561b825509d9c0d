"""The store satisfies the repository Protocols of qcode.storage.interface, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qcode.storage import Store, interface
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        store = Store.open_sqlite(tmp_path / "p.db", create=True)
    else:
        store = Store.open_url(fresh_postgres_database("i"), create=True)
    yield store
    store.close()


def _typed(store: Store) -> interface.StoreProtocol:
    return store  # mypy checks this assignment against the Protocol


def test_the_store_satisfies_the_store_protocol(any_store: Store) -> None:
    assert isinstance(_typed(any_store), interface.StoreProtocol)


@pytest.mark.parametrize(
    ("attribute", "protocol"),
    [
        ("coders", interface.CodersRepository),
        ("progress", interface.ProgressRepository),
        ("meta", interface.MetaRepository),
        ("suggestions", interface.SuggestionsRepository),
        ("transcripts", interface.TranscriptsRepository),
        ("codes", interface.CodesRepository),
        ("codings", interface.CodingsRepository),
        ("memos", interface.MemosRepository),
        ("participants", interface.ParticipantsRepository),
        ("attributes", interface.AttributesRepository),
        ("roles", interface.RolesRepository),
        ("team", interface.TeamRepository),
    ],
)
def test_each_repository_satisfies_its_protocol(any_store: Store, attribute: str, protocol: type) -> None:
    assert isinstance(getattr(any_store, attribute), protocol)


def test_a_class_missing_a_repository_method_does_not_satisfy_the_protocol() -> None:
    class NoNames:
        def id(self, name: str) -> int:
            return 1

    assert not isinstance(NoNames(), interface.CodersRepository)


def test_coders_round_trip_through_the_repository(any_store: Store) -> None:
    a = any_store.coders.id("amina")
    assert any_store.coders.id("amina") == a
    any_store.coders.id("bob")
    assert any_store.coders.names() == ["amina", "bob"]
    assert any_store.coders.names_by_id()[a] == "amina"


def test_progress_coverage_lists_turns_codings_and_transcripts(any_store: Store) -> None:
    from qcode.core import Code, Codebook, Coding, Transcript, build_text

    text, turns = build_text([("A", "One two.", 0.0, 1.0), ("B", "Three four.", 1.0, 2.0)])
    tid = any_store.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns))
    any_store.codes.save(Codebook(codes=(Code("x", {"": "X"}),)))
    any_store.codings.add(Coding(transcript_id=tid, code_id="x", start=turns[1].start, end=turns[1].end, coder="amina"))
    rows = any_store.progress.coverage()
    assert rows.transcript_ids == [tid]
    assert [(t.start, t.end) for t in rows.turns] == [(t.start, t.end) for t in turns]
    assert [(c.transcript_id, c.start, c.coder) for c in rows.codings] == [(tid, turns[1].start, "amina")]


def test_meta_set_overwrites_and_get_reads_back(any_store: Store) -> None:
    assert any_store.meta.get("k") is None
    any_store.meta.set("k", "1")
    any_store.meta.set("k", "2")
    assert any_store.meta.get("k") == "2"


def _one_transcript(store: Store) -> tuple[int, list]:
    from qcode.core import Code, Codebook, Note, Transcript, build_text

    text, turns = build_text([("A", "One two.", 0.0, 1.0), ("B", "Three four.", 1.0, 2.0)])
    notes = [Note(14, "sync", "", 1.5), Note(0, "event", "noise: rire", 0.0), Note(4, "sync", "", None), Note(0, "sync", "", 0.0)]
    tid = store.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns, notes=notes))
    store.codes.save(Codebook(codes=(Code("x", {"": "X"}), Code("y", {"": "Y"}))))
    return tid, turns


def test_transcript_inputs_give_the_time_points_by_offset(any_store: Store) -> None:
    tid, turns = _one_transcript(any_store)
    for text in (True, False):
        _, _, spans, syncs = any_store.suggestions.transcript_inputs([tid], text=text)[tid]
        assert spans == [(t.start, t.end) for t in turns]
        assert syncs == [(0, 0.0), (4, None), (14, 1.5)]  # the sync notes only, an unknown time kept as None


def test_suggestions_are_replaced_decided_and_never_proposed_again_once_rejected(any_store: Store) -> None:
    tid, turns = _one_transcript(any_store)
    repo = any_store.suggestions
    a, b = turns
    rows: list[interface.SuggestionInput] = [
        (tid, "x", a.start, a.end, "One two.", 0.9, {"s": 1}, "rules"),
        (tid, "y", b.start, b.end, "Three four.", 0.5, {"s": 2}, "rules"),
    ]
    assert repo.replace_pending([tid], ["x", "y"], rows) == 2
    found = repo.list()
    assert [(r.code_id, r.score, r.status, r.evidence) for r in found] == [("x", 0.9, "pending", {"s": 1}), ("y", 0.5, "pending", {"s": 2})]
    first, second = found
    assert repo.get(first.id) == first
    fingerprint = repo.pending_aggregates([tid], ["x", "y"])
    assert fingerprint == {tid: (2, first.id + second.id, 1.4)}

    repo.decide(second.id, "rejected", "amina")
    decided = repo.get(second.id)
    assert (decided.status, decided.coder, decided.decided is not None) == ("rejected", "amina", True)
    assert repo.rejected_keys([tid]) == ({(tid, "y", b.start, b.end)}, {(tid, "y", "Three four.")})
    # a re-run proposing the rejected passage again writes only the other one, keeping its id
    written = repo.replace_transcripts_pending([(tid, rows)], ["x", "y"])
    assert written == {tid: (1, (1, first.id, 0.9))}
    assert [r.id for r in repo.list()] == [first.id]
    assert repo.counts() == {"pending": 1, "rejected": 1}
    assert repo.list(status=None, code_id="y") == [decided]

    repo.delete(first.id)
    assert repo.list() == []
    repo.replace_pending([tid], ["x"], rows[:1])
    assert repo.drop_pending(tid) == 1 and repo.counts() == {"rejected": 1}


def test_a_run_of_many_rows_is_written_whole_with_ids_in_row_order(any_store: Store) -> None:
    """Rows go in several per INSERT statement (and the rest one per statement): every row is written with
    its own values, and the ids follow the order of the rows."""
    from qcode.storage.repositories.suggestions import ROWS_PER_INSERT

    tid, _ = _one_transcript(any_store)
    n = 2 * ROWS_PER_INSERT + 7
    rows = [(tid, "xy"[k % 2], k, k + 3, f"q{k} é", round(k / n, 6), f'{{"k":{k}}}', "rules") for k in range(n)]
    assert any_store.suggestions.replace_pending([tid], ["x", "y"], rows) == n
    found = sorted(any_store.suggestions.list(), key=lambda r: r.id)
    assert [(r.code_id, r.start, r.end, r.quote, r.score, r.evidence) for r in found] == [
        (c, s, e, q, sc, {"k": s}) for _, c, s, e, q, sc, _, _ in rows]


def test_rows_given_with_their_codes_replace_those_codes_only(any_store: Store) -> None:
    tid, turns = _one_transcript(any_store)
    repo = any_store.suggestions
    a, b = turns
    repo.replace_pending([tid], ["x", "y"], [(tid, "x", a.start, a.end, "One two.", 0.9, "{}", "rules"),
                                            (tid, "y", b.start, b.end, "Three four.", 0.5, "{}", "rules")])
    y = next(r for r in repo.list() if r.code_id == "y")
    # only x's suggestions are replaced: y's stays (a row for y given here is not written)
    written = repo.replace_transcripts_pending(
        [(tid, [(tid, "x", b.start, b.end, "Three four.", 0.7, "{}", "rules"),
                (tid, "y", a.start, a.end, "One two.", 0.6, "{}", "rules")], ["x"])], ["x", "y"])
    left = repo.list()
    assert sorted((r.code_id, r.start, r.score) for r in left) == [("x", b.start, 0.7), ("y", b.start, 0.5)]
    assert next(r for r in left if r.code_id == "y") == y
    assert written == {tid: (1, (2, sum(r.id for r in left), 1.2))}  # the fingerprint covers x and y


def test_many_transcripts_in_one_call_each_replace_their_own_codes(any_store: Store) -> None:
    """Consecutive transcripts replacing the same codes are written in one step; each still replaces only its
    codes, keeps the ids of the passages proposed again, leaves a rejected passage out and gets its own count
    and fingerprint; a transcript given twice counts once (its first rows)."""
    from qcode.core import Transcript, build_text

    tid, turns = _one_transcript(any_store)
    text, again = build_text([("A", "One two.", 0.0, 1.0), ("B", "Three four.", 1.0, 2.0)])
    tids = [tid, *(any_store.transcripts.add(Transcript(name=f"t{k}", title="t", text=text, turns=again)) for k in (2, 3))]
    repo = any_store.suggestions
    a, b = turns

    def rows(t: int, score: float) -> list:
        return [(t, "x", a.start, a.end, "One two.", score, "{}", "rules"), (t, "y", b.start, b.end, "Three four.", score, "{}", "rules")]

    repo.replace_transcripts_pending([(t, rows(t, 0.5)) for t in tids], ["x", "y"])
    ids = {(r.transcript_id, r.code_id): r.id for r in repo.list()}
    repo.decide(ids[(tids[1], "y")], "rejected", "amina")
    written = repo.replace_transcripts_pending(
        [(tids[0], rows(tids[0], 0.7), ["x"]), (tids[1], rows(tids[1], 0.6), ["x", "y"]),
         (tids[2], rows(tids[2], 0.8), ["x", "y"]), (tids[0], rows(tids[0], 0.1), ["x"])], ["x", "y"])
    pending = {(r.transcript_id, r.code_id): (r.id, r.score) for r in repo.list()}
    assert pending == {(tids[0], "x"): (ids[(tids[0], "x")], 0.7), (tids[0], "y"): (ids[(tids[0], "y")], 0.5),
                       (tids[1], "x"): (ids[(tids[1], "x")], 0.6),
                       (tids[2], "x"): (ids[(tids[2], "x")], 0.8), (tids[2], "y"): (ids[(tids[2], "y")], 0.8)}
    assert repo.get(ids[(tids[1], "y")]).status == "rejected"
    assert {t: n for t, (n, _) in written.items()} == {tids[0]: 1, tids[1]: 1, tids[2]: 2}
    assert {t: f for t, (_, f) in written.items()} == repo.pending_aggregates(tids, ["x", "y"])


def test_an_accepted_suggestion_whose_coding_is_gone_is_pending_again(any_store: Store) -> None:
    from qcode.core import Coding

    tid, turns = _one_transcript(any_store)
    repo = any_store.suggestions
    a = turns[0]
    repo.replace_pending([tid], ["x"], [(tid, "x", a.start, a.end, "One two.", 0.9, "{}", "rules")])
    [s] = repo.list()
    coding = any_store.codings.add(Coding(transcript_id=tid, code_id="x", start=a.start, end=a.end, coder="amina", quote="One two."))
    repo.decide(s.id, "accepted", "amina", coding.id)
    assert repo.reconcile() == 0 and repo.coding_quotes([coding.id]) == {coding.id: "One two."}
    any_store.codings.delete(coding.id)
    assert repo.reconcile() == 1
    assert (repo.get(s.id).status, repo.get(s.id).coding_id) == ("pending", None)
    assert repo.transcript_inputs([tid], text=False)[tid][2] == [(t.start, t.end) for t in turns]


def test_roles_report_the_database_and_who_is_connected_on_postgresql() -> None:
    import sqlalchemy as sa

    url = fresh_postgres_database("roles")
    with Store.open_url(url, create=True) as store:
        assert store.roles.database() == sa.make_url(url).database
        info, tls = store.roles.connection()
        with store.engine.connect() as conn:
            expected = conn.exec_driver_sql("SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").scalar()
        assert info.user == sa.make_url(url).username and info.prefix is None and tls == expected
        store.roles.set_blind(True)
        assert store.roles.connection()[0].blind is True


def test_memos_are_added_found_by_target_updated_and_deleted(any_store: Store) -> None:
    from qcode.core import Memo
    from qcode.core.errors import NotFoundError

    repo = any_store.memos
    project = repo.add(Memo("project", "project", "Overall ✍", "amina", title="Notes"))
    code = repo.add(Memo("code", "pay", "rates table", "bob"))
    assert project.id is not None and code.id is not None and project.id != code.id
    assert repo.list() == [project, code]
    assert repo.list("code", "pay") == [code] and repo.list("code", "other") == []
    changed = repo.update(Memo("code", "pay", "the rates table", "bob", "Pay", code.created, code.modified, code.id))
    [stored] = repo.list("code")
    assert (stored.text, stored.title, stored.coder, stored.modified) == ("the rates table", "Pay", "bob", changed.modified)
    repo.delete(code.id)
    assert repo.list() == [project]
    with pytest.raises(NotFoundError):
        repo.update(code)


def test_participants_merge_attributes_and_link_speakers(any_store: Store) -> None:
    from qcode.core import Participant

    tid, _turns = _one_transcript(any_store)
    repo = any_store.participants
    first = repo.upsert(Participant("P01", {"gender": "f"}))
    assert repo.upsert(Participant("P01", {"country": "KE"})) == first
    assert repo.list() == [Participant("P01", {"gender": "f", "country": "KE"})]
    repo.upsert(Participant("P01", {"age": 30}), merge=False)
    assert repo.list() == [Participant("P01", {"age": 30})]
    repo.link_speaker(tid, "A", "P01")
    repo.link_speaker(tid, "B", "INT")  # a new participant, made on first use
    assert repo.speakers() == {(tid, "A"): "P01", (tid, "B"): "INT"}
    repo.link_speaker(tid, "B", None)
    assert repo.speakers() == {(tid, "A"): "P01"}
    assert [p.name for p in repo.list()] == ["INT", "P01"]


def test_attribute_definitions_are_declared_and_retyped(any_store: Store) -> None:
    from qcode.core.transcript import AttributeDef

    repo = any_store.attributes
    repo.define(AttributeDef("country", "category", "transcript"))
    repo.define(AttributeDef("age", "text", "participant"))
    repo.define(AttributeDef("age", "number", "participant"))
    assert repo.definitions() == [AttributeDef("age", "number", "participant"), AttributeDef("country", "category", "transcript")]


def test_transcript_summaries_are_dataclasses_without_the_text(any_store: Store) -> None:
    from qcode.core.transcript import TranscriptSummary

    tid, turns = _one_transcript(any_store)
    [summary] = any_store.transcripts.summaries()
    assert isinstance(summary, TranscriptSummary)
    assert (summary.id, summary.name, summary.turns, summary.speakers, summary.words) == (tid, "t", 2, ["A", "B"], 4)
    assert summary.chars == len(any_store.transcripts.get(tid).text) > turns[-1].start


def test_codings_are_added_listed_updated_moved_deleted_and_restored(any_store: Store) -> None:
    from dataclasses import replace

    from qcode.core import Coding
    from qcode.core.errors import CodingError, NotFoundError

    tid, turns = _one_transcript(any_store)
    repo = any_store.codings
    a, b = turns
    one = repo.add(Coding(transcript_id=tid, code_id="x", start=a.start, end=a.end, coder="amina", quote="One two."))
    two, three = repo.add_many([
        Coding(transcript_id=tid, code_id="y", start=b.start, end=b.end, coder="bob"),
        Coding(transcript_id=tid, code_id="y", start=a.start, end=a.end, coder="amina"),
    ])
    assert None not in (one.id, two.id, three.id)
    assert repo.get(one.id) == one
    assert repo.list() == [one, three, two]  # by transcript, then position
    assert [c.id for c in repo.iter(coders=["bob"])] == [two.id]
    assert repo.list(code_ids=["x"], transcript_id=tid) == [one]
    assert repo.find(tid, "y", "bob", b.start, b.end) == two.id and repo.find(tid, "y", "bob", 0, 1) is None
    assert repo.guids() == {one.guid, two.guid, three.guid}
    assert repo.counts() == {"x": 1, "y": 2}
    with pytest.raises(CodingError, match="Unknown code 'z'"):
        repo.add(Coding(transcript_id=tid, code_id="z", start=0, end=1, coder="amina"))

    edited = repo.update(replace(one, memo="why"))
    assert repo.get(one.id).memo == "why" and repo.get(one.id).modified == edited.modified
    repo.update_many([replace(two, status="checked"), replace(three, memo="m")])
    assert (repo.get(two.id).status, repo.get(three.id).memo) == ("checked", "m")
    assert repo.list(status="checked") == [repo.get(two.id)]

    # three duplicates one's span once moved to x: it is dropped, and counted as moved
    assert repo.reassign("y", "x") == 2
    assert repo.counts() == {"x": 2}
    gone = repo.delete(one.id)
    with pytest.raises(NotFoundError):
        repo.get(one.id)
    assert repo.restore(gone) == gone and repo.get(one.id) == gone


def test_the_codebook_is_saved_recorded_upserted_and_its_unused_codes_deleted(any_store: Store) -> None:
    from qcode.core import Code, Codebook, Coding
    from qcode.core.errors import CodingError

    repo = any_store.codes
    assert repo.record() is None and repo.codebook().codes == ()
    cb = Codebook(title="Work", version="1", codes=(Code("x", {"": "X"}), Code("y", {"": "Y"}, parent="x")))
    repo.save(cb, source_text="codes: ...", path="codebook.yaml")
    record = repo.record()
    assert isinstance(record, interface.CodebookRecord)
    assert (record.path, record.content_hash, record.version, record.title, record.source_text) == (
        "codebook.yaml", cb.content_hash(), "1", "Work", "codes: ...")
    assert repo.codebook() == cb

    repo.upsert([Code("z", {"": "Z"})], start_position=2)
    repo.upsert([Code("x", {"": "X, changed"})])
    assert [(c.id, c.label[""]) for c in repo.codebook().codes] == [("x", "X, changed"), ("y", "Y"), ("z", "Z")]

    tid, turns = _one_transcript_without_codebook(any_store)
    any_store.codings.add(Coding(transcript_id=tid, code_id="z", start=turns[0].start, end=turns[0].end, coder="amina"))
    with pytest.raises(CodingError, match="still has 1 codings"):
        repo.delete("z")
    repo.delete("y")
    assert [c.id for c in repo.codebook().codes] == ["x", "z"]
    with pytest.raises(CodingError, match="Unknown code 'y'"):
        any_store.codings.add(Coding(transcript_id=tid, code_id="y", start=0, end=1, coder="amina"))


def _one_transcript_without_codebook(store: Store) -> tuple[int, list]:
    from qcode.core import Transcript, build_text

    text, turns = build_text([("A", "One two.", 0.0, 1.0), ("B", "Three four.", 1.0, 2.0)])
    return store.transcripts.add(Transcript(name="t", title="t", text=text, turns=turns)), turns


def test_transcripts_are_added_found_changed_replaced_and_deleted(any_store: Store) -> None:
    from dataclasses import replace

    from qcode.core import Coding, Transcript, build_text
    from qcode.core.errors import NotFoundError, ProjectError
    from qcode.core.sourcemap import SourceMap
    from qcode.core.transcript import SourceInfo

    repo = any_store.transcripts
    text, turns = build_text([("A", "Olá, tudo bem?", 0.0, 1.0), ("B", "Sim.", 1.0, 2.0)])
    source_text = "# " + text
    source_map = SourceMap(((0, 2, len(text), len(text)),), len(text), len(source_text))
    info = SourceInfo(filename="int-01.txt", sha256="ab" * 32, format="txt", encoding="utf-8")
    t = Transcript(name="int-01", title="First", text=text, turns=turns, language="pt",
                   attributes={"site": "Porto"}, speakers={"A": "P01"}, source=info,
                   source_text=source_text, source_map=source_map)
    tid = repo.add(t, source_bytes=source_text.encode())
    stored = repo.get(tid)
    assert (stored.id, stored.name, stored.title, stored.text, stored.turns, stored.language) == (tid, "int-01", "First", text, turns, "pt")
    assert (stored.attributes, stored.speakers, stored.source) == ({"site": "Porto"}, {"A": "P01", "B": None}, info)
    assert repo.source(tid) == (source_text, source_map)
    assert repo.source_bytes(tid) == source_text.encode()
    assert repo.find(tid) == repo.find(str(tid)) == repo.find("int-01") == repo.find("some/dir/int-01.txt") == tid
    assert repo.by_source_hash("ab" * 32) == (tid, "int-01") and repo.by_source_hash("cd" * 32) is None
    with pytest.raises(NotFoundError, match="Did you mean 'int-01'"):
        repo.find("int-02")
    with pytest.raises(ProjectError, match="already exists"):
        repo.add(replace(t, id=None))

    repo.update_fields(tid, title="Premier", attributes={"site": "Lisboa"})
    [summary] = repo.summaries()
    assert (summary.title, summary.attributes, summary.source, summary.turns, summary.speakers) == (
        "Premier", {"site": "Lisboa"}, "int-01.txt", 2, ["A", "B"])
    with pytest.raises(ValueError):
        repo.update_fields(tid, text="no")
    from qcode.core.transcript import SYNC, Note

    notes = [Note(0, SYNC, "", 0.0), Note(4, "event", "rire", None), Note(5, SYNC, "", 0.5)]
    repo.update_fields(tid, notes=notes)
    assert (repo.get(tid).notes, repo.get(tid).text, repo.get(tid).turns) == (notes, text, turns)

    text2, turns2 = build_text([("A", "Tudo.", 0.0, 1.0)])
    repo.replace_content(tid, Transcript(name="int-01", title="", text=text2, turns=turns2))
    again = repo.get(tid)
    assert (again.text, again.turns, again.title, again.source) == (text2, turns2, "Premier", None)
    assert repo.source(tid) is None and repo.source_bytes(tid) is None

    from qcode.core import Code, Codebook

    any_store.codes.save(Codebook(codes=(Code("x", {"": "X"}),)))
    c = any_store.codings.add(Coding(transcript_id=tid, code_id="x", start=0, end=4, coder="amina"))
    from qcode.core.coding import Memo

    any_store.memos.add(Memo("coding", str(c.id), "on the coding", "amina"))
    any_store.memos.add(Memo("transcript", str(tid), "on the transcript", "amina"))
    any_store.memos.add(Memo("coding", "999", "on another coding", "amina"))
    repo.delete(tid)
    assert repo.summaries() == [] and any_store.codings.list() == []
    assert [m.text for m in any_store.memos.list()] == ["on another coding"]
    assert any_store.participants.speakers() == {} and [p.name for p in any_store.participants.list()] == ["P01"]
    with pytest.raises(NotFoundError):
        repo.get(tid)


def test_team_keeps_agreement_runs_and_reviews_and_the_guids_and_hashes_merges_use(any_store: Store) -> None:
    tid, _ = _one_transcript(any_store)
    team = any_store.team
    assert team.agreement_runs() == [] and team.reviews() == []
    first = team.add_agreement_run("turn", ["ann", "bob"], "abc", "1.0", {"alpha": 0.5})
    second = team.add_agreement_run("char", ["ann"], None, "", {"alpha": 0.75})
    runs = team.agreement_runs()
    assert [(r["id"], r["unit"], r["coders"], r["codebook_hash"], r["result"]) for r in runs] == [
        (first, "turn", ["ann", "bob"], "abc", {"alpha": 0.5}), (second, "char", ["ann"], None, {"alpha": 0.75})]
    rid = team.add_review(transcript_id=tid, code_id="x", start=0, end=3, decision="both", kept=[7, 8],
                          consensus="consensus", reviewer="lead")
    [rec] = team.reviews()
    assert (rec["id"], rec["transcript_id"], rec["code_id"], rec["start"], rec["end"], rec["decision"], rec["kept"],
            rec["consensus"], rec["reviewer"], rec["memo"]) == (rid, tid, "x", 0, 3, "both", [7, 8], "consensus", "lead", "")
    team.set_review_memo(rid, "we agreed")
    assert team.reviews()[0]["memo"] == "we agreed"
    team.delete_review(rid)
    assert team.reviews() == []
    guids = any_store.codes.guids()
    assert set(guids) == {"x", "y"} and len(set(guids.values())) == 2
    [(sha, name)] = any_store.transcripts.hashes().values()
    assert name == "t" and len(sha) == 64
