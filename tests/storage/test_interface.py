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


@pytest.mark.parametrize(("attribute", "protocol"), [("coders", interface.CodersRepository)])
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
