"""The normalisation and diff of tests/benchmarks/same_outputs.py, on small inputs."""
from __future__ import annotations

import io
import zipfile

from tests.benchmarks.same_outputs import diff_outputs, normalise, normalise_json, normalise_text


def _docx(body: str, created: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("docProps/core.xml", f"<created>{created}</created>")
        z.writestr("word/document.xml", f"<w:document><w:t>{body}</w:t></w:document>")
    return buf.getvalue()


def test_volatile_parts_are_replaced() -> None:
    text = ("Written 2026-12-02T21:34:13Z to /tmp/qcode-same-x/out/report.md in 1.25 s, 334 words/s, "
            "guid 7bf70168-263c-4bbf-8281-6fda3e5b4230, project /home/me/study/codebooks")
    got = normalise_text(text, project="/home/me/study")
    assert got == ("Written <TS> to <TMP> in <DURATION>, <RATE>, guid <UUID>, project <PROJECT>/codebooks")


def test_json_keys_sorted_and_volatile_keys_blanked_but_values_kept() -> None:
    a = normalise_json('{"id": 3, "created": "2026-01-01", "code": "pay"}')
    b = normalise_json('{"code": "pay", "created": "2027-05-05", "id": 3}')
    assert a == b
    assert normalise_json('{"id": 3, "code": "pay"}') != normalise_json('{"id": 3, "code": "pay-gap"}')


def test_office_files_compared_by_document_xml_not_metadata() -> None:
    same_a = normalise("r.docx", _docx("Themes", "2026-01-01T00:00:00Z"))
    same_b = normalise("r.docx", _docx("Themes", "2030-06-06T12:00:00Z"))
    assert same_a == same_b
    assert "docProps" not in same_a
    assert normalise("r.docx", _docx("Themes!", "2026-01-01T00:00:00Z")) != same_a


def test_diff_reports_changed_missing_and_nothing_when_same() -> None:
    before = {"a.json": "x\ny\n", "b.md": "same\n", "gone.csv": "1\n"}
    after = {"a.json": "x\nz\n", "b.md": "same\n"}
    diff = diff_outputs(before, after)
    assert "-y" in diff and "+z" in diff and "after/a.json" in diff
    assert "gone.csv: only before" in diff
    assert "b.md" not in diff
    assert diff_outputs(before, dict(before)) == ""
