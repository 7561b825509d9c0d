"""The layers hold: the core is pure, and quick commands do not load heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("textual", "spacy", "docx", "yaml", "ruamel", "jinja2", "sqlalchemy", "sqlite3", "lxml", "matplotlib", "openpyxl", "numpy", "click", "rich")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(','.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.strip().split(","))


def test_core_imports_only_the_standard_library() -> None:
    loaded = _loaded_after("import qcode.core, qcode.core.analysis" if (ROOT / "qcode/core/analysis.py").exists() else "import qcode.core")
    leaked = sorted(set(HEAVY) & loaded)
    assert not leaked, f"qcode.core pulled in {leaked}"


def test_every_core_module_imports_nothing_outside_stdlib_and_core() -> None:
    stdlib = set(sys.stdlib_module_names)
    offenders = []
    for path in sorted((ROOT / "qcode" / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top == "qcode" and not name.startswith("qcode.core"):
                    offenders.append(f"{path.name}: {name}")
                elif top != "qcode" and (top not in stdlib or top == "sqlite3"):
                    offenders.append(f"{path.name}: {name}")
    assert not offenders, offenders


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import qcode", HEAVY),
        ("import qcode.cli", ("textual", "spacy", "docx", "jinja2", "matplotlib", "openpyxl", "lxml")),
        ("import qcode.usecases.project", ("textual", "spacy", "docx", "jinja2", "matplotlib", "click")),
        ("import qcode.storage", ("textual", "spacy", "docx", "jinja2", "click")),
    ],
)
def test_outer_layers_do_not_load_heavy_libraries_at_import(statement: str, forbidden: tuple[str, ...]) -> None:
    leaked = sorted(set(forbidden) & _loaded_after(statement))
    assert not leaked, f"{statement!r} imported {leaked}"


LAYERS = {
    # package -> packages it must not import
    "core": ("storage", "formats", "suggest", "usecases", "cli", "tui"),
    "storage": ("formats", "suggest", "usecases", "cli", "tui"),
    "formats": ("storage", "suggest", "usecases", "cli", "tui"),
    "suggest": ("storage", "formats", "usecases", "cli", "tui"),
    "usecases": ("cli", "tui"),
    "cli": ("tui",),
}

# Deliberate exceptions, each with its reason.
ALLOWED = {
    # `qcode open` starts the app; the import is lazy, inside the command.
    ("qcode/cli/project_cmds.py", "qcode.tui"),
}


def test_imports_point_one_way() -> None:
    offenders = []
    for layer, banned in LAYERS.items():
        for path in sorted((ROOT / "qcode" / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                mods: list[str] = []
                if isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    mods = [node.module]
                for m in mods:
                    parts = m.split(".")
                    rel = f"qcode/{layer}/{path.relative_to(ROOT / 'qcode' / layer).as_posix()}"
                    if (rel, m) in ALLOWED:
                        continue
                    if parts[0] == "qcode" and len(parts) > 1 and parts[1] in banned:
                        offenders.append(f"qcode/{layer}/{path.name} imports {m}")
    assert not offenders, offenders
