"""Project folders and their settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcode.core.errors import ProjectError, SettingsError
from qcode.usecases.project import Project
from qcode.usecases.settings import load_settings


def test_init_creates_settings_and_database(tmp_path: Path) -> None:
    with Project.init(tmp_path / "study", language="fr") as p:
        assert p.settings.language == "fr" and p.settings.name == "study"
    assert (tmp_path / "study" / "qcode.toml").is_file()
    assert (tmp_path / "study" / ".qcode" / "project.sqlite").is_file()


def test_init_twice_is_refused(tmp_path: Path) -> None:
    Project.init(tmp_path).close()
    with pytest.raises(ProjectError, match="already a qcode project"):
        Project.init(tmp_path)


def test_open_finds_the_project_from_a_subfolder(project_dir: Path) -> None:
    sub = project_dir / "notes" / "deep"
    sub.mkdir(parents=True)
    with Project.open(_find(sub)) as p:
        assert p.root == project_dir


def _find(start: Path) -> Path:
    from qcode.usecases.project import find_root

    return find_root(start)


def test_no_project_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as err:
        Project.open()
    assert "qcode init" in err.value.hint


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[project\nname = "x"', "qcode.toml"),
        ('[project]\nnmae = "x"\n', "line 2: unknown key 'nmae' in [project]. Did you mean 'name'?"),
        ('[projct]\nname = "x"\n', "line 1: unknown section [projct]. Did you mean 'project'?"),
        ("[project]\nlanguage = 3\n", "line 2: [project] language has the wrong type"),
        ('[seed]\ntranscripts = "transcripts/"\n', "[seed] transcripts has the wrong type"),
        ("[project]\n\n[report]\ntemplate_memory_mb = 0\n", "line 4: [report] template_memory_mb must be above 0"),
        ("[import]\nmax_mb = -5\n", "line 2: [import] max_mb must be above 0 (got -5)"),
    ],
)
def test_settings_errors_name_file_line_and_key(tmp_path: Path, toml: str, fragment: str) -> None:
    (tmp_path / "qcode.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(tmp_path)
    assert fragment in err.value.message


def test_report_memory_limit_setting(tmp_path: Path) -> None:
    (tmp_path / "qcode.toml").write_text("[report]\ntemplate_memory_mb = 256\n", encoding="utf-8")
    assert load_settings(tmp_path).template_memory_mb == 256.0
    (tmp_path / "qcode.toml").write_text("[project]\n", encoding="utf-8")
    assert load_settings(tmp_path).template_memory_mb == 1024.0


def test_bad_settings_leave_no_database(tmp_path: Path) -> None:
    (tmp_path / "qcode.toml").write_text('[project]\nnmae = "x"\n', encoding="utf-8")
    with pytest.raises(SettingsError):
        Project.open(tmp_path)
    assert not (tmp_path / ".qcode" / "project.sqlite").exists()


def test_failed_seed_leaves_no_half_made_database(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("A: hello\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "qcode.toml").write_text('[seed]\ntranscripts = ["t.txt", "bad.txt"]\n', encoding="utf-8")
    with pytest.raises(Exception, match="seed"):
        Project.open(tmp_path)
    assert not (tmp_path / ".qcode" / "project.sqlite").exists()


def test_seed_imports_transcripts_attributes_and_codings_once(tmp_path: Path) -> None:
    (tmp_path / "cb.yaml").write_text("title: t\ncodes:\n  - id: pay\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("A: hello there\nB: pay me\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("participant,country\nP1,FR\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"transcript": "t", "start": 0, "end": 5, "code": "pay", "quote": "hello"}\n', encoding="utf-8")
    (tmp_path / "qcode.toml").write_text(
        '[codebook]\npath = "cb.yaml"\n[seed]\ntranscripts = ["t.txt"]\nattributes = ["people.csv"]\ncodings = ["c.jsonl"]\n',
        encoding="utf-8",
    )
    with Project.open(tmp_path) as p:
        assert p.seed_report is not None and (p.seed_report.transcripts, p.seed_report.codings) == (1, 1)
        assert p.store.participants.list()[0].attributes == {"country": "FR"}
    with Project.open(tmp_path) as p:
        assert p.seed_report is None
        assert len(p.store.codings.list()) == 1


def test_a_database_that_exists_but_was_never_seeded_is_seeded_once(tmp_path: Path) -> None:
    """Team servers: the database exists before the project folder first opens it."""
    from qcode.storage import Store

    (tmp_path / "cb.yaml").write_text("title: t\ncodes:\n  - id: pay\n", encoding="utf-8")
    (tmp_path / "qcode.toml").write_text('[codebook]\npath = "cb.yaml"\n', encoding="utf-8")
    Store.open_sqlite(tmp_path / ".qcode" / "project.sqlite", create=True).close()  # empty, like a new server
    with Project.open(tmp_path) as p:
        assert p.codebook.ids == ["pay"]
        assert p.store.meta.get("seeded") == "yes"


def test_a_project_on_a_postgresql_server_works_like_a_local_one(tmp_path: Path, postgres_url: str) -> None:
    from qcode.usecases import coding, exchange, importing

    (tmp_path / "cb.yaml").write_text("title: t\ncodes:\n  - id: pay\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("A: hello there\nB: pay me per task\n", encoding="utf-8")
    (tmp_path / "qcode.toml").write_text(
        f'[project]\ndatabase = "{postgres_url}"\n[codebook]\npath = "cb.yaml"\n', encoding="utf-8"
    )
    with Project.open(tmp_path) as p:
        assert not importing.import_paths(p, [tmp_path / "t.txt"]).failed
        text = p.transcript("t").text
        c = coding.apply_code(p, "t", text.index("pay me"), text.index("pay me") + 6, "pay")
        exchange.export_codings(p, tmp_path / "c.jsonl")
    assert not (tmp_path / ".qcode" / "project.sqlite").exists()  # nothing local
    with Project.open(tmp_path) as p:  # a colleague opening the same server project
        [back] = p.store.codings.list()
        assert (back.id, back.quote, back.coder) == (c.id, "pay me", "tester")


def test_init_stores_the_codebook_relative_to_the_project_even_outside_it(tmp_path: Path) -> None:
    (tmp_path / "codebooks").mkdir()
    (tmp_path / "codebooks" / "cb.yaml").write_text("codes:\n  - id: a\n", encoding="utf-8")
    with Project.init(tmp_path / "study", codebook=tmp_path / "codebooks" / "cb.yaml") as p:
        assert p.settings.codebook == "../codebooks/cb.yaml"
    assert 'path = "../codebooks/cb.yaml"' in (tmp_path / "study" / "qcode.toml").read_text(encoding="utf-8")
    moved = tmp_path / "moved"
    moved.mkdir()
    (tmp_path / "study").rename(moved / "study")
    (tmp_path / "codebooks").rename(moved / "codebooks")
    with Project.open(moved / "study") as p:
        assert p.path(p.settings.codebook).is_file()


def test_init_coder_from_option_environment_or_full_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qcode.usecases import settings

    with Project.init(tmp_path / "a", coder="Amina K.") as p:
        assert p.settings.coder == "Amina K."
    assert 'coder = "Amina K."' in (tmp_path / "a" / "qcode.toml").read_text(encoding="utf-8")
    with Project.init(tmp_path / "b") as p:  # QCODE_CODER=tester (tests/conftest.py)
        assert p.settings.coder == "tester"
    monkeypatch.delenv("QCODE_CODER")
    monkeypatch.setattr(settings, "os_full_name", lambda: "Jo Lee")
    with Project.init(tmp_path / "c") as p:
        assert (p.settings.coder, p.coder) == ("Jo Lee", "Jo Lee")
    monkeypatch.setattr(settings, "os_full_name", lambda: "")
    with Project.init(tmp_path / "d") as p:  # only a login name: not written, the app asks
        assert p.settings.coder == ""
    assert "coder" not in (tmp_path / "d" / "qcode.toml").read_text(encoding="utf-8")
