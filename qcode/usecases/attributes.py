"""Transcript and participant attributes: CSV/YAML sidecars and command-line values.

**CSV sidecars.** The first column says what the rows describe:

* ``transcript,kind,date,country,language,interviewer`` -- one row per
  transcript (its name, id or original file name). ``kind``, ``language`` and
  ``title`` also set the transcript's own fields.
* ``participant,transcript,speaker,country,gender,...`` -- one row per
  participant. The optional ``transcript`` and ``speaker`` columns link that
  speaker label of that transcript to the participant (a participant may
  appear on several rows to link several speakers).

A header may give a type: ``age:number``, ``interview_date:date``,
``platform:category``, ``notes:text``. Without one, the type is inferred from
the column: all numbers -> number, all ISO dates (2024-03-14) -> date, short
values -> category, otherwise text. Values are stored typed; the types are
recorded in the project for crosstabs and filters.

**YAML sidecars** hold the same in one file::

    types: {age: number}
    transcripts:
      interview-amina: {kind: interview, date: 2024-03-14, country: Morocco}
    participants:
      Amina: {country: Morocco, gender: woman, age: 29}
    speakers:
      interview-amina: {Amina: Amina}     # speaker label: participant

Every file is applied in one transaction: an error (naming the file, line
or key) leaves the project unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qcode.core.errors import ImportFormatError, QcodeError
from qcode.core.transcript import AttributeValue, Participant, attribute_def
from qcode.usecases.project import Project

TYPES = ("text", "number", "date", "category")
TRANSCRIPT_FIELDS = ("kind", "language", "title")
LINK_COLUMNS = ("transcript", "speaker")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_value(raw: Any, type_: str, where: str) -> AttributeValue:
    """Convert *raw* to *type_*; errors name *where* (file, line, column)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if type_ == "number":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return raw
        s = str(raw).strip()
        if not _NUMBER.match(s):
            raise ImportFormatError(f"{where}: '{raw}' is not a number.", hint="Write numbers like 29 or 3.5.")
        value = float(s.replace(",", "."))
        return int(value) if value.is_integer() and "." not in s and "," not in s else value
    if type_ == "date":
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ImportFormatError(f"{where}: '{raw}' is not a date.", hint="Write dates as YYYY-MM-DD, e.g. 2024-03-14.") from None
    return str(raw).strip()


def infer_type(values: list[Any]) -> str:
    vals = [v for v in values if v is not None and str(v).strip()]
    if not vals:
        return "text"
    if all(isinstance(v, int | float) and not isinstance(v, bool) or _NUMBER.match(str(v).strip()) for v in vals):
        return "number"
    if all(isinstance(v, date) or _DATE.match(str(v).strip()) for v in vals):
        return "date"
    if all(len(str(v)) <= 40 and "\n" not in str(v) for v in vals):
        return "category"
    return "text"


def _split_header(name: str, where: str) -> tuple[str, str | None]:
    if ":" in name:
        key, _, t = name.rpartition(":")
        t = t.strip().lower()
        if t not in TYPES:
            raise ImportFormatError(f"{where}: unknown type '{t}' in column '{name}'.", hint=f"Types: {', '.join(TYPES)}.")
        return key.strip(), t
    return name.strip(), None


@dataclass
class AttributeReport:
    transcripts: int = 0
    participants: int = 0
    links: int = 0
    types: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.transcripts + self.participants


def import_attributes(project: Project, path: Path) -> int:
    """Apply the attributes in *path* (CSV or YAML); returns the number of rows applied."""
    return import_attributes_report(project, path).rows


def import_attributes_report(project: Project, path: Path) -> AttributeReport:
    from qcode.formats.files import read_limited

    limit = 64 * 2**20
    try:
        raw = read_limited(path, limit)
    except OSError as exc:
        raise ImportFormatError(f"Cannot read attributes file {path}: {exc.strerror or exc}.", hint="Check the path.") from exc
    if len(raw) > limit:
        raise ImportFormatError(f"{path}: an attributes file of more than {limit // 2**20} MB is not a sidecar.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{path}: not UTF-8 (byte {exc.start}).", hint="Save the sidecar as UTF-8 (CSV UTF-8 in Excel)."
        ) from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        return _apply_yaml(project, path, text)
    return _apply_csv(project, path, text)


def _apply_csv(project: Project, path: Path, text: str) -> AttributeReport:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = list(reader)
    if not rows:
        raise ImportFormatError(f"{path}: the file is empty.", hint="Example header: participant,country,gender,platform")
    header = [h.strip() for h in rows[0]]
    if not header or header[0].lower() not in ("participant", "transcript"):
        raise ImportFormatError(
            f"{path}, line 1: the first column must be 'participant' or 'transcript' (found '{header[0] if header else ''}').",
            hint="Example header: participant,country,gender,platform",
        )
    scope = header[0].lower()
    cols = [_split_header(h, f"{path}, line 1") for h in header]
    keys = [k for k, _ in cols]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ImportFormatError(f"{path}, line 1: column '{sorted(dup)[0]}' appears twice.")
    records: list[tuple[int, dict[str, str]]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise ImportFormatError(f"{path}, line {n}: {len(row)} values but the header has {len(header)} columns.",
                                    hint="Quote values that contain the separator.")
        records.append((n, {keys[i]: row[i] for i in range(len(row))}))
    link_cols = LINK_COLUMNS if scope == "participant" else ()
    attr_keys = [k for k in keys[1:] if k not in link_cols]
    declared = {k: t for k, t in cols if t}
    types = {k: declared.get(k) or infer_type([r.get(k) for _, r in records]) for k in attr_keys}
    for k in TRANSCRIPT_FIELDS:
        if scope == "transcript" and k in types and k not in declared:
            types[k] = "category" if k != "title" else "text"
    report = AttributeReport(types=types)
    with project.store.transaction():
        for k, t in types.items():
            project.store.attributes.define(attribute_def(k, t, scope))
        for n, rec in records:
            where = f"{path}, line {n}"
            name = (rec.get(keys[0]) or "").strip()
            if not name:
                raise ImportFormatError(f"{where}: empty {scope} name.")
            values = {k: parse_value(rec.get(k), types[k], f"{where}, column '{k}'") for k in attr_keys}
            values = {k: v for k, v in values.items() if v is not None}
            if scope == "participant":
                project.store.participants.upsert(Participant(name, values))
                report.participants += 1
                tref, label = (rec.get("transcript") or "").strip(), (rec.get("speaker") or "").strip()
                if tref or label:
                    if not (tref and label):
                        raise ImportFormatError(f"{where}: give both 'transcript' and 'speaker' to link a speaker.")
                    _link(project, tref, label, name, where)
                    report.links += 1
            else:
                _set_transcript(project, name, values, where)
                report.transcripts += 1
    project.invalidate()
    return report


def _find(project: Project, ref: str, where: str) -> int:
    try:
        return project.store.transcripts.find(ref)
    except QcodeError as exc:
        raise ImportFormatError(f"{where}: {exc.message}", hint=exc.hint or "Import the transcript first.") from exc


def _link(project: Project, tref: str, label: str, participant: str | None, where: str) -> None:
    tid = _find(project, tref, where)
    labels = project.store.transcripts.get(tid).speaker_labels()
    if label not in labels:
        from qcode.core.errors import did_you_mean

        raise ImportFormatError(
            f"{where}: transcript '{tref}' has no speaker '{label}'." + did_you_mean(label, labels),
            hint=f"Its speakers are: {', '.join(labels) or '(none)'}.",
        )
    project.store.participants.link_speaker(tid, label, participant)


def _set_transcript(project: Project, ref: str, values: dict[str, AttributeValue], where: str) -> None:
    tid = _find(project, ref, where)
    old = project.store.transcripts.get(tid).attributes
    fields: dict[str, Any] = {k: str(values[k]) for k in TRANSCRIPT_FIELDS if k in values}
    project.store.transcripts.update_fields(tid, attributes={**old, **values}, **fields)


def _apply_yaml(project: Project, path: Path, text: str) -> AttributeReport:
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise ImportFormatError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)}).") from exc
    if not isinstance(data, dict) or set(data) - {"types", "transcripts", "participants", "speakers"}:
        extra = sorted(set(data) - {"types", "transcripts", "participants", "speakers"}) if isinstance(data, dict) else []
        raise ImportFormatError(
            f"{path}: expected the keys types, transcripts, participants, speakers" + (f"; found '{extra[0]}'." if extra else "."),
        )
    declared = dict(data.get("types") or {})
    for k, t in declared.items():
        if t not in TYPES:
            raise ImportFormatError(f"{path}: types.{k}: unknown type '{t}'.", hint=f"Types: {', '.join(TYPES)}.")
    report = AttributeReport()
    with project.store.transaction():
        for scope, section in (("transcript", "transcripts"), ("participant", "participants")):
            block = data.get(section) or {}
            if not isinstance(block, dict):
                raise ImportFormatError(f"{path}: '{section}' must map names to attributes.")
            keys = sorted({k for v in block.values() if isinstance(v, dict) for k in v})
            types = {k: declared.get(k) or infer_type([v.get(k) for v in block.values() if isinstance(v, dict)]) for k in keys}
            for k, t in types.items():
                project.store.attributes.define(attribute_def(k, t, scope))
                report.types[k] = t
            for name, attrs in block.items():
                where = f"{path}: {section}.{name}"
                if not isinstance(attrs, dict):
                    raise ImportFormatError(f"{where}: expected a mapping of attributes.")
                values = {k: parse_value(v, types[k], f"{where}.{k}") for k, v in attrs.items()}
                values = {k: v for k, v in values.items() if v is not None}
                if scope == "participant":
                    project.store.participants.upsert(Participant(str(name), values))
                    report.participants += 1
                else:
                    _set_transcript(project, str(name), values, where)
                    report.transcripts += 1
        for tref, links in (data.get("speakers") or {}).items():
            if not isinstance(links, dict):
                raise ImportFormatError(f"{path}: speakers.{tref}: expected 'speaker label: participant' pairs.")
            for label, participant in links.items():
                _link(project, str(tref), str(label), str(participant) if participant else None, f"{path}: speakers.{tref}.{label}")
                report.links += 1
    project.invalidate()
    return report


def parse_pairs(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["country=Kenya", "age=29"]`` -> dict; errors name the bad pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ImportFormatError(f"'{pair}' is not KEY=VALUE.", hint="Example: --attr country=Kenya")
        out[key.strip()] = value.strip()
    return out


def _typed(project: Project, scope: str, raw: dict[str, str]) -> dict[str, AttributeValue]:
    known: dict[tuple[str, str], str] = {(d.name, d.scope): d.type for d in project.store.attributes.definitions()}
    out: dict[str, AttributeValue] = {}
    for k, v in raw.items():
        key, declared = _split_header(k, f"attribute '{k}'")
        t = declared or known.get((key, scope)) or infer_type([v])
        if (key, scope) not in known or declared:
            project.store.attributes.define(attribute_def(key, t, scope))
        out[key] = parse_value(v, t, f"attribute '{key}'")
    return out


def set_attributes(project: Project, target: str, pairs: dict[str, str], scope: str = "transcript") -> dict[str, AttributeValue]:
    """Set attributes on a transcript (name/id/file) or a participant, in one transaction."""
    with project.store.transaction():
        values = _typed(project, scope, pairs)
        if scope == "participant":
            project.store.participants.upsert(Participant(target, {k: v for k, v in values.items() if v is not None}))
        else:
            _set_transcript(project, target, values, f"transcript '{target}'")
    project.invalidate()
    return values


def link_speaker(project: Project, transcript: str, label: str, participant: str | None) -> None:
    with project.store.transaction():
        _link(project, transcript, label, participant, f"transcript '{transcript}'")
    project.invalidate()


def typed_transcript_attributes(project: Project, raw: dict[str, str]) -> dict[str, AttributeValue]:
    """Types for ``qcode import --attr`` values (recorded in the same transaction as the import)."""
    return _typed(project, "transcript", raw)


def attribute_names(project: Project) -> list[str]:
    """The names of the attributes defined in the project (any scope), sorted."""
    return sorted({d.name for d in project.store.attributes.definitions()})


def attributes_overview(project: Project) -> dict[str, Any]:
    """Everything for ``qcode attributes show``: types, transcripts, participants, speaker links."""
    defs = [{"name": d.name, "scope": d.scope, "type": d.type} for d in project.store.attributes.definitions()]
    transcripts = [{"name": s.name, "kind": s.kind, "language": s.language, "attributes": s.attributes}
                   for s in project.store.transcripts.summaries()]
    participants = [{"name": p.name, "attributes": p.attributes} for p in project.store.participants.list()]
    names = {s.id: s.name for s in project.store.transcripts.summaries()}
    links = [{"transcript": names.get(tid, str(tid)), "speaker": label, "participant": pname}
             for (tid, label), pname in sorted(project.store.participants.speakers().items())]
    return {"types": defs, "transcripts": transcripts, "participants": participants, "speakers": links}
