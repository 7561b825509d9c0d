"""The `qcode codebook` commands, run through click's test runner and `main()`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qcode.cli import cli

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "codebooks" / "data-work.yaml"


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is not None:
        args = ("-p", str(cwd), *args)
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_check_valid_and_invalid(tmp_path: Path) -> None:
    r = run("codebook", "check", str(DEMO))
    assert r.exit_code == 0 and "valid (17 codes, 10 top-level)" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes:\n  - id: a\n    lable: A\n  - id: a\n", encoding="utf-8")
    r = run("codebook", "check", str(bad))
    assert r.exit_code == 2
    assert f"{bad}:3:5: codes[0].lable: unknown key 'lable'. Did you mean 'label'?" in r.output
    assert f"{bad}:4:9: codes[1].id: duplicate code id 'a'" in r.output
    r = run("codebook", "check", "--json", str(bad))
    data = json.loads(r.output)
    assert r.exit_code == 2 and [(p["line"], p["column"]) for p in data["problems"]] == [(3, 5), (4, 9)]


def test_check_exit_status_through_main(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes: [{id: no}]\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qcode", "codebook", "check", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and "a boolean (false)" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "qcode", "codebook", "check", str(DEMO)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_show_use_add_move_merge(project_dir: Path) -> None:
    r = run("codebook", "show", cwd=project_dir)
    assert r.exit_code == 0 and "  piece-rates: Piece rates  [0]" in r.output
    r = run("codebook", "add", "Night work", "--parent", "instability", cwd=project_dir)
    assert "Added 'night-work' under 'instability'." in r.output
    r = run("codebook", "move-code", "piece-rates", "--top", cwd=project_dir)
    assert "Moved 'piece-rates' to the top level." in r.output
    r = run("codebook", "merge-codes", "night-work", "instability", cwd=project_dir)
    assert "0 codings moved" in r.output
    data = json.loads(run("codebook", "show", "--json", cwd=project_dir).output)
    assert [c["id"] for c in data["codes"]] == ["instability", "pay", "invisible-work", "piece-rates"]
    new = project_dir / "v2.yaml"
    new.write_text("codes:\n  - id: pay\n    label: Pay\n", encoding="utf-8")
    r = run("codebook", "use", str(new), "--dry-run", cwd=project_dir)
    assert "Would change: 3 removed" in r.output
    assert run("codebook", "show", "--json", cwd=project_dir).output == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    r = run("codebook", "use", str(new), cwd=project_dir)
    assert "Changed: 3 removed" in r.output


def test_move_code_needs_a_target(project_dir: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "qcode", "-p", str(project_dir), "codebook", "move-code", "pay"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Give either --parent CODE or --top." in proc.stderr


def test_diff_text_and_json(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    old.write_text("codes:\n  - id: a\n    label: A\n  - id: b\n", encoding="utf-8")
    new.write_text("codes:\n  - id: a\n    label: Alpha\n  - id: c\n", encoding="utf-8")
    r = run("codebook", "diff", str(old), str(new))
    assert r.output.splitlines() == [
        "~ a: relabelled {*: 'A'} -> {*: 'Alpha'}", "+ c: added (c)", "- b: removed (b)",
        "1 relabelled, 1 added, 1 removed"]
    data = json.loads(run("codebook", "diff", "--json", str(old), str(new)).output)
    assert [(c["kind"], c["code"]) for c in data["changes"]] == [("relabelled", "a"), ("added", "c"), ("removed", "b")]


def test_merge_exit_codes(tmp_path: Path) -> None:
    base = "codes:\n  - id: a\n    definition: base\n"
    for name, text in (("base", base), ("ours", base.replace("base", "ours")), ("theirs", base.replace("base", "theirs")),
                       ("other", base + "  - id: b\n")):
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    r = run("codebook", "merge", str(tmp_path / "base.yaml"), str(tmp_path / "ours.yaml"),
            str(tmp_path / "other.yaml"), "-o", str(tmp_path / "out.yaml"))
    assert r.exit_code == 0 and "merged cleanly (2 codes)" in r.output
    r = run("codebook", "merge", str(tmp_path / "base.yaml"), str(tmp_path / "ours.yaml"),
            str(tmp_path / "theirs.yaml"), "-o", str(tmp_path / "ours.yaml"))
    assert r.exit_code == 1
    assert "CONFLICT code 'a': 'definition' changed on both sides" in r.output
    assert "<<<<<<< ours" in (tmp_path / "ours.yaml").read_text(encoding="utf-8")


def test_git_merge_driver(tmp_path: Path) -> None:
    git = pytest.importorskip("shutil").which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()

    def g(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, *args], cwd=repo, capture_output=True, text=True, check=False)

    g("init", "-q", "-b", "main")
    g("config", "user.email", "t@example.org")
    g("config", "user.name", "t")
    g("config", "merge.qcode-codebook.driver", f"{sys.executable} -m qcode codebook merge %O %A %B -o %A")
    (repo / ".gitattributes").write_text("*.yaml merge=qcode-codebook\n", encoding="utf-8")
    cb = repo / "cb.yaml"
    cb.write_text("# team codebook\ncodes:\n  - id: a\n    label: A\n  - id: b\n    label: B\n", encoding="utf-8")
    g("add", ".")
    g("commit", "-qm", "base")
    g("checkout", "-qb", "theirs")
    cb.write_text(cb.read_text().replace("label: B", "label: Bee"), encoding="utf-8")
    g("commit", "-qam", "relabel b")
    g("checkout", "-q", "main")
    cb.write_text(cb.read_text() + "  - id: c\n    label: C\n", encoding="utf-8")
    g("commit", "-qam", "add c")
    merge = g("merge", "-q", "--no-edit", "theirs")
    assert merge.returncode == 0, merge.stdout + merge.stderr
    assert cb.read_text() == "# team codebook\ncodes:\n  - id: a\n    label: A\n  - id: b\n    label: Bee\n  - id: c\n    label: C\n"


def test_export_and_import_round_trip(tmp_path: Path) -> None:
    for fmt in ("qdc", "csv", "xlsx", "md", "docx"):
        out = tmp_path / f"cb.{fmt}"
        r = run("codebook", "export", "--file", str(DEMO), "-o", str(out))
        assert r.exit_code == 0 and out.stat().st_size > 0, fmt
    r = run("codebook", "import", str(tmp_path / "cb.qdc"), "-o", str(tmp_path / "back.yaml"))
    assert r.exit_code == 0
    assert run("codebook", "check", str(tmp_path / "back.yaml")).exit_code == 0
    from qcode.formats.codebook_yaml import load_codebook

    assert load_codebook(tmp_path / "back.yaml")[0].codes == load_codebook(DEMO)[0].codes
    r = run("codebook", "import", str(tmp_path / "cb.csv"), "-o", str(tmp_path / "csv.yaml"))
    assert r.exit_code == 0 and run("codebook", "check", str(tmp_path / "csv.yaml")).exit_code == 0


def _members(data: bytes) -> dict[str, bytes]:
    """The members of a zip (docx, xlsx) but the creation time openpyxl stamps in docProps/core.xml."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_every_export_format_writes_what_its_format_module_makes(tmp_path: Path) -> None:
    from qcode.formats import codebook_tables, qdc
    from qcode.formats.codebook_yaml import load_codebook

    cb = load_codebook(DEMO)[0]
    expected = {
        "qdc": qdc.export_qdc(cb), "csv": codebook_tables.export_csv(cb, "fr").encode(),
        "md": codebook_tables.export_markdown(cb, "fr").encode(), "xlsx": codebook_tables.export_xlsx(cb, "fr"),
        "docx": codebook_tables.export_docx(cb, "fr"),
    }
    for fmt, want in expected.items():
        out = tmp_path / f"cb-{fmt}.bin"
        r = run("codebook", "export", "--file", str(DEMO), "--format", fmt, "--lang", "fr", "-o", str(out))
        assert (r.exit_code, r.output) == (0, f"Wrote {out}.\n"), fmt
        got = out.read_bytes()
        if fmt in ("xlsx", "docx"):
            assert _members(got) == _members(want), fmt
        else:
            assert got.replace(b"\r\n", b"\n") == want.replace(b"\r\n", b"\n"), fmt


def test_unknown_codebook_formats_are_clear_errors(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "qcode", "codebook", "export", "--file", str(DEMO), "-o",
                           str(tmp_path / "cb.txt")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Unknown export format 'txt'.\nUse --format with one of: qdc, csv, xlsx, md, docx." in proc.stderr
    assert not (tmp_path / "cb.txt").exists()
    (tmp_path / "codes.md").write_text("# codes\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qcode", "codebook", "import", str(tmp_path / "codes.md"),
                           "-o", str(tmp_path / "out.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Cannot import a codebook from 'codes.md'.\nUse a .qdc, .qdpx, .qde, .csv or .xlsx file." in proc.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_import_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "codes.csv").write_text("code path\nA\n", encoding="utf-8")
    (tmp_path / "out.yaml").write_text("keep", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "qcode", "codebook", "import", str(tmp_path / "codes.csv"),
                           "-o", str(tmp_path / "out.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert (tmp_path / "out.yaml").read_text() == "keep"


def test_export_project_codebook(project_dir: Path) -> None:
    r = run("codebook", "export", "-o", str(project_dir / "cb.md"), cwd=project_dir)
    assert r.exit_code == 0, r.output
    assert "## Pay (`pay`)" in (project_dir / "cb.md").read_text(encoding="utf-8")


def test_edited_invalid_and_missing_codebook_files_are_said_on_every_command(project_dir: Path) -> None:
    cb = project_dir / "codebook.yaml"
    original = cb.read_text(encoding="utf-8")
    r = run("codebook", "show", cwd=project_dir)
    assert r.exit_code == 0 and "codebook file" not in r.stderr
    cb.write_text(original.replace("label: Job instability", "label: Precarity"), encoding="utf-8")
    r = run("codebook", "show", cwd=project_dir)
    assert r.exit_code == 0 and "Job instability" in r.stdout  # the stored version is still the one used
    assert "The codebook file codebook.yaml was edited (1 relabelled" in r.stderr
    assert "`qcode codebook use codebook.yaml`" in r.stderr
    r = run("codebook", "use", str(cb), cwd=project_dir)
    assert "was edited" not in r.stderr
    r = run("codebook", "show", cwd=project_dir)
    assert "Precarity" in r.stdout and r.stderr == ""
    cb.write_text(original.replace("  - id: pay\n", "  - id: pay\n    lable: x\n"), encoding="utf-8")
    r = run("transcripts", cwd=project_dir)
    assert r.exit_code == 0
    assert "The codebook file codebook.yaml has 1 problem" in r.stderr and "unknown key 'lable'" in r.stderr
    cb.unlink()
    r = run("transcripts", cwd=project_dir)
    assert "The codebook file codebook.yaml named in qcode.toml ([codebook] path) does not exist" in r.stderr
