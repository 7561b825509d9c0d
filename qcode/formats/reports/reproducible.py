"""Byte-for-byte reproducible Office files: fixed zip entry times and document dates.

python-docx and openpyxl stamp every zip entry with the wall clock, and
openpyxl also writes the current time as the workbook's creation and
modification date. :func:`fix_zip` rewrites a saved package so that the same
content gives the same bytes: entries in the order they were written, each
dated with the report date (midnight UTC, or ``SOURCE_DATE_EPOCH`` itself
when set and on that day), the same compression, no extra fields, and
``dcterms:created`` / ``dcterms:modified`` in ``docProps/core.xml`` set to
that date.
"""

from __future__ import annotations

import os
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

_CORE = "docProps/core.xml"
_W3CDTF = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stamp(day: str) -> datetime:
    """The moment a report of *day* (YYYY-MM-DD) is dated: ``SOURCE_DATE_EPOCH`` when it falls on that
    day, else midnight UTC; 2000-01-01 when *day* is not a date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        base = datetime.fromisoformat(day).replace(tzinfo=UTC)
    except ValueError:
        base = datetime(2000, 1, 1, tzinfo=UTC)
    if epoch.isdigit():
        moment = datetime.fromtimestamp(int(epoch), UTC)
        if moment.date() == base.date():
            return moment
    return base


def fix_zip(path: Path, day: str) -> None:
    """Rewrite the zip package at *path* in place with fixed entry times and core-property dates."""
    when = stamp(day)
    date_time = (max(1980, when.year), when.month, when.day, when.hour, when.minute, when.second)
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    tmp = Path(str(path) + ".fix")
    with zipfile.ZipFile(tmp, "w") as out:
        for name, data in entries:
            if name == _CORE:
                data = _W3CDTF.sub(lambda m: m.group(1) + iso + m.group(3), data)
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(tmp, path)
