"""Commands: server init, server add-coder, server blind, server status, pull, push (a team on one PostgreSQL server)."""

from __future__ import annotations

from pathlib import Path

import click

from qcode.cli.common import cli, echo_json, project_option, say
from qcode.usecases import server as server_uc
from qcode.usecases.project import Project


@cli.group("server")
def server_group() -> None:
    """Set up and run a team project on a PostgreSQL server.

    The URL names the server and who connects (postgresql://USER@HOST:PORT/DB,
    or PGUSER); the password comes from ~/.pgpass, PGPASSFILE, a service file
    or PGPASSWORD. TLS is used when the server offers it (sslmode=prefer;
    add ?sslmode=verify-full to insist on a verified one).

    Example:

    \b
        qcode server init postgresql://admin@db.example.org/interviews
        qcode server add-coder amina --role coder --database postgresql://admin@db.example.org/interviews
    """


@server_group.command("init")
@click.argument("url")
@click.option("--roles", "prefix", help="Prefix of the group roles (default: the database name).")
@click.option(
    "--backups", "backup_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("qcode-backups"),
    show_default=True, help="Folder for the pg_dump taken before a schema migration.",
)
def init_cmd(url: str, prefix: str | None, backup_dir: Path) -> None:
    """Make the database at URL a qcode project: schema, migrations, roles.

    Run it as the database administrator (a role that may create roles and
    owns the database). It makes the group roles PREFIX_owner, PREFIX_coder
    and PREFIX_reader, lets only them connect, and turns on row-level
    security. Running it again migrates an older schema (after a pg_dump).

    Example:

    \b
        qcode server init postgresql://admin@db.example.org/interviews
    """
    report = server_uc.server_init(url, prefix=prefix, backup_dir=backup_dir)
    if report.backup:
        say(f"Backup before migrating: {report.backup}")
    for step in report.migrated:
        say(f"Schema: {step}")
    say(f"Group roles: {', '.join(report.groups)}.")
    say("Next: qcode server add-coder NAME --role owner|coder|reader " + "--database URL")


@server_group.command("add-coder")
@click.argument("name")
@click.option("--role", "kind", type=click.Choice(["owner", "coder", "reader"]), required=True, help="What NAME may do.")
@click.option("--database", "url", required=True, help="The project's server URL, connecting as an administrator.")
@click.option("--password", "ask_password", is_flag=True, help="Ask for a password for NAME (typed twice, not shown).")
def add_coder_cmd(name: str, kind: str, url: str, ask_password: bool) -> None:
    """Create the database login role NAME as an owner, coder or reader.

    NAME is also the coder's name in qcode: everything they code is theirs,
    and the server lets nobody else change it.

    Example:

    \b
        qcode server add-coder amina --role coder --database postgresql://admin@db/interviews --password
    """
    password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True) if ask_password else None
    created = server_uc.add_coder(url, name, kind, password=password)
    say(f"{'Created' if created else 'Updated'} role {name} as {kind}.")
    if not password and created:
        say("It has no password yet: give one with --password, or let the server authenticate it otherwise.")


@server_group.command("blind")
@click.argument("state", type=click.Choice(["on", "off"]))
@project_option
def blind_cmd(project: Project, state: str) -> None:
    """Blind coding: with `on`, coders see only their own codings until an owner says `off`.

    Example:

    \b
        qcode server blind on
    """
    server_uc.set_blind(project, state == "on")
    say("Blind coding is on: coders see only their own codings." if state == "on" else
               "Blind coding is off: everyone sees every coding.")


@server_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@project_option
def status_cmd(project: Project, as_json: bool) -> None:
    """Who you are on the team server, your role, TLS and blind coding.

    Example:

    \b
        qcode server status
    """
    info = server_uc.status(project)
    if as_json:
        echo_json(info)
        return
    for key, value in info.items():
        say(f"{key:>13}: {value}")


@cli.command("pull")
@click.argument("url", required=False)
@project_option
def pull_cmd(project: Project, url: str | None) -> None:
    """Bring the server project's work into this local project (nothing here is overwritten).

    URL is remembered in qcode.toml ([sync] server), so later pulls need none.

    Example:

    \b
        qcode pull postgresql://amina@db.example.org/interviews
    """
    from qcode.usecases import sync

    for line in sync.pull(project, url).lines():
        say(line)


@cli.command("push")
@click.argument("url", required=False)
@project_option
def push_cmd(project: Project, url: str | None) -> None:
    """Bring this local project's new work onto the server project (nothing there is overwritten).

    Example:

    \b
        qcode push
    """
    from qcode.usecases import sync

    for line in sync.push(project, url).lines():
        say(line)
