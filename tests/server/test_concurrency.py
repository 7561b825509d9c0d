"""Working at once: 8 coder processes, each its own database role, 500 codings each at the same time."""

from __future__ import annotations

import os
from pathlib import Path

from qcode.usecases.project import Project
from tests.conftest import REPO, fresh_postgres_database
from tests.team import lead_project, make_team, run_coders

CODERS = 8
EACH = 500

def test_eight_coders_at_once_every_acknowledged_coding_is_there_exactly_once(tmp_path: Path, monkeypatch) -> None:
    team = make_team(fresh_postgres_database("many"), tmp_path / "pgpass",
                     {"lead": "owner", **{f"c{i}": "coder" for i in range(CODERS)}})
    monkeypatch.setenv("PGPASSFILE", str(team.passfile))
    lead_project(team, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PGPASSFILE": str(team.passfile)}
    folders = []
    for i in range(CODERS):
        folders.append(tmp_path / f"c{i}")
        Project.init(folders[-1], database=team.url(f"c{i}")).close()
    _, acknowledged = run_coders(folders, tmp_path / "run", EACH, env)
    for i in range(CODERS):
        mine = [r for r in acknowledged if r[2] == team.roles[f"c{i}"]]
        assert len(mine) == EACH
    with Project.open(tmp_path / "lead") as p:
        stored = p.store.codings.list()
    by_guid = {c.guid: c for c in stored}
    assert len(stored) == len(by_guid) == CODERS * EACH  # nothing twice, nothing extra
    for cid, guid, coder, start, end in acknowledged:
        c = by_guid[guid]
        assert (c.id, c.coder, c.start, c.end) == (cid, coder, start, end)
