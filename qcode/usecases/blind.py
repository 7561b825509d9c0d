"""Blind coding: a coder sees only their own codings until they choose to compare.

The setting is kept per coder in the project (so it holds across sessions and
machines sharing a server project). Screens and use cases that show codings
ask :func:`visible_codings` / :func:`visible_counts` / :func:`restrict`
instead of reading every coder's codings from the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qcode.core.coding import Coding, stable_guid
from qcode.usecases.project import Project


def _key(coder: str) -> str:
    return "blind:" + stable_guid("coder", coder)


def is_blind(project: Project, coder: str | None = None) -> bool:
    """True when *coder* (default: the project's current coder) codes blind."""
    return project.store.get_meta(_key(coder or project.coder)) == "1"


def set_blind(project: Project, on: bool, coder: str | None = None) -> None:
    project.store.set_meta(_key(coder or project.coder), "1" if on else "0")


def restrict(project: Project, coders: Iterable[str] | None = None) -> list[str] | None:
    """The coders whose codings may be shown: *coders* (None = all), narrowed to the
    current coder when they code blind."""
    if not is_blind(project):
        return list(coders) if coders is not None else None
    me = project.coder
    return [me] if coders is None or me in set(coders) else []


def visible_codings(project: Project, **filters: Any) -> list[Coding]:
    """``store.codings(**filters)`` without other coders' codings in blind mode."""
    coders = restrict(project, filters.pop("coders", None))
    return project.store.codings(coders=coders, **filters)


def visible_counts(project: Project) -> dict[str, int]:
    """Codings per code, counting only the current coder's in blind mode."""
    if not is_blind(project):
        return project.store.count_codings()
    counts: dict[str, int] = {}
    for c in project.store.iter_codings(coders=[project.coder]):
        counts[c.code_id] = counts.get(c.code_id, 0) + 1
    return counts
