"""Codebooks: a tree of codes with stable ids.

A code's ``id`` is stable and never reused; codings refer to it. Labels,
keywords and examples may be given per language. The YAML reader and writer
live in :mod:`qcode.formats.codebook_yaml`; this module only holds the data
and pure operations on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any

from qcode.core.errors import NotFoundError, closest, did_you_mean
from qcode.core.text import fold


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    label: dict[str, str] = field(default_factory=dict)
    """Language -> label. A plain string label is stored under the key ``""``."""
    parent: str | None = None
    color: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Language -> keywords (``""`` for keywords valid in every language)."""
    patterns: tuple[Any, ...] = ()
    """spaCy Matcher token patterns (lists of dicts), used by suggestions."""
    retired: bool = False
    """Kept only because codings still use it; not offered for new codings."""
    codable: bool = True
    """False for a category (a theme grouping codes): it cannot be applied to text itself."""
    extra: dict[str, Any] = field(default_factory=dict)

    def display(self, lang: str | None = None) -> str:
        """Best label for *lang*: that language, then the plain label, then any, then the id."""
        if lang and lang in self.label:
            return self.label[lang]
        if "" in self.label:
            return self.label[""]
        for value in self.label.values():
            return value
        return self.id

    def all_keywords(self) -> list[str]:
        seen: dict[str, None] = {}
        for words in self.keywords.values():
            for w in words:
                seen.setdefault(w, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["examples"] = list(self.examples)
        d["counterexamples"] = list(self.counterexamples)
        d["keywords"] = {k: list(v) for k, v in self.keywords.items()}
        d["patterns"] = list(self.patterns)
        if d["codable"]:  # only categories carry the key (content hashes of older codebooks unchanged)
            del d["codable"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Code:
        return cls(
            id=d["id"],
            label=dict(d.get("label") or {}),
            parent=d.get("parent"),
            color=d.get("color"),
            definition=d.get("definition", ""),
            include=d.get("include", ""),
            exclude=d.get("exclude", ""),
            examples=tuple(d.get("examples", ())),
            counterexamples=tuple(d.get("counterexamples", ())),
            keywords={k: tuple(v) for k, v in (d.get("keywords") or {}).items()},
            patterns=tuple(d.get("patterns", ())),
            retired=bool(d.get("retired", False)),
            codable=bool(d.get("codable", True)),
            extra=dict(d.get("extra") or {}),
        )


@dataclass(frozen=True)
class Codebook:
    """An ordered tree of codes. ``codes`` lists parents before children."""

    title: str = "Untitled codebook"
    version: str = ""
    languages: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    description: str = ""
    codes: tuple[Code, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def _index(self) -> dict[str, Code]:
        # cached in the instance's __dict__, which a frozen dataclass still allows
        return {c.id: c for c in self.codes}

    # -- lookup ---------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._index

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def find(self, code_id: str) -> Code | None:
        return self._index.get(code_id)

    def get(self, code_id: str) -> Code:
        """The code with *code_id*, or a :class:`NotFoundError` that suggests a spelling."""
        code = self.find(code_id)
        if code is None:
            raise NotFoundError(
                f"Unknown code '{code_id}' in codebook '{self.title}'."
                + did_you_mean(code_id, self.ids),
                hint="List the codes with `qcode codebook show`.",
            )
        return code

    def resolve(self, ref: str) -> Code:
        """The code named *ref*: its id, or its label in any language of the codebook (case and
        accents as typed or not). Unknown: a :class:`NotFoundError` suggesting ids and labels."""
        code = self.find(ref)
        if code is not None:
            return code
        key = fold(ref)
        matches = {c.id: c for c in self.labelled(ref)}
        if len(matches) == 1:
            return next(iter(matches.values()))
        if len(matches) > 1:
            raise NotFoundError(
                f"The label '{ref}' belongs to several codes: {', '.join(matches)}.",
                hint="Give the code's id instead.",
            )
        named: dict[str, tuple[str, str]] = {}  # folded id or label -> (id, as written)
        for c in self.codes:
            for name in (c.id, *c.label.values()):
                named.setdefault(fold(name), (c.id, name))
        close = closest(key, list(named))
        suggestion = ""
        if close:
            cid, name = named[close]
            suggestion = f" Did you mean '{cid}'" + (f" ({name})" if name != cid else "") + "?"
        raise NotFoundError(
            f"Unknown code '{ref}' in codebook '{self.title}': not an id or a label of any code.{suggestion}",
            hint="Give a code's id or its label in any language of the codebook; list them with "
            "`qcode codebook show`.",
        )

    def labelled(self, label: str) -> list[Code]:
        """The codes one of whose labels, in any language, is *label* (case, accents and spacing as typed or not)."""
        key = fold(label)
        return [c for c in self.codes if any(fold(x) == key for x in c.label.values())]

    def roots(self) -> list[Code]:
        return [c for c in self.codes if c.parent is None]

    def children(self, code_id: str | None) -> list[Code]:
        return [c for c in self.codes if c.parent == code_id]

    def ancestors(self, code_id: str) -> list[Code]:
        """Parents of *code_id*, nearest first (stops on a cycle)."""
        out: list[Code] = []
        seen = {code_id}
        code = self.find(code_id)
        while code is not None and code.parent is not None and code.parent not in seen:
            seen.add(code.parent)
            code = self.find(code.parent)
            if code is not None:
                out.append(code)
        return out

    def path(self, code_id: str) -> list[str]:
        """Ids from the root down to *code_id*."""
        return [c.id for c in reversed(self.ancestors(code_id))] + [code_id]

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def descendants(self, code_id: str) -> list[Code]:
        out: list[Code] = []
        stack = [code_id]
        while stack:
            kids = self.children(stack.pop())
            out.extend(kids)
            stack.extend(k.id for k in reversed(kids))
        return out

    def rollup(self, code_id: str, depth: int) -> str:
        """The ancestor of *code_id* at tree depth *depth* (1 = top level)."""
        p = self.path(code_id)
        return p[min(depth, len(p)) - 1]

    def walk(self) -> Iterator[tuple[int, Code]]:
        """Depth-first (depth, code) in display order."""

        def rec(parent: str | None, depth: int) -> Iterator[tuple[int, Code]]:
            for c in self.children(parent):
                yield depth, c
                yield from rec(c.id, depth + 1)

        yield from rec(None, 0)

    # -- changes (return new codebooks; the YAML writer persists them) ---
    def with_code(self, code: Code) -> Codebook:
        """Add or replace *code* (kept in tree order after its parent's subtree)."""
        codes = [c for c in self.codes if c.id != code.id]
        if code.id in self:
            codes = [code if c.id == code.id else c for c in self.codes]
        else:
            codes.append(code)
        return replace(self, codes=tuple(tree_order(codes)))

    def without_code(self, code_id: str) -> Codebook:
        return replace(self, codes=tuple(c for c in self.codes if c.id != code_id))

    def content_hash(self) -> str:
        """A hash of the codebook's meaning (not its formatting)."""
        payload = {
            "title": self.title,
            "version": self.version,
            "codes": [c.to_dict() for c in self.codes],
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def tree_order(codes: list[Code]) -> list[Code]:
    """Parents before children, siblings in their given order; codes in a cycle come last."""
    by_parent: dict[str | None, list[Code]] = {}
    ids = {c.id for c in codes}
    for c in codes:
        parent = c.parent if c.parent in ids else None
        by_parent.setdefault(parent, []).append(c)
    out: list[Code] = []
    seen: set[str] = set()

    def rec(parent: str | None) -> None:
        for c in by_parent.get(parent, []):
            if c.id in seen:
                continue
            seen.add(c.id)
            out.append(c)
            rec(c.id)

    rec(None)
    # Codes caught in a cycle are appended so nothing is lost.
    out.extend(c for c in codes if c.id not in seen)
    return out


def new_code_id(label: str, existing: set[str] | list[str]) -> str:
    """A stable, readable id for a new code made from *label* (``in-vivo``)."""
    import re
    import unicodedata

    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    # Truncate first, then strip: a cut inside a run of separators must not leave a trailing '-'.
    base = re.sub(r"[^a-z0-9]+", "-", ascii_label.lower()).strip("-")[:MAX_NEW_ID].strip("-") or "code"
    candidate, n = base, 2
    taken = set(existing)
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


MAX_NEW_ID = 40
"""Longest base of a generated id (a ``-N`` suffix keeps it far below the 100-character limit)."""
