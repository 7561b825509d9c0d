"""Codings, memos and coders.

A :class:`Coding` marks ``text[start:end]`` of one transcript with one code,
by one coder. It also keeps the exact quoted text plus a short prefix and
suffix (an :class:`~qcode.core.anchor.Anchor`), so it can be found again when
the transcript is corrected later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Origin = Literal["manual", "suggestion", "imported"]
ORIGINS: tuple[str, ...] = ("manual", "suggestion", "imported")
CodingStatus = Literal["ok", "review"]

QCODE_NAMESPACE = uuid.UUID("6f1d2c1e-6a52-5b0e-9a51-7163636f6465")
"""Namespace for stable UUID5 identifiers (REFI-QDA GUIDs) derived from qcode ids."""


def stable_guid(*parts: str) -> str:
    """A UUID5 derived from *parts*: the same input always gives the same GUID."""
    return str(uuid.uuid5(QCODE_NAMESPACE, "\x1f".join(parts)))


def new_guid() -> str:
    return str(uuid.uuid4())


def now() -> datetime:
    """Current time in UTC, to the second (what the store keeps)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Coding:
    transcript_id: int
    start: int
    end: int
    code_id: str
    coder: str
    memo: str = ""
    origin: Origin = "manual"
    quote: str = ""
    prefix: str = ""
    suffix: str = ""
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    status: CodingStatus = "ok"
    """``review`` when a transcript correction moved the coding and a person should check it."""
    codebook_hash: str | None = None
    """Content hash of the codebook version in use when the coding was made."""
    evidence: dict[str, Any] | None = None
    """For accepted suggestions: why the suggestion was made."""
    guid: str = field(default_factory=new_guid)
    id: int | None = None

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True, slots=True)
class Memo:
    """A memo about the project, a transcript, a code or a coding."""

    target_kind: Literal["project", "transcript", "code", "coding"]
    target_id: str
    text: str
    coder: str
    title: str = ""
    created: datetime = field(default_factory=now)
    modified: datetime = field(default_factory=now)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Coder:
    name: str
    guid: str = ""

    def __post_init__(self) -> None:
        if not self.guid:
            object.__setattr__(self, "guid", stable_guid("coder", self.name))


def overlap_ratio(a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    """Length of the intersection over the length of the shorter span."""
    inter = min(a_end, b_end) - max(a_start, b_start)
    if inter <= 0:
        return 0.0
    return inter / max(1, min(a_end - a_start, b_end - b_start))
