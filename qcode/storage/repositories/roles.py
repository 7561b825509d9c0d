"""A team server's roles: group roles, logins, row-level security and blind coding (PostgreSQL only).

The SQL lives in :mod:`qcode.storage.postgres`; this repository runs it in the
store's transactions, so use cases never hold a connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcode.storage.engine import TransactionManager

if TYPE_CHECKING:
    from qcode.storage.postgres import ServerInfo


class SqlRoles:
    def __init__(self, tx: TransactionManager) -> None:
        self._tx = tx

    def database(self) -> str:
        """The name of the database (the default role prefix is made from it)."""
        return self._tx.engine.url.database or ""

    def set_up(self, prefix: str, *, record_prefix: bool) -> None:
        """Create the group roles of *prefix*, hand the tables to the owner group, apply grants and policies.

        *record_prefix*: remember *prefix* in the database (its first set-up).
        """
        from qcode.storage import postgres

        with self._tx.write() as conn:
            postgres.create_groups(conn, prefix)
            postgres.hand_over(conn, prefix)
            if record_prefix:
                conn.exec_driver_sql("INSERT INTO qcode_meta (key, value) VALUES ('role_prefix', %(p)s)", {"p": prefix})
            postgres.before_migration(conn)  # act as the owner group, which owns the tables now
            postgres.apply_security(conn, prefix)

    def add_login(self, prefix: str, name: str, kind: str, password: str | None = None) -> bool:
        """Create login role *name* in group *kind* (or move it there); True when the role is new."""
        from qcode.storage import postgres

        with self._tx.write() as conn:
            return postgres.add_login_role(conn, prefix, name, kind, password)

    def set_blind(self, on: bool) -> None:
        from qcode.storage import postgres

        with self._tx.write() as conn:
            postgres.set_blind(conn, on)

    def connection(self) -> tuple[ServerInfo, str | None]:
        """Who this connection is, as what, and its TLS version (None without TLS)."""
        from qcode.storage import postgres

        with self._tx.read() as conn:
            info = postgres.server_info(conn)
            ssl = conn.exec_driver_sql("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first()
        return info, (str(ssl.version) if ssl and ssl.ssl else None)
