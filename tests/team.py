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


CODER_SCRIPT = """
import json, sys, time
from pathlib import Path
from qcode.usecases import coding
from qcode.usecases.project import Project

folder, out, each, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5])
with Project.open(folder) as p, out.open("w") as log:
    p.transcript("i1")
    ready.touch()
    while not go.exists():  # start together
        time.sleep(0.005)
    for i in range(each):
        start, width = i % 100, 1 + i // 100
        c = coding.apply_code(p, "i1", start, start + width, "pay")
        log.write(json.dumps([c.id, c.guid, c.coder, start, start + width]) + "\\n")  # acknowledged
        log.flush()
"""


def run_coders(folders: list[Path], work: Path, each: int, env: dict[str, str]) -> tuple[float, list[list]]:
    """Start one coder process per project folder, let them code *each* passages at once.

    Returns the seconds from the start signal to the last process's end, and
    every acknowledged coding as [id, guid, coder, start, end].
    """
    import json
    import subprocess
    import sys
    import time

    work.mkdir(parents=True, exist_ok=True)
    go = work / "go"
    go.unlink(missing_ok=True)
    procs = []
    for i, folder in enumerate(folders):
        (work / f"ready{i}").unlink(missing_ok=True)
        procs.append(subprocess.Popen(
            [sys.executable, "-c", CODER_SCRIPT, str(folder), str(work / f"c{i}.log"), str(each),
             str(work / f"ready{i}"), str(go)],
            env=env, stderr=subprocess.PIPE, text=True,
        ))
    while not all((work / f"ready{i}").exists() for i in range(len(folders))):
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    t0 = time.perf_counter()
    go.touch()
    errors = [p.communicate(timeout=900)[1] for p in procs]
    elapsed = time.perf_counter() - t0
    if any(p.returncode for p in procs):
        raise RuntimeError("a coder process failed:\n" + "\n".join(errors))
    rows = []
    for i in range(len(folders)):
        rows += [json.loads(line) for line in (work / f"c{i}.log").read_text().splitlines()]
    return elapsed, rows


def lead_project(team: Team, work: Path, text_times: int = 1) -> Path:
    """The lead's project folder work/lead on the server: the small codebook and transcript i1 imported."""
    from qcode.usecases import importing
    from qcode.usecases.project import Project
    from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT

    (work / "cb.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (work / "i1.txt").write_text(SMALL_TRANSCRIPT * text_times, encoding="utf-8")
    with Project.init(work / "lead", codebook=work / "cb.yaml", database=team.url("lead")) as p:
        assert not importing.import_paths(p, [work / "i1.txt"]).failed
    return work / "lead"
