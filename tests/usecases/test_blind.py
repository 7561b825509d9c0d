"""Blind coding: kept per coder, filters codings, counts and quotes; on a server, kept locally."""

from __future__ import annotations

from qcode.usecases import blind, coding, retrieval
from qcode.usecases.project import Project


def _codings(project: Project) -> None:
    coding.apply_code(project, "interview-01", 41, 49, "instability", coder="tester")
    coding.apply_code(project, "interview-01", 41, 60, "instability", coder="bob")


def test_blind_filters_what_the_current_coder_sees(project: Project) -> None:
    _codings(project)
    assert len(blind.visible_codings(project)) == 2 and blind.restrict(project, ["bob"]) == ["bob"]
    blind.set_blind(project, True)
    assert [c.coder for c in blind.visible_codings(project)] == ["tester"]
    assert blind.visible_counts(project) == {"instability": 1}
    assert blind.restrict(project, ["bob"]) == []
    assert [q.coder for q in retrieval.quotes(project, "instability", coders=["bob"])] == []
    assert not blind.is_blind(project, "bob")
    assert len(project.store.codings.list()) == 2  # nothing hidden in the store itself


def test_on_a_team_server_the_setting_is_kept_in_the_local_folder(project: Project, monkeypatch) -> None:
    monkeypatch.setattr(project.store, "server", object())
    blind.set_blind(project, True)
    assert blind.is_blind(project) and (project.data_dir / "blind.json").is_file()
    assert project.store.meta.get(blind._key(project.coder)) is None
    blind.set_blind(project, False)
    assert not blind.is_blind(project)
