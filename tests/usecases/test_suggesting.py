"""Suggestion use cases: run, list, accept, reject, never re-suggest, history."""

from __future__ import annotations

import pytest

from qcode.core.errors import CodingError, NotFoundError, SuggestError
from qcode.usecases import suggest_writer, suggesting
from qcode.usecases.coding import History, apply_code

# The conftest transcript (offsets checked by hand):
#   29-99   "Unstable. Some weeks there is nothing at all, then everything at once."
#   115-188 "Piece rates, very low. You are paid per task, not for the time you spend."


def _by(project, code):
    return [v for v in suggesting.pending(project) if v.code_id == code]


def test_run_stores_pending_suggestions_with_evidence(project):
    report = suggesting.run_suggestions(project)
    assert report.transcripts == 1 and report.words == 36
    assert report.pipeline == "blank:en+lookup" and report.pipeline_notes
    assert report.suggestions == len(suggesting.pending(project)) > 0
    [inst] = _by(project, "instability")
    assert (inst.start, inst.end) == (29, 99) and inst.quote.startswith("Unstable.")
    assert inst.status == "pending" and inst.suggester
    ev = inst.evidence
    assert ev["spans"] == [[29, 37]]  # "Unstable"
    assert ev["signals"][0]["name"] == "qcode.lemma_keywords.v2"
    assert 'keyword "unstable"' in ev["summary"]
    [piece] = _by(project, "piece-rates")
    assert (piece.start, piece.end) == (115, 188)
    spans = [project.transcript("interview-01").text[s:e] for s, e in piece.evidence["spans"]]
    assert "Piece rates" in spans and "per task" in spans
    scores = [v.score for v in suggesting.pending(project)]
    assert scores == sorted(scores, reverse=True)


def test_rejected_pair_is_never_suggested_again(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    suggesting.reject(project, inst.id)
    assert _by(project, "instability") == []
    for _ in range(2):
        suggesting.run_suggestions(project)
        suggesting.run_suggestions(project, codes=["instability"], min_score=0.0)
        assert _by(project, "instability") == []
    with pytest.raises(SuggestError, match="already rejected by tester"):
        suggesting.accept(project, inst.id)


def test_accept_makes_a_suggestion_coding_and_keeps_evidence(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    coding = suggesting.accept(project, inst.id)
    assert coding.origin == "suggestion" and coding.code_id == "instability"
    assert (coding.start, coding.end) == (29, 99) and coding.coder == "tester"
    assert coding.evidence["spans"] == [[29, 37]] and coding.evidence["suggestion_id"] == inst.id
    stored = project.store.codings.get(coding.id)
    assert stored.evidence["summary"] == inst.evidence["summary"]
    # Already coded passages are not suggested again for that code.
    suggesting.run_suggestions(project)
    assert _by(project, "instability") == []
    with pytest.raises(SuggestError, match="already accepted"):
        suggesting.accept(project, inst.id)


def test_accept_with_resized_span(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    coding = suggesting.accept(project, inst.id, start=29, end=37, coder="amina")
    assert coding.quote == "Unstable" and coding.coder == "amina"


def _state(project):
    return [(v.id, v.status) for v in suggesting.pending(project)], list(project.store.codings.iter())


def test_accept_with_one_end_keeps_the_other_and_stays_in_the_turn(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    t = project.transcript("interview-01")
    turn = t.turns[t.turn_at(inst.start)]
    assert (turn.start, turn.end) != (0, len(t.text))  # the transcript has other turns
    assert suggesting.accept(project, inst.id, end=37).quote == "Unstable"  # end only: the suggestion's start
    [piece] = _by(project, "piece-rates")
    assert suggesting.accept(project, piece.id, start=138).quote == "You are paid per task, not for the time you spend."


@pytest.mark.parametrize(("start", "end", "message"), [
    (0, None, r"With only --start, suggestion \d+ would become 0-99, outside its turn"),
    (None, 150, r"With only --end, suggestion \d+ would become 29-150, outside its turn"),
    (115, 188, r"The span 115-188 does not overlap suggestion \d+ \(29-99"),
    (0, 29, r"The span 0-29 does not overlap"),
])
def test_accept_refuses_a_span_the_evidence_is_not_about(project, start, end, message):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    before = _state(project)
    with pytest.raises(SuggestError, match=message) as err:
        suggesting.accept(project, inst.id, start=start, end=end)
    assert "nothing was accepted" in str(err.value) and "--start" in (err.value.hint or "")
    assert _state(project) == before


def test_accept_with_both_ends_may_cross_turns(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    coding = suggesting.accept(project, inst.id, start=29, end=150)
    assert coding.quote.startswith("Unstable.") and "And the pay?" in coding.quote


def test_failed_accept_changes_nothing(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    apply_code(project, "interview-01", 29, 99, "instability")  # same span, same coder
    with pytest.raises(CodingError):
        suggesting.accept(project, inst.id)
    assert [v.id for v in _by(project, "instability")] == [inst.id]
    assert len(project.store.codings.list()) == 1


def test_accept_all_is_one_transaction_and_one_undo_step(project):
    suggesting.run_suggestions(project)
    ids = [v.id for v in suggesting.pending(project)]
    history = History(project)
    codings = suggesting.accept_all(project, ids, history=history)
    assert len(codings) == len(ids) == len(project.store.codings.list())
    assert suggesting.pending(project) == []
    assert len(history.undo_stack) == 1
    history.undo()
    assert project.store.codings.list() == []
    # All or nothing: an unknown id leaves everything as it was.
    suggesting.run_suggestions(project)
    ids = [v.id for v in suggesting.pending(project)]
    with pytest.raises(NotFoundError):
        suggesting.accept_all(project, [*ids, 99999])
    assert project.store.codings.list() == [] and len(suggesting.pending(project)) == len(ids)


def test_ids_are_stable_across_reruns_and_never_reused(project):
    suggesting.run_suggestions(project)
    before = {(v.code_id, v.start): v.id for v in suggesting.pending(project)}
    suggesting.run_suggestions(project)
    after = {(v.code_id, v.start): v.id for v in suggesting.pending(project)}
    assert before == after
    top = max(before.values())
    # A higher threshold drops some; new ones later get new ids.
    suggesting.run_suggestions(project, min_score=0.99)
    assert suggesting.pending(project) == []
    suggesting.run_suggestions(project)
    assert min(v.id for v in suggesting.pending(project)) > top


def test_bad_inputs_are_clear_errors_and_change_nothing(project):
    with pytest.raises(NotFoundError, match="instabilty.*instability"):
        suggesting.run_suggestions(project, codes=["instabilty"])
    with pytest.raises(SuggestError, match="between 0 and 1"):
        suggesting.run_suggestions(project, min_score=2)
    with pytest.raises(SuggestError, match="processes"):
        suggesting.run_suggestions(project, processes=0)
    with pytest.raises(NotFoundError):
        suggesting.run_suggestions(project, transcripts=["nope"])
    assert suggesting.pending(project) == []
    with pytest.raises(NotFoundError):
        suggesting.reject(project, 12345)


def test_coded_passages_are_not_suggested_for_their_code(project):
    apply_code(project, "interview-01", 115, 188, "piece-rates")
    suggesting.run_suggestions(project, min_score=0.0)
    assert all(v.start != 115 for v in _by(project, "piece-rates"))
    assert any(v.start == 115 for v in _by(project, "pay"))


def test_cli_suggest_and_review(project_dir):
    import json

    from click.testing import CliRunner

    from qcode.cli import cli

    r = CliRunner()
    out = r.invoke(cli, ["-p", str(project_dir), "suggest", "-q"])
    assert out.exit_code == 0, out.output
    assert "pending suggestions for 1 transcript (" in out.output and "blank:en+lookup" in out.output
    # each note once, no empty list of codes (#16)
    notes = [line for line in out.output.splitlines() if line.startswith("  - ")]
    assert len(notes) == len(set(notes)) and sum("vectors" in n for n in notes) == 1
    assert "()" not in out.output
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions"])
    assert "why: keyword \"" in out.output and "why: keywords:" not in out.output
    # each signal on its own line with its contribution, as the JSON has them
    [first] = [v for v in json.loads(r.invoke(cli, ["-p", str(project_dir), "suggestions", "--json"]).output)][:1]
    lines = out.output.split(f"#{first['id']}  ", 1)[1].splitlines()[2:2 + len(first["evidence"]["signals"])]
    assert [float(x.rsplit("(contribution ", 1)[1].rstrip(")")) for x in lines] == [
        round(s["contribution"], 2) for s in first["evidence"]["signals"]]
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions", "--json", "--code", "instability"])
    [item] = json.loads(out.output)
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions", "accept", str(item["id"])])
    assert out.exit_code == 0 and "instability on 29-99" in out.output
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions", "reject", str(item["id"])])
    assert out.exit_code != 0


def test_cli_accept_adjusts_the_span(project_dir):
    import json

    from click.testing import CliRunner

    from qcode.cli import cli

    r = CliRunner()
    assert r.invoke(cli, ["-p", str(project_dir), "suggest", "-q"]).exit_code == 0
    items = json.loads(r.invoke(cli, ["-p", str(project_dir), "suggestions", "--json"]).output)
    first, second = items[0], items[1]
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        text = p.transcript(first["transcript_id"]).text
    # Offsets inside words move to the words' edges, and the command says so.
    start = next(k for k in range(first["start"] + 1, first["end"]) if text[k - 1].isalnum() and text[k].isalnum())
    end = next(k for k in range(first["end"] - 1, start, -1) if text[k - 1].isalnum() and text[k].isalnum())
    lo, hi = start, end
    while text[lo - 1].isalnum():
        lo -= 1
    while text[hi].isalnum():
        hi += 1
    assert (lo, hi) != (start, end)
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions", "accept", str(first["id"]), "--start", str(start), "--end", str(end)])
    assert out.exit_code == 0, out.output
    assert f"{first['code_id']} on {lo}-{hi}" in out.output and f"widened to whole words: {lo}-{hi}" in out.output
    # with two ids the span is ambiguous: a clear error, nothing accepted
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions", "accept", str(second["id"]), "99999", "--start", "1"])
    assert isinstance(out.exception, SuggestError) and "one suggestion" in str(out.exception)
    pending = json.loads(r.invoke(cli, ["-p", str(project_dir), "suggestions", "--json"]).output)
    assert second["id"] in [v["id"] for v in pending]
    # one end only, far outside the suggestion's turn: refused with what to do, nothing accepted
    out = r.invoke(cli, ["-p", str(project_dir), "suggestions", "accept", str(second["id"]), "--start", "0"])
    assert out.exit_code != 0 and isinstance(out.exception, SuggestError)
    assert "outside its turn" in str(out.exception) and "both --start and --end" in (out.exception.hint or "")
    assert json.loads(r.invoke(cli, ["-p", str(project_dir), "suggestions", "--json"]).output) == pending
    assert "within the suggestion's turn" in " ".join(r.invoke(cli, ["suggestions", "accept", "--help"]).output.split())


def _snapshot(project):
    return [(v.id, v.code_id, v.start, v.end, v.score, v.evidence) for v in suggesting.pending(project)]


def test_rerun_without_change_skips_the_work_and_keeps_ids(project):
    first = suggesting.run_suggestions(project)
    before = _snapshot(project)
    again = suggesting.run_suggestions(project)
    assert again.suggestions == first.suggestions == len(before)
    assert again.words == first.words and again.cached_docs == 1
    assert _snapshot(project) == before


def test_rerun_notices_suggestions_changed_behind_its_back(project):
    suggesting.run_suggestions(project)
    before = _snapshot(project)
    [inst] = _by(project, "instability")
    project.store.suggestions.delete(inst.id)
    assert _by(project, "instability") == []
    suggesting.run_suggestions(project)
    after = _snapshot(project)
    assert [r[1:] for r in after] == [r[1:] for r in before]


def test_rerun_with_other_settings_recomputes(project):
    strict = suggesting.run_suggestions(project, min_score=0.95).suggestions
    loose = suggesting.run_suggestions(project, min_score=0.0).suggestions
    assert loose > strict
    assert suggesting.run_suggestions(project, min_score=0.95).suggestions == strict
    assert all(v.score >= 0.95 for v in suggesting.pending(project))


def test_undoing_an_accept_makes_the_suggestion_pending_again_and_redo_accepts_it(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    history = History(project)
    coding = suggesting.accept(project, inst.id, history=history)
    assert _by(project, "instability") == []
    history.undo()
    [again] = _by(project, "instability")
    assert again.id == inst.id and again.status == "pending"
    history.redo()
    assert _by(project, "instability") == []
    row = project.store.suggestions.get(inst.id)
    assert row.status == "accepted" and row.coding_id == coding.id


def test_per_unit_keeps_only_the_best_codes_of_each_unit(project):
    suggesting.run_suggestions(project, min_score=0.0, per_unit=0)
    everything = suggesting.pending(project)
    per_span: dict[tuple[int, int], list] = {}
    for v in everything:
        per_span.setdefault((v.start, v.end), []).append(v)
    assert max(len(v) for v in per_span.values()) >= 2  # the test needs a unit with several codes
    suggesting.run_suggestions(project, min_score=0.0, per_unit=1)
    kept = suggesting.pending(project)
    assert len(kept) == len(per_span)
    for v in kept:  # the best code of its unit (ties: code id)
        best = min(per_span[(v.start, v.end)], key=lambda x: (-x.score, x.code_id))
        assert (v.code_id, v.score) == (best.code_id, best.score)
    project.settings.suggest["per_unit"] = 1  # [suggest] per_unit
    suggesting.run_suggestions(project, min_score=0.0)
    assert len(suggesting.pending(project)) == len(per_span)
    # stored compact, read in full
    [raw] = [r for r in project.store.suggestions.list() if r.id == kept[0].id]
    assert raw.evidence.get("q") == 1 and "summary" not in raw.evidence
    assert kept[0].evidence["summary"] and kept[0].evidence["signals"]


@pytest.mark.parametrize("bad", [-1, 1.5, "3"])
def test_bad_per_unit_is_a_clear_error_and_changes_nothing(project, bad):
    with pytest.raises(SuggestError, match="per unit"):
        suggesting.run_suggestions(project, per_unit=bad)
    assert suggesting.pending(project) == []


def _three_transcripts(project):
    from qcode.core.transcript import Transcript

    base = project.transcript("interview-01")
    for name in ("interview-02", "interview-03"):
        project.store.transcripts.add(Transcript(name=name, title=name, text=base.text, turns=list(base.turns), language="en"))
    return [project.store.transcripts.find(n) for n in ("interview-01", "interview-02", "interview-03")]


def _pending_by_transcript(project):
    out: dict[int, list[int]] = {}
    for v in suggesting.pending(project):
        out.setdefault(v.transcript_id, []).append(v.id)
    return out


def test_a_failed_write_stops_the_run_and_keeps_the_transcripts_written(project, monkeypatch):
    from qcode.core.errors import ProjectError

    tids = _three_transcripts(project)
    monkeypatch.setattr(suggest_writer, "BATCH_ROWS", 1)  # one transcript per transaction
    repo = project.store.suggestions
    real, calls = repo.replace_transcripts_pending, []

    def failing(items, code_ids):
        calls.append([item[0] for item in items])
        if len(calls) == 2:
            raise ProjectError("The disk is full.")
        return real(items, code_ids)

    monkeypatch.setattr(repo, "replace_transcripts_pending", failing)
    with pytest.raises(ProjectError, match="disk is full"):
        suggesting.run_suggestions(project)
    assert calls[0] == [tids[0]] and calls[1] == [tids[1]]
    written = _pending_by_transcript(project)
    assert list(written) == [tids[0]]  # the first transcript's transaction committed, the others wrote nothing
    monkeypatch.setattr(repo, "replace_transcripts_pending", real)
    report = suggesting.run_suggestions(project)
    after = _pending_by_transcript(project)
    assert sorted(after) == tids and after[tids[0]] == written[tids[0]]  # kept, not rewritten
    assert report.suggestions == sum(len(v) for v in after.values())


@pytest.mark.parametrize("batch_rows", [1, 5000])  # one transcript per transaction; all in the last batch
def test_an_interrupted_run_keeps_what_it_wrote_and_a_rerun_skips_it(project, monkeypatch, batch_rows):
    tids = _three_transcripts(project)
    monkeypatch.setattr(suggest_writer, "BATCH_ROWS", batch_rows)

    def progress(done, total, message):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(suggesting.SuggestInterrupted) as stop:
        suggesting.run_suggestions(project, progress=progress)  # stopped after two transcripts
    assert (stop.value.finished, stop.value.total) == (2, 3)
    written = _pending_by_transcript(project)
    assert list(written) == tids[:2]
    report = suggesting.run_suggestions(project)
    after = _pending_by_transcript(project)
    assert sorted(after) == tids and all(after[t] == written[t] for t in tids[:2])
    assert report.suggestions == sum(len(v) for v in after.values())


def _suggest_three(root, database: str = "") -> list[tuple]:
    from qcode.usecases import importing
    from qcode.usecases.project import Project

    root.mkdir()
    (root / "cb.yaml").write_text(
        "title: t\ncodes:\n  - id: pay\n    label: Pay\n    keywords: {en: [paid, wage]}\n"
        "  - id: instability\n    label: Instability\n    keywords: {en: [unstable]}\n", encoding="utf-8")
    db = f'[project]\ndatabase = "{database}"\n' if database else ""
    (root / "qcode.toml").write_text(db + '[codebook]\npath = "cb.yaml"\n', encoding="utf-8")
    for k in range(3):
        (root / f"t{k}.txt").write_text(f"A: Work is unstable, week {k}.\nB: We are paid per task, a low wage.\n", encoding="utf-8")
    with Project.open(root) as p:
        assert not importing.import_paths(p, sorted(root.glob("t*.txt"))).failed
        batch, suggest_writer.BATCH_ROWS = suggest_writer.BATCH_ROWS, 1  # one transcript per transaction
        try:
            report = suggesting.run_suggestions(p)
        finally:
            suggest_writer.BATCH_ROWS = batch
        rows = [(p.store.transcripts.get(v.transcript_id).name, v.code_id, v.start, v.end, v.score) for v in suggesting.pending(p)]
        assert report.suggestions == len(rows) == 6
        return sorted(rows)


def test_suggestions_on_a_postgresql_server_are_those_of_a_local_project(tmp_path, postgres_url):
    local = _suggest_three(tmp_path / "local")
    assert _suggest_three(tmp_path / "server", postgres_url) == local


def test_cli_interrupt_says_what_was_kept(project_dir, monkeypatch):
    from click.testing import CliRunner

    from qcode.cli import cli

    def stop(*args, **kwargs):
        raise suggesting.SuggestInterrupted(1, 4)

    monkeypatch.setattr(suggesting, "run_suggestions", stop)
    result = CliRunner().invoke(cli, ["suggest", "--project", str(project_dir), "--quiet"])
    assert result.exit_code == 130
    assert "Interrupted: 1 of 4 transcripts have their new suggestions" in result.output
    assert "Run `qcode suggest` again" in result.output


def test_notes_name_their_language_when_a_run_uses_several(project):
    from qcode.core.transcript import Transcript, build_text

    text, turns = build_text([("A", "Le travail est précaire, payé à la tâche.", None, None)])
    project.store.transcripts.add(Transcript(name="fr-01", title="fr", text=text, turns=turns, language="fr"))
    notes = suggesting.run_suggestions(project).pipeline_notes
    assert notes and all(n.startswith(("en (", "fr (")) for n in notes)
    assert any(n.startswith("en (blank:en+lookup): ") for n in notes) and any(n.startswith("fr (") for n in notes)
    one = suggesting.run_suggestions(project, transcripts=["interview-01"]).pipeline_notes
    assert one and not any(n.startswith(("en (", "fr (")) for n in one)


def test_reject_all_is_all_or_nothing_and_counts_each_id_once(project):
    suggesting.run_suggestions(project)
    ids = [v.id for v in suggesting.pending(project)]
    with pytest.raises(NotFoundError):
        suggesting.reject_all(project, [*ids, 99999])
    assert len(suggesting.pending(project)) == len(ids)
    assert suggesting.reject_all(project, [*ids, ids[0]], coder="amina") == len(ids)
    assert suggesting.pending(project) == []
    with pytest.raises(SuggestError, match="already rejected by amina"):
        suggesting.accept(project, ids[0])


def test_accept_all_passes_coder_and_span_on(project):
    suggesting.run_suggestions(project)
    [inst] = _by(project, "instability")
    [coding] = suggesting.accept_all(project, [inst.id, inst.id], coder="amina", start=29, end=37)
    assert (coding.coder, coding.start, coding.end) == ("amina", 29, 37)


def test_a_bad_keep_parses_setting_is_a_clear_error_and_changes_nothing(project):
    project.settings.suggest["keep_parses"] = "sometimes"
    with pytest.raises(SuggestError, match=r"keep_parses must be true, false or \"auto\" \(got 'sometimes'\)"):
        suggesting.run_suggestions(project)
    assert suggesting.pending(project) == []


def test_the_cyclic_garbage_collector_is_paused_during_a_run_and_back_after_it_even_on_error(monkeypatch):
    import gc

    seen = []

    def run(*args):
        seen.append(gc.isenabled())
        raise SuggestError("stopped on purpose")

    monkeypatch.setattr(suggesting, "_run", run)
    assert gc.isenabled()
    with pytest.raises(SuggestError):
        suggesting.run_suggestions(None)  # type: ignore[arg-type]
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller that had paused it itself keeps it paused
    try:
        with pytest.raises(SuggestError):
            suggesting.run_suggestions(None)  # type: ignore[arg-type]
        assert not gc.isenabled()
    finally:
        gc.enable()
