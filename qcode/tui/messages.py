"""Messages posted by thread workers to the screens that started them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class WorkProgress(Message):
    """A slow use case reported progress (done of total, current item)."""

    done: int
    total: int
    label: str


@dataclass
class WorkDone(Message):
    """A slow use case finished: *result* is what it returned."""

    kind: str
    result: Any


@dataclass
class WorkFailed(Message):
    """A slow use case raised a user-facing error (already translated)."""

    kind: str
    error: Exception
