"""``qcode export --format qdpx``: a project as a REFI-QDA archive other tools open.

Each transcript is written as its source text (:mod:`qcode.usecases.sources`):
the plain text with speaker labels and times, as NVivo, MAXQDA, ATLAS.ti or
QualCoder show it, and every coding's position is counted on that text in the
receiving tool's convention (``--positions``). Coders are ``User``s, the
codebook keeps its tree, colours and described fields, memos are ``Note``s
linked to what they annotate, participants are ``Case``s, attributes are
``Variable``s. GUIDs are UUID5 values of stable qcode ids, so exporting an
unchanged project twice gives byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from qcode.core.coding import stable_guid
from qcode.formats.atomic import atomic_write_bytes
from qcode.formats.qdc import code_guid
from qcode.formats.refi.model import (
    RefiCase,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
    RefiVariable,
)
from qcode.formats.refi.positions import Convention
from qcode.formats.refi.writer import write_qdpx
from qcode.usecases.project import Project
from qcode.usecases.sources import source_of

VARIABLE_TYPES = {"text": "Text", "number": "Float", "date": "Date", "category": "Text"}


@lru_cache(maxsize=4096)
def user_guid(name: str) -> str:
    return stable_guid("coder", name)


_code_guid = lru_cache(maxsize=65536)(code_guid)


def transcript_guid(name: str) -> str:
    return stable_guid("transcript", name)


def variable_guid(scope: str, name: str) -> str:
    return stable_guid("variable", scope, name)


def memo_guid(memo_id: int) -> str:
    return stable_guid("memo", str(memo_id))


@dataclass
class ExportReport:
    path: Path
    sources: int
    codes: int
    codings: int
    notes: int
    users: int
    positions: str


def _value(v: Any) -> Any:
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return date.fromisoformat(v)
        except ValueError:
            return v
    return v


def build_model(project: Project) -> RefiProject:
    """The exchange model of the whole project."""
    store = project.store
    codebook = project.codebook
    coders = sorted(set(store.coders.names()))
    model = RefiProject(name=project.settings.name or project.root.name, origin="qcode",
                        codebook=codebook)
    defs = [(d.name, d.scope, d.type) for d in sorted(store.attributes.definitions(), key=lambda d: (d.scope, d.name))]
    for name, scope, type_ in defs:
        model.variables.append(RefiVariable(variable_guid(scope, name), name, VARIABLE_TYPES.get(type_, "Text"),
                                            f"qcode type: {type_}; scope: {scope}"))
    var_of = {(scope, name): variable_guid(scope, name) for name, scope, _t in defs}
    memos = store.memos.list()
    notes_for: dict[tuple[str, str], list[str]] = {}
    for m in memos:
        assert m.id is not None
        g = memo_guid(m.id)
        model.notes.append(RefiNote(g, m.title, m.text, user_guid(m.coder), m.created, m.modified))
        notes_for.setdefault((m.target_kind, m.target_id), []).append(g)
        coders.append(m.coder)
    model.note_refs = notes_for.get(("project", "project"), [])
    model.code_notes = {cid: refs for (kind, cid), refs in notes_for.items() if kind == "code"}
    links = store.participants.speakers()
    sources_of_participant: dict[str, list[str]] = {}
    side: dict[str, Any] = {"format": 1, "codebook": {
        "title": codebook.title, "version": codebook.version, "languages": list(codebook.languages),
        "authors": list(codebook.authors), "description": codebook.description}, "sources": {}}
    for summary in store.transcripts.summaries():
        t = project.transcript(summary.id)
        assert t.id is not None
        src_text, smap = source_of(project, t)
        guid = transcript_guid(t.name)
        src = RefiSource(guid, t.title or t.name, src_text,
                         note_refs=notes_for.get(("transcript", str(t.id)), []))
        src.values = {var_of[("transcript", k)]: _value(v) for k, v in sorted(t.attributes.items())
                      if ("transcript", k) in var_of and v is not None}
        spans: dict[str, list[int]] = {}
        accepted: dict[str, Any] = {}
        """Accepted suggestions: their evidence (qcode reads them back as suggestions, not as human codings)."""
        for c in store.codings.iter(transcript_id=t.id):
            if c.origin == "suggestion":
                accepted[c.guid] = c.evidence or {}
            s0, s1 = smap.text_to_source(c.start, c.end)
            if smap.source_to_text(s0, s1) != (c.start, c.end):  # it starts or ends on spacing the source lacks
                spans[c.guid] = [c.start, c.end]
            coding = RefiCoding(c.guid, _code_guid(c.code_id), user_guid(c.coder), c.created,
                                note_refs=notes_for.get(("coding", str(c.id)), []))
            src.selections.append(RefiSelection(
                stable_guid("selection", c.guid), s0, s1, name=src_text[s0:s1][:60], description=c.memo,
                codings=[coding], user_guid=user_guid(c.coder), created=c.created, modified=c.modified))
            coders.append(c.coder)
        model.sources.append(src)
        for (tid, _label), pname in links.items():
            if tid == t.id:
                sources_of_participant.setdefault(pname, []).append(guid)
        side["sources"][guid] = {
            "name": t.name, "title": t.title, "kind": t.kind, "language": t.language, "text": t.text,
            "turns": [[tr.start, tr.end, tr.speaker, tr.time_start, tr.time_end, tr.overlap] for tr in t.turns],
            "notes": [[n.offset, n.kind, n.text, n.time] for n in t.notes],
            "speakers": {label: t.speakers.get(label) for label in t.speaker_labels()},
            "map": smap.to_json(), "spans": spans, "suggestions": accepted,
            "source_format": t.source.format if t.source else None,
            "source_filename": t.source.filename if t.source else None,
        }
    for p in store.participants.list():
        model.cases.append(RefiCase(
            stable_guid("participant", p.name), p.name,
            values={var_of[("participant", k)]: _value(v) for k, v in sorted(p.attributes.items())
                    if ("participant", k) in var_of and v is not None},
            source_refs=sorted(set(sources_of_participant.get(p.name, [])))))
    model.users = [RefiUser(user_guid(n), n) for n in sorted(set(coders))]
    model.extra = side
    return model


def export_qdpx(project: Project, out: Path, positions: str = "codepoints") -> ExportReport:
    """Write the project to *out* as a ``.qdpx`` archive (atomically)."""
    convention = Convention.parse(positions)
    model = build_model(project)
    model.origin = f"qcode (positions: {convention.name})"
    atomic_write_bytes(out, write_qdpx(model, convention))
    return ExportReport(out, len(model.sources), len(model.codebook), sum(len(s.selections) for s in model.sources),
                        len(model.notes), len(model.users), convention.name)
