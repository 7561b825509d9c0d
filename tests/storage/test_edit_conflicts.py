"""Concurrent edits of the same code or codebook version are detected (version columns), never overwritten."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qcode.core import Code, Codebook
from qcode.core.errors import EditConflictError
from qcode.storage import Store
from tests.conftest import fresh_postgres_database

CB = Codebook(title="cb", version="1", codes=(Code("a", {"": "A"}), Code("b", {"": "B"})))


@pytest.fixture(params=["sqlite", "postgresql"])
def two(request: pytest.FixtureRequest, tmp_path: Path):
    """Two stores on one project database (two researchers' processes)."""
    if request.param == "sqlite":
        opener = lambda: Store.open_sqlite(tmp_path / "p.sqlite", create=True)  # noqa: E731
    else:
        url = fresh_postgres_database("conflict")
        opener = lambda: Store.open_url(url, create=True)  # noqa: E731
    first = opener()
    first.codes.save(CB)
    second = opener()
    first.codes.codebook()
    second.codes.codebook()
    yield first, second
    first.close()
    second.close()


def _relabel(cb: Codebook, code_id: str, label: str) -> tuple[Code, ...]:
    return tuple(replace(c, label={"": label}) if c.id == code_id else c for c in cb.codes)


def test_a_code_changed_by_someone_else_is_not_overwritten(two) -> None:
    first, second = two
    first.codes.upsert(_relabel(first.codes.codebook(), "a", "Mine"))
    with pytest.raises(EditConflictError, match="Someone else changed 'a'"):
        second.codes.upsert(_relabel(CB, "a", "Theirs"))
    assert first.codes.codebook().get("a").label == {"": "Mine"}
    # After reading the new version, the second researcher's change goes in.
    second.codes.codebook()
    second.codes.upsert(_relabel(second.codes.codebook(), "a", "Theirs"))
    assert first.codes.codebook().get("a").label == {"": "Theirs"}


def test_edits_of_different_codes_or_the_same_edit_do_not_conflict(two) -> None:
    first, second = two
    first.codes.upsert(_relabel(CB, "a", "A2"))
    second.codes.upsert(_relabel(CB, "b", "B2"))  # its code a is as it read it: the first one's A2 stays
    cb = first.codes.codebook()
    assert (cb.get("a").label, cb.get("b").label) == ({"": "A2"}, {"": "B2"})
    second.codes.codebook()
    first.codes.upsert(_relabel(cb, "a", "same"))
    second.codes.upsert(_relabel(second.codes.codebook(), "a", "same"))  # identical change: nothing lost


def test_a_codebook_version_saved_meanwhile_is_not_replaced(two) -> None:
    first, second = two
    first.codes.save(replace(CB, version="2", codes=_relabel(CB, "a", "v2")))
    with pytest.raises(EditConflictError, match="codebook was changed by someone else"):
        second.codes.save(replace(CB, version="2b", codes=_relabel(CB, "b", "v2b")))
    back = first.codes.codebook()
    assert back.version == "2" and back.get("b").label == {"": "B"}
    assert first.codes.record().version == "2"
