"""Semantic diff and three-way merge of codebooks, by code id.

Codes are matched by their stable ``id``, never by label or position, so a
relabelled or moved code is one change, not a removal plus an addition.
The merge works like git's, field by field: a field changed on one side
only takes that side; changed identically on both sides is fine; changed
differently on both sides is a :class:`Conflict` (the merged codebook keeps
*ours* there, and the conflict lists base, ours and theirs). Lists of
keywords, examples and ``see_also`` are merged item by item (additions from
both sides, removals from both sides), so they never conflict. A code
deleted on one side and edited on the other is kept, with a conflict.
Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from qcode.core.codebook import Code, Codebook

TEXT_FIELDS = ("definition", "include", "exclude")
LIST_FIELDS = ("examples", "counterexamples")
COMPARED = ("label", "parent", "color", *TEXT_FIELDS, *LIST_FIELDS, "keywords", "patterns", "retired", "extra")
META_FIELDS = ("title", "version", "languages", "authors", "description")

_KIND = {"label": "relabelled", "parent": "moved", "color": "recoloured", "retired": "retired"}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: *kind* is added, removed, relabelled, moved, recoloured, retired or changed."""

    kind: str
    code_id: str
    field: str = ""
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code_id, "field": self.field, "old": _plain(self.old), "new": _plain(self.new)}

    def describe(self, old: Codebook | None = None, new: Codebook | None = None) -> str:
        """A one-line description for a terminal."""
        if self.kind == "added":
            return f"+ {self.code_id}: added ({_label(self.new)})" + (f" under {self.new.parent}" if self.new.parent else "")
        if self.kind == "removed":
            return f"- {self.code_id}: removed ({_label(self.old)})"
        if self.kind == "relabelled":
            return f"~ {self.code_id}: relabelled {_fmt(self.old)} -> {_fmt(self.new)}"
        if self.kind == "moved":
            return f"~ {self.code_id}: moved from {self.old or '(top level)'} to {self.new or '(top level)'}"
        if self.kind == "retired":
            return f"~ {self.code_id}: {'retired' if self.new else 'no longer retired'}"
        if self.field in ("keywords", *LIST_FIELDS):
            return f"~ {self.code_id}: {self.field} changed ({_list_delta(self.old, self.new)})"
        return f"~ {self.code_id}: {self.field} changed"


@dataclass
class CodebookDiff:
    """Every change between two codebooks (codes in the new codebook's order)."""

    changes: list[Change] = field(default_factory=list)
    meta: list[tuple[str, Any, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes or self.meta)

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def removed(self) -> list[str]:
        return [c.code_id for c in self.of_kind("removed")]

    @property
    def added(self) -> list[str]:
        return [c.code_id for c in self.of_kind("added")]

    def lines(self) -> list[str]:
        out = [f"~ {name}: {_fmt(old)} -> {_fmt(new)}" for name, old, new in self.meta]
        return out + [c.describe() for c in self.changes]

    def summary(self) -> str:
        """``2 added, 1 removed, 1 relabelled, ...`` (or ``no changes``)."""
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        parts = [f"{n} {kind}" for kind, n in counts.items()]
        if self.meta:
            parts.append(", ".join(name for name, _, _ in self.meta) + " changed")
        return ", ".join(parts) or "no changes"

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "meta": [{"field": n, "old": _plain(o), "new": _plain(v)} for n, o, v in self.meta],
            "changes": [c.to_dict() for c in self.changes],
        }


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    """What changed from *old* to *new*, matched by code id."""
    d = CodebookDiff()
    for name in META_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            d.meta.append((name, a, b))
    for code in new:
        before = old.find(code.id)
        if before is None:
            d.changes.append(Change("added", code.id, new=code))
            continue
        for name in COMPARED:
            a, b = getattr(before, name), getattr(code, name)
            if a != b:
                d.changes.append(Change(_KIND.get(name, "changed"), code.id, name, a, b))
    for code in old:
        if code.id not in new:
            d.changes.append(Change("removed", code.id, old=code))
    return d


# ------------------------------------------------------------------ merge
@dataclass(frozen=True, slots=True)
class Conflict:
    """The same field (or code) changed differently on both sides."""

    code_id: str  # "" for codebook-level fields
    field: str  # a field name, or "code" when one side deleted the code
    base: Any
    ours: Any
    theirs: Any

    def describe(self) -> str:
        where = f"code '{self.code_id}'" if self.code_id else "codebook"
        if self.field == "code":
            side = "ours" if self.ours is None else "theirs"
            return f"{where}: deleted in {side}, edited in the other; kept it (delete it by hand if it should go)"
        return f"{where}: '{self.field}' changed on both sides (ours: {_fmt(self.ours)}; theirs: {_fmt(self.theirs)})"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code_id, "field": self.field, "base": _plain(self.base),
                "ours": _plain(self.ours), "theirs": _plain(self.theirs), "description": self.describe()}


@dataclass
class MergeResult:
    codebook: Codebook
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge_codebooks(base: Codebook, ours: Codebook, theirs: Codebook) -> MergeResult:
    """Three-way merge of *ours* and *theirs* from their common ancestor *base*."""
    conflicts: list[Conflict] = []
    meta: dict[str, Any] = {}
    for name in META_FIELDS:
        b, o, t = getattr(base, name), getattr(ours, name), getattr(theirs, name)
        if name in ("languages", "authors"):
            meta[name] = tuple(_merge_list(list(b), list(o), list(t)))
            continue
        value, conflict = _merge_value(b, o, t)
        meta[name] = value
        if conflict:
            conflicts.append(Conflict("", name, b, o, t))
    order = list(ours.ids) + [i for i in theirs.ids if i not in ours]
    merged: list[Code] = []
    deleted: dict[str, Code] = {}
    for cid in order:
        b, o, t = base.find(cid), ours.find(cid), theirs.find(cid)
        if o is None or t is None:
            present = o or t
            assert present is not None
            if b is None:  # added on one side
                merged.append(present)
            elif present == b:  # deleted on one side, untouched on the other
                deleted[cid] = present
                continue
            else:  # deleted on one side, edited on the other: keep it
                merged.append(present)
                conflicts.append(Conflict(cid, "code", b, o, t))
            continue
        code, field_conflicts = _merge_code(b, o, t)
        merged.append(code)
        conflicts.extend(field_conflicts)
    # A deleted code that the other side gave new sub-codes is kept, with a conflict.
    while parents := list(dict.fromkeys(c.parent for c in merged if c.parent in deleted)):
        for pid in parents:
            code = deleted.pop(pid)
            merged.append(code)
            conflicts.append(Conflict(code.id, "code", base.find(code.id), ours.find(code.id), theirs.find(code.id)))
    merged = _repair_tree(merged, ours, conflicts)
    extra = dict(ours.extra)
    for k, v in theirs.extra.items():
        if base.extra.get(k) == extra.get(k):
            extra[k] = v
    cb = Codebook(codes=tuple(merged), extra=extra, **meta)
    return MergeResult(cb, conflicts)


def _merge_code(base: Code | None, ours: Code, theirs: Code) -> tuple[Code, list[Conflict]]:
    if ours == theirs:
        return ours, []
    empty = Code(id=ours.id)
    b = base or empty
    values: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for name in COMPARED:
        bv, ov, tv = getattr(b, name), getattr(ours, name), getattr(theirs, name)
        if name in LIST_FIELDS:
            values[name] = tuple(_merge_list(list(bv), list(ov), list(tv)))
        elif name == "keywords":
            langs = list(dict.fromkeys([*ov, *tv]))
            merged = {lang: tuple(_merge_list(list(bv.get(lang, ())), list(ov.get(lang, ())), list(tv.get(lang, ())))) for lang in langs}
            values[name] = {lang: words for lang, words in merged.items() if words}
        elif name == "extra":
            keys = list(dict.fromkeys([*ov, *tv, *bv]))
            out: dict[str, Any] = {}
            for k in keys:
                if k == "see_also":
                    out[k] = _merge_list(list(bv.get(k, [])), list(ov.get(k, [])), list(tv.get(k, [])))
                    continue
                value, conflict = _merge_value(bv.get(k), ov.get(k), tv.get(k))
                if conflict:
                    conflicts.append(Conflict(ours.id, k, bv.get(k), ov.get(k), tv.get(k)))
                if value is not None:
                    out[k] = value
            values[name] = {k: v for k, v in out.items() if v not in (None, [])}
        else:
            value, conflict = _merge_value(bv, ov, tv)
            values[name] = value
            if conflict:
                conflicts.append(Conflict(ours.id, name, bv, ov, tv))
    return replace(ours, **values), conflicts


def _merge_value(base: Any, ours: Any, theirs: Any) -> tuple[Any, bool]:
    """(merged value, conflict?) for one scalar field; on conflict, ours wins."""
    if ours == theirs or theirs == base:
        return ours, False
    if ours == base:
        return theirs, False
    return ours, True


def _merge_list(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Ours' order, plus theirs' additions, minus what either side removed."""
    removed = {x for x in base if x not in ours or x not in theirs}
    out = [x for x in ours if x not in removed]
    out += [x for x in theirs if x not in base and x not in out]
    return out


def _repair_tree(codes: list[Code], ours: Codebook, conflicts: list[Conflict]) -> list[Code]:
    """Re-attach codes whose parent was deleted, break cycles, return tree order."""
    ids = {c.id for c in codes}
    by_id = {c.id: c for c in codes}
    for c in codes:
        if c.parent is not None and c.parent not in ids:
            by_id[c.id] = replace(c, parent=None)
    for cid in list(by_id):
        seen = [cid]
        cur = by_id[cid].parent
        while cur is not None and cur not in seen:
            seen.append(cur)
            cur = by_id[cur].parent
        if cur != cid:
            continue
        # A cycle made by moves on both sides: undo the move that ours did not make.
        victim = next((m for m in seen if (o := ours.find(m)) is not None and o.parent != by_id[m].parent), cid)
        o = ours.find(victim)
        fixed = o.parent if o is not None and o.parent not in seen else None
        conflicts.append(Conflict(victim, "parent", None, o.parent if o else None, by_id[victim].parent))
        by_id[victim] = replace(by_id[victim], parent=fixed)
    by_parent: dict[str | None, list[Code]] = {}
    for c in codes:
        c = by_id[c.id]
        by_parent.setdefault(c.parent, []).append(c)
    out: list[Code] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(reversed(by_parent.get(c.id, [])))
    return out


# ------------------------------------------------------------------ helpers
def _label(code: Code | None) -> str:
    return code.display() if code else ""


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k or '*'}: {_fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return repr(value)


def _list_delta(old: Any, new: Any) -> str:
    def flat(v: Any) -> set[str]:
        if isinstance(v, dict):
            return {f"{k}:{w}" if k else str(w) for k, ws in v.items() for w in ws}
        return set(v or ())

    a, b = flat(old), flat(new)
    parts = [f"+{x}" for x in sorted(b - a)] + [f"-{x}" for x in sorted(a - b)]
    return ", ".join(parts) or "reordered"


def _plain(value: Any) -> Any:
    if isinstance(value, Code):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
