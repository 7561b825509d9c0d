"""Project, transcript and code memos (memos on single codings are written with coding.set_memo
and listed here too).

One memo per target and coder: writing again updates it, so a researcher
keeps one running note on the project, on each transcript and on each code.
"""

from __future__ import annotations

from typing import Literal

from qcode.core.coding import Memo
from qcode.core.errors import NotFoundError, QcodeError
from qcode.usecases.project import Project

MemoKind = Literal["project", "transcript", "code"]
KINDS: tuple[str, ...] = ("project", "transcript", "code")
PROJECT_TARGET = "project"


class MemoError(QcodeError):
    title = "Memo problem"


def _check_target(project: Project, kind: str, target_id: str) -> str:
    if kind not in KINDS:
        raise MemoError(f"Unknown memo kind '{kind}'.", hint=f"Use one of: {', '.join(KINDS)}.")
    if kind == "project":
        return PROJECT_TARGET
    if kind == "transcript":
        return str(project.store.transcripts.find(target_id))
    project.codebook.get(target_id)  # raises NotFoundError with a suggestion
    return target_id


def list_memos(project: Project, kind: str | None = None, target_id: str | None = None) -> list[Memo]:
    """Memos of *kind*; when None, every memo: project, transcript and code memos, then the memos
    written on single codings (kind ``coding``, target the coding's id), each group oldest first."""
    if kind is None:
        return [m for m in project.store.memos.list() if m.target_kind in KINDS] + coding_memos(project)
    if kind == "coding":
        return [m for m in coding_memos(project) if target_id is None or m.target_id == str(target_id)]
    target = _check_target(project, kind, target_id or "") if target_id is not None or kind == "project" else None
    return project.store.memos.list(kind, target)


def coding_memos(project: Project) -> list[Memo]:
    """The memos written on single codings (``m`` on the coding screen), oldest first."""
    memos = [Memo("coding", str(c.id), c.memo, c.coder, "", c.created, c.modified)
             for c in project.store.codings.iter() if c.memo.strip()]
    return sorted(memos, key=lambda m: m.created)


def my_memo(project: Project, kind: str, target_id: str = "", coder: str | None = None) -> Memo | None:
    """The current coder's memo on a target, or None."""
    coder = coder or project.coder
    target = _check_target(project, kind, target_id)
    for m in project.store.memos.list(kind, target):
        if m.coder == coder:
            return m
    return None


def write_memo(project: Project, kind: str, target_id: str, text: str, *, title: str = "", coder: str | None = None) -> Memo:
    """Create or update the coder's memo on a target (one transaction)."""
    coder = coder or project.coder
    target = _check_target(project, kind, target_id)
    with project.store.transaction():
        for m in project.store.memos.list(kind, target):
            if m.coder == coder:
                return project.store.memos.update(Memo(kind, target, text, coder, title or m.title, m.created, m.modified, m.id))  # type: ignore[arg-type]
        return project.store.memos.add(Memo(kind, target, text, coder, title))  # type: ignore[arg-type]


def delete_memo(project: Project, memo_id: int) -> None:
    if not any(m.id == memo_id for m in project.store.memos.list()):
        raise NotFoundError(f"No memo with id {memo_id}.")
    project.store.memos.delete(memo_id)


def target_label(project: Project, memo: Memo) -> str:
    """A readable name for what a memo is about."""
    if memo.target_kind == "project":
        return f"Project {project.settings.name}"
    if memo.target_kind == "transcript":
        try:
            t = project.transcript(int(memo.target_id))
            return f"Transcript {t.title or t.name}"
        except (QcodeError, ValueError):
            return f"Transcript {memo.target_id} (deleted)"
    if memo.target_kind == "coding":
        try:
            c = project.store.codings.get(int(memo.target_id))
            t = project.transcript(c.transcript_id)
        except (QcodeError, ValueError):
            return f"Coding {memo.target_id} (deleted)"
        code = project.codebook.find(c.code_id)
        quote = " ".join(c.quote.split())
        return (f"Coding {code.display(project.settings.language) if code else c.code_id} · {t.title or t.name} "
                f"“{quote[:24]}{'…' if len(quote) > 24 else ''}”")
    if memo.target_kind == "code":
        code = project.codebook.find(memo.target_id)
        return f"Code {code.display(project.settings.language) if code else memo.target_id}"
    return f"{memo.target_kind} {memo.target_id}"
