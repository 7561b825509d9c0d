"""YAML codebook files <-> :class:`~qcode.core.codebook.Codebook`.

Reading never builds Python objects with a YAML loader. The text is parsed
into YAML *events* (PyYAML's safe parser) and composed here into a small
tree that remembers the line and column of every value; the codebook is
then checked against the format (see ``codebook_schema.json``) and **every**
problem is reported at once, each with file, line, column and key path
(``codes[3].children[1].id``). This catches what YAML hides: duplicate keys,
YAML 1.1 booleans, numbers and dates where text is expected (``no`` ->
false), colours swallowed as comments, anchors and aliases (alias bombs),
explicit tags (``!!python/object``), files too large or nested too deep.

The node tree and its composer are in :mod:`qcode.formats.yaml_nodes`.
Writing goes through :class:`~qcode.formats.codebook_write.CodebookEditor`, which uses ruamel.yaml's
round-trip mode so that qcode's edits keep the researcher's comments, key
order, quoting and indentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qcode.core.codebook import Code, Codebook, tree_order
from qcode.core.errors import CodebookError, did_you_mean
from qcode.core.safe_text import label
from qcode.formats.codebook_patterns import PatternChecks
from qcode.formats.files import NotRegularFileError, read_limited
from qcode.formats.yaml_nodes import Node, Problem, compose

MAX_BYTES = 2 * 1024 * 1024
"""Largest codebook file accepted (2 MiB; real codebooks are far smaller)."""
FORMAT_VERSION = 1

TOP_KEYS = ("qcode_codebook", "title", "version", "language", "authors", "description", "license", "codes")
CODE_KEYS = (
    "id", "label", "parent", "color", "definition", "include", "exclude", "examples",
    "counterexamples", "keywords", "patterns", "see_also", "retired", "children", "codable",
)
CODE_ID_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGES = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy "
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu "
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb "
    "lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om "
    "or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw "
    "ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu".split()
)
"""ISO 639-1 language codes."""
_LANGUAGE_ALIASES = {
    "fra": "fr", "fre": "fr", "french": "fr", "français": "fr", "eng": "en", "english": "en",
    "deu": "de", "ger": "de", "german": "de", "spa": "es", "spanish": "es", "ita": "it",
    "italian": "it", "por": "pt", "portuguese": "pt", "nld": "nl", "dut": "nl", "dutch": "nl",
}

_TYPE_WORDS = {"bool": "a boolean", "int": "a number", "float": "a number", "null": "empty (null)", "timestamp": "a date"}


# ------------------------------------------------------------------ reading
def read_text(path: Path) -> str:
    """The text of *path*, refusing files over :data:`MAX_BYTES` before reading them."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CodebookError(
                f"{path}: the codebook file is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.1f} MB.",
                hint="A codebook holds codes and rules, not data; check that this is the right file.",
            )
        data = read_limited(path, MAX_BYTES)
    except NotRegularFileError as exc:
        raise CodebookError(f"Codebook {exc}.", hint="Check the path: a codebook is a YAML file.") from exc
    except FileNotFoundError:
        raise CodebookError(f"Codebook file {path} not found.", hint="Check the path.") from None
    except OSError as exc:
        raise CodebookError(f"Cannot read codebook {path}: {exc.strerror or exc}.", hint="Check the file's permissions.") from exc
    if len(data) > MAX_BYTES:
        raise CodebookError(f"{path}: the codebook file is larger than {MAX_BYTES / 1e6:.1f} MB.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CodebookError(f"{path}:{line}: the codebook is not valid UTF-8 text.",
                            hint="Save it as UTF-8 in your editor.") from exc
    return text.removeprefix("\ufeff")


def parse_codebook_text(text: str, file: str = "<codebook>") -> tuple[Codebook | None, list[Problem]]:
    """Check codebook *text*; returns the codebook (None when there are problems) and the problems."""
    problems: list[Problem] = []
    if len(text.encode("utf-8")) > MAX_BYTES:
        problems.append(Problem(file, 1, 1, "", f"the codebook is larger than {MAX_BYTES / 1e6:.1f} MB.",
                                "A codebook holds codes and rules, not data."))
        return None, problems
    for n, line in enumerate(text.splitlines(), start=1):
        if line[:8] in ("<<<<<<< ", "||||||| ", ">>>>>>> ") or line.rstrip() == "=======":
            problems.append(Problem(file, n, 1, "", "unresolved merge conflict marker.",
                                    "Keep one side of the conflict and delete the marker lines (<<<<<<<, |||||||, =======, >>>>>>>)."))
    if problems:
        return None, problems
    root = compose(text, file, problems)
    if root is None:
        if not problems:
            problems.append(Problem(file, 1, 1, "", "the file is empty.",
                                    "Start with `qcode_codebook: 1` and a `codes:` list."))
        return None, problems
    codebook = build(root, text, file, problems, default_title=Path(file).stem)
    problems.sort(key=lambda p: (p.line, p.column))
    return (codebook if not problems else None), problems


def check_codebook(path: Path) -> list[Problem]:
    """Every problem of the codebook file at *path* (empty when it is valid)."""
    try:
        text = read_text(path)
    except CodebookError as exc:
        return [Problem(str(path), 1, 1, "", exc.message, exc.hint)]
    return parse_codebook_text(text, str(path))[1]


def load_codebook(path: Path) -> tuple[Codebook, str]:
    """Read and check *path*; returns the codebook and the file's text.

    Raises :class:`CodebookError` listing every problem.
    """
    text = read_text(path)
    codebook, problems = parse_codebook_text(text, str(path))
    if codebook is None:
        raise problems_error(path, problems)
    return codebook, text


def problems_error(path: Path | str, problems: list[Problem]) -> CodebookError:
    """One :class:`CodebookError` listing *problems* (at most 50 shown)."""
    n = len(problems)
    shown = "\n".join(f"  {p}" for p in problems[:50])
    more = f"\n  ... and {n - 50} more." if n > 50 else ""
    return CodebookError(
        f"{path}: {n} problem{'s' if n != 1 else ''} in the codebook:\n{shown}{more}",
        hint="Fix them and run `qcode codebook check FILE` again.",
    )


@dataclass
class _Pending:
    id: str
    node: Node
    path: str
    parent: str | None
    parent_node: Node | None  # the `parent:` value, for flat codebooks
    fields: dict[str, Any]
    """Keyword arguments of :class:`Code`, each checked as its key is read (keys come from the file,
    so a TypedDict, which needs literal keys, cannot hold them)."""


class _Checker(PatternChecks):
    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.languages: tuple[str, ...] = ()
        self.codes: list[_Pending] = []
        self.ids: dict[str, _Pending] = {}
        self.refs: list[tuple[str, Node, str]] = []  # (id, node, path) of see_also references

    def add(self, node: Node, path: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, node.line, node.column, path, message, hint))

    # -- generic values ------------------------------------------------
    def mapping(self, node: Node, path: str, allowed: tuple[str, ...] | None) -> dict[str, tuple[Node, Node]]:
        out: dict[str, tuple[Node, Node]] = {}
        for k, v in node.pairs:
            name = self.text(k, f"{path}.{k.raw}" if path else k.raw, what="a key")
            if name is None:
                continue
            kp = f"{path}.{name}" if path else name
            if name in out:
                self.add(k, kp, f"duplicate key '{name}' (first at line {out[name][0].line}).",
                         "YAML silently keeps only the last one; merge the two entries.")
                continue
            if allowed is not None and name not in allowed and not name.startswith("x-"):
                self.add(k, kp, f"unknown key '{name}'." + did_you_mean(name, allowed),
                         f"Known keys: {', '.join(allowed)}. Your own fields must start with 'x-'.")
                continue
            out[name] = (k, v)
        return out

    def text(self, node: Node, path: str, *, what: str = "text", empty_ok: bool = True) -> str | None:
        if node.kind != "scalar":
            self.add(node, path, f"expected {what}, found a {'list' if node.kind == 'seq' else 'mapping'}.",
                     "Check the indentation, or put the value in quotes.")
            return None
        t = node.type
        if t == "str":
            if not empty_ok and not node.raw.strip():
                self.add(node, path, f"{what} is empty.")
                return None
            bad = _control_char(node.raw, multiline=what not in _ONE_LINE)
            if bad is not None:
                self.add(node, path, f"{what} contains the control character {label(node.raw[bad])} "
                         f"(character {bad + 1}); it can garble terminals and breaks Word and Excel files.",
                         "Remove it: such characters are often pasted invisibly from another program, or "
                         "written as \\e or \\x.. escapes in quotes.")
                return None
            return node.raw
        if t == "null":
            if empty_ok:
                return ""
            self.add(node, path, f"{what} is empty.", "Give it a value.")
            return None
        shown = _shown(node.raw)
        self.add(node, path, f"`{node.raw}` is read by YAML as {_TYPE_WORDS.get(t, t)} ({shown}), not as {what}.",
                 f'Put it in quotes: "{node.raw}".')
        return None

    def texts(self, node: Node, path: str, what: str = "text") -> list[str]:
        if node.kind == "scalar" and node.type == "null":
            return []
        if node.kind == "scalar":
            one = self.text(node, path, what=what)
            return [one] if one else []
        if node.kind != "seq":
            self.add(node, path, f"expected a list of {what}, found a mapping.", "Write it as [a, b] or as '- ' lines.")
            return []
        out = []
        for i, item in enumerate(node.items):
            value = self.text(item, f"{path}[{i}]", what=what, empty_ok=False)
            if value is not None:
                out.append(value)
        return out

    def boolean(self, node: Node, path: str) -> bool | None:
        if node.kind == "scalar" and node.type == "bool" and node.raw.lower() in ("true", "false"):
            return node.raw.lower() == "true"
        self.add(node, path, f"expected true or false, found `{node.raw if node.kind == 'scalar' else node.kind}`.",
                 "Write true or false (YAML 1.1 also reads yes/no/on/off as booleans; avoid them).")
        return None

    def language(self, node: Node, path: str, *, declared: bool = True) -> str | None:
        lang = self.text(node, path, what="a language code", empty_ok=False)
        if lang is None:
            return None
        if lang not in LANGUAGES:
            hint = "Use ISO 639-1 two-letter codes such as fr, en, de."
            low = lang.lower()
            if low in LANGUAGES or low in _LANGUAGE_ALIASES:
                extra = f" Did you mean '{_LANGUAGE_ALIASES.get(low, low)}'?"
            else:
                extra = did_you_mean(lang, LANGUAGES)
            self.add(node, path, f"unknown language '{lang}'." + extra, hint)
            return None
        if declared and self.languages and lang not in self.languages:
            self.add(node, path, f"language '{lang}' is not in the codebook's `language:` list ({', '.join(self.languages)}).",
                     f"Add '{lang}' to `language:` at the top of the file, or fix this key.")
        return lang

    def per_language(self, node: Node, path: str, what: str) -> dict[str, str]:
        """A plain text (stored under "") or a mapping language -> text."""
        if node.kind != "map":
            value = self.text(node, path, what=what, empty_ok=False)
            return {"": value} if value is not None else {}
        out: dict[str, str] = {}
        for name, v in self._languages(node, path):
            value = self.text(v, f"{path}.{name}", what=what, empty_ok=False)
            if value is not None:
                out[name] = value
        return out

    def per_language_lists(self, node: Node, path: str, what: str) -> dict[str, tuple[str, ...]]:
        """A plain list of texts (stored under "") or a mapping language -> list of texts."""
        if node.kind != "map":
            return {"": tuple(self.texts(node, path, what))}
        return {lang: tuple(self.texts(v, f"{path}.{lang}", what)) for lang, v in self._languages(node, path)}

    def _languages(self, node: Node, path: str) -> Iterator[tuple[str, Node]]:
        """The (language, value) pairs of a per-language mapping; keys that are no language are reported
        (lazily, so that each key's problems come before its value's)."""
        for name, (k, v) in self.mapping(node, path, None).items():
            lang = self.language(k, f"{path}.{name}")
            if lang is not None:
                yield lang, v

    # -- codes -----------------------------------------------------------
    def code(self, node: Node, path: str, parent: str | None, nested: bool) -> None:
        if node.kind != "map":
            self.add(node, path, "each code must be a mapping with at least an 'id'.",
                     "Write it as `- id: my-code` followed by `label: ...` on the next lines.")
            return
        keys = self.mapping(node, path, CODE_KEYS)
        if "id" not in keys:
            self.add(node, path, "this code has no 'id'.",
                     "Add `id: some-name` (letters, digits, '-', '_', '.'); ids are stable and never reused.")
            code_id = None
        else:
            k, v = keys["id"]
            code_id = self.text(v, f"{path}.id", what="a code id", empty_ok=False)
            if code_id is not None and not CODE_ID_RE.match(code_id):
                from qcode.core.codebook import new_code_id

                self.add(v, f"{path}.id", f"'{code_id}' is not a valid code id.",
                         f"Use letters, digits, '-', '_' or '.', at most 100 characters, e.g. '{new_code_id(code_id, [])}'.")
                code_id = None
            elif code_id is not None and code_id in self.ids:
                first = self.ids[code_id]
                self.add(v, f"{path}.id", f"duplicate code id '{code_id}' (also at line {first.node.line}, {first.path}).",
                         "Every code needs its own id; rename one of them.")
                code_id = None
        fields: dict[str, Any] = {}
        parent_node = None
        for name, (k, v) in keys.items():
            fp = f"{path}.{name}"
            if name in ("id", "children"):
                continue
            if name == "label":
                fields["label"] = self.per_language(v, fp, "a label")
            elif name == "parent":
                if nested:
                    self.add(k, fp, "a nested code takes its parent from where it is written.",
                             "Remove `parent:`, or move the code to the top-level `codes:` list.")
                else:
                    parent = self.text(v, fp, what="a code id", empty_ok=False)
                    parent_node = v
            elif name == "color":
                self.color(k, v, fp, fields)
            elif name in ("definition", "include", "exclude"):
                value = self.text(v, fp)
                if value is not None:
                    fields[name] = value.strip()
            elif name in ("examples", "counterexamples"):
                fields[name] = tuple(self.texts(v, fp, "quotes"))
            elif name == "keywords":
                fields["keywords"] = {k2: v2 for k2, v2 in self.per_language_lists(v, fp, "keywords").items() if v2}
            elif name == "patterns":
                fields["patterns"] = tuple(self.patterns(v, fp))
            elif name == "see_also":
                ids = self.texts(v, fp, "code ids")
                fields.setdefault("extra", {})["see_also"] = ids
                items = v.items if v.kind == "seq" else [v]
                for i, (ref, item) in enumerate(zip(ids, items, strict=False)):
                    self.refs.append((ref, item, f"{fp}[{i}]" if v.kind == "seq" else fp))
            elif name == "retired":
                flag = self.boolean(v, fp)
                fields["retired"] = bool(flag)
            elif name == "codable":
                flag = self.boolean(v, fp)
                fields["codable"] = flag is not False
            elif name.startswith("x-"):
                fields.setdefault("extra", {})[name] = v.python()
        if code_id is not None:
            pending = _Pending(code_id, node, path, parent, parent_node, fields)
            self.ids[code_id] = pending
            self.codes.append(pending)
        if "children" in keys:
            k, v = keys["children"]
            if v.kind == "seq":
                for i, child in enumerate(v.items):
                    self.code(child, f"{path}.children[{i}]", code_id, nested=True)
            elif not (v.kind == "scalar" and v.type == "null"):
                self.add(v, f"{path}.children", "`children:` must be a list of codes.", "Write each sub-code as `- id: ...`.")

    def color(self, k: Node, v: Node, path: str, fields: dict[str, Any]) -> None:
        if v.kind == "scalar" and v.type == "null":
            self.add(k, path, "the colour is empty: an unquoted '#' starts a YAML comment.",
                     'Quote it: color: "#d62728".')
            return
        value = self.text(v, path, what="a colour")
        if value is None:
            return
        if not COLOR_RE.match(value):
            self.add(v, path, f"'{value}' is not a colour.", 'Write it as a quoted hex colour, e.g. "#1f77b4" or "#f80".')
            return
        fields["color"] = value

    # -- spaCy Matcher patterns -------------------------------------------
_ONE_LINE = ("a label", "a code id", "a colour", "a language code", "keywords", "code ids")
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _control_char(value: str, *, multiline: bool) -> int | None:
    """Index of the first character a codebook text may not hold, or None.

    C0 controls (but TAB and line ends in multi-line texts), DEL and C1 are
    refused everywhere; bidi overrides in one-line names (labels, ids) too.
    """
    if value.isprintable():
        return None
    for i, ch in enumerate(value):
        o = ord(ch)
        if ch in "\t\n\r" and multiline:
            continue
        if o < 0x20 or 0x7F <= o <= 0x9F or (not multiline and ch in _BIDI_CONTROLS):
            return i
    return None


def _shown(raw: str) -> str:
    value = yaml.safe_load(raw)
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


def build(root: Node, text: str, file: str, problems: list[Problem], default_title: str = "") -> Codebook | None:
    """Check the composed *root* against the codebook format; the codebook, or None."""
    c = _Checker(file, problems)
    if root.kind != "map":
        c.add(root, "", "a codebook is a mapping (qcode_codebook, title, codes, ...), not a list or text.",
              "Start the file with `qcode_codebook: 1` and put the codes under `codes:`.")
        return None
    names = [k.raw for k, _ in root.pairs if k.kind == "scalar"]
    if not any(n in TOP_KEYS or str(n).startswith("x-") for n in names):
        # Not a codebook at all (a wrong path, another file): say so without quoting its content,
        # which may be anything, e.g. a system file a mistyped `[codebook] path` points to.
        c.add(root, "", f"this is not a qcode codebook: none of its {len(names)} top-level keys is a codebook "
              "key (qcode_codebook, title, codes, ...).",
              "Check the path: a codebook is a YAML file with a `codes:` list.")
        return None
    keys = c.mapping(root, "", TOP_KEYS)
    texts: dict[str, str] = {}
    extra: dict[str, object] = {}
    authors: tuple[str, ...] = ()
    if "qcode_codebook" in keys:
        v = keys["qcode_codebook"][1]
        if not (v.kind == "scalar" and v.type == "int" and int(v.raw) == FORMAT_VERSION):
            c.add(v, "qcode_codebook", f"this qcode reads codebook format {FORMAT_VERSION}, not `{v.raw if v.kind == 'scalar' else v.kind}`.",
                  "Write `qcode_codebook: 1`, or update qcode.")
    if "language" in keys:
        v = keys["language"][1]
        items = v.items if v.kind == "seq" else [v]
        langs = [c.language(item, f"language[{i}]" if v.kind == "seq" else "language", declared=False) for i, item in enumerate(items)]
        c.languages = tuple(lang for lang in langs if lang)
    for name in ("title", "version", "description", "license"):
        if name in keys:
            value = c.text(keys[name][1], name)
            if value is not None:
                (texts if name != "license" else extra)[name] = value.strip()
    if "authors" in keys:
        authors = tuple(c.texts(keys["authors"][1], "authors", "names"))
    for name, (_, v) in keys.items():
        if name.startswith("x-"):
            extra[name] = v.python()
    if "codes" not in keys:
        c.add(root, "", "the codebook has no `codes:` list.", "Add `codes:` with one `- id: ...` entry per code.")
    else:
        v = keys["codes"][1]
        if v.kind == "seq":
            for i, item in enumerate(v.items):
                c.code(item, f"codes[{i}]", None, nested=False)
        elif not (v.kind == "scalar" and v.type == "null"):
            c.add(v, "codes", "`codes:` must be a list of codes.", "Write each code as `- id: ...`.")
    _check_references(c)
    if problems:
        return None
    codes = [Code(id=p.id, parent=p.parent, **p.fields) for p in c.codes]
    return Codebook(
        title=texts.get("title", default_title or "Untitled codebook"), version=texts.get("version", ""),
        languages=c.languages, authors=authors, description=texts.get("description", ""),
        codes=tuple(tree_order(codes)), extra=extra,
    )


def _check_references(c: _Checker) -> None:
    ids = list(c.ids)
    for p in c.codes:
        if p.parent_node is not None and p.parent is not None and p.parent not in c.ids:
            c.add(p.parent_node, f"{p.path}.parent", f"no code has the id '{p.parent}'." + did_you_mean(p.parent, ids),
                  "A parent must be the id of another code in this file.")
            p.parent = None
    reported: set[str] = set()
    for p in c.codes:
        chain, cur = [p.id], c.ids.get(p.parent or "")
        while cur is not None and cur.id not in chain:
            chain.append(cur.id)
            cur = c.ids.get(cur.parent or "")
        if cur is not None and cur.id == p.id and p.id not in reported:
            reported.update(chain)
            where = p.parent_node or p.node
            c.add(where, f"{p.path}.parent", "the parents form a cycle: " + " -> ".join([*chain, p.id]) + ".",
                  "Make one of these codes a top-level code (remove its `parent:`).")
    for ref, node, path in c.refs:
        if ref not in c.ids:
            c.add(node, path, f"no code has the id '{ref}'." + did_you_mean(ref, ids), "`see_also` lists ids of other codes.")
