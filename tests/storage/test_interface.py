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


@pytest.mark.parametrize(("attribute", "protocol"), [("coders", interface.CodersRepository), ("progress", interface.ProgressRepository), ("meta", interface.MetaRepository)])
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
    tid = any_store.add_transcript(Transcript(name="t", title="t", text=text, turns=turns))
    any_store.save_codebook(Codebook(codes=(Code("x", {"": "X"}),)))
    any_store.add_coding(Coding(transcript_id=tid, code_id="x", start=turns[1].start, end=turns[1].end, coder="amina"))
    rows = any_store.progress.coverage()
    assert rows.transcript_ids == [tid]
    assert [(t.start, t.end) for t in rows.turns] == [(t.start, t.end) for t in turns]
    assert [(c.transcript_id, c.start, c.coder) for c in rows.codings] == [(tid, turns[1].start, "amina")]


def test_meta_set_overwrites_and_get_reads_back(any_store: Store) -> None:
    assert any_store.meta.get("k") is None
    any_store.meta.set("k", "1")
    any_store.meta.set("k", "2")
    assert any_store.meta.get("k") == "2"
