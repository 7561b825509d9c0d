"""Shared helpers of the exchange tests: a rich project, the REFI XSD, snapshots to compare projects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qcode.core.coding import Memo
from qcode.core.transcript import AttributeDef, Participant
from qcode.usecases import coding as uc
from qcode.usecases import importing
from qcode.usecases.project import Project

RICH_SOURCE = (
    "[00:00:03] Interviewer: How is the work these days?\r\n"
    "[00:00:07] Amina: Unstable 😀. Some weeks the cafe\u0301 has nothing,\r\n  then everything at once.\r\n\r\n"
    "[00:01:02] Interviewer: And the pay?\r\n"
    "[00:01:05] Amina: Piece rates, very low. You are paid per task.\r\n"
)


def xsd_path() -> Path:
    from tests import conftest

    path = conftest.SHARED_REAL.parent.parent / "refi-qda" / "Project-mrt2019.xsd"
    if not path.is_file():
        pytest.skip(f"the REFI-QDA schema is not available ({path} is absent)")
    return path


def validate(qde: bytes) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(xsd_path())))
    doc = etree.fromstring(qde)
    assert schema.validate(doc), schema.error_log


def enrich(project: Project, tmp: Path) -> None:
    """Add a CRLF source with times, emoji and NFD text, codings by two coders, memos and attributes."""
    f = tmp / "rich.txt"
    f.write_bytes(RICH_SOURCE.encode("utf-8"))
    assert not importing.import_paths(project, [f]).failed
    t = project.transcript("rich")
    s = t.text.index("Unstable")
    uc.apply_code(project, "rich", s, s + 10, "instability", memo="emoji inside", coder="amina")
    a, b = t.text.index("then everything"), t.text.index("per task") + 8
    uc.apply_code(project, "rich", a, b, "pay", coder="bob")  # across turns
    uc.apply_code(project, "rich", s, b, "invisible-work", coder="bob")  # overlapping
    project.store.attributes.define(AttributeDef("country", "category", "transcript"))
    project.store.attributes.define(AttributeDef("age", "number", "participant"))
    project.store.transcripts.update_fields(t.id, attributes={"country": "Kenya"})
    project.store.participants.upsert(Participant("Amina W.", {"age": 34}))
    project.store.participants.link_speaker(t.id, "Amina", "Amina W.")
    project.store.memos.add(Memo("project", "project", "Overall notes ✍", "amina", title="Project"))
    project.store.memos.add(Memo("transcript", str(t.id), "Recorded in a café", "bob"))
    project.store.memos.add(Memo("code", "pay", "Check against the rates table", "amina"))
    project.invalidate()


def snapshot(project: Project) -> dict[str, Any]:
    """What must survive an exchange, in a comparable form (no ids, no import-time stamps)."""
    store = project.store
    out: dict[str, Any] = {"transcripts": {}, "codings": [], "memos": [], "codes": []}
    names = {}
    for s in store.transcripts.summaries():
        t = project.transcript(s.id)
        names[t.id] = t.name
        out["transcripts"][t.name] = (t.title, t.text, [(x.start, x.end, x.speaker, x.time_start) for x in t.turns],
                                      dict(t.attributes), dict(t.speakers))
    for c in store.codings.list():
        out["codings"].append((names[c.transcript_id], c.start, c.end, c.code_id, c.coder, c.memo, c.quote,
                               c.created.replace(microsecond=0)))
    out["codings"].sort()
    for m in store.memos.list():
        target = names.get(int(m.target_id)) if m.target_kind == "transcript" else m.target_id
        out["memos"].append((m.target_kind, target, m.text, m.coder, m.title))
    out["memos"].sort()
    cb = store.codes.codebook()
    out["codes"] = [(c.id, c.parent, c.display(), c.color, c.definition, c.include, c.exclude, c.examples, c.codable)
                    for c in cb.codes]
    out["participants"] = sorted((p.name, tuple(sorted(p.attributes.items()))) for p in store.participants.list())
    out["attribute_defs"] = sorted((d.name, d.scope, d.type) for d in store.attributes.definitions())
    return out
