"""Opening, creating and holding a qcode project (the use cases' entry point).

:class:`Project` is what the CLI and the app hold: the settings, the store and
a few caches. The other use-case modules take a :class:`Project` and never
touch Textual or click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qcode.core.codebook import Codebook
from qcode.core.errors import ProjectError, SettingsError
from qcode.core.transcript import Transcript
from qcode.storage import Store

if TYPE_CHECKING:
    from qcode.storage.postgres import ServerInfo
    from qcode.usecases.codebook import CodebookFileStatus
from qcode.usecases.settings import (
    DATA_DIR,
    DB_FILE,
    SETTINGS_FILE,
    Settings,
    check_database_url,
    coder_and_source,
    default_coder,
    load_settings,
    relative_to_project,
    write_settings,
)

Progress = Callable[[int, int, str], None]
"""progress(done, total, label): called by long use cases; front ends draw bars."""


def no_progress(done: int, total: int, label: str) -> None:
    """The default progress callback: does nothing."""


def _needs_first_use(store: Store) -> bool:
    """A database (e.g. on a team server) that was never seeded and holds nothing yet.

    On a server with qcode roles only an owner seeds it (the others may not write the project's settings).
    """
    if store.server is not None and store.server.prefix and store.server.kind != "owner":
        return False
    return store.meta.get("seeded") is None and not store.transcripts.summaries() and not store.codes.codebook().ids


def find_root(start: Path) -> Path:
    """The project folder containing *start* (itself or a parent with qcode.toml)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    raise SettingsError(
        f"No qcode project here ({start}) or in any parent folder: no {SETTINGS_FILE} found.",
        hint="Run `qcode init` to make this folder a project, or pass --project DIR.",
    )


DEMO_COPY = Path(DATA_DIR) / "demo"


def _demo_copy(root: Path, settings: Settings) -> tuple[Path, str]:
    """The working copy of a demo project (``[project] demo = true``), made on first open.

    The settings, the codebook and the [seed] files are copied into
    ``.qcode/demo/`` (ignored by git), so codings, reports and codebook
    edits never change the checkout. Returns the copy's folder and, when it
    was just made, a sentence saying so.
    """
    import shutil

    copy = root / DEMO_COPY
    if (copy / SETTINGS_FILE).is_file():
        return copy, ""
    tmp = copy.with_name("demo.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    names = [settings.codebook, *settings.seed_transcripts, *settings.seed_attributes, *settings.seed_codings]
    for name in filter(None, names):
        src = root / name
        if Path(name).is_absolute() or not src.exists() or not src.resolve().is_relative_to(root.resolve()):
            continue
        dst = tmp / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    text = (root / SETTINGS_FILE).read_text(encoding="utf-8")
    import re

    text = re.sub(r"(?m)^demo\s*=.*\n?", "", text)
    text = f"# Working copy of the demo project in {root} (made by qcode; delete this folder to start again).\n" + text
    (tmp / SETTINGS_FILE).write_text(text, encoding="utf-8")
    tmp.rename(copy)
    return copy, (f"Demo project: qcode works on a copy in {DEMO_COPY.as_posix()}/ (ignored by git), so the "
                  "repository stays clean; delete that folder to start the demo again.")


def read_only_note(project: Project) -> str:
    """What to tell a user whose project could only be opened for reading."""
    return (f"The project database {project.store.where} is read-only (a read-only disk, an archive copy or its "
            "permissions): it was opened for reading only, and every change will be refused.")


@dataclass
class SeedReport:
    transcripts: int = 0
    codings: int = 0
    messages: list[str] = field(default_factory=list)


class Project:
    """An open qcode project."""

    def __init__(self, root: Path, settings: Settings, store: Store) -> None:
        self.root = root
        self.settings = settings
        self.store = store
        self.coder = default_coder(settings)
        if store.server is not None and store.server.prefix:
            self.coder = store.server.user  # on a team server, the coder is the database role connected
        self._codebook: Codebook | None = None
        self._codebook_hash: tuple[str | None] | None = None
        self._transcripts: dict[int, Transcript] = {}
        self.seed_report: SeedReport | None = None
        self.notice = ""
        """A sentence for the user about how the project was opened (the demo's working copy)."""
        self.swept: list[Path] = []
        """Stale temporary files (and 0-byte backups) that killed processes had left, removed on open."""

    def _sweep(self) -> list[Path]:
        from qcode.formats.atomic import sweep_stale

        folders = {self.root, self.root / DATA_DIR}
        if self.settings.codebook:
            folders.add(self.path(self.settings.codebook).parent)
        removed = [p for f in folders for p in sweep_stale(f)]
        return removed + sweep_stale(self.root / DATA_DIR / "backups", empty_backups=True)

    # ------------------------------------------------------------- opening
    @classmethod
    def open(cls, root: Path | None = None, *, busy_timeout: float = 5.0, seed: bool = True) -> Project:
        """Open the project at *root* (default: the current folder or a parent).

        The database is created on first use; when it is, the ``[seed]``
        files of the settings (transcripts, attributes, codings) and the
        codebook are imported, all or nothing.
        """
        root = find_root(root or Path.cwd()) if root is None else Path(root)
        if not root.exists():
            raise ProjectError(f"Project folder {root} does not exist.", hint="Check the path, or create it with `qcode init DIR`.")
        settings = load_settings(root)
        demo_note = ""
        if settings.demo:
            try:
                root, demo_note = _demo_copy(root, settings)
                settings = load_settings(root)
            except OSError:  # a read-only checkout: open the demo itself (read-only)
                demo_note = ""
        new_file = False
        if settings.database:
            store = Store.open_url(settings.database, create=True, backup_dir=root / DATA_DIR / "backups")
        else:
            db = root / DATA_DIR / DB_FILE
            new_file = not db.exists()  # an empty (0-byte) file is refused by the store, never re-initialised
            store = Store.open_sqlite(db, create=True, busy_timeout=busy_timeout, backup_dir=root / DATA_DIR / "backups")
        project = cls(root, settings, store)
        if not store.read_only:
            project.swept = project._sweep()
        if new_file or _needs_first_use(store):
            try:
                project._first_use(seed=seed)
            except BaseException:
                store.close()
                if new_file:  # leave no half-made database behind
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        (root / DATA_DIR / (DB_FILE + suffix)).unlink(missing_ok=True)
                raise
        project.notice = demo_note
        if store.backup_path is not None and store.migrated:  # an existing project file, upgraded on opening
            from qcode.storage.migrations import SCHEMA_VERSION

            upgraded = (f"The project database was upgraded to schema version {SCHEMA_VERSION} by this qcode "
                        f"({len(store.migrated)} step(s)); the file as it was is kept in {store.backup_path}.")
            project.notice = f"{project.notice}\n{upgraded}".strip()
        return project

    @classmethod
    def init(
        cls, root: Path, *, codebook: Path | None = None, language: str = "en", name: str | None = None,
        database: str | None = None, coder: str | None = None, copy_codebook: bool = False,
    ) -> Project:
        """Make *root* a qcode project (writes qcode.toml and creates the database).

        qcode.toml names the *codebook* file where it is (codes added or changed in
        qcode are written to it: a team's shared file); with *copy_codebook* a copy
        in the project folder (same file name) is used instead.

        With *database* (a ``postgresql://`` URL without password) the project
        lives on that server; an empty database gets the schema. The coder is
        *coder*, else QCODE_CODER, else the account's full name; with none of
        these qcode.toml names no coder and the app asks.
        """
        if database:  # checked (no password) before anything is written
            check_database_url(database, "qcode init --database")
        root.mkdir(parents=True, exist_ok=True)
        if (root / SETTINGS_FILE).exists():
            raise ProjectError(
                f"{root} is already a qcode project ({SETTINGS_FILE} exists).",
                hint="Open it with `qcode open`, or edit qcode.toml.",
            )
        settings = Settings(name=name or root.resolve().name, language=language, database=database or "")
        who, source = coder_and_source(settings, coder)
        if source != "your login name" and source != "the default":
            settings.coder = who
        if codebook is not None:
            codebook = Path(codebook)
            if not codebook.is_file():
                raise ProjectError(f"Codebook file {codebook} not found.", hint="Check the path.")
            copy = root / codebook.name
            if copy_codebook and copy.resolve() != codebook.resolve():
                if copy.exists():
                    raise ProjectError(f"Cannot copy the codebook: {copy} already exists.",
                                       hint="Remove or rename it, or pass that file as --codebook.")
            else:
                copy_codebook = False
            settings.codebook = relative_to_project(root, copy if copy_codebook else codebook)
        write_settings(root, settings)
        try:
            if copy_codebook and codebook is not None:
                import shutil

                shutil.copyfile(codebook, root / codebook.name)
            return cls.open(root)
        except BaseException:
            (root / SETTINGS_FILE).unlink(missing_ok=True)
            if copy_codebook and codebook is not None:
                (root / codebook.name).unlink(missing_ok=True)
            raise

    def _first_use(self, *, seed: bool) -> None:
        from qcode.usecases import seeding

        self.seed_report = seeding.seed_project(self, include_seed=seed)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- access
    def path(self, rel: str | Path) -> Path:
        """A settings path resolved against the project folder."""
        p = Path(rel)
        return p if p.is_absolute() else self.root / p

    @property
    def read_only(self) -> bool:
        """The database could only be opened for reading: every change is refused."""
        return self.store.read_only

    @property
    def server(self) -> ServerInfo | None:
        """On a team server: who is connected, as what; None for a SQLite project."""
        return self.store.server

    @property
    def where(self) -> str:
        """Where the database is, for messages (a file path or a server URL without password)."""
        return self.store.where

    @property
    def data_dir(self) -> Path:
        d = self.root / DATA_DIR
        d.mkdir(exist_ok=True)
        return d

    @property
    def codebook(self) -> Codebook:
        if self._codebook is None:
            self._codebook = self.store.codes.codebook()
        return self._codebook

    @property
    def codebook_hash(self) -> str | None:
        """Content hash of the attached codebook version (recorded on each new coding)."""
        if self._codebook_hash is None:
            rec = self.store.codes.record()
            self._codebook_hash = (rec.content_hash if rec else None,)
        return self._codebook_hash[0]

    def invalidate(self, transcript_id: int | None = None, codebook: bool = False) -> None:
        """Forget cached data after a change."""
        if codebook:
            self._codebook = None
            self._codebook_hash = None
        if transcript_id is None:
            self._transcripts.clear()
        else:
            self._transcripts.pop(transcript_id, None)

    def find_transcript(self, ref: str | int) -> int:
        """The id of a transcript given by id, name or original file name."""
        return self.store.transcripts.find(ref)

    def transcript(self, ref: str | int) -> Transcript:
        """A transcript by id, name or original file name (cached)."""
        tid = ref if isinstance(ref, int) else self.store.transcripts.find(ref)
        if tid not in self._transcripts:
            self._transcripts[tid] = self.store.transcripts.get(tid)
        return self._transcripts[tid]


def transcript_summaries(project: Project) -> list[dict[str, Any]]:
    """One plain record per transcript, by id: the fields of :class:`qcode.core.transcript.TranscriptSummary`
    (what ``qcode transcripts --json`` prints)."""
    return [asdict(s) for s in project.store.transcripts.summaries()]


def participant_text(project: Project) -> dict[int, str]:
    """Per transcript id, its linked participants' names and attribute values (``name key=value value``...):
    what a filter of the transcript list also looks in (a focus group with a participant from Kenya is found
    by "Kenya" though the transcript's own attributes do not say it)."""
    people = {p.name: p for p in project.store.participants.list()}
    out: dict[int, list[str]] = {}
    for (tid, _label), name in sorted(project.store.participants.speakers().items()):
        p = people.get(name)
        words = out.setdefault(tid, [])
        words.append(name)
        for k, v in (p.attributes.items() if p else ()):
            words.extend((f"{k}={v}", str(v)))
    return {tid: " ".join(words) for tid, words in out.items()}


def transcript_names(project: Project) -> dict[int, str]:
    """Each transcript's name by its id."""
    return {s.id: s.name for s in project.store.transcripts.summaries()}


def project_status(project: Project) -> tuple[dict[str, Any], CodebookFileStatus]:
    """What ``qcode status`` shows (as JSON-ready data), and how the codebook file compares with the project's."""
    from collections import Counter

    from qcode.usecases.codebook import codebook_file_status
    from qcode.usecases.settings import coder_and_source

    store = project.store
    coder, coder_source = coder_and_source(project.settings)
    summaries = store.transcripts.summaries()
    codings = store.codings.list()
    used = {c.code_id for c in codings}
    book = project.codebook
    active = [c for c in book.codes if not c.retired]
    file = codebook_file_status(project)
    sugg = store.suggestions.counts()
    data: dict[str, Any] = {
        "project": project.settings.name, "database": project.where, "coder": coder, "coder_from": coder_source,
        "transcripts": len(summaries), "words": sum(s.words for s in summaries), "turns": sum(s.turns for s in summaries),
        "codebook": {"title": book.title, "version": book.version or None, "codes": len(active),
                     "codes_used": len(used & {c.id for c in active}), "file": file.shown or None, "file_state": file.state},
        "codings": len(codings), "coders": dict(Counter(c.coder for c in codings).most_common()),
        "memos": len(store.memos.list()),
        "suggestions": {k: int(sugg.get(k, 0)) for k in ("pending", "accepted", "rejected")},
    }
    return data, file
