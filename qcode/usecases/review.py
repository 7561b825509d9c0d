"""Working through disagreements: keep one version, both or neither, into a consensus coder.

A decision copies the chosen codings to the consensus coder (default
``consensus``), never touching the original coders' codings, and records
the decision (with an optional memo) in the project. Decisions are undone
with :func:`undo`, which removes the consensus codings it made (through the
session's :class:`~qcode.usecases.coding.History`) and the record.

An item counts as decided while its record exists and, for *keep* and
*both*, at least one of the consensus codings it made is still there (so an
undo from another screen reopens it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qcode.core.agreement_units import Disagreement
from qcode.core.coding import Coding
from qcode.core.errors import CodingError
from qcode.usecases import agreement
from qcode.usecases.coding import History, apply_code, set_memo
from qcode.usecases.project import Project

Decision = Literal["keep", "both", "neither"]
DECISIONS = ("keep", "both", "neither")


@dataclass
class Item:
    disagreement: Disagreement
    decision: dict[str, Any] | None = None
    step: Any = None
    """The undo step of the decision made in this session (None for an older one)."""

    @property
    def key(self) -> tuple[int, str, int, int]:
        d = self.disagreement
        return (d.transcript_id, d.code_id, d.start, d.end)


def items(
    project: Project, code: str | None = None, *, unit: str = "character", consensus: str = agreement.CONSENSUS,
    coders: Sequence[str] | None = None,
) -> list[Item]:
    """The review queue for one code (or all), with each item's current decision."""
    queue = agreement.queue(project, coders, unit, [code] if code else None, consensus=consensus)
    live = {c.id for c in project.store.codings.list(coders=[consensus])}
    out = []
    for d in queue:
        item = Item(d)
        rec = _latest(project, item.key)
        if rec and (rec["decision"] == "neither" or any(i in live for i in rec["kept"])):
            item.decision = rec
        out.append(item)
    return out


def _latest(project: Project, key: tuple[int, str, int, int]) -> dict[str, Any] | None:
    return agreement.decisions(project).get(key)


def decide(
    project: Project, item: Item, decision: Decision, *, coder: str | None = None, memo: str = "",
    consensus: str = agreement.CONSENSUS, history: History | None = None,
) -> dict[str, Any]:
    """Record *decision* on *item*: ``keep`` copies *coder*'s codings of the passage, ``both``
    copies every coder's (each span once), ``neither`` copies nothing. One transaction."""
    d = item.disagreement
    if decision not in DECISIONS:
        raise CodingError(f"Unknown decision '{decision}'.", hint="Use keep, both or neither.")
    if decision == "keep":
        if coder not in d.coded_by:
            raise CodingError(
                f"{coder or 'No coder'} did not code this passage with '{d.code_id}'.",
                hint="Keep the version of one of: " + ", ".join(d.coded_by) + ".",
            )
        chosen: list[Coding] = [c for c in d.codings if c.coder == coder]
    elif decision == "both":
        chosen = list(d.codings)
    else:
        chosen = []
    history = history or History(project)
    made: list[int] = []
    with project.store.transaction(), history.group(f"review '{d.code_id}': {decision}") as step:
        seen: set[tuple[int, int]] = set()
        for c in sorted(chosen, key=lambda c: (c.start, c.end)):
            if (c.start, c.end) in seen:
                continue
            seen.add((c.start, c.end))
            have = project.store.codings.find(d.transcript_id, d.code_id, consensus, c.start, c.end)
            if have is not None:
                made.append(have)
                continue
            new = apply_code(project, d.transcript_id, c.start, c.end, d.code_id, coder=consensus, memo=memo, history=history)
            made.append(new.id or 0)
        rid = project.store.team.add_review(
            transcript_id=d.transcript_id, code_id=d.code_id, start=d.start, end=d.end, decision=decision,
            kept=made, consensus=consensus, reviewer=project.coder, memo=memo,
        )
    rec = {"id": rid, "decision": decision, "kept": made, "memo": memo, "consensus": consensus}
    item.decision, item.step = rec, (step if step.changes else None)
    return rec


def undo(project: Project, item: Item, history: History | None = None) -> None:
    """Take back the decision on *item*: its consensus codings are removed, the record deleted."""
    rec = item.decision
    if rec is None:
        return
    history = history or History(project)
    live = {c.id for c in project.store.codings.list(coders=[rec["consensus"]])}
    from qcode.usecases.coding import remove_coding

    with project.store.transaction():
        if item.step is not None and history.undo_stack and history.undo_stack[-1] is item.step:
            history.undo()  # the decision was the last change: a true undo (redo-able for its codings)
        else:
            with history.group(f"undo review '{item.disagreement.code_id}'"):
                for cid in rec["kept"]:
                    if cid in live:
                        remove_coding(project, cid, history=history)
        project.store.team.delete_review(rec["id"])
    item.decision, item.step = None, None


def set_decision_memo(project: Project, item: Item, memo: str, history: History | None = None) -> None:
    """Write *memo* on a decided item: on its record and on the consensus codings it made."""
    rec = item.decision
    if rec is None:
        raise CodingError("Decide first (keep, both or neither), then write the memo.")
    with project.store.transaction():
        project.store.team.set_review_memo(rec["id"], memo)
        live = {c.id for c in project.store.codings.list(coders=[rec["consensus"]])}
        for cid in rec["kept"]:
            if cid in live:
                set_memo(project, cid, memo, history=history)
    rec["memo"] = memo
