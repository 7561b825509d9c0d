"""Checking spaCy Matcher token patterns in codebooks without importing spaCy.

A structural check of the pattern format (token attributes, predicates,
operators), so `qcode codebook check` stays fast; a test compares it with
spaCy's own validator.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qcode.core.errors import did_you_mean

if TYPE_CHECKING:
    from qcode.formats.yaml_nodes import Node, Problem

_STR_ATTRS = frozenset("ORTH TEXT LOWER POS TAG MORPH DEP LEMMA SHAPE ENT_TYPE ENT_ID ENT_KB_ID NORM".split())
_BOOL_ATTRS = frozenset(
    "SPACY IS_ALPHA IS_ASCII IS_DIGIT IS_LOWER IS_UPPER IS_TITLE IS_PUNCT IS_SPACE IS_BRACKET IS_QUOTE "
    "IS_LEFT_PUNCT IS_RIGHT_PUNCT IS_CURRENCY IS_STOP IS_SENT_START SENT_START LIKE_NUM LIKE_URL LIKE_EMAIL".split()
)
_TOKEN_ATTRS = sorted(_STR_ATTRS | _BOOL_ATTRS | {"LENGTH", "OP", "ENT_IOB", "_"})
_LIST_PREDICATES = frozenset("IN NOT_IN IS_SUBSET IS_SUPERSET INTERSECTS".split())
_NESTED_PREDICATES = frozenset(["REGEX", "FUZZY"] + [f"FUZZY{i}" for i in range(1, 10)])
_NUM_COMPARE = frozenset(["==", "!=", ">=", "<=", ">", "<"])
_OP_RE = re.compile(r"^(?:[+*?!]|\{\d+\}|\{\d+,\d*\}|\{\d*,\d+\})$")
_MATCHER_HINT = "See https://spacy.io/usage/rule-based-matching (token attributes and operators)."




class PatternChecks:
    """Mixed into the codebook checker: the pattern part of the checks.

    The checker (``codebook_yaml._Checker``) provides the problem list and the
    generic value checks declared here.
    """

    problems: list[Problem]

    def add(self, node: Node, path: str, message: str, hint: str = "") -> None:  # pragma: no cover
        raise NotImplementedError

    def mapping(
        self, node: Node, path: str, allowed: tuple[str, ...] | None
    ) -> dict[str, tuple[Node, Node]]:  # pragma: no cover
        raise NotImplementedError

    def text(self, node: Node, path: str, *, what: str = "text", empty_ok: bool = True) -> str | None:  # pragma: no cover
        raise NotImplementedError

    def texts(self, node: Node, path: str, what: str = "text") -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def boolean(self, node: Node, path: str) -> bool | None:  # pragma: no cover
        raise NotImplementedError

    def patterns(self, node: Node, path: str) -> list[object]:
        if node.kind != "seq":
            self.add(node, path, "`patterns:` must be a list of token patterns.",
                     "Each pattern is a list of token descriptions, e.g. - [{LOWER: piece}, {LOWER: rate}].")
            return []
        out = []
        for i, pat in enumerate(node.items):
            before = len(self.problems)
            self.pattern(pat, f"{path}[{i}]")
            if len(self.problems) == before:
                out.append(pat.python())
        return out

    def pattern(self, node: Node, path: str) -> None:
        if node.kind != "seq" or not node.items:
            self.add(node, path, "a pattern must be a non-empty list of token descriptions.",
                     "Example: [{LEMMA: payer}, {LOWER: à}, {LOWER: la}, {LEMMA: tâche}].")
            return
        for j, tok in enumerate(node.items):
            tp = f"{path}[{j}]"
            if tok.kind != "map":
                self.add(tok, tp, "each token in a pattern must be a mapping such as {LOWER: rate}.", _MATCHER_HINT)
                continue
            for name, (k, v) in self.mapping(tok, tp, None).items():
                attr = name.upper()
                ap = f"{tp}.{name}"
                if attr in _STR_ATTRS:
                    self.string_value(v, ap)
                elif attr in _BOOL_ATTRS:
                    self.boolean(v, ap)
                elif attr == "LENGTH":
                    self.number_value(v, ap)
                elif attr == "OP":
                    op = self.text(v, ap, what="an operator")
                    if op is not None and not _OP_RE.match(op):
                        self.add(v, ap, f"'{op}' is not a Matcher operator.", "Use one of + * ? ! or {n}, {n,m}, {n,}, {,m}, in quotes.")
                elif attr == "ENT_IOB":
                    if v.kind != "scalar" or v.raw not in ("", "I", "O", "B", "0", "1", "2", "3"):
                        self.add(v, ap, "ENT_IOB must be one of I, O, B (or 0-3).", _MATCHER_HINT)
                elif attr == "_":
                    if v.kind != "map":
                        self.add(v, ap, "`_` (custom attributes) must be a mapping.", _MATCHER_HINT)
                else:
                    self.add(k, ap, f"unknown token attribute '{name}'." + did_you_mean(attr, _TOKEN_ATTRS), _MATCHER_HINT)

    def string_value(self, v: Node, path: str) -> None:
        if v.kind != "map":
            self.text(v, path, what="text", empty_ok=True)
            return
        for name, (k, pv) in self.mapping(v, path, None).items():
            pred = name.upper()
            pp = f"{path}.{name}"
            if pred in _LIST_PREDICATES:
                if pv.kind != "seq":
                    self.add(pv, pp, f"{name} needs a list of words, e.g. {name}: [pay, paid].", _MATCHER_HINT)
                else:
                    self.texts(pv, pp, "words")
            elif pred in _NESTED_PREDICATES:
                self.string_value(pv, pp)
            else:
                allowed = sorted(_LIST_PREDICATES | _NESTED_PREDICATES)
                self.add(k, pp, f"unknown predicate '{name}' for a text attribute." + did_you_mean(pred, allowed), _MATCHER_HINT)

    def number_value(self, v: Node, path: str) -> None:
        if v.kind == "scalar" and v.type in ("int", "float"):
            return
        if v.kind != "map":
            self.add(v, path, "expected a number or a comparison such as {'>=': 3}.", _MATCHER_HINT)
            return
        for name, (k, pv) in self.mapping(v, path, None).items():
            pred = name.upper()
            pp = f"{path}.{name}"
            if pred in _LIST_PREDICATES:
                if pv.kind != "seq" or any(i.kind != "scalar" or i.type != "int" for i in pv.items):
                    self.add(pv, pp, f"{name} needs a list of whole numbers.", _MATCHER_HINT)
            elif pred in _NUM_COMPARE:
                if pv.kind != "scalar" or pv.type not in ("int", "float"):
                    self.add(pv, pp, f"{name} needs a number.", _MATCHER_HINT)
            elif pred == "REGEX":
                self.text(pv, pp, what="a regular expression")
            else:
                self.add(k, pp, f"unknown predicate '{name}' for a number attribute.", _MATCHER_HINT)
