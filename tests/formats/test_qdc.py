"""REFI-QDA .qdc: byte-identical round trip, XSD validation, foreign imports, hostile files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from qcode.core.codebook import Code, Codebook
from qcode.core.coding import stable_guid
from qcode.core.errors import CodebookError
from qcode.formats.codebook_yaml import load_codebook
from qcode.formats.qdc import (
    NS_CODEBOOK,
    NS_PROJECT,
    describe,
    export_qdc,
    import_codebook_file,
    import_qdc,
    parse_description,
)

REPO = Path(__file__).resolve().parents[2]
XSD = REPO.parent / "shared" / "refi-qda" / "Project-mrt2019.xsd"


@pytest.fixture
def demo() -> Codebook:
    return load_codebook(REPO / "codebooks" / "data-work.yaml")[0]


def test_round_trip_is_byte_identical_and_lossless(demo: Codebook) -> None:
    first = export_qdc(demo)
    assert export_qdc(demo) == first  # repeated exports identical
    back = import_qdc(first)
    assert back.codes == demo.codes  # every structured field came back
    assert export_qdc(back) == first


def test_guids_derive_from_code_ids(demo: Codebook) -> None:
    from lxml import etree

    root = etree.fromstring(export_qdc(demo))
    codes = root.findall(f".//{{{NS_CODEBOOK}}}Code")
    assert len(codes) == len(demo)
    first = codes[0]
    assert first.get("guid") == stable_guid("code", "job-instability")
    assert first.get("name") == "Instabilité de l'emploi"  # first codebook language (fr)
    assert first.get("color") == "#d62728" and first.get("isCodable") == "true"
    # hierarchy: unpredictable-income is nested inside job-instability
    assert first.find(f"{{{NS_CODEBOOK}}}Code").get("guid") == stable_guid("code", "unpredictable-income")


def test_description_layout_is_readable_and_stable() -> None:
    code = Code(id="pay", label={"en": "Pay", "fr": "Paie"}, definition="How work is paid.", include="Rates.\nBonuses.",
                examples=("one", "two"), keywords={"en": ("rate", "cents")}, retired=True)
    text = describe(code)
    assert text == (
        "How work is paid.\n\nInclude: Rates.\n  Bonuses.\nExamples:\n- one\n- two\n"
        "Keywords (en): rate; cents\nLabel (en): Pay\nLabel (fr): Paie\nRetired: yes\nqcode id: pay"
    )
    fields = parse_description(text)
    assert fields.include == "Rates.\nBonuses." and fields.examples == ["one", "two"]
    assert fields.label == {"en": "Pay", "fr": "Paie"} and fields.retired is True


def test_validates_against_the_refi_project_schema(demo: Codebook) -> None:
    """The .qdc namespace (codebook:1.0) differs from the project schema's (project:1.0).

    Project-mrt2019.xsd declares CodeBook/Codes/Code with the same content model,
    so the CodeBook part is checked by moving the exported elements into the project
    namespace and wrapping them in a minimal <Project>. The root attribute ``origin``
    exists in the codebook schema only and is dropped for this check.
    """
    if not XSD.is_file():
        pytest.skip(f"REFI-QDA schema not available ({XSD} is absent)")
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XSD)))
    text = export_qdc(demo).decode("utf-8").replace(NS_CODEBOOK, NS_PROJECT)
    book = etree.fromstring(text.encode("utf-8"))
    del book.attrib["origin"]
    project = etree.Element(f"{{{NS_PROJECT}}}Project", nsmap={None: NS_PROJECT})
    project.set("name", "qcode test")
    project.append(book)
    assert schema.validate(project), schema.error_log
    # a broken colour is caught by the same check (the test can fail)
    book.find(f".//{{{NS_PROJECT}}}Code").set("color", "red")
    assert not schema.validate(project)


FOREIGN = b"""<?xml version="1.0" encoding="UTF-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
<Codes>
<Code guid="{5215cc69-b628-4e02-afb9-9beeaee55808}" name="Topics" isCodable="false">
<Code guid="{d7aa29da-519b-4946-9b90-253b6db8fd0a}" name="Economy" isCodable="true" color="#ffff00">
<Description>Anything about jobs or taxes or business</Description>
</Code>
<Code guid="{0dcef2f5-e55c-49da-8c33-9b0803c7aeb4}" name="Economy" isCodable="true" color="bad">
</Code>
</Code>
</Codes>
</CodeBook>
"""


def test_import_foreign_qdc() -> None:
    cb = import_qdc(FOREIGN, "nvivo.qdc")
    assert [(c.id, c.parent) for c in cb] == [("topics", None), ("economy", "topics"), ("economy-2", "topics")]
    assert cb.get("economy").definition == "Anything about jobs or taxes or business"
    assert cb.get("economy").color == "#ffff00"
    assert cb.get("economy-2").color is None  # invalid colour dropped
    assert cb.get("topics").label == {"": "Topics"}


def test_import_codebook_inside_qdpx(tmp_path: Path) -> None:
    project_xml = FOREIGN.replace(b"urn:QDA-XML:codebook:1.0", b"urn:QDA-XML:project:1.0").replace(
        b'<CodeBook xmlns="urn:QDA-XML:project:1.0" origin="NVivo 14">',
        b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><CodeBook>',
    ).replace(b"</CodeBook>", b"</CodeBook></Project>")
    path = tmp_path / "study.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("study.qde", project_xml)
        zf.writestr("sources/a.txt", "text")
    cb = import_codebook_file(path)
    assert [c.id for c in cb] == ["topics", "economy", "economy-2"]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("members", "needle"),
    [
        ({"project.qde": FOREIGN, "../../escape.txt": b"x"}, "unsafe path"),
        ({"project.qde": FOREIGN, "/abs.txt": b"x"}, "unsafe path"),
        ({"a.qde": FOREIGN, "b.qde": FOREIGN}, "exactly one .qde"),
        ({"sources/x.txt": b"x"}, "exactly one .qde"),
    ],
)
def test_hostile_qdpx_refused(tmp_path: Path, members: dict[str, bytes], needle: str) -> None:
    path = tmp_path / "bad.qdpx"
    path.write_bytes(_zip(members))
    with pytest.raises(CodebookError, match=needle):
        import_codebook_file(path)


def test_zip_bomb_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", b"<" + b" " * (60 * 1024 * 1024))
    with pytest.raises(CodebookError, match="expands to"):
        import_codebook_file(path)


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a" name="&lol2;" isCodable="true"/></Codes></CodeBook>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a" name="&xxe;" isCodable="true"/></Codes></CodeBook>',
    ],
)
def test_dtd_and_entities_refused(xml: bytes) -> None:
    with pytest.raises(CodebookError, match="DTD"):
        import_qdc(xml, "evil.qdc")


def test_not_xml_and_no_codebook() -> None:
    with pytest.raises(CodebookError, match="not well-formed"):
        import_qdc(b"<CodeBook", "broken.qdc")
    with pytest.raises(CodebookError, match="no CodeBook"):
        import_qdc(b"<Other/>", "other.qdc")


def test_control_characters_give_a_clear_error() -> None:
    cb = Codebook(codes=(Code(id="a", definition="bad \x0b char"),))
    with pytest.raises(CodebookError, match="control characters"):
        export_qdc(cb)
