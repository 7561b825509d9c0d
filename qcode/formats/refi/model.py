"""The exchange model shared by the REFI-QDA writer and every project reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qcode.core.codebook import Codebook

VariableValue = str | bool | int | float | date | None
"""A REFI-QDA variable's value, as its ``TextValue``, ``BooleanValue``, ... element gives it
(a number or date that does not parse stays text; no value element: None)."""


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as written by the tools (``Z``, naive times taken as UTC); None when absent or invalid."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return dt


@dataclass
class RefiUser:
    guid: str
    name: str


@dataclass
class RefiCoding:
    guid: str
    code_guid: str
    user_guid: str | None = None
    created: datetime | None = None
    note_refs: list[str] = field(default_factory=list)


@dataclass
class RefiSelection:
    guid: str
    start: int
    """Code points over the source's plain text (readers convert the vendor's units)."""
    end: int
    name: str = ""
    """Tools often put (the start of) the selected text here; used to check the position."""
    description: str = ""
    codings: list[RefiCoding] = field(default_factory=list)
    user_guid: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    note_refs: list[str] = field(default_factory=list)


@dataclass
class RefiVariable:
    guid: str
    name: str
    type: str
    """Text, Boolean, Integer, Float, Date or DateTime."""
    description: str = ""


@dataclass
class RefiSource:
    guid: str
    name: str
    text: str
    selections: list[RefiSelection] = field(default_factory=list)
    values: dict[str, VariableValue] = field(default_factory=dict)
    """Variable guid -> value."""
    note_refs: list[str] = field(default_factory=list)
    user_guid: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    description: str = ""


@dataclass
class RefiNote:
    guid: str
    name: str
    text: str
    user_guid: str | None = None
    created: datetime | None = None
    modified: datetime | None = None


@dataclass
class RefiCase:
    guid: str
    name: str
    values: dict[str, VariableValue] = field(default_factory=dict)
    source_refs: list[str] = field(default_factory=list)
    description: str = ""


@dataclass
class RefiProject:
    name: str
    origin: str = ""
    users: list[RefiUser] = field(default_factory=list)
    codebook: Codebook = field(default_factory=Codebook)
    code_guids: dict[str, str] = field(default_factory=dict)
    """Code guid in the file -> code id in :attr:`codebook`."""
    code_notes: dict[str, list[str]] = field(default_factory=dict)
    """Code id -> note guids attached to it."""
    variables: list[RefiVariable] = field(default_factory=list)
    cases: list[RefiCase] = field(default_factory=list)
    sources: list[RefiSource] = field(default_factory=list)
    notes: list[RefiNote] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)
    """Notes about the project as a whole."""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    """qcode's own side file (``qcode.json``) when the archive has one."""
    warnings: list[str] = field(default_factory=list)
