"""A team on the test PostgreSQL server: one database, four login roles (see the team_server fixture)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

KINDS = {"lead": "owner", "amina": "coder", "bob": "coder", "rita": "reader"}


@dataclass
class Team:
    admin_url: str
    """The administrator's URL (with the test password: never written into a project)."""
    database: str
    host: str
    port: int
    passfile: Path
    roles: dict[str, str] = field(default_factory=dict)
    """short name (lead, amina, bob, rita) -> login role name (unique to this database)."""
    passwords: dict[str, str] = field(default_factory=dict)

    def url(self, who: str) -> str:
        """The project URL for *who*, without password (it is in the PGPASSFILE)."""
        return f"postgresql://{self.roles[who]}@{self.host}:{self.port}/{self.database}"

    def conninfo(self, who: str) -> dict[str, object]:
        """psycopg.connect() arguments for raw SQL as *who*."""
        return {"host": self.host, "port": self.port, "dbname": self.database, "user": self.roles[who],
                "password": self.passwords[who]}


def make_team(admin_url: str, passfile: Path, who: dict[str, str] = KINDS) -> Team:
    from qcode.usecases import server

    u = sa.make_url(admin_url)
    server.server_init(admin_url, backup_dir=passfile.parent / "server-backups")
    team = Team(admin_url, u.database or "", u.host or "127.0.0.1", int(u.port or 5432), passfile)
    lines = []
    for short, kind in who.items():
        role = f"{team.database}_{short}"[:63]
        pw = secrets.token_hex(8)
        server.add_coder(admin_url, role, kind, password=pw)
        team.roles[short], team.passwords[short] = role, pw
        lines.append(f"{team.host}:{team.port}:{team.database}:{role}:{pw}")
    passfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    passfile.chmod(0o600)
    return team
