"""The team backend: a project in a PostgreSQL database, guarded by PostgreSQL itself.

A server project has three group roles, ``<prefix>_owner``, ``<prefix>_coder``
and ``<prefix>_reader`` (the prefix is the database name unless given; it is
kept in ``qcode_meta``). Every researcher logs in as a role of their own that
is a member of one of them; qcode's coder is that login role
(``session_user``), so nobody writes as someone else.

- The tables belong to the owner group: its members may change everything,
  migrate the schema and take backups (``pg_dump``).
- Coders read the project and write their own codings, memos and
  suggestion decisions, and the codebook; row-level security refuses a row
  of anyone else's, and (``blind`` in ``qcode_meta``) hides others' codings
  until the owner opens them.
- Readers read; every write is refused.
- Only the three groups may connect to the database.

Credentials never come from qcode's files: the URL holds no password (libpq
finds it in PGPASSFILE/~/.pgpass, a service file or PGPASSWORD), TLS is used
when the server offers it (libpq's ``sslmode``, ``prefer`` by default), and
messages never show a password.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from qcode.core.errors import ProjectError, SettingsError
from qcode.storage.engine import register_secret, scrub

ROLE_KINDS = ("owner", "coder", "reader")
CHANNEL = "qcode_changes"
"""The LISTEN/NOTIFY channel: a statement that changes a watched table notifies it with the table's name."""
WATCHED = ("codings", "memos", "codes", "codebooks", "transcripts", "suggestions")
_OWN = "coder_id IN (SELECT id FROM coders WHERE name = session_user)"
_OPEN = "NOT EXISTS (SELECT 1 FROM qcode_meta WHERE key = 'blind' AND value = 'on')"


# ------------------------------------------------------------------ URLs
def is_server_url(text: str) -> bool:
    return text.strip().lower().startswith(("postgresql:", "postgres:", "postgresql+"))


def parse_url(text: str) -> sa.URL:
    """A SQLAlchemy URL for psycopg from ``postgresql://...`` (errors never show the password)."""
    raw = text.strip()
    try:
        url = sa.make_url(raw)
    except (sa.exc.ArgumentError, ValueError):
        raise SettingsError(
            f"Not a database URL: {_mask(raw)}.",
            hint="Write it as postgresql://USER@HOST:PORT/DATABASE (the password goes in ~/.pgpass, "
            "a service file or PGPASSWORD, never in the URL).",
        ) from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise SettingsError(
            f"qcode's team server is PostgreSQL; {url.get_backend_name()}:// is not supported ({safe_url(url)}).",
            hint="Use a postgresql://USER@HOST/DATABASE URL.",
        )
    if url.password:
        register_secret(str(url.password))
    return url.set(drivername="postgresql+psycopg")


def _mask(text: str) -> str:
    """*text* with anything between ``user:`` and ``@`` starred (for URLs that do not parse)."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)


def safe_url(url: str | sa.URL) -> str:
    """The URL as shown to a user: the password replaced by ***."""
    u = url if isinstance(url, sa.URL) else parse_url(url)
    return u.set(drivername=u.get_backend_name()).render_as_string(hide_password=True)


def has_password(url: str) -> bool:
    return bool(parse_url(url).password)


def without_password(url: str | sa.URL) -> str:
    """*url* minus its password."""
    u = url if isinstance(url, sa.URL) else sa.make_url(url.strip())
    return sa.URL.create(u.drivername, u.username, None, u.host, u.port, u.database, u.query).render_as_string(hide_password=False)


def make_engine(url: str, **kw: object) -> Engine:
    """An engine on *url*; TLS when the server offers it unless the URL or PGSSLMODE says otherwise."""
    u = parse_url(url)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ProjectError(
            "This qcode cannot reach a PostgreSQL server: the psycopg driver is not installed.",
            hint="Install it with `pip install 'qcode[server]'` (or `pip install 'psycopg[binary]'`).",
        ) from None
    connect_args: dict[str, object] = {"application_name": "qcode"}
    if "sslmode" not in u.query and not os.environ.get("PGSSLMODE"):
        connect_args["sslmode"] = "prefer"
    # Connections idle for 5 minutes are replaced when next used (firewalls drop idle ones); no pre-ping,
    # which would cost a round trip per transaction.
    kw.setdefault("hide_parameters", True)  # error messages never quote the interview text being written
    return sa.create_engine(u, pool_recycle=300, connect_args=connect_args, **kw)


def describe(url: str) -> str:
    """Where a project lives, for messages: host, port, database, user; no password."""
    return safe_url(url)


# ------------------------------------------------------------------ roles
@dataclass(frozen=True)
class ServerInfo:
    """Who is connected to a server project, and as what."""

    prefix: str | None
    """The group roles' prefix; None for a database that `qcode server init` never set up."""
    user: str
    kind: str | None
    """owner, coder or reader (the first group the user is in); None without roles."""
    blind: bool

    def group(self, kind: str) -> str:
        return group_role(self.prefix or "", kind)


def group_role(prefix: str, kind: str) -> str:
    return f"{prefix}_{kind}"


def default_prefix(database: str) -> str:
    prefix = re.sub(r"[^a-z0-9_]", "_", database.lower()).strip("_") or "qcode"
    return prefix[:50]


def check_role_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.@-]{0,62}", name):
        raise ProjectError(
            f"'{name}' cannot be a database role name.",
            hint="Use letters, digits, _ . @ or - (up to 63 characters), starting with a letter.",
        )
    return name


def _q(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def server_info(conn: sa.Connection) -> ServerInfo:
    user = conn.exec_driver_sql("SELECT session_user").scalar_one()
    meta: dict[str, str] = dict(conn.exec_driver_sql("SELECT key, value FROM qcode_meta WHERE key IN ('role_prefix', 'blind')").all())
    prefix = meta.get("role_prefix")
    kind = None
    if prefix:
        for k in ROLE_KINDS:
            if conn.exec_driver_sql(
                "SELECT pg_has_role(session_user, %(r)s, 'MEMBER')", {"r": group_role(prefix, k)}
            ).scalar_one():
                kind = k
                break
    return ServerInfo(prefix, user, kind, meta.get("blind") == "on")


def role_prefix(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("qcode_meta"):
        return None
    return conn.exec_driver_sql("SELECT value FROM qcode_meta WHERE key = 'role_prefix'").scalar()


def create_groups(conn: sa.Connection, prefix: str) -> None:
    """The three group roles (made when missing), the database open to them only, the schema to the owners.

    The connecting role (a database administrator: CREATEROLE, owner of the
    database) becomes a member of the owner group so it can hand the tables over.
    """
    me = _q(conn, conn.exec_driver_sql("SELECT current_user").scalar_one())
    db = _q(conn, conn.exec_driver_sql("SELECT current_database()").scalar_one())
    for kind in ROLE_KINDS:
        role = group_role(prefix, kind)
        if not conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(r)s", {"r": role}).first():
            conn.exec_driver_sql(f"CREATE ROLE {_q(conn, role)} NOLOGIN")
    owner, coder, reader = (_q(conn, group_role(prefix, k)) for k in ROLE_KINDS)
    conn.exec_driver_sql(f"GRANT {owner} TO {me}")
    conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}, {coder}, {reader}")
    conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {coder}, {reader}")


def hand_over(conn: sa.Connection, prefix: str) -> None:
    """Give every qcode table and sequence to the owner group (the administrator made them)."""
    owner = _q(conn, group_role(prefix, "owner"))
    for kind, what in (("r", "TABLE"), ("S", "SEQUENCE")):  # a table takes its serial sequences along
        names = conn.exec_driver_sql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = %(k)s "
            "AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = %(o)s)",
            {"k": kind, "o": group_role(prefix, "owner")},
        ).scalars().all()
        for name in names:
            conn.exec_driver_sql(f"ALTER {what} {_q(conn, name)} OWNER TO {owner}")


def apply_security(conn: sa.Connection, prefix: str) -> None:
    """Grants, row-level security policies and change notifications (idempotent; run as the owner group)."""
    coder, reader = (_q(conn, group_role(prefix, k)) for k in ("coder", "reader"))
    tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
    x = conn.exec_driver_sql
    for t in tables:
        x(f"REVOKE ALL ON {_q(conn, t)} FROM PUBLIC")
        x(f"GRANT SELECT ON {_q(conn, t)} TO {coder}, {reader}")
    coder_tables = ["codings", "memos", "suggestions", "codes", "codebooks"]
    for t in coder_tables:
        x(f"GRANT INSERT, UPDATE, DELETE ON {t} TO {coder}")
    x(f"REVOKE DELETE ON codes, codebooks FROM {coder}")
    x(f"GRANT INSERT ON coders TO {coder}")
    x(f"GRANT INSERT ON agreement_runs TO {coder}")  # anyone may keep an agreement computation (#13)
    x(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {coder}")
    policies = {
        "codings": [
            ("read_own_or_open", "SELECT", f"{coder}, {reader}", f"{_OWN} OR {_OPEN}", None),
            ("add_own", "INSERT", coder, None, _OWN),
            ("change_own", "UPDATE", coder, _OWN, _OWN),
            ("remove_own", "DELETE", coder, _OWN, None),
        ],
        "memos": [
            ("read_all", "SELECT", f"{coder}, {reader}", "true", None),
            ("add_own", "INSERT", coder, None, _OWN),
            ("change_own", "UPDATE", coder, _OWN, _OWN),
            ("remove_own", "DELETE", coder, _OWN, None),
        ],
        "suggestions": [
            ("read_pending_own_or_open", "SELECT", f"{coder}, {reader}", f"coder_id IS NULL OR {_OWN} OR {_OPEN}", None),
            ("add_pending_or_own", "INSERT", coder, None, f"coder_id IS NULL OR {_OWN}"),
            ("decide_pending_or_own", "UPDATE", coder, f"coder_id IS NULL OR {_OWN}", f"coder_id IS NULL OR {_OWN}"),
            ("remove_pending_or_own", "DELETE", coder, f"coder_id IS NULL OR {_OWN}", None),
        ],
        "coders": [
            ("read_all", "SELECT", f"{coder}, {reader}", "true", None),
            ("add_self", "INSERT", coder, None, "name = session_user"),
        ],
    }
    for table, rules in policies.items():
        x(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for name, _c, _r, _u, _w in rules:
            x(f"DROP POLICY IF EXISTS {name} ON {table}")
        for name, command, roles, using, check in rules:
            sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {roles}"
            if using:
                sql += f" USING ({using})"
            if check:
                sql += f" WITH CHECK ({check})"
            x(sql)
    x(
        "CREATE OR REPLACE FUNCTION qcode_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    x("REVOKE ALL ON FUNCTION qcode_notify_change() FROM PUBLIC")
    x(f"GRANT EXECUTE ON FUNCTION qcode_notify_change() TO {coder}, {reader}")
    for t in WATCHED:
        if t in tables:
            x(f"DROP TRIGGER IF EXISTS qcode_notify ON {t}")
            x(
                f"CREATE TRIGGER qcode_notify AFTER INSERT OR UPDATE OR DELETE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION qcode_notify_change()"
            )


def before_migration(conn: sa.Connection) -> str | None:
    """Act as the owner group while migrating, so new tables are the group's too. Returns the prefix."""
    prefix = role_prefix(conn)
    if prefix:
        conn.exec_driver_sql(f"SET LOCAL ROLE {_q(conn, group_role(prefix, 'owner'))}")
    return prefix


def after_migration(conn: sa.Connection, prefix: str | None) -> None:
    if prefix:
        apply_security(conn, prefix)


def add_login_role(conn: sa.Connection, prefix: str, name: str, kind: str, password: str | None = None) -> bool:
    """Create login role *name* (or change its group) in group *kind*. Returns True when it was created."""
    if kind not in ROLE_KINDS:
        raise ProjectError(f"Unknown role '{kind}'.", hint=f"Use one of: {', '.join(ROLE_KINDS)}.")
    check_role_name(name)
    role = _q(conn, name)
    created = not conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(r)s", {"r": name}).first()
    if created:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    if password:
        register_secret(password)
        # Hashed here (SCRAM-SHA-256, as libpq does): the server's statement log never holds the password.
        pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
        verifier = pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
        conn.exec_driver_sql(f"ALTER ROLE {role} PASSWORD {_literal(verifier)}")
    for other in ROLE_KINDS:
        if other != kind:
            conn.exec_driver_sql(f"REVOKE {_q(conn, group_role(prefix, other))} FROM {role}")
    conn.exec_driver_sql(f"GRANT {_q(conn, group_role(prefix, kind))} TO {role}")
    if not conn.exec_driver_sql("SELECT 1 FROM coders WHERE name = %(n)s", {"n": name}).first():
        from qcode.core.coding import stable_guid

        conn.exec_driver_sql(
            "INSERT INTO coders (name, guid) VALUES (%(n)s, %(g)s)", {"n": name, "g": stable_guid("coder", name)}
        )
    return created


def _literal(value: str) -> str:
    """A SQL string literal (ALTER ROLE ... PASSWORD takes no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def set_blind(conn: sa.Connection, on: bool) -> None:
    value = "on" if on else "off"
    if conn.exec_driver_sql("UPDATE qcode_meta SET value = %(v)s WHERE key = 'blind'", {"v": value}).rowcount == 0:
        conn.exec_driver_sql("INSERT INTO qcode_meta (key, value) VALUES ('blind', %(v)s)", {"v": value})


# ---------------------------------------------------------------- backups
def libpq_env(url: str) -> dict[str, str]:
    """Environment for libpq tools (pg_dump) from *url*: the password, if any, never on a command line."""
    u = parse_url(url)
    env = dict(os.environ)
    parts: tuple[tuple[str, str | int | None], ...] = (
        ("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username), ("PGDATABASE", u.database), ("PGPASSWORD", u.password)
    )
    for var, value in parts:
        if value is not None:
            env[var] = str(value)
    for key, option in u.query.items():
        name = {"sslmode": "PGSSLMODE", "service": "PGSERVICE", "sslrootcert": "PGSSLROOTCERT", "passfile": "PGPASSFILE"}.get(key)
        if name:
            env[name] = option if isinstance(option, str) else option[0]
    env.setdefault("PGSSLMODE", "prefer")
    return env


def tool(name: str) -> str:
    """The newest installed PostgreSQL client tool *name* (pg_dump must be at least the server's version)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return str(found[-1])
    hit = shutil.which(name)
    if hit:
        return hit
    raise ProjectError(
        f"{name} is not installed, so the server project cannot be backed up.",
        hint="Install the PostgreSQL client tools (e.g. `apt install postgresql-client`). Nothing was changed.",
    )


def dump(url: str, target: Path) -> Path:
    """``pg_dump`` the project database to *target* (through a ``.part`` file), checked to read back."""
    part = target.with_name(f".{target.name}.part")
    try:
        return _dump_to(url, part, target)
    finally:
        part.unlink(missing_ok=True)


def _dump_to(url: str, part: Path, target: Path) -> Path:
    env = libpq_env(url)
    done = subprocess.run([tool("pg_dump"), "-Fc", "-f", str(part)], env=env, capture_output=True, text=True)
    if done.returncode == 0:
        check = subprocess.run([tool("pg_restore"), "--list", str(part)], capture_output=True, text=True)
        if check.returncode == 0 and "TABLE DATA public codings" in check.stdout:
            os.replace(part, target)
            return target
        why = check.stderr.strip() or "the archive has no codings table"
    else:
        why = done.stderr.strip()
    hint = "Only the project's owners can back it up (the others do not see every row). Nothing was changed."
    if "before-migration" in target.name:
        hint = ("This qcode must upgrade the server project's schema, after a backup that only its owners can "
                "take: ask an owner to open the project (or to run `qcode server init URL`) first. Nothing was changed.")
    raise ProjectError(f"The backup of {safe_url(url)} failed: {scrub(why)}", hint=hint)
