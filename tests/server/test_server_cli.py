"""The team server from the command line: set-up, who connects, backups, TLS, and no secret ever shown or kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from qcode.storage import postgres
from qcode.usecases.project import Project
from tests.cli.test_cli import run
from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT, fresh_postgres_database
from tests.team import Team


def _lead_project(team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "cb.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (tmp_path / "i1.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    proj = str(tmp_path / "lead")
    code, out, err = run(capsys, "init", proj, "--codebook", str(tmp_path / "cb.yaml"), "--database", team.url("lead"))
    assert code == 0, err
    assert f"as {team.roles['lead']} (owner)" in out
    assert run(capsys, "-p", proj, "import", str(tmp_path / "i1.txt"))[0] == 0
    return proj


def test_server_init_add_coder_and_each_coder_codes_as_themselves(tmp_path: Path, capsys, monkeypatch) -> None:
    admin = fresh_postgres_database("cli")
    db = sa.make_url(admin).database
    code, out, err = run(capsys, "server", "init", admin, "--backups", str(tmp_path / "b"))
    assert code == 0, err
    assert f"{db}_owner, {db}_coder, {db}_reader" in out
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # roles outlive databases: start from none
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{db}_amina"')
    engine.dispose()
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cret-amina\ns3cret-amina\n"))
    code, out, err = run(capsys, "server", "add-coder", f"{db}_amina", "--role", "coder", "--database", admin, "--password")
    assert code == 0 and f"Created role {db}_amina as coder." in out
    assert "s3cret-amina" not in out + err
    u = sa.make_url(admin)
    (tmp_path / "pgpass").write_text(f"{u.host}:{u.port}:{db}:{db}_amina:s3cret-amina\n", encoding="utf-8")
    (tmp_path / "pgpass").chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    (tmp_path / "cb.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (tmp_path / "i1.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    proj = str(tmp_path / "amina")
    url = f"postgresql://{db}_amina@{u.host}:{u.port}/{db}"
    code, out, err = run(capsys, "init", proj, "--database", url, "--codebook", str(tmp_path / "cb.yaml"))
    assert code == 0, err
    code, out, err = run(capsys, "-p", proj, "import", str(tmp_path / "i1.txt"))  # a coder may not import
    assert code != 0 and "The server refused this change" in err and "permission denied for table transcripts" in err
    code, out, err = run(capsys, "-p", proj, "code", "i1", "0", "11", "pay")
    assert code == 2 and "Traceback" not in err  # nothing to code yet: the project is empty until an owner fills it
    assert "s3cret" not in (tmp_path / "amina" / "qcode.toml").read_text()


def test_a_coder_cannot_code_in_someone_elses_name(team_server: Team, tmp_path: Path, capsys) -> None:
    lead = _lead_project(team_server, tmp_path, capsys)
    assert run(capsys, "-p", lead, "code", "i1", "0", "11", "pay")[0] == 0  # makes the lead a known coder
    proj = str(tmp_path / "amina")
    assert run(capsys, "init", proj, "--database", team_server.url("amina"))[0] == 0
    code, out, err = run(capsys, "-p", proj, "code", "i1", "0", "11", "pay")
    assert code == 0 and f"by {team_server.roles['amina']}" in out
    code, out, err = run(capsys, "-p", proj, "code", "i1", "12", "20", "pay", "--coder", team_server.roles["lead"])
    assert code == 2 and "Not allowed" in err and "row-level security" in err
    with Project.open(Path(lead)) as p:
        assert sorted(c.coder for c in p.store.codings.list()) == sorted([team_server.roles["lead"], team_server.roles["amina"]])


def test_backup_with_pg_dump_by_an_owner_and_refused_to_a_coder(team_server: Team, tmp_path: Path, capsys) -> None:
    lead = _lead_project(team_server, tmp_path, capsys)
    code, out, err = run(capsys, "-p", lead, "backup")
    assert code == 0, err
    dump = Path(out.split(": ", 1)[1].strip())
    if not dump.is_absolute():
        dump = Path.cwd() / dump
    assert dump.parent == tmp_path / "lead" / ".qcode" / "backups" and dump.suffix == ".dump"
    listing = subprocess.run([postgres.tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=True)
    assert "TABLE DATA public transcripts" in listing.stdout and "POLICY public codings add_own" in listing.stdout
    proj = str(tmp_path / "rita")
    assert run(capsys, "init", proj, "--database", team_server.url("rita"))[0] == 0
    code, out, err = run(capsys, "-p", proj, "backup")
    assert code == 2 and "Only the project's owners can back it up" in err
    assert not list((tmp_path / "rita" / ".qcode" / "backups").glob("*.dump"))


def test_an_older_server_schema_is_dumped_before_it_is_migrated(team_server: Team, tmp_path: Path, capsys) -> None:
    from qcode.storage import SCHEMA_VERSION, migrations

    lead = _lead_project(team_server, tmp_path, capsys)
    admin = sa.create_engine(team_server.admin_url)
    with admin.begin() as conn:  # make it look like a project of the previous schema version
        for table in ("codes", "codebooks"):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN row_version")
        conn.exec_driver_sql("UPDATE qcode_meta SET value = '5' WHERE key = 'schema_version'")
    admin.dispose()
    with Project.open(Path(lead)) as p:
        assert p.store.migrated == [f"{v}: {migrations.MIGRATIONS[v][0]}" for v in range(6, SCHEMA_VERSION + 1)]
        assert p.store.schema_version() == SCHEMA_VERSION
        assert p.store.backup_path is not None and p.store.backup_path.name.endswith(f"before-migration-v5-to-v{SCHEMA_VERSION}.dump")
        assert p.codebook.ids  # data kept
    with Project.open(Path(lead)) as p:
        assert p.store.migrated == []
    # The new column belongs to the owner group, and the coders' grants still hold.
    proj = str(tmp_path / "amina")
    assert run(capsys, "init", proj, "--database", team_server.url("amina"))[0] == 0
    assert run(capsys, "-p", proj, "code", "i1", "0", "11", "pay")[0] == 0


def test_a_password_in_qcode_toml_is_refused_and_never_shown(tmp_path: Path, capsys) -> None:
    (tmp_path / "qcode.toml").write_text(
        '[project]\nname = "x"\ndatabase = "postgresql://amina:Hunter2-Secret@127.0.0.1:5432/study"\n', encoding="utf-8"
    )
    code, out, err = run(capsys, "-p", str(tmp_path), "transcripts")
    assert code == 2
    assert "qcode.toml, line 3: [project] database holds a password" in err and "~/.pgpass" in err
    assert "Hunter2-Secret" not in out + err and "postgresql://amina:***@127.0.0.1:5432/study" in err


def test_init_refuses_a_url_with_a_password_and_writes_nothing(tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "init", str(tmp_path / "p"), "--database", "postgresql://amina:Hunter2-Secret@127.0.0.1/study")
    assert code == 2 and "holds a password" in err and "PGPASSWORD" in err
    assert "Hunter2-Secret" not in out + err
    assert not (tmp_path / "p" / "qcode.toml").exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://{user}:Wrong-Pass-123@{host}:{port}/{db}",  # the server says no
        "postgresql://{user}:Wrong-Pass-123@{host}:notaport/{db}",  # the URL does not parse
        "postgresql://{user}:Wrong-Pass-123@{host}:1/{db}",  # nothing listens there
    ],
)
def test_error_messages_never_echo_a_password(team_server: Team, url: str, capsys) -> None:
    u = sa.make_url(team_server.admin_url)
    bad = url.format(user=team_server.roles["amina"], host=u.host, port=u.port, db=u.database)
    code, out, err = run(capsys, "server", "add-coder", "x_someone", "--role", "coder", "--database", bad)
    assert code == 2, err
    assert "Wrong-Pass-123" not in out + err and "Traceback" not in err


def test_tls_is_used_when_offered_and_sslmode_is_honoured(team_server: Team, tmp_path: Path, capsys) -> None:
    admin = sa.create_engine(team_server.admin_url)
    with admin.connect() as conn:
        offered = conn.exec_driver_sql("SHOW ssl").scalar() == "on"
    admin.dispose()
    if not offered:
        pytest.skip("the test server does not offer TLS (openssl was missing when .ci/postgres made it)")
    lead = _lead_project(team_server, tmp_path, capsys)
    code, out, err = run(capsys, "-p", lead, "server", "status", "--json")
    assert code == 0 and '"tls": "yes (TLS' in out
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "qcode.toml").write_text(
        f'[project]\ndatabase = "{team_server.url("lead")}?sslmode=disable"\n', encoding="utf-8"
    )
    code, out, err = run(capsys, "-p", str(tmp_path / "plain"), "server", "status", "--json")
    assert code == 0 and '"tls": "no"' in out


def test_a_service_file_names_the_server(team_server: Team, tmp_path: Path, capsys, monkeypatch) -> None:
    lead = _lead_project(team_server, tmp_path, capsys)
    (tmp_path / "services").write_text(
        f"[study]\nhost={team_server.host}\nport={team_server.port}\ndbname={team_server.database}\n"
        f"user={team_server.roles['lead']}\n", encoding="utf-8",
    )
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "services"))
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "qcode.toml").write_text('[project]\ndatabase = "postgresql:///?service=study"\n', encoding="utf-8")
    code, out, err = run(capsys, "-p", str(tmp_path / "svc"), "transcripts")
    assert code == 0 and "i1" in out, err
    del lead


def test_pguser_says_who_connects_when_the_url_names_nobody(team_server: Team, tmp_path: Path, capsys, monkeypatch) -> None:
    _lead_project(team_server, tmp_path, capsys)
    monkeypatch.setenv("PGUSER", team_server.roles["rita"])
    (tmp_path / "anon").mkdir()
    (tmp_path / "anon" / "qcode.toml").write_text(
        f'[project]\ndatabase = "postgresql://{team_server.host}:{team_server.port}/{team_server.database}"\n', encoding="utf-8"
    )
    code, out, err = run(capsys, "-p", str(tmp_path / "anon"), "server", "status", "--json")
    assert code == 0, err
    assert f'"user": "{team_server.roles["rita"]}"' in out and '"role": "reader"' in out


def test_a_new_roles_password_works_and_is_never_sent_in_clear(team_server: Team) -> None:
    import psycopg
    from sqlalchemy import event

    from qcode.usecases import server

    sent: list[str] = []

    def capture(conn, cursor, statement, params, context, executemany) -> None:
        sent.append(f"{statement} {params}")

    event.listen(sa.engine.Engine, "before_cursor_execute", capture)
    try:
        server.add_coder(team_server.admin_url, team_server.roles["bob"], "coder", password="Fresh-Pass-42")
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", capture)
    assert not [s for s in sent if "Fresh-Pass-42" in s]
    assert [s for s in sent if "PASSWORD 'SCRAM-SHA-256$" in s]
    with psycopg.connect(**{**team_server.conninfo("bob"), "password": "Fresh-Pass-42"}) as conn:
        assert conn.execute("SELECT session_user").fetchone()[0] == team_server.roles["bob"]


def test_only_an_owner_turns_blind_coding_on_and_off(team_server: Team, tmp_path: Path, capsys) -> None:
    lead = _lead_project(team_server, tmp_path, capsys)
    proj = str(tmp_path / "amina")
    assert run(capsys, "init", proj, "--database", team_server.url("amina"))[0] == 0
    code, out, err = run(capsys, "-p", proj, "server", "blind", "on")
    assert code == 2 and "Not allowed" in err
    code, out, err = run(capsys, "-p", lead, "server", "blind", "on")
    assert code == 0 and "Blind coding is on" in out
    code, out, err = run(capsys, "-p", proj, "server", "status", "--json")
    assert '"blind": true' in out and '"role": "coder"' in out
    assert run(capsys, "-p", lead, "server", "blind", "off")[0] == 0
    assert '"blind": false' in run(capsys, "-p", proj, "server", "status", "--json")[1]
