"""Snapshot tests of the main screens at fixed sizes (pytest-textual-snapshot).

Each test's docstring says what the image must show; review the SVG report
before accepting a change with ``--snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SMALL_CODEBOOK, SMALL_TRANSCRIPT
from tests.helpers import raw_connection


@pytest.fixture
def snap_project(tmp_path: Path) -> Path:
    """A project with a fixed name (the window title must not depend on tmp paths)."""
    from qcode.usecases import importing
    from qcode.usecases.coding import apply_code
    from qcode.usecases.project import Project

    root = tmp_path / "study"
    root.mkdir()
    (root / "codebook.yaml").write_text(SMALL_CODEBOOK, encoding="utf-8")
    (root / "interview-01.txt").write_text(SMALL_TRANSCRIPT, encoding="utf-8")
    with Project.init(root, codebook=root / "codebook.yaml", language="en", name="Snapshot study") as p:
        importing.import_paths(p, [root / "interview-01.txt"])
        t = p.transcript("interview-01")
        i = t.text.index("Piece rates, very low.")
        apply_code(p, t.id, i, i + len("Piece rates, very low."), "piece-rates")
        j = t.text.index("very low. You are paid per task")
        apply_code(p, t.id, j, j + len("very low. You are paid per task"), "pay")
    return root


def _app(root: Path, transcript: str | None = None):
    from qcode.tui.app import make_app

    return make_app(root, transcript=transcript)


def test_project_screen_80x24(snap_compare, snap_project: Path) -> None:
    """The transcript list at 80x24: one row 'interview-01' with 38 words, the
    speakers Interviewer and Amina and a coded share for me; the status line
    says '1 of 1 transcripts'; the footer shows i Import, f Filter, o Sort, x Remove, ? Help."""
    assert snap_compare(_app(snap_project), terminal_size=(80, 24))


def test_coding_screen_80x24(snap_compare, snap_project: Path) -> None:
    """The coding screen at 80x24: turns with speaker headers (Interviewer, Amina),
    the Amina answer about piece rates highlighted in two code colours with an
    underline where 'Piece rates' and 'Pay' overlap and two stripes in the left
    margin; the code tree on the right with counts 1 beside Pay and Piece rates;
    the status line and a footer with 1-9 Code, c Any code…, x Uncode, r Recode,
    m Memo and ? Help (all visible at 80 columns)."""

    async def run_before(pilot) -> None:
        await pilot.pause()

    assert snap_compare(_app(snap_project, "interview-01"), terminal_size=(80, 24), run_before=run_before)


def test_coding_screen_selection_and_definition_120x30(snap_compare, snap_project: Path) -> None:
    """A wider coding screen: the sentence 'Unstable.' is selected (accent
    background) and the status line says '9 chars selected'; the definition
    panel under the tree is open for the highlighted first code, 'Job
    instability', saying it has no definition yet."""
    assert snap_compare(_app(snap_project, "interview-01"), terminal_size=(120, 30), press=["]", "s", "d"])


def test_help_screen(snap_compare, snap_project: Path) -> None:
    """The help screen over the coding screen: the intro about saving and undo,
    then 'This screen: Coding' (1 … 9, c space Any code…, x del Uncode, r Recode, ...),
    the 'Move and select' section with the transcript movement keys and, further
    down, 'Everywhere'; no other screen's keys."""
    assert snap_compare(_app(snap_project, "interview-01"), terminal_size=(100, 30), press=["question_mark"])


def test_retrieval_screen(snap_compare, snap_project: Path) -> None:
    """Quotes of 'Pay' (cursor on the coded passage, F4): one row for Amina with
    the quote 'very low. You are paid per task' and the detail panel below it."""

    async def run_before(pilot) -> None:
        view = pilot.app.screen.view
        t = view.transcript
        view.cursor = t.text.index("You are paid")
        await pilot.press("f4")
        await pilot.pause()
        pilot.app.screen.query_one("#ret-filter").cursor_blink = False

    assert snap_compare(_app(snap_project, "interview-01"), terminal_size=(100, 24), run_before=run_before)


def _pending_suggestion(root: Path) -> None:
    """One pending suggestion (written straight into the store): 'Unstable.' as Job instability, score 0.82."""
    import sqlalchemy as sa

    from qcode.storage import schema
    from qcode.usecases.project import Project

    with Project.open(root) as p:
        t = p.transcript("interview-01")
        j = t.text.index("Unstable.")
        with raw_connection(p.store) as conn:  # a fixed creation time
            conn.execute(sa.insert(schema.suggestions).values(
                transcript_id=t.id, code_id="instability", start=j, end=j + len("Unstable."), quote="Unstable.",
                score=0.82, evidence={"summary": "keyword \"unstable\" (\"Unstable\")", "spans": [[j, j + 8]], "signals": []},
                suggester="qcode-suggest/1", status="pending", created="2024-01-01T00:00:00+00:00"))


def test_suggestions_screen_100x24(snap_compare, snap_project: Path) -> None:
    """The Suggestions screen (g from the coding screen) at 100x24: the info panel
    says '1/1  Job instability  score 0.82' (no suggester id: #16), 'Why: keyword
    "unstable" ("Unstable")' and 'in interview-01'; below it the transcript in
    context with Amina's 'Unstable.' selected and flashed (brown background, the
    cursor on the final '.' bold and underlined, keeping the passage's background), its evidence 'Unstable' in bold light text
    on a dark blue background (standing out from the brown passage),
    and the existing codings in their colours with two margin stripes ('Piece
    rates, very low.' yellow, the overlap 'very low.' underlined, 'You are paid
    per task' green); the status line says '1 pending in this transcript'; the
    footer shows esc Back, a Accept, x Reject, n Skip, A Accept all ≥ score, R Run
    suggester."""
    _pending_suggestion(snap_project)
    assert snap_compare(_app(snap_project, "interview-01"), terminal_size=(100, 24), press=["g"])
