"""A YAML document as a small tree of positioned nodes, composed from PyYAML's safe events.

No Python object is ever built by a YAML loader: the composer refuses what a
codebook file has no use for (anchors, aliases, explicit tags, too deep
nesting) and records every problem with its line and column
(:class:`Problem`), so :mod:`qcode.formats.codebook_yaml` can report all of
them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

MAX_DEPTH = 60
"""Deepest YAML nesting accepted (about 28 levels of sub-codes)."""

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a codebook file, with where it is and how to fix it."""

    file: str
    line: int
    """1-based line of the offending key or value."""
    column: int
    """1-based column."""
    path: str
    """Key path such as ``codes[3].children[1].id`` (empty for the whole file)."""
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} {self.hint}".rstrip()

    def to_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.path,
                "message": self.message, "hint": self.hint}


@dataclass(slots=True)
class Node:
    """A composed YAML value with its position (line and column are 1-based)."""

    kind: str  # "map", "seq" or "scalar"
    line: int
    column: int
    raw: str = ""
    """A scalar's text as written (without quotes)."""
    items: list[Node] = field(default_factory=list)
    """A sequence's values."""
    pairs: list[tuple[Node, Node]] = field(default_factory=list)
    """A mapping's (key, value) pairs in file order; the keys are scalars."""
    tag: str = ""
    plain: bool = False  # unquoted scalar, subject to YAML 1.1 type resolution

    @property
    def type(self) -> str:
        """``str``, ``bool``, ``int``, ``float``, ``null``, ``timestamp``, ``seq`` or ``map``."""
        return self.tag.removeprefix(_TAG)

    def get(self, key: str) -> Node | None:
        for k, v in self.pairs:
            if k.raw == key:
                return v
        return None

    def python(self) -> object:
        """The value as plain Python (YAML 1.1 typing, used for Matcher patterns)."""
        if self.kind == "seq":
            return [n.python() for n in self.items]
        if self.kind == "map":
            return {str(k.python()): v.python() for k, v in self.pairs}
        t = self.type
        if t == "bool":
            return self.raw.lower() in ("true", "yes", "on", "y")
        if t == "null":
            return None
        if t in ("int", "float"):
            number: int | float = yaml.safe_load(self.raw)
            return number
        return self.raw


class _Abort(Exception):
    """Stop composing: the problem is already recorded."""


def compose(text: str, file: str, problems: list[Problem]) -> Node | None:
    """Parse *text* into a :class:`Node` tree, appending syntax problems.

    Refuses anchors/aliases, explicit tags, several documents and nesting
    deeper than :data:`MAX_DEPTH` before any value is built.
    """
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    stack: list[tuple[Node, list[Node | None]]] = []  # (container, [pending map key])
    root: Node | None = None
    docs = 0

    def fail(line: int, col: int, message: str, hint: str) -> None:
        problems.append(Problem(file, line, col, "", message, hint))
        raise _Abort

    def attach(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent, pending = stack[-1]
        if parent.kind == "seq":
            parent.items.append(node)
        elif pending[0] is None:
            if node.kind != "scalar":
                fail(node.line, node.column, "a key must be plain text, not a list or mapping.",
                     "Check the indentation and the ':' on this line.")
            pending[0] = node
        else:
            parent.pairs.append((pending[0], node))
            pending[0] = None

    try:
        while loader.check_event():
            ev = loader.get_event()
            line, col = ev.start_mark.line + 1, ev.start_mark.column + 1
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                fail(line, col, "YAML anchors and aliases (&name, *name) are not allowed in codebooks.",
                     "Write the value out in full; aliases can hide an 'alias bomb' that expands to gigabytes.")
            if isinstance(ev, yaml.DocumentStartEvent):
                docs += 1
                if docs > 1:
                    fail(line, col, "the file holds more than one YAML document ('---').",
                         "Keep one codebook per file.")
            elif isinstance(ev, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.MappingStartEvent):
                tag = ev.tag if ev.tag not in (None, "!") else ""
                if tag and tag not in _ALLOWED_TAGS:
                    fail(line, col, f"unsupported YAML tag '{ev.tag}'.",
                         "Remove the tag: codebooks use plain YAML values only.")
                if isinstance(ev, yaml.ScalarEvent):
                    plain = ev.implicit[0] and ev.style in (None, "")
                    if not tag:
                        tag = loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
                    attach(Node("scalar", line, col, raw=ev.value, tag=tag, plain=bool(plain)))
                else:
                    if len(stack) >= MAX_DEPTH:
                        fail(line, col, f"the YAML is nested more than {MAX_DEPTH} levels deep.",
                             "A codebook needs only a few levels of sub-codes; check for runaway brackets.")
                    kind = "seq" if isinstance(ev, yaml.SequenceStartEvent) else "map"
                    node = Node(kind, line, col, tag=tag or _TAG + kind)
                    attach(node)
                    stack.append((node, [None]))
            elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                stack.pop()
    except _Abort:
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = f"invalid YAML: {exc.problem or exc.context}."
        ctx = exc.context_mark
        if exc.problem and exc.context and ctx is not None and mark is not None and ctx.line != mark.line:
            # "while parsing a flow sequence" that opened lines above: say where (an unclosed bracket)
            msg = f"invalid YAML: {exc.problem}, {exc.context.removeprefix('while ')} that starts at line {ctx.line + 1}, column {ctx.column + 1}."
        hint = "Check the indentation and quoting around this line (text containing ': ' or '#' needs quotes)."
        if "nesting depth" in msg:  # PyYAML >= 6.0.4 stops runaway nesting itself
            msg = f"the YAML is nested more than {MAX_DEPTH} levels deep ({msg})"
            hint = "A codebook needs only a few levels of sub-codes; check for runaway brackets."
        bad_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        if "\t" in bad_line[: col]:
            hint = "YAML does not allow tabs for indentation; use spaces."
        problems.append(Problem(file, line, col, "", msg, hint))
        return None
    except yaml.YAMLError as exc:  # reader errors (control characters...)
        problems.append(Problem(file, 1, 1, "", f"invalid YAML: {exc}.", "Save the file as plain UTF-8 text."))
        return None
    finally:
        loader.dispose()
    return root
