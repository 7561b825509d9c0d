"""Bringing another coder's work into this project, without overwriting anything.

Sources (:func:`merge_path`): another qcode project folder (or its
``.sqlite`` database), a codings export (``.jsonl`` / ``.csv``, as
``qcode codings export`` writes), or another tool's project (REFI-QDA
``.qdpx``/``.qde``, QualCoder, Taguette: imported into a temporary project
seeded with this project's codebook, as ``qcode import`` would, then merged). The core is :func:`merge_store`, which
takes any source :class:`~qcode.storage.Store` and a target
:class:`~qcode.usecases.project.Project`; a sync between a local project and
a server project can call it in either direction.

Rules:

* **Transcripts** are matched by the SHA-256 of their text (the same
  interview imported in both projects matches whatever its name). A source
  transcript the target lacks is copied (text, turns, speakers, attributes,
  source file), renamed ``name-2`` if its name is taken.
* **Codes** are matched by GUID, then by id (a code renamed in one project
  keeps its GUID).
  Codings of a code the target does not know are not merged and are listed:
  add the code to the codebook, then merge again.
* **Codings** already in the target (same GUID, or same transcript, span,
  code and coder) are recognised as identical and skipped; the rest are
  added with their coder, times, memo and GUID. Nothing in the target is
  changed. When an identical coding carries another memo, the incoming memo
  is kept as a memo on that coding (both kept).
* **Memos** on the project, transcripts, codes and codings are added unless
  the same text is already on the same target; a different text from the
  same coder is kept beside the existing one (both kept).
* A code matched whose labels there share none with its labels here is
  named in the report: its codings were filed under this project's code.
* Everything is one transaction, taken after a verified backup of a SQLite
  target (removed again when nothing changed); merging the same source twice
  changes nothing the second time. A dry run does the merge and undoes it.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from qcode.core.coding import Coding, Memo
from qcode.core.errors import ImportFormatError, ProjectError, QcodeError
from qcode.core.text import fold
from qcode.storage import Store
from qcode.usecases.project import Project
from qcode.usecases.settings import DATA_DIR, DB_FILE, SETTINGS_FILE

MERGED_MEMO_TITLE = "kept from merge"


@dataclass
class MergeReport:
    source: str
    backup: Path | None = None
    transcripts_matched: int = 0
    transcripts_added: list[str] = field(default_factory=list)
    codings_added: int = 0
    codings_identical: int = 0
    codings_conflicting: int = 0
    """Same GUID as a target coding but another span, code or coder: the target's is kept."""
    codings_skipped: list[str] = field(default_factory=list)
    memos_added: int = 0
    memos_identical: int = 0
    memo_conflicts: int = 0
    """Memos that differ from one already on the same target by the same coder: both kept."""
    coders: list[str] = field(default_factory=list)
    committed: bool = False
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    """What the reading of another tool's file said (selections adjusted or not placed)."""
    unknown_codes: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Code id there -> (its label there, codings not merged) for codes this project's codebook lacks."""
    relabelled: list[str] = field(default_factory=list)
    """Codes matched whose labels differ entirely here and there: their codings were filed here."""

    @property
    def changed(self) -> bool:
        return bool(self.transcripts_added or self.codings_added or self.memos_added)

    def lines(self) -> list[str]:
        out = [
            f"Would merge from {self.source} (--dry-run: nothing was changed):" if self.dry_run else f"Merged from {self.source}:",
            f"  transcripts: {self.transcripts_matched} matched by content, {len(self.transcripts_added)} added"
            + (f" ({', '.join(self.transcripts_added)})" if self.transcripts_added else ""),
            f"  codings: {self.codings_added} added"
            + (f" (by {', '.join(self.coders)})" if self.coders else "")
            + f", {self.codings_identical} already here",
            f"  memos: {self.memos_added} added ({self.memo_conflicts} kept beside a different memo), {self.memos_identical} already here",
        ]
        if self.codings_conflicting:
            out.append(f"  {self.codings_conflicting} codings share a GUID with a different coding here: this project's kept")
        if self.unknown_codes:
            listed = ", ".join(f"{cid} (“{label}”, {n})" for cid, (label, n) in list(self.unknown_codes.items())[:8])
            out.append(f"  {sum(n for _, n in self.unknown_codes.values())} codings not merged: their codes are not in "
                       f"this project's codebook: {listed}. Add them (`qcode codebook add LABEL`, or merge the codebook "
                       "files with `qcode codebook merge`), then merge again: what is merged now is not merged twice.")
        elif self.codings_skipped:
            out.append(f"  {len(self.codings_skipped)} codings not merged: " + "; ".join(self.codings_skipped[:5]))
        for line in self.relabelled:
            out.append(f"  check: {line}")
        out += self.notes
        if self.backup:
            out.append(f"  backup before the merge: {self.backup}")
        if not self.changed:
            out.append("  nothing new: the project is unchanged.")
        return out


def _backup(target: Project, report: MergeReport) -> None:
    if target.store.path is not None and not report.dry_run:
        report.backup = target.store.backup(target.data_dir / "backups", reason="before-merge")


def _drop_unneeded_backup(report: MergeReport) -> None:
    """A merge that changed nothing keeps no backup (merging the same folder every day would pile them up)."""
    if report.backup is not None and not report.changed:
        report.backup.unlink(missing_ok=True)
        report.backup = None


def merge_store(target: Project, source: Store, *, label: str = "", backup: bool = True,
                dry_run: bool = False) -> MergeReport:
    """Add the source store's transcripts, codings and memos that the target lacks (see module doc)."""
    report = MergeReport(label or source.where, dry_run=dry_run)
    dst = target.store
    src_codes = source.codes.guids()
    dst_codes = dst.codes.guids()
    by_guid = {g: cid for cid, g in dst_codes.items()}
    code_map = {cid: by_guid.get(g) or (cid if cid in dst_codes else None) for cid, g in src_codes.items()}
    theirs, ours = source.codes.codebook(), dst.codes.codebook()
    for cid in sorted(source.codings.counts()):
        mine_id = code_map.get(cid)
        if mine_id is not None and cid in theirs and mine_id in ours:
            there, here = theirs.get(cid), ours.get(mine_id)
            if there.label and not {fold(x) for x in there.label.values()} & {fold(x) for x in here.label.values()}:
                report.relabelled.append(f"code {cid} is “{there.display()}” there and “{here.display()}” here: its "
                                         f"codings were filed under this project's {mine_id} (renamed, or another meaning?)")
    dst_hash = {sha: tid for tid, (sha, _name) in dst.transcripts.hashes().items()}
    src_t = source.transcripts.hashes()
    if backup:
        _backup(target, report)
    coders: dict[str, None] = {}
    with dst.transaction(rollback=dry_run):
        t_map: dict[int, int] = {}
        names = {name for _sha, name in dst.transcripts.hashes().values()}
        for tid, (sha, _name) in src_t.items():
            if sha in dst_hash:
                t_map[tid] = dst_hash[sha]
                report.transcripts_matched += 1
                continue
            t = source.transcripts.get(tid)
            new_name, n = t.name, 1
            while new_name in names:
                n += 1
                new_name = f"{t.name}-{n}"
            if new_name != t.name:
                first = "do not merge yet" if dry_run else "undo this merge (`qcode restore`)"
                report.notes.append(
                    f"  check: '{t.name}' there has another text than '{t.name}' here, so it "
                    f"{'would come' if dry_run else 'came'} in as '{new_name}'. If it is the same interview edited, "
                    f"{first}, bring the edited text in with `qcode import --replace {t.name} FILE`, and merge again.")
            t.name, t.id = new_name, None
            t_map[tid] = dst.transcripts.add(t, source.transcripts.source_bytes(tid))
            names.add(new_name)
            dst_hash[sha] = t_map[tid]
            report.transcripts_added.append(new_name)
        existing = dst.codings.list()
        guids = {c.guid: c for c in existing}
        keys = {(c.transcript_id, c.start, c.end, c.code_id, c.coder): c for c in existing}
        coding_map: dict[str, int] = {}
        extra_memos: list[Memo] = []
        new: list[Coding] = []
        new_src: list[int | None] = []
        for c in source.codings.list():
            code = code_map.get(c.code_id)
            dst_tid = t_map.get(c.transcript_id)
            if code is None or dst_tid is None:
                report.codings_skipped.append(f"{c.code_id} by {c.coder} at {c.start}-{c.end}")
                if code is None:
                    label, n = report.unknown_codes.get(c.code_id, (theirs.get(c.code_id).display() if c.code_id in theirs else c.code_id, 0))
                    report.unknown_codes[c.code_id] = (label, n + 1)
                continue
            mine = replace(c, transcript_id=dst_tid, code_id=code, id=None)
            key = (dst_tid, mine.start, mine.end, code, mine.coder)
            same = keys.get(key)
            if same is None and c.guid in guids:
                report.codings_conflicting += 1
                continue
            if same is not None:
                report.codings_identical += 1
                coding_map[str(c.id)] = same.id or 0
                if mine.memo and mine.memo != same.memo:
                    extra_memos.append(Memo("coding", str(same.id), mine.memo, mine.coder, MERGED_MEMO_TITLE, mine.created, mine.modified))
                continue
            new.append(mine)
            new_src.append(c.id)
            keys[key] = mine
            coders.setdefault(mine.coder, None)
        for sid, stored in zip(new_src, dst.codings.add_many(new), strict=True):
            coding_map[str(sid)] = stored.id or 0
        report.codings_added = len(new)
        _merge_memos(dst, source, t_map, code_map, coding_map, extra_memos, report)
    report.coders = list(coders)
    report.committed = not dry_run
    target.invalidate()
    _drop_unneeded_backup(report)
    return report


def _merge_memos(
    dst: Store, source: Store, t_map: dict[int, int], code_map: dict[str, str | None], coding_map: dict[str, int],
    extra: list[Memo], report: MergeReport,
) -> None:
    have = dst.memos.list()
    texts = {(m.target_kind, m.target_id, m.text) for m in have}
    mine = {(m.target_kind, m.target_id, m.coder) for m in have}
    incoming = list(extra)
    for m in source.memos.list():
        target: str | None = m.target_id
        if m.target_kind == "transcript":
            tid = t_map.get(int(m.target_id)) if m.target_id.isdigit() else None
            target = str(tid) if tid is not None else None
        elif m.target_kind == "code":
            target = code_map.get(m.target_id)
        elif m.target_kind == "coding":
            cid = coding_map.get(m.target_id)
            target = str(cid) if cid else None
        if target is not None:
            incoming.append(replace(m, target_id=target, id=None))
    for m in incoming:
        if (m.target_kind, m.target_id, m.text) in texts:
            report.memos_identical += 1
            continue
        if (m.target_kind, m.target_id, m.coder) in mine or m.title == MERGED_MEMO_TITLE:
            report.memo_conflicts += 1
            if not m.title:
                m = replace(m, title=MERGED_MEMO_TITLE)
        dst.memos.add(m)
        texts.add((m.target_kind, m.target_id, m.text))
        report.memos_added += 1


@contextmanager
def _snapshot(db: Path) -> Iterator[Store]:
    """A copy of another project's database, opened (a migration then changes the copy only)."""
    if not db.is_file():
        raise ProjectError(f"No qcode project database at {db}.", hint="Point at a project folder made by `qcode init`.")
    tmp = Path(tempfile.mkdtemp(prefix="qcode-merge-"))
    copy = tmp / DB_FILE
    try:
        src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{db} cannot be read as a qcode project ({exc}).", hint="Check the path; nothing was changed.") from exc
        finally:
            src.close()
        store = Store.open_sqlite(copy, backup_dir=tmp / "backups")
        try:
            yield store
        finally:
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def merge_path(target: Project, path: Path, dry_run: bool = False) -> MergeReport:
    """Merge from a project folder, a project ``.sqlite`` file or a codings ``.jsonl`` / ``.csv`` (with
    *dry_run*: report what would be merged, change nothing)."""
    path = Path(path)
    from qcode.usecases import refi_reading

    if path.is_dir():
        db = path / DATA_DIR / DB_FILE
        if refi_reading.is_project_path(path) and not db.is_file():
            return merge_foreign(target, path, dry_run)
        if not (path / SETTINGS_FILE).is_file() and not db.is_file():
            raise ProjectError(f"{path} is not a qcode project folder (no {SETTINGS_FILE}).", hint="Give the folder made by `qcode init`.")
        if db.resolve() == (target.root / DATA_DIR / DB_FILE).resolve():
            raise ProjectError("That is this project itself; there is nothing to merge.")
        with _snapshot(db) as store:
            return merge_store(target, store, label=str(path), dry_run=dry_run)
    suffix = path.suffix.lower()
    if suffix in (".sqlite", ".db"):
        with _snapshot(path) as store:
            return merge_store(target, store, label=str(path), dry_run=dry_run)
    if suffix in (".jsonl", ".ndjson", ".csv", ".tsv"):
        return merge_codings_file(target, path, dry_run)
    if not path.exists():
        raise ProjectError(f"{path} does not exist.", hint="Give a project folder, a .qdpx, .sqlite, .jsonl or .csv file.")
    if refi_reading.is_project_path(path):
        return merge_foreign(target, path, dry_run)
    raise ImportFormatError(f"{path.name}: cannot merge a '{suffix}' file.", hint="Give a project folder, a .qdpx, .sqlite, .jsonl or .csv file.")


def merge_foreign(target: Project, path: Path, dry_run: bool = False) -> MergeReport:
    """Merge another tool's project: imported into a temporary qcode project that starts with
    this project's codebook (so codes with the same label keep their ids), then merged."""
    from qcode.usecases import refi_import

    tmp = Path(tempfile.mkdtemp(prefix="qcode-merge-"))
    try:
        cb = target.path(target.settings.codebook) if target.settings.codebook else None
        seed = None
        if cb is not None and cb.is_file():
            seed = tmp / cb.name
            shutil.copy2(cb, seed)
        with Project.init(tmp / "p", codebook=seed, language=target.settings.language or "en") as temp:
            imported = refi_import.import_project(temp, path)
            report = merge_store(target, temp.store, label=str(path), dry_run=dry_run)
        report.notes += [line for line in imported.lines() if line.startswith(("  not placed", "  adjusted", "  warning"))]
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def merge_codings_file(target: Project, path: Path, dry_run: bool = False) -> MergeReport:
    """Merge a codings export: placed and de-duplicated as ``qcode codings import`` does (all or
    nothing), plus the incoming memos of codings already here (both kept)."""
    from qcode.formats.codings_file import read_rows
    from qcode.usecases import exchange

    report = MergeReport(str(path), dry_run=dry_run)
    existing = {(c.transcript_id, c.start, c.end, c.code_id, c.coder): c for c in target.store.codings.list()}
    _backup(target, report)
    with target.store.transaction(rollback=dry_run):
        r = exchange.import_codings(target, path)
        if not r.committed:
            raise ImportFormatError(
                f"{len(r.failed)} line(s) of {path.name} could not be placed; nothing was merged:\n  " + "\n  ".join(r.failed[:10]),
                hint="Fix those lines (or import the others with `qcode codings import --skip-bad`).",
            )
        report.codings_added, report.codings_identical = r.imported, r.duplicates
        notes = {(m.target_id, m.text) for m in target.store.memos.list("coding")}
        for row in read_rows(path):
            d = row.data
            memo = str(d.get("memo") or "")
            if not memo:
                continue
            try:
                tid = target.store.transcripts.find(str(d["transcript"]))
                key = (tid, int(d["start"]), int(d["end"]), str(d["code"]), str(d.get("coder") or target.coder))
            except (KeyError, ValueError, TypeError, QcodeError):
                continue
            same = existing.get(key)
            if same is not None and memo != same.memo and (str(same.id), memo) not in notes:
                target.store.memos.add(Memo("coding", str(same.id), memo, key[4], MERGED_MEMO_TITLE))
                notes.add((str(same.id), memo))
                report.memos_added += 1
                report.memo_conflicts += 1
    report.coders = sorted({str(row.data.get("coder") or target.coder) for row in read_rows(path)}) if report.codings_added else []
    report.committed = not dry_run
    target.invalidate()
    _drop_unneeded_backup(report)
    return report
