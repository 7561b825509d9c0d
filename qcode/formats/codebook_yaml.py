"""YAML codebook files <-> :class:`~qcode.core.Codebook`.

(Foundation version: reads the documented shape with ``yaml.safe_load``.
The codebook issue replaces it with full validation that points at lines.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qcode.core.codebook import Code, Codebook
from qcode.core.errors import CodebookError


def load_codebook(path: Path) -> tuple[Codebook, str]:
    """Read and check *path*; returns the codebook and the file's text."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"Cannot read codebook {path}: {exc}.") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path}: invalid YAML: {exc}.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise CodebookError(f"{path}: a codebook is a mapping with a 'codes:' list.")
    codes: list[Code] = []

    def walk(items: list[Any], parent: str | None, where: str) -> None:
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "id" not in item:
                raise CodebookError(f"{path}: {where}[{i}] needs an 'id'.")
            label = item.get("label", item["id"])
            codes.append(
                Code(
                    id=str(item["id"]),
                    label=label if isinstance(label, dict) else {"": str(label)},
                    parent=parent,
                    color=item.get("color"),
                    definition=str(item.get("definition", "") or ""),
                    include=str(item.get("include", "") or ""),
                    exclude=str(item.get("exclude", "") or ""),
                    examples=tuple(item.get("examples", []) or []),
                    counterexamples=tuple(item.get("counterexamples", []) or []),
                    keywords=_keywords(item.get("keywords")),
                    patterns=tuple(item.get("patterns", []) or []),
                )
            )
            walk(item.get("children", []) or [], str(item["id"]), f"{where}[{i}].children")

    walk(data["codes"], None, "codes")
    langs = data.get("language", [])
    return (
        Codebook(
            title=str(data.get("title", Path(path).stem)),
            version=str(data.get("version", "")),
            languages=tuple(langs if isinstance(langs, list) else [langs]),
            authors=tuple(str(a) for a in data.get("authors", []) or []),
            description=str(data.get("description", "") or ""),
            codes=tuple(codes),
        ),
        text,
    )


def _keywords(value: Any) -> dict[str, tuple[str, ...]]:
    if not value:
        return {}
    if isinstance(value, list):
        return {"": tuple(str(v) for v in value)}
    return {str(k): tuple(str(v) for v in vs) for k, vs in value.items()}
