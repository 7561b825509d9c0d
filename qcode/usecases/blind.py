"""Blind coding: a coder sees only their own codings until they choose to compare.

The setting is kept per coder in the project database (SQLite projects), or,
on a team server where coders may not write the project's settings, in the
local project folder (``.qcode/blind.json``); the server's own blind switch
(``qcode server blind``) hides others' codings in the database itself. Screens and use cases that show codings
ask :func:`visible_codings` / :func:`visible_counts` / :func:`restrict`
instead of reading every coder's codings from the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qcode.core.coding import Coding, stable_guid
from qcode.usecases.project import Project


def _key(coder: str) -> str:
    return "blind:" + stable_guid("coder", coder)


def _local(project: Project) -> Path:
    return project.data_dir / "blind.json"


def _read_local(project: Project) -> dict[str, bool]:
    try:
        data = json.loads(_local(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_blind(project: Project, coder: str | None = None) -> bool:
    """True when *coder* (default: the project's current coder) codes blind."""
    coder = coder or project.coder
    if project.store.server is not None:
        return bool(_read_local(project).get(coder))
    return project.store.meta.get(_key(coder)) == "1"


def set_blind(project: Project, on: bool, coder: str | None = None) -> None:
    coder = coder or project.coder
    if project.store.server is not None:
        from qcode.formats.atomic import atomic_write_text

        data = _read_local(project)
        data[coder] = on
        atomic_write_text(_local(project), json.dumps(data, ensure_ascii=False, indent=1))
        return
    project.store.meta.set(_key(coder), "1" if on else "0")


def restrict(project: Project, coders: Iterable[str] | None = None) -> list[str] | None:
    """The coders whose codings may be shown: *coders* (None = all), narrowed to the
    current coder when they code blind."""
    if not is_blind(project):
        return list(coders) if coders is not None else None
    me = project.coder
    return [me] if coders is None or me in set(coders) else []


def visible_codings(project: Project, **filters: Any) -> list[Coding]:
    """``store.codings.list(**filters)`` without other coders' codings in blind mode."""
    coders = restrict(project, filters.pop("coders", None))
    return project.store.codings.list(coders=coders, **filters)


def visible_counts(project: Project) -> dict[str, int]:
    """Codings per code, counting only the current coder's in blind mode."""
    if not is_blind(project):
        return project.store.codings.counts()
    counts: dict[str, int] = {}
    for c in project.store.codings.iter(coders=[project.coder]):
        counts[c.code_id] = counts.get(c.code_id, 0) + 1
    return counts
