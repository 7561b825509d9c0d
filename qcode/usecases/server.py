"""Team server use cases: set a PostgreSQL database up, add researchers, blind coding, the change feed.

Roles, grants and row-level security live in :mod:`qcode.storage.postgres`;
this module is what ``qcode server ...`` and the app call.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qcode.core.errors import ProjectError
from qcode.storage import Store, postgres
from qcode.usecases.project import Project


@dataclass
class InitReport:
    prefix: str
    groups: list[str]
    migrated: list[str] = field(default_factory=list)
    backup: Path | None = None


def server_init(url: str, *, prefix: str | None = None, backup_dir: Path = Path("qcode-backups")) -> InitReport:
    """Schema, migrations (after a ``pg_dump`` of an older schema), group roles, grants and policies.

    Run by a database administrator (a role with CREATEROLE that owns the
    database). Running it again is harmless: it migrates and re-applies the
    policies.
    """
    with Store.open_url(url, create=True, backup_dir=backup_dir) as store:
        known = store.server.prefix
        if prefix and known and prefix != known:
            raise ProjectError(
                f"This database was set up with roles '{known}_*', not '{prefix}_*'.",
                hint=f"Leave out --roles (or give --roles {known}). Nothing was changed.",
            )
        prefix = postgres.check_role_name(prefix or known or postgres.default_prefix(store.roles.database()))
        store.roles.set_up(prefix, record_prefix=not known)
        return InitReport(prefix, [postgres.group_role(prefix, k) for k in postgres.ROLE_KINDS], store.migrated, store.backup_path)


def add_coder(url: str, name: str, kind: str, *, password: str | None = None) -> bool:
    """Create login role *name* in group *kind* (or move it there); True when the role is new."""
    with Store.open_url(url) as store:
        prefix = _prefix(store)
        return store.roles.add_login(prefix, name, kind, password)


def set_blind(project: Project, on: bool) -> None:
    """Blind coding on: coders and readers see only their own codings until the owner turns it off."""
    _prefix(project.store)
    project.store.roles.set_blind(on)


def status(project: Project) -> dict[str, object]:
    """Who is connected, as what, over TLS or not, and whether coding is blind."""
    store = project.store
    if store.server is None:
        raise ProjectError(
            "This project is a local SQLite file, not on a team server.",
            hint="Team projects are made with `qcode init DIR --database postgresql://USER@HOST/DB`.",
        )
    info, tls = store.roles.connection()
    return {
        "server": store.where,
        "user": info.user,
        "role": info.kind or "(no qcode roles: run `qcode server init`)",
        "roles_prefix": info.prefix,
        "blind": info.blind,
        "tls": f"yes ({tls})" if tls else "no",
    }


def _prefix(store: Store) -> str:
    info = store.server
    if info is None or not info.prefix:
        raise ProjectError(
            f"{store.where} has no qcode roles yet.",
            hint="Set the database up first with `qcode server init URL` (as the database administrator).",
        )
    return info.prefix


class ChangeFeed:
    """Tells the app when other coders changed the project (LISTEN/NOTIFY on a connection of its own).

    ``poll()`` returns the set of tables changed since the last call (empty
    when nothing changed); ``last_refresh`` is when the app last caught up.
    A SQLite project has no other writers to hear: its feed never fires.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_refresh = time.time()
        self.error: str | None = None
        if store.server is not None and store.url:
            self._thread = threading.Thread(target=self._listen, name="qcode-change-feed", daemon=True)
            self._thread.start()

    @property
    def live(self) -> bool:
        return self._thread is not None and self.error is None

    def _listen(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(**_psycopg_args(self.store.url), autocommit=True)
        except psycopg.Error as exc:
            self.error = postgres.scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return
        with conn:
            conn.execute(f"LISTEN {postgres.CHANNEL}")
            while not self._stop.is_set():
                try:
                    for note in conn.notifies(timeout=0.2):
                        with self._lock:
                            self._changed.add(note.payload)
                except psycopg.Error as exc:
                    self.error = postgres.scrub(str(exc))
                    return

    def poll(self) -> set[str]:
        with self._lock:
            changed, self._changed = self._changed, set()
        if changed:
            self.last_refresh = time.time()
        return changed

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def _psycopg_args(url: str) -> dict[str, Any]:
    u = postgres.parse_url(url)
    args: dict[str, Any] = {k: v for k, v in u.translate_connect_args(username="user", database="dbname").items() if v is not None}
    args.update({k: (v if isinstance(v, str) else v[0]) for k, v in u.query.items()})
    args.setdefault("application_name", "qcode-feed")
    return args


def change_feed(project: Project) -> ChangeFeed:
    """The feed of other coders' changes to the open project (one that never fires on SQLite)."""
    return ChangeFeed(project.store)
