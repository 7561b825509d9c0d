"""Codebook import from MAXQDA-like .qdc files: valid unique ids from any name, categories kept."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qcode.cli import cli
from qcode.core.codebook import new_code_id
from qcode.formats.codebook_yaml import CODE_ID_RE, load_codebook
from qcode.formats.qdc import NS_CODEBOOK, export_qdc, import_qdc


def maxqda_like_qdc(n_themes: int = 12, per_theme: int = 24) -> bytes:
    """A MAXQDA-24-style codebook: themes (isCodable="false") holding long, similar code names."""
    from xml.sax.saxutils import quoteattr

    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="{NS_CODEBOOK}" origin="MAXQDA 24"><Codes>']
    for t in range(n_themes):
        theme = f"Theme {t}: Perceptions of institutional trust — {'very ' * 8}long label"
        parts.append(f'<Code guid="00000000-0000-4000-8000-{t:012d}" name={quoteattr(theme)} isCodable="false" color="#A0B0C0">')
        for c in range(per_theme):
            # 40 characters of letters then separators exactly at the cut, names that differ only after 100 chars.
            name = ("Participants describe their relationship to the" if c % 3 else "a" * 39 + " / - " + "b" * 30)
            name += " / " + "x" * 80 + f" variant {c}"
            guid = f"00000000-0000-4000-9000-{t:06d}{c:06d}"
            parts.append(f'<Code guid="{guid}" name={quoteattr(name)} isCodable="true"><Description>d{c}</Description></Code>')
        parts.append("</Code>")
    parts.append("</Codes></CodeBook>")
    return "".join(parts).encode("utf-8")


def test_generated_ids_never_end_with_a_separator() -> None:
    for label in ["a" * 39 + " - tail", "x" * 39 + "--" + "y" * 5, "--- ---", "é" * 200, "A" * 40 + "-" + "B"]:
        cid = new_code_id(label, [])
        assert CODE_ID_RE.match(cid), (label, cid)
        assert len(cid) <= 100 and not cid.endswith("-")


def test_300_code_maxqda_codebook_imports_with_valid_unique_ids(tmp_path: Path) -> None:
    data = maxqda_like_qdc()
    book = import_qdc(data, "maxqda.qdc")
    assert len(book) == 12 * 25 == 300
    ids = book.ids
    assert len(set(ids)) == 300
    assert all(CODE_ID_RE.match(i) and len(i) <= 100 for i in ids), [i for i in ids if not CODE_ID_RE.match(i)]
    themes = [c for c in book if c.parent is None]
    assert len(themes) == 12 and all(not c.codable for c in themes)
    assert all(c.codable for c in book if c.parent is not None)
    assert themes[0].color == "#A0B0C0"
    # Through the CLI: the YAML written passes qcode's own validation and keeps the categories.
    src = tmp_path / "maxqda.qdc"
    src.write_bytes(data)
    out = tmp_path / "imported.yaml"
    r = CliRunner().invoke(cli, ["codebook", "import", str(src), "-o", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "300 codes" in r.output
    text = out.read_text(encoding="utf-8")
    assert text.count("codable: false") == 12
    loaded, _ = load_codebook(out)  # raises on any problem
    assert [c.id for c in loaded] == ids and [c.codable for c in loaded] == [c.codable for c in book]


def test_category_exports_as_not_codable_and_comes_back() -> None:
    book = import_qdc(maxqda_like_qdc(2, 2), "m.qdc")
    again = import_qdc(export_qdc(book), "again.qdc")
    assert [(c.id, c.parent, c.codable, c.retired) for c in again] == [(c.id, c.parent, c.codable, c.retired) for c in book]
    assert b'isCodable="false"' in export_qdc(book)


def test_category_cannot_be_applied(project) -> None:
    import pytest

    from qcode.core.codebook import Code
    from qcode.core.errors import CodingError
    from qcode.usecases.coding import _check_code

    cb = project.codebook.with_code(Code(id="theme", label={"": "Theme"}, codable=False))
    project.store.codes.upsert([cb.get("theme")], start_position=len(cb))
    project.invalidate(codebook=True)
    with pytest.raises(CodingError, match="category"):
        _check_code(project, "theme")
