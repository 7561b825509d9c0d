"""The command line: exit codes, messages on stderr, no tracebacks for user errors."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from qcode.cli import cli
from tests.helpers import run_cli as run


def test_no_progress_bar_label_in_a_pipe_or_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "p")
    (tmp_path / "cb.yaml").write_text("title: t\ncodes:\n  - id: tired\n    keywords: [tired]\n", encoding="utf-8")
    assert run(capsys, "init", proj, "--codebook", str(tmp_path / "cb.yaml"))[0] == 0
    (tmp_path / "i2.txt").write_text("Interviewer: And now?\nBo: Fine.\n", encoding="utf-8")
    (tmp_path / "i3.txt").write_text("Interviewer: And you?\nCy: Tired.\n", encoding="utf-8")
    code, out, err = run(capsys, "-p", proj, "import", str(tmp_path / "i2.txt"), str(tmp_path / "i3.txt"))
    assert code == 0 and "2 imported" in out and "Importing" not in err
    code, out, err = run(capsys, "-p", proj, "suggest")
    assert code == 0 and "suggesting (" not in err and "Suggesting" not in err


def test_full_scripted_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cb.yaml").write_text("title: t\ncodes:\n  - id: pay\n  - id: instability\n", encoding="utf-8")
    (tmp_path / "i1.txt").write_text("Interviewer: How is it?\nAmina: Unstable and badly paid.\n", encoding="utf-8")
    proj = str(tmp_path / "p")
    assert run(capsys, "init", proj, "--codebook", str(tmp_path / "cb.yaml"))[0] == 0
    code, out, _ = run(capsys, "-p", proj, "import", str(tmp_path / "i1.txt"))
    assert code == 0 and "1 imported" in out
    code, out, _ = run(capsys, "transcripts", "--json", "--project", proj)
    [t] = json.loads(out)
    assert (t["name"], t["turns"], t["speakers"]) == ("i1", 2, ["Interviewer", "Amina"])
    code, out, _ = run(capsys, "-p", proj, "code", "i1", "12", "20", "instability", "--memo", "m")
    assert code == 0 and "'Unstable'" in out
    code, out, _ = run(capsys, "-p", proj, "codings", "--json", "--code", "instability")
    [c] = json.loads(out)
    assert (c["quote"], c["memo"], c["coder"]) == ("Unstable", "m", "tester")
    assert run(capsys, "-p", proj, "codings", "export", "-o", str(tmp_path / "c.jsonl"))[0] == 0
    assert json.loads((tmp_path / "c.jsonl").read_text())["quote"] == "Unstable"
    code, out, _ = run(capsys, "-p", proj, "recode", str(c["id"]), "pay")
    assert code == 0
    code, out, _ = run(capsys, "-p", proj, "uncode", str(c["id"]))
    assert code == 0
    code, out, _ = run(capsys, "-p", proj, "codings", "import", str(tmp_path / "c.jsonl"))
    assert code == 0 and "Imported 1 codings" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("code", "interview-01", "0", "99999", "pay"), "outside transcript"),
        (("code", "interview-01", "0", "5", "payy"), "Did you mean 'pay'?"),
        (("code", "interview-01", "200", "100", "pay"), "the end (100) is before the start (200)"),
        (("code", "interview-01", "0", "5", "Job instabilty"), "Did you mean 'instability' (Job instability)?"),
        (("codings", "--code", "Unrecognized work"), "Did you mean 'invisible-work' (Unrecognised work)?"),
        (("code", "nobody", "0", "5", "pay"), "No transcript 'nobody'"),
        (("uncode", "999"), "No coding with id 999"),
        (("codings", "--code", "zzz"), "Unknown code 'zzz'"),
    ],
)
def test_user_errors_exit_2_with_a_message_and_change_nothing(project_dir: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], fragment: str) -> None:
    before = (project_dir / ".qcode" / "project.sqlite").read_bytes()
    code, out, err = run(capsys, "-p", str(project_dir), *args)
    assert code == 2
    assert fragment in err and "Traceback" not in err and err.startswith("Error:")
    after = (project_dir / ".qcode" / "project.sqlite").read_bytes()
    assert before == after


def test_ambiguous_transcript_name(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project_dir / "other"
    other.mkdir()
    (other / "interview-01.txt").write_text("Someone: different content\n", encoding="utf-8")
    assert run(capsys, "-p", str(project_dir), "import", str(other / "interview-01.txt"))[0] == 0
    code, _, err = run(capsys, "-p", str(project_dir), "code", "interview-01.txt", "0", "3", "pay")
    assert code == 2 and "matches 2 transcripts" in err


def test_missing_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "-p", str(tmp_path / "nope"), "transcripts")
    assert code == 2 and "does not exist" in err


def test_corrupt_database(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = project_dir / ".qcode" / "project.sqlite"
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    db.write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "-p", str(project_dir), "transcripts")
    assert code == 2 and "not a SQLite database" in err and db.read_bytes() == b"garbage" * 1000


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, prefix + name + " "))
    return out


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=[n for n, _ in _commands(cli)])
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"`qcode {name}` has no help"
    assert "Example" in command.help, f"`qcode {name}` help has no example"


def test_init_says_which_coder_and_where_it_came_from(tmp_path) -> None:
    from click.testing import CliRunner

    from qcode.cli import cli

    r = CliRunner().invoke(cli, ["init", str(tmp_path / "s"), "--coder", "Amina K."])
    assert r.exit_code == 0, r.output
    assert "Coder: Amina K. (from --coder" in r.output
    r = CliRunner().invoke(cli, ["init", str(tmp_path / "t")])
    assert "Coder: tester (from QCODE_CODER" in r.output


def test_code_and_recode_accept_a_label_in_any_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qcode.usecases.project import Project

    (tmp_path / "cb.yaml").write_text(
        "language: [en, fr]\ncodes:\n  - id: job-instability\n"
        "    label: {en: Job instability, fr: Instabilité de l'emploi}\n  - id: pay\n    label: Pay\n", encoding="utf-8")
    (tmp_path / "i.txt").write_text("I: Comment ça va ?\nR: Pas de contrat, rien.\n", encoding="utf-8")
    Project.init(tmp_path / "p", codebook=tmp_path / "cb.yaml").close()
    proj = str(tmp_path / "p")
    assert run(capsys, "-p", proj, "import", str(tmp_path / "i.txt"))[0] == 0
    code, out, err = run(capsys, "-p", proj, "code", "i", "0", "5", "Instabilité de l'emploi")
    assert code == 0 and "job-instability on 0-5" in out, err
    code, out, err = run(capsys, "-p", proj, "code", "i", "0", "5", "instabilite de l’emploi", "--coder", "b")
    assert code == 0, err
    code, out, _ = run(capsys, "-p", proj, "recode", "1", "Pay")
    assert code == 0 and "is now 'pay'" in out


def test_report_where_with_an_unknown_value_is_an_error(project_dir: Path, capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    proj = str(project_dir)
    assert run(capsys, "-p", proj, "attributes", "set", "interview-01", "corpus=CFPP")[0] == 0
    assert run(capsys, "-p", proj, "code", "interview-01", "0", "5", "pay")[0] == 0
    out = tmp_path / "r.md"
    code, _, err = run(capsys, "-p", proj, "report", "-o", str(out), "--where", "corpus=CFP")
    assert code == 2 and "No value 'CFP' for attribute 'corpus' in this project. Did you mean 'CFPP'?" in err
    assert not out.exists()
    assert run(capsys, "-p", proj, "report", "-o", str(out), "--where", "corpus=cfpp")[0] == 0


def test_importing_a_codings_csv_as_a_transcript_says_which_command_takes_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "p")
    assert run(capsys, "init", proj)[0] == 0
    (tmp_path / "coded_segments.csv").write_text("transcript,start,end,code\ni1,0,5,pay\n", encoding="utf-8")
    before = (tmp_path / "p" / ".qcode" / "project.sqlite").read_bytes()
    code, _, err = run(capsys, "-p", proj, "import", str(tmp_path / "coded_segments.csv"))
    assert code == 2
    assert "cannot import '.csv' files as transcripts" in err
    assert "qcode codings import FILE" in err and "qcode attributes import FILE" in err
    assert err.count("coded_segments.csv") == 1  # the path once, not the path and then the name again
    assert (tmp_path / "p" / ".qcode" / "project.sqlite").read_bytes() == before


def test_import_says_when_no_speaker_was_recognised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proj = str(tmp_path / "p")
    assert run(capsys, "init", proj)[0] == 0
    (tmp_path / "notes.txt").write_text("A code system, not an interview.\n", encoding="utf-8")
    (tmp_path / "i1.txt").write_text("Interviewer: How is it?\nAmina: Unstable.\n", encoding="utf-8")
    code, out, _ = run(capsys, "-p", proj, "import", str(tmp_path / "notes.txt"), str(tmp_path / "i1.txt"))
    assert code == 0
    assert "6 words, 1 turn, speakers (none)" in out
    assert "no speaker turns recognised" in out and "--replace notes FILE --speaker-pattern" in out
    assert "4 words, 2 turns, speakers Interviewer, Amina" in out
    assert out.count("no speaker turns recognised") == 1
    code, out, _ = run(capsys, "-p", proj, "import", "--dry-run", str(tmp_path / "i1.txt"))
    assert "1 turn  " in out and "1 turns" not in out


def test_import_warns_when_the_text_is_not_in_the_language_it_gets(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """English interviews imported into a French project would be parsed as French, silently."""
    from tests.core.test_language import EN, FR

    proj = str(tmp_path / "p")
    assert run(capsys, "init", proj, "--language", "fr")[0] == 0
    (tmp_path / "en.txt").write_text(f"Dan: Tell me.\nParticipant: {EN}\n", encoding="utf-8")
    (tmp_path / "fr.txt").write_text(f"Enquêteur : Racontez.\nLucie : {FR}\n", encoding="utf-8")
    code, out, _ = run(capsys, "-p", proj, "import", "--dry-run", str(tmp_path / "en.txt"))
    assert "reads as English (en) but is imported as 'fr'" in out and "import with --language en" in out
    code, out, _ = run(capsys, "-p", proj, "import", "--json", str(tmp_path / "en.txt"), str(tmp_path / "fr.txt"))
    en, fr = json.loads(out)
    assert any("set it with `qcode attributes set en language=en`" in w for w in en["warnings"])
    assert fr["warnings"] == []
    (tmp_path / "en2.txt").write_text(f"Dan: Again.\nParticipant: {EN}\n", encoding="utf-8")
    code, out, _ = run(capsys, "-p", proj, "import", "--language", "en", str(tmp_path / "en2.txt"))
    assert code == 0 and "reads as" not in out


def test_init_here_says_this_folder_and_how_to_add_a_codebook(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`qcode init` in the current folder printed "in .." (the folder '.' and a full stop) and
    "qcode -p . import"."""
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert f"Created qcode project '{tmp_path.name}' in this folder." in out
    assert "Codebook: none yet; take one in with `qcode codebook use FILE`" in out
    assert "Next: qcode import FILES..." in out and "-p ." not in out
    code, out, _ = run(capsys, "init", "study")
    assert "in study." in out and "Next: qcode -p study import FILES..." in out


def test_init_says_an_outside_codebook_is_edited_in_place_and_copy_codebook_works_on_a_copy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared = tmp_path / "team" / "cb.yaml"
    shared.parent.mkdir()
    shared.write_text("codes:\n  - id: pay\n    label: Pay\n", encoding="utf-8")
    before = shared.read_bytes()
    code, out, _ = run(capsys, "init", str(tmp_path / "a"), "--codebook", str(shared))
    assert code == 0 and "outside the project folder: codes you add or change in qcode are written to that file" in out
    code, out, _ = run(capsys, "init", str(tmp_path / "b"), "--codebook", str(shared), "--copy-codebook")
    assert code == 0 and "outside the project folder" not in out and "path cb.yaml in qcode.toml" in out
    assert (tmp_path / "b" / "cb.yaml").read_bytes() == before
    code, out, err = run(capsys, "-p", str(tmp_path / "b"), "codebook", "add", "Night work", "--parent", "pay")
    assert code == 0, err
    assert shared.read_bytes() == before  # the team's file is untouched
    assert "night-work" in (tmp_path / "b" / "cb.yaml").read_text(encoding="utf-8")
    # A copy that would overwrite a file in the project folder is refused, and nothing is left behind.
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "cb.yaml").write_text("mine", encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path / "c"), "--codebook", str(shared), "--copy-codebook")
    assert code != 0 and "already exists" in err
    assert (tmp_path / "c" / "cb.yaml").read_text(encoding="utf-8") == "mine" and not (tmp_path / "c" / "qcode.toml").exists()


def test_transcripts_show_prints_each_turn_with_the_offsets_code_takes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qcode.usecases.project import Project

    (tmp_path / "i.txt").write_text("I: Comment ça va ?\nR: Pas de contrat, rien.\n\nI: Et la paie ?\n", encoding="utf-8")
    Project.init(tmp_path / "p", language="fr").close()
    proj = str(tmp_path / "p")
    assert run(capsys, "-p", proj, "import", str(tmp_path / "i.txt"))[0] == 0
    code, out, err = run(capsys, "-p", proj, "transcripts", "show", "i", "--json")
    assert code == 0, err
    data = json.loads(out)
    with Project.open(tmp_path / "p") as p:
        t = p.transcript("i")
    assert [(u["start"], u["end"], u["speaker"]) for u in data["turns"]] == [(u.start, u.end, u.speaker) for u in t.turns]
    assert [u["text"] for u in data["turns"]] == [t.text[u.start:u.end] for u in t.turns]
    second = t.turns[1]
    code, out, _ = run(capsys, "-p", proj, "transcripts", "show", "i", "--start", str(second.start + 4), "--end", str(second.start + 11))
    assert code == 0
    assert f"[{second.start}-{second.end}]  R" in out and "Comment" not in out  # only the turn around the span
    assert out.rstrip().endswith(t.text[second.start + 4:second.start + 11])  # then the span itself
    code, _, err = run(capsys, "-p", proj, "transcripts", "show", "i", "--start", "5", "--end", "99999")
    assert code == 2 and "outside 'i'" in err and f"0-{len(t.text)}" in err


def test_status_counts_what_the_project_holds_and_says_what_to_do_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qcode.usecases.project import Project

    (tmp_path / "cb.yaml").write_text("codes:\n  - id: pay\n    label: Pay\n  - id: old\n    label: Old\n    retired: true\n",
                                      encoding="utf-8")
    Project.init(tmp_path / "p", codebook=tmp_path / "cb.yaml").close()
    proj = str(tmp_path / "p")
    code, out, _ = run(capsys, "-p", proj, "status")
    assert code == 0 and "transcripts  0 (0 words" in out and "Next: import transcripts" in out
    (tmp_path / "i.txt").write_text("I: And the pay?\nR: Very low, per task.\n", encoding="utf-8")
    assert run(capsys, "-p", proj, "import", str(tmp_path / "i.txt"))[0] == 0
    assert run(capsys, "-p", proj, "code", "i", "0", "5", "pay")[0] == 0
    code, out, _ = run(capsys, "-p", proj, "status", "--json")
    data = json.loads(out)
    assert data["coder"] == "tester" and data["coder_from"] == "QCODE_CODER"  # the tests' environment sets it
    assert data["transcripts"] == 1 and data["codings"] == 1 and data["coders"] == {"tester": 1}
    assert data["codebook"]["codes"] == 1 and data["codebook"]["codes_used"] == 1  # the retired code is not counted
    assert data["suggestions"] == {"pending": 0, "accepted": 0, "rejected": 0}
    code, out, _ = run(capsys, "-p", proj, "status")
    assert "codings      1 by 1 coder(s): tester 1" in out and "Next: write a report" in out


@pytest.mark.parametrize("at", [0, 10, 150, 260, 295])
def test_the_suggestion_list_shows_the_part_of_a_long_passage_with_its_evidence(at: int) -> None:
    from qcode.cli.suggest_cmds import EXCERPT, excerpt

    words = [f"w{k:03d}" for k in range(60)]
    quote = " ".join(words)  # 299 characters, a word every 5
    word = quote[at:at + 4]
    shown = excerpt(quote, [at + 200, at])  # the first evidence in the passage is what must be in view
    assert word in shown and len(shown) <= EXCERPT
    body = shown.strip("…")
    assert body in quote and shown.startswith("…") == (not quote.startswith(body))
    assert shown.endswith("…") == (not quote.endswith(body))
    assert all(w in words for w in body.split())  # cut at word edges
    assert excerpt("Short one.\nTwo lines.", [3]) == "Short one. Two lines."


def test_accepting_a_span_over_several_turns_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qcode.cli.suggest_cmds import span_warnings
    from qcode.usecases.project import Project

    (tmp_path / "i.txt").write_text("I: And the pay?\nR: Very low, per task.\n", encoding="utf-8")
    Project.init(tmp_path / "p").close()
    assert run(capsys, "-p", str(tmp_path / "p"), "import", str(tmp_path / "i.txt"))[0] == 0
    with Project.open(tmp_path / "p") as p:
        t = p.transcript("i")
    a, b = t.turns
    assert span_warnings(t, a.start, a.end) == []
    [note] = span_warnings(t, a.start, b.end)
    assert "runs over 2 turns (I, R)" in note and f"--start {a.start} --end {b.end}" in note


def test_code_keeps_exact_offsets_but_notes_a_cut_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qcode.usecases.project import Project

    (tmp_path / "i.txt").write_text("I: And the pay?\nR: Very low, per task.\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text("codes:\n  - id: pay\n    label: Pay\n", encoding="utf-8")
    Project.init(tmp_path / "p", codebook=tmp_path / "cb.yaml").close()
    proj = str(tmp_path / "p")
    assert run(capsys, "-p", proj, "import", str(tmp_path / "i.txt"))[0] == 0
    with Project.open(tmp_path / "p") as p:
        t = p.transcript("i")
    a = t.text.index("Very low")
    code, out, err = run(capsys, "-p", proj, "code", "i", str(a + 1), str(a + 7), "pay")
    assert code == 0 and f"pay on {a + 1}-{a + 7}" in out  # kept as given
    assert f"the whole words are {a}-{a + 8}" in err
    code, out, err = run(capsys, "-p", proj, "code", "i", str(a), str(a + 8), "pay", "--coder", "bob")
    assert code == 0 and "cuts a word" not in err

