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


BELOW_THE_REPOSITORIES = ("sqlalchemy", "qcode.storage.schema", "qcode.storage.engine")


def connection_accesses(source: str) -> list[int]:
    """Lines where *source* imports what repositories are made of, or takes a connection from ``transaction()``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.withitem):
            call = node.context_expr
            if (node.optional_vars is not None and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("transaction", "reading")):
                lines.append(call.lineno)
            continue
        else:
            continue
        if any(n == b or n.startswith(b + ".") for n in names for b in BELOW_THE_REPOSITORIES):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_connection_check_sees_imports_and_connections_taken_from_a_transaction() -> None:
    source = (
        "import sqlalchemy as sa\n"
        "from qcode.storage import schema\n"
        "from qcode.storage.engine import inserted_id\n"
        "with project.store.transaction() as conn:\n    pass\n"
        "with project.store.transaction():\n    pass\n"
        "from qcode.storage import Store\n"
    )
    assert connection_accesses(source) == [1, 2, 3, 4]


def test_only_the_storage_package_reaches_connections() -> None:
    """Use cases see repositories and a unit of work (``with store.transaction():``), never SQL."""
    offenders = []
    files = [p for p in sorted((ROOT / "qcode").rglob("*.py")) if "storage" not in p.relative_to(ROOT).parts]
    assert len(files) > 50, "the qcode modules were not found"
    for path in files:
        for line in connection_accesses(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, (
        "These lines reach below the repositories; add a repository method in qcode/storage/ instead: "
        + ", ".join(offenders)
    )


def test_a_unit_of_work_hands_out_no_connection_and_commits_or_rolls_back_as_one(tmp_path: Path) -> None:
    import pytest

    from qcode.storage import Store

    with Store.open_sqlite(tmp_path / "p.db", create=True) as store:
        with store.transaction() as handed:
            store.meta.set("a", "1")
            store.meta.set("b", "1")
        assert handed is None
        with pytest.raises(RuntimeError), store.transaction():
            store.meta.set("a", "2")
            store.meta.set("b", "2")
            raise RuntimeError("the second half of the work failed")
    with Store.open_sqlite(tmp_path / "p.db") as store:
        assert (store.meta.get("a"), store.meta.get("b")) == ("1", "1")
