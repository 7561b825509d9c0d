"""Finding 14 of issue 14: messages name real commands; settings and JSON edge cases are clear errors;
nothing prints interview text when qcode itself fails."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import click
import pytest

from qcode.cli import cli
from qcode.core.errors import ImportFormatError, SettingsError
from qcode.usecases.settings import load_settings
from tests.helpers import run_cli as run

REPO = Path(__file__).resolve().parents[2]


def test_every_command_named_in_a_message_exists() -> None:
    named: set[tuple[str, ...]] = set()
    for path in (REPO / "qcode").rglob("*.py"):
        for m in re.finditer(r"`qcode ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)(?![a-z:-])", path.read_text(encoding="utf-8")):
            named.add(tuple(m.group(1).split()))
    assert ("backups",) in {n[:1] for n in named} and ("restore",) in {n[:1] for n in named}
    missing = []
    for words in sorted(named):
        cmd = cli.commands.get(words[0])
        if cmd is None:
            missing.append(" ".join(words))
        elif len(words) > 1 and isinstance(cmd, click.Group) and words[1] not in cmd.commands:
            missing.append(" ".join(words))
    assert not missing, f"messages name commands that do not exist: {missing}"


def _settings(tmp_path: Path, text: str | bytes) -> Path:
    f = tmp_path / "qcode.toml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    return tmp_path


def test_a_byte_order_mark_in_qcode_toml_is_accepted(tmp_path: Path) -> None:
    root = _settings(tmp_path, b'\xef\xbb\xbf[project]\nname = "Windows notepad"\n')
    assert load_settings(root).name == "Windows notepad"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_non_finite_numbers_are_refused_with_file_and_line(tmp_path: Path, value: str) -> None:
    root = _settings(tmp_path, f'[project]\nname = "x"\n\n[import]\nmax_mb = {value}\n')
    with pytest.raises(SettingsError, match=r"line 5: \[import\] max_mb must be a number"):
        load_settings(root)


def test_deeply_nested_toml_is_a_clear_error(tmp_path: Path) -> None:
    root = _settings(tmp_path, "[project]\nname = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(SettingsError, match="nested too deeply|wrong type"):
        load_settings(root)


def test_deeply_nested_json_in_a_codings_file_is_a_clear_error(project, tmp_path: Path) -> None:
    from qcode.usecases.exchange import import_codings

    f = tmp_path / "c.jsonl"
    f.write_text('{"transcript": "interview-01", "start": 0, "end": 4, "code": "pay"}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ImportFormatError, match="line 2: JSON nested too deeply"):
        import_codings(project, f)


def test_an_internal_error_shows_where_not_the_interview_text(project_dir: Path, capsys, monkeypatch, tmp_path) -> None:
    from qcode.usecases import coding, crash

    def broken(*a, **kw):
        raise ValueError("while handling 'Amina: my employer never paid me'")

    monkeypatch.setattr(coding, "apply_code", broken)
    monkeypatch.setattr(crash, "crash_dir", lambda: tmp_path / "crashes")
    monkeypatch.delenv("QCODE_DEBUG", raising=False)
    code, out, err = run(capsys, "-p", str(project_dir), "code", "interview-01", "0", "5", "pay")
    assert code == 70 and "internal error (ValueError at" in err and "never paid" not in out + err
    [report] = (tmp_path / "crashes").iterdir()
    assert stat.S_IMODE(report.stat().st_mode) == 0o600 and "never paid" in report.read_text()
    assert str(report) in err


def test_database_errors_never_quote_the_parameters(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from qcode.storage.engine import sqlite_engine

    engine = sqlite_engine(tmp_path / "x.sqlite")
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as err:
        conn.execute(sa.text("INSERT INTO nowhere VALUES (:t)"), {"t": "Amina: my employer never paid me"})
    engine.dispose()
    assert "never paid" not in str(err.value)


def test_codings_json_is_parsed_back_exactly(project, capsys, project_dir: Path) -> None:
    run(capsys, "-p", str(project_dir), "code", "interview-01", "0", "5", "pay", "--memo", "é \u2028 ok")
    _, out, _ = run(capsys, "-p", str(project_dir), "codings", "--json")
    assert json.loads(out)[0]["memo"] == "é \u2028 ok"


def test_a_cut_column_value_ends_with_an_ellipsis_and_a_short_one_is_padded():
    from qcode.cli.common import cell

    assert cell("demo-researcher", 12) == "demo-resear…" and len(cell("demo-researcher", 12)) == 12
    assert cell("lucia", 12) == "lucia       "
    assert cell("exactly-12ch", 12) == "exactly-12ch"
