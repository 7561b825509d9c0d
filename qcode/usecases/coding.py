"""Coding use cases: code, uncode, recode, resize, memo, with undo and redo.

Each function is one transaction and returns what changed. The
:class:`History` records inverse operations so that the app can undo and
redo every coding action of a session, across screens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from qcode.core.anchor import make_anchor
from qcode.core.coding import Coding, Origin
from qcode.core.errors import CodingError, NotFoundError
from qcode.usecases.project import Project


def _check_code(project: Project, code_id: str) -> None:
    code = project.codebook.get(code_id)
    if code.retired:
        raise CodingError(
            f"Code '{code_id}' is retired: it is kept for its existing codings only.",
            hint="Choose another code, or un-retire it in the codebook.",
        )
    if not code.codable:
        raise CodingError(
            f"Code '{code_id}' is a category (codable: false): it groups codes and is not applied to text.",
            hint="Choose one of its sub-codes, or remove `codable: false` from it in the codebook.",
        )


def get_coding(project: Project, coding_id: int) -> Coding:
    """One coding by its id (NotFoundError when there is none)."""
    return project.store.codings.get(coding_id)


def list_codings(
    project: Project,
    *,
    transcript_id: int | None = None,
    code_ids: Iterable[str] | None = None,
    coders: Iterable[str] | None = None,
) -> Iterator[Coding]:
    """The codings matching every filter given, in the store's order."""
    return project.store.codings.iter(transcript_id=transcript_id, code_ids=code_ids, coders=coders)


def apply_code(
    project: Project,
    transcript: str | int,
    start: int,
    end: int,
    code_id: str,
    *,
    coder: str | None = None,
    memo: str = "",
    origin: Origin = "manual",
    evidence: dict[str, Any] | None = None,
    history: History | None = None,
) -> Coding:
    """Code ``text[start:end]`` of *transcript* with *code_id*; returns the stored coding."""
    t = project.transcript(transcript)
    assert t.id is not None
    t.check_span(start, end)
    _check_code(project, code_id)
    coder = coder or project.coder
    a = make_anchor(t.text, start, end)
    coding = Coding(
        transcript_id=t.id,
        start=start,
        end=end,
        code_id=code_id,
        coder=coder,
        memo=memo,
        origin=origin,
        quote=a.quote,
        prefix=a.prefix,
        suffix=a.suffix,
        codebook_hash=project.codebook_hash,
        evidence=evidence,
    )
    # The check and the insert share one write transaction (BEGIN IMMEDIATE holds the write lock),
    # so a second process cannot store the same coding in between; the unique index is the last guard.
    with project.store.transaction():
        dup = project.store.codings.find(t.id, code_id, coder, start, end)
        if dup is not None:
            raise CodingError(
                f"This passage ({start}-{end}) of '{t.name}' is already coded '{code_id}' by {coder} (coding {dup}).",
                hint="Nothing was changed.",
            )
        stored = project.store.codings.add(coding)
    if history is not None:
        history.record(Change("add", None, stored))
    return stored


def remove_coding(project: Project, coding_id: int, *, history: History | None = None) -> Coding:
    old = project.store.codings.delete(coding_id)
    if history is not None:
        history.record(Change("remove", old, None))
    return old


def recode(project: Project, coding_id: int, code_id: str, *, history: History | None = None) -> Coding:
    """Give coding *coding_id* another code, keeping its span, memo and coder."""
    _check_code(project, code_id)
    old = project.store.codings.get(coding_id)
    new = project.store.codings.update(replace(old, code_id=code_id))
    if history is not None:
        history.record(Change("update", old, new))
    return new


def resize_coding(project: Project, coding_id: int, start: int, end: int, *, history: History | None = None) -> Coding:
    old = project.store.codings.get(coding_id)
    t = project.transcript(old.transcript_id)
    t.check_span(start, end)
    a = make_anchor(t.text, start, end)
    new = project.store.codings.update(
        replace(old, start=start, end=end, quote=a.quote, prefix=a.prefix, suffix=a.suffix, status="ok")
    )
    if history is not None:
        history.record(Change("update", old, new))
    return new


def set_memo(project: Project, coding_id: int, memo: str, *, history: History | None = None) -> Coding:
    old = project.store.codings.get(coding_id)
    new = project.store.codings.update(replace(old, memo=memo))
    if history is not None:
        history.record(Change("update", old, new))
    return new


def mark_reviewed(project: Project, coding_id: int, *, history: History | None = None) -> Coding:
    old = project.store.codings.get(coding_id)
    new = project.store.codings.update(replace(old, status="ok"))
    if history is not None:
        history.record(Change("update", old, new))
    return new


# ---------------------------------------------------------------- history
@dataclass(frozen=True)
class Change:
    kind: Literal["add", "remove", "update"]
    before: Coding | None
    after: Coding | None


@dataclass
class Step:
    label: str
    changes: list[Change] = field(default_factory=list)


class History:
    """Undo/redo of coding actions for one session.

    Several changes made by one user action (``with history.group("accept all")``)
    are undone together. Undo and redo are transactions too.
    """

    def __init__(self, project: Project, limit: int = 1000) -> None:
        self.project = project
        self.limit = limit
        self.undo_stack: list[Step] = []
        self.redo_stack: list[Step] = []
        self._group: Step | None = None

    def record(self, change: Change) -> None:
        if self._group is not None:
            self._group.changes.append(change)
            return
        self.undo_stack.append(Step(_describe(self.project, change), [change]))
        del self.undo_stack[: -self.limit]
        self.redo_stack.clear()

    def group(self, label: str) -> _Group:
        return _Group(self, label)

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    @property
    def can_redo(self) -> bool:
        return bool(self.redo_stack)

    def undo(self) -> Step | None:
        if not self.undo_stack:
            return None
        step = self.undo_stack[-1]
        with self.project.store.transaction():
            for ch in reversed(step.changes):
                self._apply(ch.after, ch.before)
        self.undo_stack.pop()
        self.redo_stack.append(step)
        return step

    def redo(self) -> Step | None:
        if not self.redo_stack:
            return None
        step = self.redo_stack[-1]
        with self.project.store.transaction():
            for ch in step.changes:
                self._apply(ch.before, ch.after)
        self.redo_stack.pop()
        self.undo_stack.append(step)
        return step

    def forget_transcript(self, transcript_id: int) -> None:
        """Drop the steps that change codings of *transcript_id*: it was removed, so they cannot be
        undone or redone (and would stop every undo behind them)."""

        def touches(step: Step) -> bool:
            return any(c is not None and c.transcript_id == transcript_id
                       for ch in step.changes for c in (ch.before, ch.after))

        self.undo_stack[:] = [s for s in self.undo_stack if not touches(s)]
        self.redo_stack[:] = [s for s in self.redo_stack if not touches(s)]

    def _apply(self, current: Coding | None, target: Coding | None) -> None:
        store = self.project.store
        if current is not None and target is None:
            assert current.id is not None
            store.codings.delete(current.id)
        elif current is None and target is not None:
            store.codings.restore(target)
        elif current is not None and target is not None:
            store.codings.update(target)


class _Group:
    def __init__(self, history: History, label: str) -> None:
        self.history = history
        self.step = Step(label)

    def __enter__(self) -> Step:
        self.history._group = self.step
        return self.step

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.history._group = None
        # A block that raised was rolled back: there is nothing to undo.
        if exc_type is None and self.step.changes:
            self.history.undo_stack.append(self.step)
            self.history.redo_stack.clear()


def _describe(project: Project, ch: Change) -> str:
    """What *ch* did, in words the undo and redo messages use: "Undone: coding 'Pay' on interview-01 120–180"."""

    def code(code_id: str) -> str:
        c = project.codebook.find(code_id)
        return f"'{c.display(project.settings.language) if c else code_id}'"

    def where(c: Coding) -> str:
        try:
            t = project.transcript(c.transcript_id)
            name = t.title or t.name
        except NotFoundError:  # removed since
            name = f"transcript {c.transcript_id}"
        return f"on {name} {c.start}–{c.end}"

    b, a = ch.before, ch.after
    if ch.kind == "add" and a:
        return f"coding {code(a.code_id)} {where(a)}"
    if ch.kind == "remove" and b:
        return f"removing coding {code(b.code_id)} {where(b)}"
    if not (a and b):
        return "change to a coding"
    if b.code_id != a.code_id:
        return f"recoding {code(b.code_id)} → {code(a.code_id)} {where(a)}"
    if (b.start, b.end) != (a.start, a.end):
        return f"resizing coding {code(a.code_id)} {where(b)} → {a.start}–{a.end}"
    if b.memo != a.memo:
        return f"memo of coding {code(a.code_id)} {where(a)}"
    return f"change to coding {code(a.code_id)} {where(a)}"
