"""Findings 1 and 7 of issue 14: expansion and memory are bounded by the import limits.

Each hostile file is read in a child process under RLIMIT_AS, so an unbounded
allocation shows up as a MemoryError (the test fails) rather than as a slow
machine.
"""

from __future__ import annotations

import pytest

from qcode.core.errors import ImportFormatError
from qcode.formats.importers.base import ImportOptions
from qcode.formats.importers.odt import OdtImporter
from tests.formats.fixtures import docx_bytes, odt_bytes
from tests.hostile.limited import run_limited

READ_IN_CHILD = """
import sys
from qcode.core.errors import ImportFormatError
from qcode.formats.importers import importer_for
from qcode.formats.importers.base import ImportOptions
from pathlib import Path
name, max_mb = sys.argv[1], float(sys.argv[2])
data = Path(name).read_bytes()
try:
    t = importer_for(Path(name)).read(data, Path(name).name, ImportOptions(max_bytes=int(max_mb * 2**20)))
    RESULT = {"ok": True, "chars": len(t.text)}
except ImportFormatError as exc:
    RESULT = {"ok": False, "error": str(exc)}
"""


@pytest.mark.parametrize("count", ["2000000000", "100000000"])
def test_odt_repeated_spaces_cannot_expand_past_the_import_limit(tmp_path, count: str) -> None:
    f = tmp_path / "bomb.odt"
    f.write_bytes(odt_bytes(f'<text:p>Amina: yes<text:s text:c="{count}"/>no</text:p>'))
    assert f.stat().st_size < 1000
    out = run_limited(READ_IN_CHILD, memory_mb=400, args=[str(f), "10"])
    assert out["ok"] is False and "expands to more than the import limit of 1.0 MB" in out["error"]
    assert out["peak_mb"] < 300  # the interpreter and importers take ~150 MB; the bomb would take gigabytes


def test_odt_expansion_is_bounded_relative_to_the_file_under_the_default_limit() -> None:
    """c=100000000 is under the 100 MB import limit, but 200 times more than a 700-byte file can hold."""
    with pytest.raises(ImportFormatError, match="expands to more than the import limit of 1.0 MB"):
        OdtImporter().read(odt_bytes('<text:p>Amina: a<text:s text:c="100000000"/></text:p>'), "x.odt", ImportOptions())


def test_odt_many_small_space_runs_are_counted_together() -> None:
    body = '<text:p>x<text:s text:c="1000"/></text:p>' * 2000  # 2 M spaces from 2,000 elements
    with pytest.raises(ImportFormatError, match="expands to more than the import limit"):
        OdtImporter().read(odt_bytes(body), "many.odt", ImportOptions(max_bytes=1_000_000))


def test_odt_space_counts_within_the_limit_still_expand() -> None:
    t = OdtImporter().read(
        odt_bytes('<text:p>Amina: a<text:s text:c="3"/>b<text:s text:c="oops"/>c<text:tab/>d</text:p>'),
        "ok.odt", ImportOptions(),
    )
    assert t.text.endswith("a   b c\td")


def _big_docx(xml_mb: int) -> bytes:
    # Varied text so the compression ratio stays like a real document's (well under the 200x bomb ratio).
    import random

    rng = random.Random(7)
    words = ["travail", "plateforme", "tâche", "payé", "semaine", "client", "écran", "nuit", "contrat", "peur"]
    paras = []
    size = 0
    while size < xml_mb * 1_000_000:
        text = " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(40))
        para = f'<w:p><w:r><w:t xml:space="preserve">Amina: {text}</w:t></w:r></w:p>'
        paras.append(para)
        size += len(para)
    return docx_bytes("".join(paras))


def test_docx_with_too_much_xml_is_refused_before_parsing_within_a_memory_bound(tmp_path) -> None:
    f = tmp_path / "long.docx"
    f.write_bytes(_big_docx(40))  # 40 MB of XML: parsed, this needs ~700 MB
    out = run_limited(READ_IN_CHILD, memory_mb=450, args=[str(f), "100"])
    assert out["ok"] is False, out
    assert "MB of XML" in out["error"] and "save it as plain text" in out["error"]
    assert out["peak_mb"] < 400  # parsing it would need ~700 MB; the RLIMIT_AS of 450 MB is the real bound


def test_docx_part_producing_more_than_declared_is_stopped_while_reading(monkeypatch) -> None:
    """CPython's zipfile stops at the declared size, but the count of bytes actually read does not rely on it."""
    import io

    from qcode.formats.safezip import SafeZip, ZipLimits

    data = docx_bytes("<w:p><w:r><w:t>short</w:t></w:r></w:p>")
    zf = SafeZip(data, "liar.docx", "Word .docx", ZipLimits(max_xml=1000))
    monkeypatch.setattr(zf.zf, "open", lambda info: io.BytesIO(b"x" * 5000))  # a decoder that lies
    with pytest.raises(ImportFormatError, match="MB of XML"):
        zf.read("word/document.xml", limit=zf.limits.max_xml)
    zf2 = SafeZip(data, "liar.docx", "Word .docx", ZipLimits(max_member=1000))
    monkeypatch.setattr(zf2.zf, "open", lambda info: io.BytesIO(b"x" * 5000))
    with pytest.raises(ImportFormatError, match="expands beyond"):
        zf2.read("word/document.xml")
