"""Front ends go through use cases: no module of qcode/tui or qcode/cli reaches the store itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONT_ENDS = ("qcode/tui", "qcode/cli")


def store_accesses(source: str) -> list[int]:
    """Line numbers where *source* touches an attribute named ``store`` (``x.store``, ``getattr(x, "store")``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "store":
            lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "store"
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_check_sees_every_way_of_reaching_the_store() -> None:
    source = (
        "rows = project.store.transcripts.summaries()\n"
        "s = self.app.project.store\n"
        "t = getattr(project, 'store')\n"
        "with project.store.transaction():\n    pass\n"
        "ok = project.read_only\n"
        "restore = project.restore\n"
        "store = 1\n"
    )
    assert store_accesses(source) == [1, 2, 3, 4]


def test_front_ends_never_touch_the_store() -> None:
    offenders = []
    files = [p for folder in FRONT_ENDS for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 20, "the front-end modules were not found"
    for path in files:
        for line in store_accesses(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, (
        "These front-end lines use the store directly; call (or add) a function in qcode/usecases/ instead: "
        + ", ".join(offenders)
    )
