"""Several coders on a team server: agreement kept, the review queue decided by the lead, blind per coder."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.usecases import agreement, blind, coding, importing, review
from qcode.usecases.project import Project
from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT
from tests.team import Team


@pytest.fixture
def double_coded(team_server: Team, tmp_path: Path) -> Team:
    (tmp_path / "cb.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (tmp_path / "i1.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    with Project.init(tmp_path / "lead", codebook=tmp_path / "cb.yaml", database=team_server.url("lead")) as p:
        assert not importing.import_paths(p, [tmp_path / "i1.txt"]).failed
    for who, end in (("amina", 49), ("bob", 60)):
        with Project.init(tmp_path / who, database=team_server.url(who)) as p:
            coding.apply_code(p, "i1", 41, end, "instability")
            coding.apply_code(p, "i1", 150, 161, "piece-rates")
    return team_server


def test_coders_keep_agreement_runs_and_the_lead_reviews(double_coded: Team, tmp_path: Path) -> None:
    with Project.open(tmp_path / "amina") as p:
        r = agreement.compute(p, resamples=20, min_codings=1)
        assert r["id"] is not None and len(r["coders"]) == 2
        blind.set_blind(p, True)  # kept in the local folder: coders may not write the project's settings
        assert blind.is_blind(p) and [c.coder for c in blind.visible_codings(p)] == [p.coder] * 2
    with Project.open(tmp_path / "lead") as lead:
        assert [run["id"] for run in agreement.history(lead)] == [r["id"]]
        [item] = review.items(lead)
        review.decide(lead, item, "both")
        assert sorted((c.start, c.end) for c in lead.store.codings.list(coders=["consensus"])) == [(41, 49), (41, 60)]
        assert len(lead.store.team.reviews()) == 1
        review.undo(lead, item)
        assert lead.store.codings.list(coders=["consensus"]) == [] and lead.store.team.reviews() == []
