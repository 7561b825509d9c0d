"""``qcode import`` of other tools' projects: REFI-QDA ``.qdpx``/``.qde``, QualCoder, Taguette.

The file is read into the exchange model (:mod:`qcode.formats.refi`), then
placed in the project in **one transaction after a verified backup**:

* each text source becomes a transcript: its plain text is the transcript's
  source text, the spoken text and turns are found as for a ``.txt`` import
  (or taken from ``qcode.json`` when qcode wrote the file), and the map
  between the two is kept (:mod:`qcode.usecases.sources`);
* each selection's position is converted from the writer's convention
  (origin detection: NVivo UTF-16, MAXQDA CRLF, checked against the selected
  text the tools write in ``name`` and switched when another convention fits
  better), checked against its text and mapped to the spoken text: **exact**,
  **adjusted** (found again nearby by its text; how is listed) or
  **unplaced** (listed with the reason, never put elsewhere);
* codes keep their tree, colours and descriptions (added to the project's
  codebook file, existing ids reused when the label matches); users stay
  distinct coders; notes become memos on what they annotate; cases become
  participants; variables become attributes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from qcode.core.anchor import find_quote_tolerant, make_anchor, squash
from qcode.core.codebook import Code, Codebook, new_code_id
from qcode.core.coding import Coding, Memo, now
from qcode.core.errors import QcodeError
from qcode.core.sourcemap import SourceMap, align
from qcode.core.transcript import Note, Participant, SourceInfo, Transcript, Turn, attribute_def
from qcode.formats.importers.base import ImportOptions, slugify
from qcode.formats.refi.model import RefiProject, RefiSelection, RefiSource
from qcode.formats.refi.positions import Convention, origin_name
from qcode.usecases.project import Project
from qcode.usecases.refi_reading import choose_convention, names_match, read_any

TYPES = {"Text": "text", "Integer": "number", "Float": "number", "Date": "date", "Boolean": "category", "DateTime": "text"}


@dataclass
class Unplaced:
    source: str
    selection: str
    start: int
    end: int
    reason: str


@dataclass
class ProjectImportReport:
    path: Path
    origin: str = ""
    tool: str = ""
    positions: str = "codepoints"
    sources: list[str] = field(default_factory=list)
    reused_sources: list[str] = field(default_factory=list)
    """Sources whose text the project already has: their codings go on that transcript."""
    skipped_sources: list[str] = field(default_factory=list)
    codes_added: int = 0
    codes_reused: int = 0
    coders: list[str] = field(default_factory=list)
    codings: int = 0
    duplicates: int = 0
    """Codings given twice in the file (same span, code and coder), imported once."""
    already: int = 0
    """Codings the project already has (same transcript, span, code and coder), not imported again."""
    dry_run: bool = False
    exact: int = 0
    adjusted: list[str] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    memos: int = 0
    participants: int = 0
    attributes: int = 0
    backup: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        d["backup"] = str(self.backup) if self.backup else None
        return d

    def lines(self) -> list[str]:
        verb = "Would import (--dry-run: nothing was stored)" if self.dry_run else "Imported"
        out = [
            f"{verb} {self.path.name} ({self.tool}, positions: {self.positions}): {len(self.sources)} new sources"
            + (f" and {len(self.reused_sources)} already in the project" if self.reused_sources else "")
            + f", {self.codes_added} new codes ({self.codes_reused} already there), {len(self.coders)} coders "
            f"({', '.join(self.coders) or 'none'}), {self.codings} codings"
            + (f" ({self.already} already in the project)" if self.already else "")
            + f", {self.memos} memos, {self.participants} participants.",
            f"Selections: {self.exact} exact, {len(self.adjusted)} adjusted, {len(self.unplaced)} not placed"
            + (f"; {self.duplicates} duplicate codings imported once." if self.duplicates else "."),
        ]
        out += [f"  already in the project: {s}" for s in self.reused_sources]
        out += [f"  skipped source: {s}" for s in self.skipped_sources]
        out += [f"  adjusted: {a}" for a in self.adjusted]
        out += [f"  not placed: {u.source} {u.start}-{u.end}: {u.reason}" for u in self.unplaced]
        out += [f"  warning: {w}" for w in self.warnings]
        if self.backup:
            out.append(f"Backup of the project before the import: {self.backup}")
        if self.unplaced and not self.dry_run:
            out.append("The selections not placed were not imported (the rest was)"
                       + ("; `qcode restore` with the backup above undoes the import." if self.backup else "."))
        return out


def _name_query(name: str) -> str:
    """The name searched for in the text (a trailing '...' of a cut name removed)."""
    cut = name.strip().rstrip(".…").strip()
    return cut or name


# ------------------------------------------------------------------ placing
def _transcript(model: RefiProject, src: RefiSource, project: Project) -> Transcript:
    """The transcript of a text source: qcode's own layout when qcode wrote it, else as a .txt import."""
    from qcode.formats.importers.plain_text import PlainTextImporter

    side = (model.extra.get("sources") or {}).get(src.guid) if model.extra else None
    data = src.text.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    if side and side.get("text") is not None:
        t = Transcript(
            name=side.get("name") or slugify(src.name), title=side.get("title") or src.name, text=side["text"],
            turns=[Turn(int(a), int(b), sp, t0, t1, bool(ov)) for a, b, sp, t0, t1, ov in side.get("turns", [])],
            notes=[Note(int(o), k, x, tm) for o, k, x, tm in side.get("notes", [])],
            language=side.get("language"), kind=side.get("kind") or "interview",
            speakers=dict(side.get("speakers") or {}),
            source=SourceInfo(side.get("source_filename") or f"{src.name}.txt", sha, side.get("source_format") or "txt",
                              "utf-8", False, len(data)),
        )
        if not t.validate():
            try:
                smap = SourceMap.from_json(side["map"])
                ok = smap.text_len == len(t.text) and smap.source_len == len(src.text)
            except (KeyError, TypeError, ValueError, IndexError):
                ok = False
            t.source_text, t.source_map = src.text, smap if ok else align(t.text, src.text)
            return t
        model.warnings.append(f"{src.name}: qcode.json does not fit the source; its turns were detected again.")
    options = ImportOptions(language=project.settings.language)
    # (a source named after its file, "entretien-lea.txt" in QualCoder, gives the name "entretien-lea")
    stem = re.sub(r"\.(txt|md|docx?|odt|rtf|pdf|vtt|srt|trs|xml|html?)$", "", src.name, flags=re.IGNORECASE) or src.name
    t = PlainTextImporter().read(data, f"{stem}.txt", options)
    t.source_text, t.source_map = src.text, align(t.text, src.text)
    t.title = src.name
    return t


def _place(src_text: str, smap: SourceMap, sel: RefiSelection, a: int | None, b: int | None
           ) -> tuple[int, int, str] | str:
    """(start, end, adjustment) in the spoken text, or the reason it cannot be placed.

    *a* and *b* are the selection's positions converted to code points of *src_text*.
    """
    if a is None or b is None or not a < b:
        return f"positions {sel.start}-{sel.end} are outside its text ({len(src_text)} characters) or empty"
    how = ""
    if sel.name.strip() and not names_match(src_text[a:b], sel.name):
        hit = find_quote_tolerant(src_text, _name_query(sel.name), near=a)
        if hit is None:
            return f"its text {sel.name[:40]!r} is not at {a}-{b} nor anywhere in the source"
        shift = hit.start - a
        a, b = hit.start, max(hit.end, b + shift)
        how = f"moved {shift:+d} characters to its text {sel.name[:30]!r}"
    span = smap.source_to_text(a, b)
    if span is None:
        return f"covers only {src_text[a:b][:30]!r}, which is not spoken text (a label or a time)"
    return span[0], span[1], how


@dataclass
class _Ctx:
    project: Project
    model: RefiProject
    report: ProjectImportReport
    users: dict[str, str] = field(default_factory=dict)
    """User guid -> coder name."""
    code_ids: dict[str, str] = field(default_factory=dict)
    """Code guid in the file -> code id in the project."""
    id_map: dict[str, str] = field(default_factory=dict)
    """Code id in the file's codebook -> code id in the project."""


def _coders(ctx: _Ctx) -> None:
    counts: dict[str, int] = {}
    for u in ctx.model.users:
        base = u.name.strip() or f"user-{u.guid[:8]}"
        counts[base] = counts.get(base, 0) + 1
        ctx.users[u.guid] = base if counts[base] == 1 else f"{base} ({counts[base]})"


def _coder(ctx: _Ctx, guid: str | None) -> str:
    if guid and guid in ctx.users:
        return ctx.users[guid]
    if guid:
        ctx.users[guid] = f"user-{guid.strip('{}')[:8]}"
        return ctx.users[guid]
    return f"{ctx.report.tool} user"


def _merge_codebook(ctx: _Ctx) -> Codebook | None:
    """The project codebook with the file's codes added (None when nothing is new)."""
    current = ctx.project.store.codes.codebook()
    incoming = ctx.model.codebook
    taken = set(current.ids)
    id_map: dict[str, str] = {}
    new: list[Code] = []
    # A code is the project's when it has the same id and label, or when its label is one of the project
    # codes' labels in any language (accents and case as you like) and no other code's.
    for code in incoming.codes:
        have = current.find(code.id)
        if have is not None and squash(have.display()).casefold() == squash(code.display()).casefold():
            id_map[code.id] = code.id
            ctx.report.codes_reused += 1
            continue
        same = current.labelled(code.display())
        if len(same) == 1:
            id_map[code.id] = same[0].id
            ctx.report.codes_reused += 1
            continue
        cid = code.id if code.id not in taken else new_code_id(code.display(), taken)
        taken.add(cid)
        id_map[code.id] = cid
        new.append(replace(code, id=cid, parent=id_map.get(code.parent) if code.parent else None))
    ctx.id_map = id_map
    ctx.code_ids = {g: id_map[cid] for g, cid in ctx.model.code_guids.items() if cid in id_map}
    ctx.report.codes_added = len(new)
    if not new:
        return None
    merged = replace(current, codes=current.codes + tuple(new), languages=current.languages or incoming.languages)
    if len(current):
        return merged
    from qcode.formats.qdc import with_codebook_meta

    # A project without a codebook takes the file's, with what a qcode export kept beside the XML.
    return with_codebook_meta(replace(merged, title=incoming.title), (ctx.model.extra or {}).get("codebook") or {})


def _write_codebook(ctx: _Ctx, merged: Codebook) -> list[tuple[Path, str | None]]:
    """Write the merged codebook to the project's codebook file; returns (file, old text) to undo."""
    from qcode.formats.atomic import atomic_write_text
    from qcode.formats.codebook_write import CodebookEditor, dump_codebook
    from qcode.formats.codebook_yaml import parse_codebook_text, problems_error
    from qcode.usecases.codebook import codebook_path

    project = ctx.project
    try:
        path = codebook_path(project)
    except QcodeError:
        path = None
    undo: list[tuple[Path, str | None]] = []
    if path is not None and path.is_file():
        old_text = path.read_text(encoding="utf-8")
        editor = CodebookEditor(path)
        known = set(project.store.codes.codebook().ids)
        for code in merged.codes:
            if code.id not in known:
                editor.add_code(code)
        text = editor.dumps()
    else:
        path = project.root / "codebook.yaml"
        n = 2
        while path.exists():
            path, n = project.root / f"codebook-{n}.yaml", n + 1
        old_text = None
        text = dump_codebook(merged)
    codebook, problems = parse_codebook_text(text, str(path))
    if codebook is None:
        raise problems_error(path, problems)
    project.store.codes.save(codebook, source_text=text, path=str(path))
    if ctx.report.dry_run:  # the codes are in the store's transaction only (undone); no file is touched
        return undo
    undo.append((path, old_text))
    atomic_write_text(path, text)
    if old_text is None:
        from qcode.usecases.codebook import _remember_path
        from qcode.usecases.settings import SETTINGS_FILE

        toml = project.root / SETTINGS_FILE
        undo.append((toml, toml.read_text(encoding="utf-8") if toml.exists() else None))
        _remember_path(project, path)
    return undo


def _undo_files(undo: list[tuple[Path, str | None]]) -> None:
    from qcode.formats.atomic import atomic_write_text

    for path, text in reversed(undo):
        if text is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_text(path, text)


def _attributes(ctx: _Ctx, used_by_sources: set[str]) -> dict[str, tuple[str, str, str]]:
    """Variable guid -> (name, qcode type, scope); declares them in the project."""
    out: dict[str, tuple[str, str, str]] = {}
    for v in ctx.model.variables:
        qtype, scope = TYPES.get(v.type, "text"), "transcript" if v.guid in used_by_sources else "participant"
        if v.description.startswith("qcode type: "):
            bits = dict(part.split(": ", 1) for part in v.description.split("; ") if ": " in part)
            qtype, scope = bits.get("qcode type", qtype), bits.get("scope", scope)
        out[v.guid] = (v.name, qtype, scope)
        ctx.project.store.attributes.define(attribute_def(v.name, qtype, scope))
        ctx.report.attributes += 1
    return out


def _typed(value: Any, qtype: str) -> Any:
    if qtype == "number" and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and abs(number) < 2**53 else number  # "34": 34, not 34.0
    return value


def import_project(project: Project, path: Path, dry_run: bool = False) -> ProjectImportReport:
    """Import another tool's project file or folder into *project* (all or nothing).

    A source whose text the project already has (imported before, or exported
    from this project) is not added again: its codings go on that transcript,
    those already there (same span, code and coder) skipped. With *dry_run*
    everything is done, then undone: the report says what an import would do.
    """
    path = Path(path)
    model = read_any(path)
    report = ProjectImportReport(path, origin=model.origin, tool=origin_name(model.origin), dry_run=dry_run)
    conv = choose_convention(model)
    report.positions = conv.name
    ctx = _Ctx(project, model, report)
    _coders(ctx)
    store = project.store
    if store.path is not None and not dry_run:
        report.backup = store.backup(project.data_dir / "backups", reason="before-import-project")
    undo: list[tuple[Path, str | None]] = []
    try:
        with store.transaction(rollback=dry_run):  # (a dry run writes no file: _write_codebook)
            merged = _merge_codebook(ctx)
            if merged is not None:
                undo = _write_codebook(ctx, merged)
            _place_all(ctx, conv)
            report.coders = sorted({c for c in ctx.users.values() if c in set(store.coders.names())})
    except BaseException:
        _undo_files(undo)
        project.invalidate(codebook=True)
        raise
    project.invalidate(codebook=True)
    project.invalidate()
    report.warnings += model.warnings
    return report


def _place_all(ctx: _Ctx, conv: Convention) -> None:
    project, model, report, store = ctx.project, ctx.model, ctx.report, ctx.project.store
    notes = {n.guid: n for n in model.notes}
    used_notes: set[str] = set()
    memos: list[Memo] = []

    def memo(kind: Literal["project", "transcript", "code", "coding"], target: str, guids: list[str]) -> None:
        for g in guids:
            n = notes.get(g)
            if n is None or g in used_notes:
                continue
            used_notes.add(g)
            memos.append(Memo(kind, target, n.text, _coder(ctx, n.user_guid), n.name,
                              n.created or now(), n.modified or n.created or now()))

    used_by_sources = {g for s in model.sources for g in s.values}
    var_info = _attributes(ctx, used_by_sources)
    known = {s.name for s in store.transcripts.summaries()}
    by_text: dict[str, list[tuple[int, str]]] = {}
    for tid_, (sha, name_) in sorted(store.transcripts.hashes().items()):
        by_text.setdefault(sha, []).append((tid_, name_))
    taken_guids = store.codings.guids()
    source_tid: dict[str, int] = {}
    codebook_hash = project.codebook_hash
    for src in model.sources:
        if src.description == "missing":
            report.skipped_sources.append(f"{src.name}: its text is missing")
            for sel in src.selections:
                report.unplaced.append(Unplaced(src.name, sel.guid, sel.start, sel.end, "the source's text is missing"))
            continue
        if not src.text.strip():
            report.skipped_sources.append(f"{src.name}: empty text")
            continue
        t = _transcript(model, src, project)
        twins = by_text.get(hashlib.sha256(t.text.encode("utf-8")).hexdigest(), [])
        dup = next((d for d in twins if d[0] not in source_tid.values()), None)  # (twins in the file: one each)
        source_dup = store.transcripts.by_source_hash(t.source.sha256) if t.source and not twins else None
        already: dict[tuple[int, int, str, str], int] = {}
        if dup is not None:  # the same text: its codings go there
            tid = dup[0]
            source_tid[src.guid] = tid
            report.reused_sources.append(f"{src.name}: as '{dup[1]}'")
            already = {(c.start, c.end, c.code_id, c.coder): c.id or 0 for c in store.codings.list(transcript_id=tid)}
        elif source_dup is not None and source_dup[0] not in source_tid.values():  # same file, another text
            report.skipped_sources.append(f"{src.name}: imported before as '{source_dup[1]}', whose text has changed")
            for sel in src.selections:
                report.unplaced.append(Unplaced(src.name, sel.guid, sel.start, sel.end,
                                                f"'{source_dup[1]}' was edited since: its offsets may not fit"))
            continue
        else:
            base = t.name or slugify(src.name)
            name, n = base, 2
            while name in known:
                name, n = f"{base}-{n}", n + 1
            t.name = name
            known.add(name)
            t.language = t.language or project.settings.language
            t.attributes = {var_info[g][0]: _typed(v, var_info[g][1]) for g, v in src.values.items() if g in var_info}
            speakers = dict(t.speakers)
            t.speakers = {}
            tid = store.transcripts.add(t, source_bytes=src.text.encode("utf-8"))
            source_tid[src.guid] = tid
            report.sources.append(name)
            for label, pname in speakers.items():
                if pname:
                    store.participants.link_speaker(tid, label, pname)
        memo("transcript", str(tid), src.note_refs)
        assert t.source_map is not None
        side = (model.extra.get("sources") or {}).get(src.guid, {}) if model.extra else {}
        exact_spans = side.get("spans") or {} if t.source_text == src.text else {}
        accepted = side.get("suggestions") or {}
        """Codings that were accepted suggestions in the qcode project that wrote the file, with their evidence."""
        pending: list[tuple[Coding, list[str]]] = []
        seen_spans: set[tuple[int, int, str, str]] = set()
        converted = conv.import_positions(src.text, [x for sel in src.selections for x in (sel.start, sel.end)])
        for i, sel in enumerate(src.selections):
            placed = _place(src.text, t.source_map, sel, converted[2 * i], converted[2 * i + 1])
            own = exact_spans.get(sel.codings[0].guid) if sel.codings and isinstance(placed, str) else None
            if own and 0 <= int(own[0]) < int(own[1]) <= len(t.text) and sel.start == sel.end:
                placed = (int(own[0]), int(own[1]), "")  # spacing only qcode's text has (qcode.json)
            if isinstance(placed, str):
                report.unplaced.append(Unplaced(src.name, sel.guid, sel.start, sel.end, placed))
                continue
            start, end, how = placed
            if not sel.codings:
                if sel.note_refs:  # an annotation: a selection with a note and no code
                    memo("transcript", str(tid), sel.note_refs)
                continue
            if not any(c.code_guid in ctx.code_ids for c in sel.codings):
                report.unplaced.append(Unplaced(src.name, sel.guid, sel.start, sel.end,
                                                f"its code {sel.codings[0].code_guid} is not in the codebook"))
                continue
            if how:
                report.adjusted.append(f"{src.name} {sel.start}-{sel.end}: {how}")
            else:
                report.exact += 1
            for c in sel.codings[:1]:
                start, end = _refine(t.text, start, end, exact_spans.get(c.guid))
            a = make_anchor(t.text, start, end)
            for c in sel.codings:
                code_id = ctx.code_ids.get(c.code_guid)
                if code_id is None:
                    report.unplaced.append(Unplaced(src.name, sel.guid, sel.start, sel.end,
                                                    f"its code {c.code_guid} is not in the codebook"))
                    continue
                created = c.created or sel.created or now()
                evidence = accepted.get(c.guid) if isinstance(accepted, dict) else None
                coding = Coding(tid, start, end, code_id, _coder(ctx, c.user_guid), memo=sel.description,
                                origin="imported" if evidence is None else "suggestion", quote=a.quote, prefix=a.prefix,
                                suffix=a.suffix, created=created, modified=sel.modified or created,
                                codebook_hash=codebook_hash, evidence=evidence if isinstance(evidence, dict) else None)
                if _fresh_guid(c.guid, taken_guids):
                    coding = replace(coding, guid=c.guid)
                taken_guids.add(c.guid)
                key = (start, end, code_id, coding.coder)
                if key in already:  # (its notes go on the coding here: memos already there are not added twice)
                    report.already += 1
                    memo("coding", str(already[key]), c.note_refs + sel.note_refs)
                    continue
                if key in seen_spans:
                    report.duplicates += 1
                    continue
                seen_spans.add(key)
                pending.append((coding, c.note_refs + sel.note_refs))
        added = store.codings.add_many([c for c, _ in pending])
        report.codings += len(added)
        for coding, (_, refs) in zip(added, pending, strict=True):
            if refs:
                memo("coding", str(coding.id), refs)
    for cid, refs in model.code_notes.items():
        memo("code", ctx.id_map.get(cid, cid), refs)
    for case in model.cases:
        attrs = {var_info[g][0]: _typed(v, var_info[g][1]) for g, v in case.values.items() if g in var_info}
        store.participants.upsert(Participant(case.name, attrs))
        report.participants += 1
    memo("project", "project", model.note_refs + [n.guid for n in model.notes if n.guid not in used_notes])
    there = {(m.target_kind, m.target_id, m.text) for m in store.memos.list()}  # (imported before)
    memos = [m for m in memos if (m.target_kind, m.target_id, m.text) not in there]
    for m in memos:
        store.memos.add(m)
    report.memos = len(memos)


def _refine(text: str, start: int, end: int, exact: Any) -> tuple[int, int]:
    """qcode's own span (``qcode.json``) when it only adds spacing the source text lacks around the placed one."""
    try:
        s, e = int(exact[0]), int(exact[1])
    except (TypeError, ValueError, IndexError):
        return start, end
    if 0 <= s <= start < end <= e <= len(text) and not text[s:start].strip() and not text[end:e].strip():
        return s, e
    return start, end


def _fresh_guid(guid: str, taken: set[str]) -> bool:
    """A coding GUID from the file is kept when it is a valid UUID not yet used in the project."""
    import uuid

    try:
        uuid.UUID(guid)
    except (ValueError, AttributeError, TypeError):
        return False
    return guid not in taken
