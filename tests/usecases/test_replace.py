"""`qcode import --replace`: corrected transcripts keep their codings."""

from __future__ import annotations

from qcode.core.anchor import make_anchor
from qcode.core.coding import Coding
from qcode.usecases.replace import replace_transcript


def add(project, tid: int, quote: str, code: str = "pay") -> Coding:
    t = project.transcript(tid)
    s = t.text.index(quote)
    a = make_anchor(t.text, s, s + len(quote))
    return project.store.codings.add(Coding(tid, s, s + len(quote), code, "tester", quote=a.quote, prefix=a.prefix,
                                           suffix=a.suffix))


def test_replace_keeps_moves_and_flags_never_drops(project, tmp_path) -> None:
    tid = project.store.transcripts.find("interview-01")
    old = project.transcript(tid)
    c_exact = add(project, tid, "Piece rates, very low")
    c_edit = add(project, tid, "Some weeks there is nothing at all", "instability")
    c_speaker = add(project, tid, "How is the work these days?", "invisible-work")
    corrected = (
        "Interviewer: Hello. How is the work these days?\n"
        "Amina: Unstable. Some weeks there is nothing whatsoever, then everything at once.\n\n"
        "Interviewer: And the pay?\n"
        "Amina: Piece rates, very low. You are paid per task, not for the time you spend.\n"
    )
    f = tmp_path / "interview-01-corrected.txt"
    f.write_text(corrected, encoding="utf-8")
    before = project.store.codings.list(transcript_id=tid)
    rep = replace_transcript(project, "interview-01", f)
    project.invalidate()
    new = project.transcript(tid)
    after = {c.id: c for c in project.store.codings.list(transcript_id=tid)}
    assert len(after) == len(before) == 3
    assert rep.kept + rep.moved + rep.flagged == 3
    assert rep.backup is not None and rep.backup.exists()
    e = after[c_exact.id]
    assert new.text[e.start:e.end] == "Piece rates, very low" and e.status == "ok"
    s = after[c_speaker.id]
    assert new.text[s.start:s.end] == "How is the work these days?"
    f_ = after[c_edit.id]
    assert f_.status == "review" and new.text[f_.start:f_.end].startswith("Some weeks there is nothing")
    assert rep.flagged >= 1
    assert new.text != old.text and new.source.filename == f.name


def test_identical_file_changes_nothing(project, project_dir) -> None:
    rep = replace_transcript(project, "interview-01", project_dir / "interview-01.txt")
    assert rep.unchanged and rep.backup is None


def test_failed_replace_leaves_transcript(project, tmp_path) -> None:
    import pytest

    from qcode.core.errors import QcodeError

    tid = project.store.transcripts.find("interview-01")
    text = project.transcript(tid).text
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    with pytest.raises(QcodeError):
        replace_transcript(project, "interview-01", bad)
    project.invalidate()
    assert project.transcript(tid).text == text
