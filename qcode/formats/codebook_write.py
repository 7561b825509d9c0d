"""Writing YAML codebooks: fresh dumps and round-trip edits that keep comments.

:class:`CodebookEditor` uses ruamel.yaml's round-trip mode so that qcode's
edits keep the researcher's comments, key order, quoting and indentation;
every edit is checked with the reader in :mod:`qcode.formats.codebook_yaml`
before it replaces the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from qcode.core.codebook import Code, Codebook
from qcode.core.errors import CodebookError, did_you_mean
from qcode.formats.codebook_yaml import (
    FORMAT_VERSION,
    parse_codebook_text,
    problems_error,
    read_text,
)
from qcode.formats.yaml_nodes import _TAG

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq


# ------------------------------------------------------------------ writing
def dump_codebook(codebook: Codebook) -> str:
    """A fresh YAML text for *codebook* (used for imports; edits use :class:`CodebookEditor`)."""
    out = io.StringIO()
    yaml_rt = _ruamel(2, 4, 2, width=88)
    yaml_rt.dump(codebook_to_data(codebook), out)
    return out.getvalue()


def _ruamel(mapping: int, sequence: int, offset: int, width: int = 4096) -> YAML:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = width
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    y.brace_single_entry_mapping_in_flow_sequence = True
    y.allow_unicode = True
    return y


class CodebookEditor:
    """Round-trip edits of a codebook file that keep comments, order and layout.

    Open it, call the edit methods, then :meth:`save` (atomic; the result is
    checked before it replaces the file, so a bad edit never lands).
    """

    _LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (2, 3, 1), (4, 4, 0), (3, 5, 3))

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.text = read_text(self.path)
        _, problems = parse_codebook_text(self.text, str(self.path))
        if problems:
            raise problems_error(self.path, problems)
        best: tuple[int, YAML, CommentedMap] | None = None
        for layout in self._LAYOUTS:
            y = _ruamel(*layout)
            data: CommentedMap = y.load(self.text)  # a mapping: the reader checked the text above
            buf = io.StringIO()
            y.dump(data, buf)
            out = buf.getvalue()
            score = 0 if out == self.text else _diff_size(self.text, out)
            if best is None or score < best[0]:
                best = (score, y, data)
            if score == 0:
                break
        assert best is not None
        _, self._yaml, self.data = best

    # -- lookup --------------------------------------------------------
    def _entries(self) -> list[tuple[CommentedMap, CommentedSeq, CommentedMap | None]]:
        """(code mapping, containing list, parent mapping or None) for every code."""
        out: list[tuple[CommentedMap, CommentedSeq, CommentedMap | None]] = []

        def rec(seq: CommentedSeq | None, parent: CommentedMap | None) -> None:
            if seq is None:
                return
            for item in seq:
                out.append((item, seq, parent))
                rec(item.get("children"), item)

        rec(self.data.get("codes"), None)
        return out

    def find(self, code_id: str) -> CommentedMap:
        for item, _, _ in self._entries():
            if str(item.get("id")) == code_id:
                return item
        ids = [str(i.get("id")) for i, _, _ in self._entries()]
        raise CodebookError(f"{self.path}: no code '{code_id}' in the file." + did_you_mean(code_id, ids),
                            hint="List the codes with `qcode codebook show`.")

    def _locate(self, code_id: str) -> tuple[CommentedMap, CommentedSeq, CommentedMap | None]:
        self.find(code_id)
        return next(e for e in self._entries() if str(e[0].get("id")) == code_id)

    def _children_seq(self, parent_id: str | None) -> CommentedSeq:
        from ruamel.yaml.comments import CommentedSeq

        if parent_id is None:
            if self.data.get("codes") is None:
                self.data["codes"] = CommentedSeq()
            return self.data["codes"]
        parent = self.find(parent_id)
        if parent.get("children") is None:
            parent["children"] = CommentedSeq()
        return parent["children"]

    # -- edits -----------------------------------------------------------
    def add_node(self, node: CommentedMap, parent_id: str | None) -> None:
        """Append a code's YAML mapping taken from another file (its comments and sub-codes come along)."""
        import copy

        node = copy.deepcopy(node)
        node.pop("parent", None)
        taken = {str(i.get("id")) for i, _, _ in self._entries()}
        clash = [str(c.get("id")) for c in _walk(node) if str(c.get("id")) in taken]
        if clash:
            raise CodebookError(f"{self.path}: a code '{clash[0]}' already exists.", hint="Choose another id.")
        self._children_seq(parent_id).append(node)

    def add_code(self, code: Code) -> None:
        """Append *code* under ``code.parent`` (or at the top level)."""
        if any(str(i.get("id")) == code.id for i, _, _ in self._entries()):
            raise CodebookError(f"{self.path}: a code '{code.id}' already exists.", hint="Choose another id.")
        self._children_seq(code.parent).append(code_to_data(code))

    def move_code(self, code_id: str, parent_id: str | None) -> None:
        """Move *code_id* (with its sub-codes) under *parent_id* (None: top level)."""
        item, seq, old_parent = self._locate(code_id)
        if parent_id is not None:
            self.find(parent_id)
            if parent_id in {str(c.get("id")) for c in _walk(item)}:
                raise CodebookError(f"Cannot move '{code_id}' under '{parent_id}': '{parent_id}' is inside '{code_id}'.",
                                    hint="Choose a parent outside the code's own sub-tree.")
        if "parent" in item:
            del item["parent"]
        seq.remove(item)
        if old_parent is not None and not old_parent.get("children"):
            del old_parent["children"]
        self._children_seq(parent_id).append(item)

    def remove_code(self, code_id: str, children_to: str | None = None) -> None:
        """Remove *code_id*; its sub-codes move under *children_to* (or its own parent)."""
        item, seq, parent = self._locate(code_id)
        kids = list(item.get("children") or [])
        index = seq.index(item)
        seq.remove(item)
        if children_to is not None:
            target = self._children_seq(children_to)
            target.extend(kids)
        else:
            for offset, kid in enumerate(kids):
                seq.insert(index + offset, kid)
        if parent is not None and not parent.get("children"):
            del parent["children"]

    def set_field(self, code_id: str, key: str, value: object) -> None:
        """Set (or with ``None`` remove) one field of a code."""
        item = self.find(code_id)
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value

    def dumps(self) -> str:
        buf = io.StringIO()
        self._yaml.dump(self.data, buf)
        return buf.getvalue()

    def save(self, path: Path | None = None) -> str:
        """Check the edited text and write it atomically; returns the new text."""
        from qcode.formats.atomic import atomic_write_text

        target = Path(path or self.path)
        text = self.dumps()
        _, problems = parse_codebook_text(text, str(target))
        if problems:
            raise problems_error(target, problems)
        atomic_write_text(target, text)
        self.text = text
        return text


def _walk(item: CommentedMap) -> list[CommentedMap]:
    out = [item]
    for kid in item.get("children") or []:
        out.extend(_walk(kid))
    return out


def _diff_size(a: str, b: str) -> int:
    import difflib

    return sum(1 for line in difflib.ndiff(a.splitlines(), b.splitlines()) if line[:1] in "+-")


# ------------------------------------------------------------------ checking

# ------------------------------------------------------------------ to YAML data
def code_to_data(code: Code, children: list[CommentedMap] | None = None) -> CommentedMap:
    """A ruamel mapping for *code*, in the documented key order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString

    def flow_seq(items: Iterable[object]) -> CommentedSeq:
        s = CommentedSeq(quoted(i) for i in items)
        s.fa.set_flow_style()
        return s

    def long_text(value: str) -> object:
        return FoldedScalarString(value) if len(value) > 80 and "\n" not in value else quoted(value)

    m = CommentedMap()
    m["id"] = quoted(code.id)
    if list(code.label) == [""]:
        m["label"] = quoted(code.label[""])
    elif code.label:
        label = CommentedMap((k, quoted(v)) for k, v in code.label.items())
        label.fa.set_flow_style()
        m["label"] = label
    if code.color:
        m["color"] = DoubleQuotedScalarString(code.color)
    for name in ("definition", "include", "exclude"):
        value = getattr(code, name)
        if value:
            m[name] = long_text(value)
    for name in ("examples", "counterexamples"):
        if getattr(code, name):
            m[name] = CommentedSeq(quoted(x) for x in getattr(code, name))
    if list(code.keywords) == [""]:
        m["keywords"] = flow_seq(code.keywords[""])
    elif code.keywords:
        m["keywords"] = CommentedMap((lang, flow_seq(words)) for lang, words in code.keywords.items())
    if code.patterns:
        m["patterns"] = CommentedSeq(_flow(p) for p in code.patterns)
    if code.extra.get("see_also"):
        m["see_also"] = flow_seq(code.extra["see_also"])
    if code.retired:
        m["retired"] = True
    if not code.codable:
        m["codable"] = False
    for key, value in code.extra.items():
        if key.startswith("x-"):
            m[key] = value
    if children:
        m["children"] = CommentedSeq(children)
    return m


def quoted(value: object) -> object:
    """*value* with strings that YAML 1.1 would read as non-text (``no``, ``1.10``) double-quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str) and type(value) is str:
        tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, (True, False))
        if tag != _TAG + "str" or value != value.strip() or value == "":
            return DoubleQuotedScalarString(value)
    return value


def _flow(value: object) -> object:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, dict):
        m = CommentedMap((k, _flow(v)) for k, v in value.items())
        m.fa.set_flow_style()
        return m
    if isinstance(value, list | tuple):
        s = CommentedSeq(_flow(v) for v in value)
        s.fa.set_flow_style()
        return s
    return value


def codebook_to_data(codebook: Codebook) -> CommentedMap:
    """A ruamel document for *codebook* (nested children, documented key order)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString

    doc = CommentedMap()
    doc["qcode_codebook"] = FORMAT_VERSION
    doc["title"] = quoted(codebook.title)
    if codebook.version:
        doc["version"] = quoted(codebook.version)
    if codebook.languages:
        doc["language"] = _flow(list(codebook.languages))
    if codebook.authors:
        doc["authors"] = _flow(list(codebook.authors))
    if codebook.description:
        d = codebook.description
        doc["description"] = FoldedScalarString(d) if len(d) > 80 and "\n" not in d else quoted(d)
    for key, value in codebook.extra.items():
        if key == "license" or key.startswith("x-"):
            doc[key] = value

    def rec(parent: str | None) -> list[CommentedMap]:
        return [code_to_data(c, rec(c.id)) for c in codebook.children(parent)]

    doc["codes"] = CommentedSeq(rec(None))
    return doc
