"""Finding 2 of issue 14: the CLI never writes terminal escape sequences from data; --json stays exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli as run

TITLE = "\x1b]0;pwned\x07"
CLIP = "\x1b]52;c;ZWNobyBoaQ==\x07"
NASTY = f"Amina: fine {TITLE} then {CLIP} and \x9b2J and \u202eevil\n"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


@pytest.fixture
def nasty_project(project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    f = project_dir / "nasty\x1b[2J.txt"
    f.write_text(NASTY, encoding="utf-8")
    assert run(capsys, "-p", str(project_dir), "import", str(f))[0] == 0
    monkeypatch.setenv("QCODE_CODER", "bob\x1b]0;x\x07")
    code, _, err = run(capsys, "-p", str(project_dir), "code", "nasty-2j", "0", "40", "pay", "--memo", f"memo {CLIP}")
    assert code == 0, err
    # A label planted in the database by an older qcode (today's codebook loader refuses it, finding 6).
    from qcode.usecases.project import Project

    with Project.open(project_dir) as p:
        code_ = p.codebook.get("pay")
        import dataclasses

        p.store.codes.upsert([dataclasses.replace(code_, label={"": f"Pay {CLIP}"})], start_position=1)
    return project_dir


@pytest.mark.parametrize("args", [
    ["codings"], ["codebook", "show"], ["stats", "frequencies"],
    ["code", "nasty-2j", "0", "40", "pay"],  # an error naming the coder
    ["codings", "--code", "pay\x1b[31m"],  # an error quoting the argument
])
def test_commands_show_escape_sequences_as_visible_text(nasty_project: Path, capsys, args: list[str]) -> None:
    code, out, err = run(capsys, "-p", str(nasty_project), *args)
    for raw in RAW:
        assert raw not in out and raw not in err, (args, raw)
    assert "\\x1b" in out + err or "\\x9b" in out + err or "<U+202E>" in out + err


def test_codings_list_shows_the_quote_with_visible_placeholders(nasty_project: Path, capsys) -> None:
    _, out, _ = run(capsys, "-p", str(nasty_project), "codings")
    assert "\\x1b]0;pwned\\x07" in out


def test_json_output_is_exact_data_but_escaped(nasty_project: Path, capsys) -> None:
    _, out, _ = run(capsys, "-p", str(nasty_project), "codings", "--json", "--transcript", "nasty-2j")
    for raw in RAW:
        assert raw not in out
    [c] = json.loads(out)
    assert c["coder"] == "bob\x1b]0;x\x07" and c["memo"] == f"memo {CLIP}"
    assert c["quote"] == NASTY[:40]
    _, out, _ = run(capsys, "-p", str(nasty_project), "codebook", "show", "--json")
    assert "\x1b" not in out and any(r["label"] == f"Pay {CLIP}" for r in json.loads(out)["codes"])
