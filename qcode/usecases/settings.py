"""The project settings file, ``qcode.toml``.

A qcode project is a folder holding ``qcode.toml`` and a ``.qcode/`` folder
with the database (``project.sqlite``), backups and caches. Example::

    [project]
    name = "Data work in Europe"
    language = "fr"           # default transcript language
    coder = "amina"           # default coder name (QCODE_CODER overrides it)

    [codebook]
    path = "codebooks/data-work.yaml"

    [seed]                    # imported once, when the database is created
    transcripts = ["transcripts/"]
    attributes = ["transcripts/participants.csv"]
    codings = ["transcripts/demo-codings.jsonl"]
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qcode.core.errors import SettingsError, did_you_mean

SETTINGS_FILE = "qcode.toml"
MAX_SETTINGS_BYTES = 1024 * 1024
DATA_DIR = ".qcode"
DB_FILE = "project.sqlite"

_ALLOWED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "project": {"name": str, "language": str, "coder": str, "database": str, "demo": bool},
    "codebook": {"path": str},
    "seed": {"transcripts": list, "attributes": list, "codings": list},
    "suggest": {"pipeline": str, "min_score": (int, float), "processes": int, "per_unit": int, "keep_parses": (bool, str)},
    "import": {"max_mb": (int, float)},
    "report": {"template_memory_mb": (int, float)},
    "sync": {"server": str},
}


@dataclass
class Settings:
    name: str = "qcode project"
    """Shown in the app's title bar and on report title pages."""
    language: str = "en"
    """Default language of transcripts (ISO 639-1), used to pick a spaCy pipeline."""
    coder: str = ""
    """Default coder name; empty means the QCODE_CODER variable or the login name."""
    demo: bool = False
    """A demo project kept in git: qcode works on a copy in ``.qcode/demo/`` so the checkout stays clean."""
    database: str = ""
    """Empty for the SQLite file in .qcode/; a SQLAlchemy URL (postgresql://...) for a team server."""
    codebook: str = ""
    """Path of the YAML codebook, relative to the project folder."""
    seed_transcripts: list[str] = field(default_factory=list)
    seed_attributes: list[str] = field(default_factory=list)
    seed_codings: list[str] = field(default_factory=list)
    suggest: dict[str, object] = field(default_factory=dict)
    import_max_mb: float = 100.0
    """Largest transcript file accepted by `qcode import` (megabytes)."""
    template_memory_mb: float = 1024.0
    """Megabytes a user's report template may allocate while rendering (Linux; elsewhere only the time limit)."""
    sync_server: str = ""
    """The server project `qcode pull` / `qcode push` sync a local project with (a URL without password)."""


def load_settings(root: Path) -> Settings:
    """Read ``root/qcode.toml``; every problem names the file, line and key."""
    from qcode.formats.files import read_limited

    path = root / SETTINGS_FILE
    try:
        raw = read_limited(path, MAX_SETTINGS_BYTES)
        if len(raw) > MAX_SETTINGS_BYTES:
            raise SettingsError(f"{path} is larger than {MAX_SETTINGS_BYTES // 1024} KB; that is not a settings file.")
        raw_text = raw.decode("utf-8").removeprefix("\ufeff")  # Windows editors write a BOM
    except FileNotFoundError:
        raise SettingsError(
            f"{root} is not a qcode project (no {SETTINGS_FILE}).",
            hint=f"Run `qcode init {root}` to make it one, or pass --project DIR.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"Cannot read {path}: {exc}.", hint="Check the file's permissions and that it is UTF-8.") from exc
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}.", hint="Fix the TOML syntax at that line (strings need quotes).") from exc
    except (RecursionError, MemoryError):
        raise SettingsError(f"{path}: values nested too deeply to read.",
                            hint="qcode.toml holds a few sections of plain values; see README.md.") from None
    s = Settings()
    for section, values in data.items():
        if section not in _ALLOWED:
            raise SettingsError(
                f"{path}, line {_line_of(raw_text, f'[{section}')}: unknown section [{section}]."
                + did_you_mean(section, list(_ALLOWED)),
                hint=f"Known sections: {', '.join('[' + k + ']' for k in _ALLOWED)}.",
            )
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: '{section}' must be a [section], not a value.")
        for key, value in values.items():
            allowed = _ALLOWED[section]
            where = f"{path}, line {_line_of(raw_text, key)}"
            if key not in allowed:
                raise SettingsError(
                    f"{where}: unknown key '{key}' in [{section}]." + did_you_mean(key, list(allowed)),
                    hint=f"Known keys in [{section}]: {', '.join(allowed)}.",
                )
            if not isinstance(value, allowed[key]) or (isinstance(value, bool) and allowed[key] is not bool):
                raise SettingsError(
                    f"{where}: [{section}] {key} has the wrong type ({type(value).__name__}).",
                    hint="Lists are written [\"a\", \"b\"], text in quotes, numbers bare.",
                )
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                raise SettingsError(f"{where}: [{section}] {key} must be a list of paths in quotes.")
            if isinstance(value, float) and not math.isfinite(value):
                raise SettingsError(f"{where}: [{section}] {key} must be a number, not {value}.",
                                    hint="Write a plain number, for example 100.")
            if section == "seed" and isinstance(value, list):
                for rel in value:
                    _check_inside(root, rel, f"{where}: [seed] {key}")
    project = data.get("project", {})
    s.name = project.get("name", root.resolve().name)
    s.language = project.get("language", s.language)
    s.coder = project.get("coder", "")
    s.database = project.get("database", "")
    if s.database:
        check_database_url(s.database, f"{path}, line {_line_of(raw_text, 'database')}")
    s.sync_server = data.get("sync", {}).get("server", "")
    if s.sync_server:
        check_database_url(s.sync_server, f"{path}, line {_line_of(raw_text, 'server')}")
    s.demo = bool(project.get("demo", False))
    s.codebook = data.get("codebook", {}).get("path", "")
    seed = data.get("seed", {})
    s.seed_transcripts = list(seed.get("transcripts", []))
    s.seed_attributes = list(seed.get("attributes", []))
    s.seed_codings = list(seed.get("codings", []))
    s.suggest = dict(data.get("suggest", {}))
    s.import_max_mb = float(data.get("import", {}).get("max_mb", s.import_max_mb))
    s.template_memory_mb = float(data.get("report", {}).get("template_memory_mb", s.template_memory_mb))
    for section, key, value in (("import", "max_mb", s.import_max_mb), ("report", "template_memory_mb", s.template_memory_mb)):
        if value <= 0:
            raise SettingsError(
                f"{path}, line {_line_of(raw_text, key)}: [{section}] {key} must be above 0 (got {value:g}).",
                hint="Give a size in megabytes, for example 100.",
            )
    return s


def _check_inside(root: Path, rel: str, where: str) -> None:
    """[seed] files are imported without asking: they must be inside the project folder."""
    target = Path(rel)
    inside = not target.is_absolute() and Path(os.path.realpath(root / target)).is_relative_to(os.path.realpath(root))
    if not inside:
        raise SettingsError(
            f"{where}: '{rel}' is outside the project folder; [seed] files must be inside it.",
            hint="Copy the file into the project folder and give its path relative to qcode.toml.",
        )


def check_database_url(url: str, where: str) -> None:
    """A server URL in qcode.toml must parse and hold no password (qcode keeps no secret in the folder)."""
    from qcode.storage import postgres

    try:
        secret = postgres.has_password(url)
    except SettingsError as exc:
        raise SettingsError(f"{where}: [project] database: {exc.message}", hint=exc.hint) from None
    if secret:
        raise SettingsError(
            f"{where}: [project] database holds a password ({postgres.safe_url(url)}); qcode keeps no secret "
            "in the project folder, so it does not connect with it.",
            hint=NO_PASSWORD_HINT,
        )


NO_PASSWORD_HINT = (
    "Remove the password from the URL (postgresql://USER@HOST/DATABASE) and give it to PostgreSQL's own "
    "client library instead: a line HOST:PORT:DATABASE:USER:PASSWORD in ~/.pgpass (or the file PGPASSFILE "
    "names, mode 600), a service file (postgresql:///?service=NAME), or the PGPASSWORD variable."
)


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(needle)}", line):
            return i
    return 1


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_settings(root: Path, s: Settings) -> Path:
    """Write a fresh ``qcode.toml`` (used by ``qcode init``)."""
    lines = [
        "# qcode project settings. See README.md, section 'Project folder'.",
        "[project]",
        f"name = {_toml_str(s.name)}",
        f"language = {_toml_str(s.language)}",
    ]
    if s.coder:
        lines.append(f"coder = {_toml_str(s.coder)}")
    if s.database:
        check_database_url(s.database, "qcode init --database")
        lines.append(f"database = {_toml_str(s.database)}  # team server; credentials stay outside the folder")
    if s.codebook:
        lines += ["", "[codebook]", f"path = {_toml_str(s.codebook)}"]
    path = root / SETTINGS_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def remember_sync_server(root: Path, url: str) -> None:
    """Write ``[sync] server = URL`` into qcode.toml (replacing an older one), keeping the rest as it is."""
    update_setting(root, "sync", "server", url)


def update_setting(root: Path, section: str, key: str, value: str) -> bool:
    """Set ``[section] key = "value"`` in ``root/qcode.toml`` (atomic), keeping its comments and layout.

    Returns False (and writes nothing) when the file would not read back with that value.
    """
    import tomlkit

    from qcode.formats.atomic import atomic_write_text

    toml = root / SETTINGS_FILE
    doc = tomlkit.parse(toml.read_text(encoding="utf-8"))
    if doc.get(section, {}).get(key) == value:
        return True
    doc.setdefault(section, tomlkit.table())[key] = value
    new = tomlkit.dumps(doc)
    if tomllib.loads(new).get(section, {}).get(key) != value:
        return False
    atomic_write_text(toml, new)
    return True


def relative_to_project(root: Path, path: Path) -> str:
    """*path* as stored in qcode.toml: relative to the project folder (``../codebooks/x.yaml``
    too), so the folder can be moved or shared; absolute only across drives."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(root).resolve())).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def os_full_name() -> str:
    """The account's full name (the GECOS field on Unix), or "" when there is none."""
    try:
        import getpass
        import pwd

        login = getpass.getuser()
        full = pwd.getpwnam(login).pw_gecos.split(",", 1)[0].strip()
    except Exception:  # no pwd module (Windows), no entry in containers
        return ""
    return full if full and full.lower() != login.lower() else ""


def coder_and_source(s: Settings, given: str | None = None) -> tuple[str, str]:
    """The coder's name and where it came from, first found of: *given* (``--coder``),
    QCODE_CODER, ``[project] coder``, the account's full name, the login name."""
    if given and given.strip():
        return given.strip(), "--coder"
    env = os.environ.get("QCODE_CODER", "").strip()
    if env:
        return env, "QCODE_CODER"
    if s.coder:
        return s.coder, SETTINGS_FILE
    full = os_full_name()
    if full:
        return full, "your account's full name"
    try:
        import getpass

        return getpass.getuser() or "coder", "your login name"
    except Exception:  # no login name in some containers
        return "coder", "the default"


def default_coder(s: Settings) -> str:
    return coder_and_source(s)[0]
