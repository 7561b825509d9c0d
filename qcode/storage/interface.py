"""What the use cases may ask of a store: one ``typing.Protocol`` per repository.

:class:`qcode.storage.store.Store` is the one implementation (SQLAlchemy Core,
SQLite and PostgreSQL); ``tests/storage/test_interface.py`` checks it satisfies
these Protocols on both backends. Repositories take and return core dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class TurnSpan:
    transcript_id: int
    start: int
    end: int


@dataclass(frozen=True)
class CodedSpan:
    transcript_id: int
    start: int
    end: int
    coder: str


@dataclass(frozen=True)
class CoverageRows:
    """What coding progress is computed from (``store.progress.coverage()``)."""

    turns: list[TurnSpan]
    """Every turn, by transcript id then turn index."""
    codings: list[CodedSpan]
    transcript_ids: list[int]


@runtime_checkable
class CodersRepository(Protocol):
    """The coders of a project (people and suggesters)."""

    def id(self, name: str) -> int:
        """The id of coder *name*, created on first use."""
        ...

    def names(self) -> list[str]:
        """Every coder's name, sorted."""
        ...

    def names_by_id(self) -> dict[int, str]:
        """Coder names by id."""
        ...


@runtime_checkable
class ProgressRepository(Protocol):
    """The spans coding progress is computed from."""

    def coverage(self) -> CoverageRows:
        """Every turn's and coding's span, and every transcript id, read in one transaction."""
        ...


@runtime_checkable
class MetaRepository(Protocol):
    """Small key/value project settings kept in the database."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


@runtime_checkable
class StoreProtocol(Protocol):
    """A project store, made of repositories (read-only properties, so implementations may narrow their types)."""

    @property
    def coders(self) -> CodersRepository: ...

    @property
    def progress(self) -> ProgressRepository: ...

    @property
    def meta(self) -> MetaRepository: ...
