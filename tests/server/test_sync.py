"""Offline and back: qcode pull / push between a local SQLite project and the server project.

Builds on the project merge of issue #13 (qcode/usecases/merge.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qcode.core.errors import PermissionDeniedError
from qcode.usecases import coding, memos, sync
from qcode.usecases.project import Project
from qcode.usecases.settings import load_settings
from tests.cli.test_cli import run
from tests.team import Team, lead_project


@pytest.fixture
def lead(team_server: Team, tmp_path: Path) -> Path:
    folder = lead_project(team_server, tmp_path)
    with Project.open(folder) as p:
        coding.apply_code(p, "i1", 0, 11, "pay")
    return folder


def test_pull_code_offline_push_and_nothing_twice(team_server: Team, lead: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    amina = team_server.roles["amina"]
    monkeypatch.setenv("QCODE_CODER", amina)
    train = tmp_path / "train"
    assert run(capsys, "init", str(train))[0] == 0
    code, out, err = run(capsys, "-p", str(train), "pull", team_server.url("amina"))
    assert code == 0, err
    assert "codes: 4 added" in out and "1 added" in out  # the codebook, then the transcript and the lead's coding
    assert load_settings(train).sync_server == team_server.url("amina")
    with Project.open(train) as p:
        assert p.store.codes.codebook().ids == ["instability", "pay", "piece-rates", "invisible-work"]
        [c] = p.store.codings.list()
        assert c.coder == team_server.roles["lead"]
        mine = [coding.apply_code(p, "i1", 12, 20, "instability"), coding.apply_code(p, "i1", 40, 52, "pay")]
        memos.write_memo(p, "code", "pay", "noticed on the train")
    code, out, err = run(capsys, "-p", str(train), "push")  # the remembered server
    assert code == 0, err
    with Project.open(lead) as p:
        stored = {c.guid: c for c in p.store.codings.list()}
        assert len(stored) == 3
        for m in mine:
            assert (stored[m.guid].coder, stored[m.guid].start, stored[m.guid].end) == (amina, m.start, m.end)
        assert [m.text for m in p.store.memos.list("code", "pay")] == ["noticed on the train"]
    # Both ways again: nothing new, nothing twice.
    again = sync.pull(Project.open(train))
    assert again.merge.codings_added == 0 and again.codes_added == [] and not again.merge.transcripts_added
    with Project.open(train) as p:
        back = sync.push(p)
        assert back.merge.codings_added == 0 and back.merge.memos_added == 0
    with Project.open(lead) as p:
        assert len(p.store.codings.list()) == 3


def test_conflicts_are_listed_and_both_sides_keep_their_work(team_server: Team, lead: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("QCODE_CODER", team_server.roles["amina"])
    with Project.init(tmp_path / "train") as p:
        sync.pull(p, team_server.url("amina"))
    with Project.open(lead) as p:  # meanwhile on the server
        p.store.codes.upsert([replace(p.codebook.get("pay"), label={"": "Pay (server)"})])
        memos.write_memo(p, "project", "", "the lead's view")
    with Project.open(tmp_path / "train") as p:  # and offline
        p.store.codes.upsert([replace(p.codebook.get("pay"), label={"": "Pay (train)"})])
        memos.write_memo(p, "project", "", "amina's view")
        pulled = sync.pull(p)
        assert pulled.code_conflicts == ["pay"] and "pay" in "\n".join(pulled.lines())
        p.invalidate(codebook=True)
        assert p.codebook.get("pay").label == {"": "Pay (train)"}  # the local side keeps its own
        assert sorted(m.text for m in p.store.memos.list("project")) == ["amina's view", "the lead's view"]
        pushed = sync.push(p)
        assert pushed.code_conflicts == ["pay"]
    with Project.open(lead) as p:
        assert p.codebook.get("pay").label == {"": "Pay (server)"}
        assert sorted(m.text for m in p.store.memos.list("project")) == ["amina's view", "the lead's view"]


def test_a_push_in_someone_elses_name_is_refused_whole(team_server: Team, lead: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("QCODE_CODER", team_server.roles["amina"])
    with Project.init(tmp_path / "train") as p:
        sync.pull(p, team_server.url("amina"))
        coding.apply_code(p, "i1", 12, 20, "pay")
        coding.apply_code(p, "i1", 30, 40, "pay", coder=team_server.roles["bob"])
        with pytest.raises(PermissionDeniedError):
            sync.push(p)
    with Project.open(lead) as p:
        assert len(p.store.codings.list()) == 1  # neither of the two: one transaction
