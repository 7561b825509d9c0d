"""Attaching a codebook to a project and changing it, without losing codings.

Every function here is one user action and one transaction: the project
database and the YAML file change together or not at all (the file is
written last, atomically, inside the transaction; if writing fails the
database rolls back). Codings of a code that disappears are never dropped
silently: the caller chooses to ``retire`` the code (the default: it stays,
hidden from new coding), ``delete`` its codings, or ``move:ID`` them to
another code. Edits made by qcode to the YAML file go through the
round-trip :class:`~qcode.formats.codebook_yaml.CodebookEditor`, so the
researcher's comments and layout survive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from qcode.core.codebook import Code, Codebook, new_code_id
from qcode.core.codebook_diff import CodebookDiff, diff_codebooks
from qcode.core.errors import CodebookError, did_you_mean
from qcode.formats.codebook_write import CodebookEditor
from qcode.formats.codebook_yaml import load_codebook, parse_codebook_text, problems_error
from qcode.usecases.project import Project

REMOVED_POLICIES = ("retire", "delete", "move")


@dataclass
class CodebookChange:
    """What attaching a codebook file would change (or changed) in a project."""

    diff: CodebookDiff
    removed_with_codings: dict[str, int] = field(default_factory=dict)
    """Removed code id -> number of its codings."""
    retired: list[str] = field(default_factory=list)
    deleted_codings: int = 0
    moved_codings: int = 0

    def lines(self) -> list[str]:
        out = self.diff.lines()
        for cid, n in self.removed_with_codings.items():
            out.append(f"! {cid}: {n} coding{'s' if n != 1 else ''} use this removed code")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.diff.to_dict(),
            "removed_with_codings": self.removed_with_codings,
            "retired": self.retired,
            "deleted_codings": self.deleted_codings,
            "moved_codings": self.moved_codings,
        }


def parse_removed_policy(value: str) -> tuple[str, str | None]:
    """``retire``, ``delete`` or ``move:CODE`` -> (policy, target)."""
    policy, _, target = value.partition(":")
    if policy not in REMOVED_POLICIES or (policy == "move") != bool(target):
        raise CodebookError(
            f"Unknown choice for removed codes: '{value}'.",
            hint="Use retire (keep the code, hidden from new coding), delete (delete its codings) or move:CODE.",
        )
    return policy, target or None


def preview_codebook(project: Project, path: Path) -> CodebookChange:
    """The change summary of attaching *path*, without changing anything."""
    new, _ = load_codebook(path)
    return _change(project, new)


def _change(project: Project, new: Codebook) -> CodebookChange:
    old = project.store.codes.codebook()
    active = Codebook(**{**_meta(old), "codes": tuple(c for c in old.codes if not c.retired)})
    d = diff_codebooks(active, new)
    counts = project.store.codings.counts()
    gone = [c.id for c in old.codes if c.id not in new]
    return CodebookChange(d, {cid: counts[cid] for cid in gone if counts.get(cid)})


def attach_codebook(project: Project, path: Path, removed: str = "retire", *, remember: bool = True) -> CodebookChange:
    """Make the codebook at *path* the project's codebook (or switch to its new version).

    *removed* says what happens to codings of codes that are no longer in the
    file: ``retire`` (default), ``delete`` or ``move:CODE``. With *remember*,
    qcode.toml is pointed at *path* when it named another file.
    """
    path = Path(path)
    codebook, text = load_codebook(path)
    policy = parse_removed_policy(removed)
    with project.store.transaction():
        change = _sync(project, codebook, text, path, policy)
    project.invalidate(codebook=True)
    if remember:
        _remember_path(project, path)
    return change


def _sync(project: Project, codebook: Codebook, text: str, path: Path, policy: tuple[str, str | None]) -> CodebookChange:
    """Inside a transaction: store *codebook* and deal with removed codes."""
    store = project.store
    change = _change(project, codebook)
    old = store.codes.codebook()
    mode, target = policy
    if mode == "move":
        assert target is not None
        if target not in codebook:
            raise CodebookError(
                f"Cannot move codings to '{target}': it is not in the new codebook." + did_you_mean(target, codebook.ids),
                hint="Choose a code of the new codebook.",
            )
    store.codes.save(codebook, source_text=text, path=str(path))
    for code in old.codes:
        if code.id in codebook:
            continue
        n = change.removed_with_codings.get(code.id, 0)
        if n and mode == "retire":
            store.codes.upsert([replace(code, retired=True, parent=_kept_parent(code, codebook, old))], start_position=len(codebook))
            change.retired.append(code.id)
            continue
        if n and mode == "move":
            change.moved_codings += store.codings.reassign(code.id, target or "")
        elif n and mode == "delete":
            for coding in store.codings.list(code_ids=[code.id]):
                assert coding.id is not None
                store.codings.delete(coding.id)
            change.deleted_codings += n
        _reparent_retired_children(project, code.id, codebook)
        store.codes.delete(code.id)
    return change


def _kept_parent(code: Code, codebook: Codebook, old: Codebook) -> str | None:
    """The nearest ancestor of a retired code that still exists."""
    for anc in old.ancestors(code.id):
        if anc.id in codebook:
            return anc.id
    return None


def _reparent_retired_children(project: Project, code_id: str, codebook: Codebook) -> None:
    store = project.store
    kids = [c for c in store.codes.codebook().codes if c.parent == code_id and c.id not in codebook]
    if kids:
        store.codes.upsert([replace(k, parent=None) for k in kids], start_position=len(codebook))


def _remember_path(project: Project, path: Path) -> None:
    """Point ``[codebook] path`` of qcode.toml at *path* (relative to the project), changing only that line."""
    from qcode.usecases.settings import relative_to_project, update_setting

    if project.settings.codebook and project.path(project.settings.codebook).resolve() == path.resolve():
        return
    rel = relative_to_project(project.root, path)
    if update_setting(project.root, "codebook", "path", rel):
        project.settings.codebook = rel


# ------------------------------------------------------------------ file edits
def codebook_path(project: Project) -> Path:
    """The YAML file of the project's codebook."""
    if project.settings.codebook:
        return project.path(project.settings.codebook)
    rec = project.store.codes.record()
    if rec and rec.path:
        return Path(rec.path)
    raise CodebookError(
        "This project has no codebook file to edit.",
        hint="Attach one with `qcode codebook use FILE` (or create it with `qcode codebook import`).",
    )


def _edit(project: Project, edit: Callable[[CodebookEditor], None], db: Callable[[], Any] | None = None,
          removed: str = "retire") -> CodebookChange:
    """Apply *edit* to the YAML file and *db* to the store, as one action."""
    from qcode.formats.atomic import atomic_write_text

    path = codebook_path(project)
    editor = CodebookEditor(path)
    edit(editor)
    text = editor.dumps()
    codebook, problems = parse_codebook_text(text, str(path))
    if codebook is None:
        raise problems_error(path, problems)
    with project.store.transaction():
        if db is not None:
            db()
        change = _sync(project, codebook, text, path, parse_removed_policy(removed))
        atomic_write_text(path, text)
    project.invalidate(codebook=True)
    return change


def _require(project: Project, code_id: str) -> Code:
    return project.store.codes.codebook().get(code_id)


def add_code(
    project: Project,
    label: str,
    parent: str | None = None,
    *,
    code_id: str | None = None,
    color: str | None = None,
    definition: str = "",
    keywords: list[str] | None = None,
    language: str | None = None,
) -> Code:
    """Create a code in the store and in the YAML file (keeping its comments).

    The id is made from *label* (``new_code_id``) unless given. With
    *language*, the label and keywords are stored under that language.
    """
    label = label.strip()
    if not label:
        raise CodebookError("A new code needs a label.", hint="Give the code a short name.")
    current = project.store.codes.codebook()
    if parent is not None:
        _require(project, parent)
    cid = code_id or new_code_id(label, current.ids)
    if cid in current:
        raise CodebookError(f"A code with the id '{cid}' already exists.", hint="Choose another id.")
    lang = language or ""
    code = Code(
        id=cid, label={lang: label}, parent=parent, color=color, definition=definition,
        keywords={lang: tuple(keywords)} if keywords else {},
    )
    _edit(project, lambda e: e.add_code(code))
    return project.codebook.get(cid)


def split_code(project: Project, code_id: str, labels: list[str]) -> list[Code]:
    """Create sub-codes of *code_id*; its codings stay and can be reassigned one by one."""
    _require(project, code_id)
    made: list[Code] = []
    for label in labels:
        made.append(add_code(project, label, parent=code_id))
    return made


def merge_codes(project: Project, from_id: str, into_id: str) -> int:
    """Move every coding of *from_id* to *into_id*, then remove *from_id*.

    Sub-codes of *from_id* move under *into_id*. Returns the number of
    codings moved (exact duplicates are merged into one).
    """
    if from_id == into_id:
        raise CodebookError("Cannot merge a code into itself.", hint="Name two different codes.")
    src, dst = _require(project, from_id), _require(project, into_id)
    if dst.id in {c.id for c in project.store.codes.codebook().descendants(src.id)}:
        raise CodebookError(f"'{into_id}' is a sub-code of '{from_id}'.", hint="Merge the sub-code into its parent instead, or move it first.")
    moved: list[int] = []
    in_file = _in_file(project, from_id)

    def db() -> None:
        moved.append(project.store.codings.reassign(from_id, into_id))
        cb = project.store.codes.codebook()
        kids = [replace(k, parent=into_id) for k in cb.children(from_id)]
        if kids:
            project.store.codes.upsert(kids, start_position=len(cb))
        if not in_file:
            project.store.codes.delete(from_id)

    if in_file:
        _edit(project, lambda e: e.remove_code(from_id, children_to=into_id), db)
    else:  # a retired code: only the database knows it
        with project.store.transaction():
            db()
        project.invalidate(codebook=True)
    return moved[0]


def move_code(project: Project, code_id: str, parent: str | None) -> Code:
    """Put *code_id* (and its sub-codes) under *parent* (None: top level); codings stay."""
    code = _require(project, code_id)
    if parent is not None:
        _require(project, parent)
        if parent == code_id or parent in {c.id for c in project.store.codes.codebook().descendants(code_id)}:
            raise CodebookError(f"Cannot move '{code_id}' under '{parent}': that would make a cycle.",
                                hint="Choose a parent outside the code's own sub-tree.")
    if code.parent == parent:
        return code
    _edit(project, lambda e: e.move_code(code_id, parent))
    return project.codebook.get(code_id)


def _in_file(project: Project, code_id: str) -> bool:
    try:
        return code_id in load_codebook(codebook_path(project))[0]
    except CodebookError:
        return False


# ------------------------------------------------------------------ reading
def codebook_tree(project: Project) -> list[dict[str, Any]]:
    """Every code in display order with its depth, label and number of codings."""
    cb = project.codebook
    counts = project.store.codings.counts()
    out = []
    for depth, code in cb.walk():
        sub = sum(counts.get(c.id, 0) for c in cb.descendants(code.id))
        out.append({
            "id": code.id, "label": code.display(project.settings.language), "depth": depth,
            "parent": code.parent, "color": code.color, "retired": code.retired,
            "codings": counts.get(code.id, 0), "codings_with_subcodes": counts.get(code.id, 0) + sub,
        })
    return out


def _meta(cb: Codebook) -> dict[str, Any]:
    return {"title": cb.title, "version": cb.version, "languages": cb.languages,
            "authors": cb.authors, "description": cb.description, "extra": cb.extra}


# ------------------------------------------------------------------ merge files
_YAML_FIELDS = ("label", "color", "definition", "include", "exclude", "examples", "counterexamples",
                "keywords", "patterns", "see_also", "retired")
_FIELD_KEY = {"extra": "see_also"}


def merge_files(base: Path, ours: Path, theirs: Path, out: Path) -> Any:
    """Three-way merge of codebook files into *out*; returns the :class:`MergeResult`.

    The result is written on top of *ours* with the round-trip editor, so
    our comments and layout stay. Each conflict is written between git-style
    markers (``<<<<<<< ours`` / ``||||||| base`` / ``=======`` / ``>>>>>>> theirs``)
    that a person resolves by keeping one side; until then
    ``qcode codebook check`` reports the markers. Usable as a git merge driver.
    """
    import re

    from qcode.core.codebook_diff import merge_codebooks
    from qcode.formats.atomic import atomic_write_text
    from qcode.formats.codebook_write import code_to_data, quoted

    b, o, t = (load_for_compare(p) for p in (base, ours, theirs))
    result = merge_codebooks(b, o, t)
    merged = result.codebook
    editor = CodebookEditor(ours)
    their_editor = CodebookEditor(theirs)
    for code in reversed(o.codes):
        if code.id not in merged:
            editor.remove_code(code.id)
    added: set[str] = set()
    for code in merged:
        if code.id in added:
            continue
        if code.id not in o:
            subtree = [code.id, *(d.id for d in merged.descendants(code.id))]
            if all(i not in o and t.find(i) == merged.get(i) for i in subtree) and \
                    {d.id for d in t.descendants(code.id)} == set(subtree[1:]):
                # Added on their side only: take their YAML, with its comments.
                editor.add_node(their_editor.find(code.id), code.parent)
                added.update(subtree)
            else:
                editor.add_code(replace(code, parent=code.parent))
        elif o.get(code.id).parent != code.parent:
            editor.move_code(code.id, code.parent)
    for code in merged:
        if code.id not in o:
            continue
        new, old = code_to_data(code), code_to_data(o.get(code.id))
        for key in _YAML_FIELDS:
            if new.get(key) != old.get(key):
                editor.set_field(code.id, key, new.get(key))
    for name, key in (("title", "title"), ("version", "version"), ("description", "description")):
        if getattr(merged, name) != getattr(o, name):
            editor.data[key] = quoted(getattr(merged, name))
    if merged.languages != o.languages:
        editor.data["language"] = list(merged.languages)
    if merged.authors != o.authors:
        editor.data["authors"] = list(merged.authors)
    blocks: dict[str, str] = {}
    for i, conflict in enumerate(result.conflicts):
        mark = f"__QCODE_CONFLICT_{i}__"
        key = _FIELD_KEY.get(conflict.field, conflict.field)
        if conflict.code_id == "":
            editor.data[key] = mark
            blocks[mark] = _markers(editor, key, *(_meta_value(cb, conflict.field) for cb in (b, o, t)))
        elif key in _YAML_FIELDS:
            editor.set_field(conflict.code_id, key, mark)
            sides = [code_to_data(cb.find(conflict.code_id) or Code(id=conflict.code_id)).get(key) for cb in (b, o, t)]
            blocks[mark] = _markers(editor, key, *sides)
        else:
            editor.set_field(conflict.code_id, "x-qcode-conflict", mark)
            blocks[mark] = _note_markers(conflict)
    text = editor.dumps()
    for mark, block in blocks.items():

        def put(m: re.Match[str], block: str = block) -> str:
            return _indent_block(block, m.group(1))

        text = re.sub(rf"(?m)^( *)(?:- )?[\w-]+: {mark}\n", put, text)
    atomic_write_text(Path(out), text)
    return result


def load_for_compare(path: Path) -> Codebook:
    """Load *path*; without a ``title:`` the title is empty (not the file name, which git randomises)."""
    import re

    codebook, text = load_codebook(path)
    if not re.search(r"(?m)^title\s*:", text):
        codebook = replace(codebook, title="")
    return codebook


def _meta_value(cb: Codebook, name: str) -> Any:
    return getattr(cb, name)


def _markers(editor: CodebookEditor, key: str, base: Any, ours: Any, theirs: Any) -> str:
    def side(value: Any) -> str:
        if value is None:
            return ""
        import io

        from ruamel.yaml.comments import CommentedMap

        buf = io.StringIO()
        editor._yaml.dump(CommentedMap([(key, value)]), buf)
        return buf.getvalue()

    return (f"<<<<<<< ours\n{side(ours)}||||||| base\n{side(base)}=======\n{side(theirs)}"
            f">>>>>>> theirs (keep one side, then delete these marker lines)\n")


def _note_markers(conflict: Any) -> str:
    return (f"<<<<<<< ours\n# {conflict.describe()}\n=======\n"
            f">>>>>>> theirs (decide by hand, then delete these marker lines)\n")


def _indent_block(block: str, indent: str) -> str:
    out = []
    for line in block.splitlines(keepends=True):
        marker = line[:7] in ("<<<<<<<", "|||||||", "=======", ">>>>>>>")
        out.append(line if marker else indent + line)
    return "".join(out)


# ------------------------------------------------------------------ file vs stored
@dataclass
class CodebookFileStatus:
    """How the codebook file named in qcode.toml compares with the version the project uses."""

    state: str
    """``same``, ``changed`` (valid, not taken in), ``invalid``, ``missing`` or ``none`` (no file named)."""
    path: Path | None = None
    shown: str = ""
    """The path as written in qcode.toml, for messages and commands to type."""
    change: CodebookChange | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return self.state in ("changed", "invalid", "missing")

    def message(self) -> str:
        """One paragraph saying what is wrong and what to do (empty when nothing is)."""
        if self.state == "changed" and self.change is not None:
            lines = self.change.lines()
            listed = "; ".join(lines[:3]) + ("; ..." if len(lines) > 3 else "")
            return (f"The codebook file {self.shown} was edited ({self.change.diff.summary()}: {listed}), "
                    f"but the project still uses the version it took in before. To take the edit in, run "
                    f"`qcode codebook use {self.shown}` (add --dry-run to see the change first).")
        if self.state == "invalid":
            listed = "\n".join(f"  {p}" for p in self.problems[:10])
            more = f"\n  ... and {len(self.problems) - 10} more." if len(self.problems) > 10 else ""
            return (f"The codebook file {self.shown} has {len(self.problems)} "
                    f"problem{'s' if len(self.problems) != 1 else ''}, so the project keeps using the last valid "
                    f"version it took in:\n{listed}{more}\nFix them (check with `qcode codebook check {self.shown}`), "
                    f"then run `qcode codebook use {self.shown}`.")
        if self.state == "missing":
            return (f"The codebook file {self.shown} named in qcode.toml ([codebook] path) does not exist; the "
                    "project keeps using the version it took in before. Restore the file, or point [codebook] path "
                    "at it, or attach another one with `qcode codebook use FILE`.")
        return ""


def codebook_file_status(project: Project) -> CodebookFileStatus:
    """Compare the codebook file of qcode.toml with the stored version (nothing is changed)."""
    from qcode.formats.codebook_yaml import read_text

    if not project.settings.codebook:
        return CodebookFileStatus("none")
    shown = project.settings.codebook
    path = project.path(shown)
    if not path.is_file():
        return CodebookFileStatus("missing", path, shown)
    try:
        text = read_text(path)
    except CodebookError as exc:
        return CodebookFileStatus("invalid", path, shown, problems=[exc.message])
    rec = project.store.codes.record()
    if rec and rec.source_text == text:
        return CodebookFileStatus("same", path, shown)
    codebook, problems = parse_codebook_text(text, shown)
    if codebook is None:
        return CodebookFileStatus("invalid", path, shown, problems=[str(p) for p in problems])
    change = _change(project, codebook)
    if not change.diff:  # only comments or layout changed
        return CodebookFileStatus("same", path, shown)
    return CodebookFileStatus("changed", path, shown, change)
