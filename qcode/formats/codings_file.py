"""The codings exchange file: JSON Lines (one coding per line) or CSV.

Fields (JSONL keys or CSV header names)::

    transcript  id, name or original file name of the transcript   (required)
    start, end  character offsets, Python code points, end exclusive (required)
    code        code id                                             (required)
    coder       coder name                 (default: the importing coder)
    memo        memo text                                           (optional)
    created     ISO 8601 time                                       (optional)
    quote       the coded text itself       (optional; used to place the coding
                when the offsets do not select it)

``qcode codings export`` writes every field plus ``id``, ``guid``,
``origin``, ``status``, ``modified``, ``prefix`` and ``suffix``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qcode.core.errors import ImportFormatError

REQUIRED = ("transcript", "start", "end", "code")
MAX_BYTES = 512 * 2**20
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv", ".tsv")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")
"""A CSV cell starting with one of these gets a leading ' (spreadsheets then show text, not a formula);
the reader removes exactly one, so the round trip is exact (a leading ' itself is escaped the same way)."""


def file_format(path: Path) -> str:
    """'jsonl' or 'csv' from the file name, for reading and writing alike; anything else is refused."""
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise ImportFormatError(
        f"{path}: unknown codings file type '{suffix}'.", hint="Use a .jsonl or .csv file."
    )


@dataclass(frozen=True)
class Row:
    line: int
    data: dict[str, Any]
    """The row's fields as the file gives them (JSON values, or CSV text), not yet checked."""


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of a .jsonl or .csv codings file, with their line numbers."""
    from qcode.formats.files import read_limited

    try:
        raw = read_limited(path, MAX_BYTES)
    except OSError as exc:
        raise ImportFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if len(raw) > MAX_BYTES:
        raise ImportFormatError(f"{path} is larger than {MAX_BYTES // 2**20} MB; split it into several files.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{path} is not UTF-8 (byte {exc.start} cannot be decoded).",
            hint="Save the file as UTF-8 and try again.",
        ) from exc
    suffix = path.suffix.lower()
    if file_format(path) == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFormatError(f"{path}, line {n}: not valid JSON ({exc.msg}, column {exc.colno}).") from exc
            except RecursionError:
                raise ImportFormatError(f"{path}, line {n}: JSON nested too deeply to read.",
                                        hint="A coding is one flat JSON object per line.") from None
            if not isinstance(data, dict):
                raise ImportFormatError(f"{path}, line {n}: each line must be a JSON object {{...}}.")
            yield Row(n, data)
    else:
        dialect = "excel-tab" if suffix == ".tsv" else "excel"
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
        missing = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
        if missing:
            raise ImportFormatError(
                f"{path}, line 1: missing column(s) {', '.join(missing)}.",
                hint=f"The header must name at least: {', '.join(REQUIRED)}.",
            )
        for data in reader:
            yield Row(reader.line_num, {k: _unprotect(v) for k, v in data.items() if k is not None})


def _unprotect(v: object) -> object:
    return v[1:] if isinstance(v, str) and v.startswith("'") and v[1:2] in _FORMULA else v


def _protect(v: object) -> object:
    return "'" + v if isinstance(v, str) and v.startswith(_FORMULA) else v


def write_csv(rows: Iterable[Mapping[str, object]], out: io.TextIOBase, *, tab: bool = False) -> int:
    """Codings as CSV with a header (the columns of the first row), readable by :func:`read_rows`."""
    writer: csv.DictWriter[str] | None = None
    n = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row), dialect="excel-tab" if tab else "excel",
                                    lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: _protect(v) for k, v in row.items()})
        n += 1
    if writer is None:
        out.write(",".join(REQUIRED) + "\n")
    return n


def write_jsonl(rows: Iterable[Mapping[str, object]], out: io.TextIOBase) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
        n += 1
    return n
