"""Project, transcript and code memos."""

from __future__ import annotations

import pytest

from qcode.core.errors import NotFoundError, QcodeError
from qcode.usecases import memos


def test_write_then_update_keeps_one_memo_per_target(project) -> None:
    m1 = memos.write_memo(project, "project", "", "first")
    m2 = memos.write_memo(project, "project", "", "second")
    assert m1.id == m2.id
    [m] = memos.list_memos(project, "project")
    assert (m.text, m.coder, m.target_id) == ("second", "tester", "project")


def test_transcript_memo_by_name_is_stored_by_id(project) -> None:
    memos.write_memo(project, "transcript", "interview-01", "long pauses")
    tid = project.store.transcripts.find("interview-01")
    assert memos.my_memo(project, "transcript", str(tid)).text == "long pauses"
    assert memos.target_label(project, memos.my_memo(project, "transcript", "interview-01")) == "Transcript interview-01"


def test_code_memo_and_other_coders(project) -> None:
    memos.write_memo(project, "code", "pay", "mine")
    memos.write_memo(project, "code", "pay", "theirs", coder="other")
    assert sorted(m.text for m in memos.list_memos(project, "code", "pay")) == ["mine", "theirs"]
    assert memos.my_memo(project, "code", "pay").text == "mine"


def test_unknown_targets_are_errors_and_store_nothing(project) -> None:
    with pytest.raises(NotFoundError, match="Did you mean 'pay'"):
        memos.write_memo(project, "code", "pya", "x")
    with pytest.raises(NotFoundError):
        memos.write_memo(project, "transcript", "nope", "x")
    with pytest.raises(QcodeError, match="Unknown memo kind"):
        memos.write_memo(project, "coding", "1", "x")
    assert memos.list_memos(project) == []


def test_memos_on_codings_are_listed_with_the_others(project) -> None:
    from qcode.usecases import coding

    memos.write_memo(project, "project", "", "overall")
    c = coding.apply_code(project, "interview-01", 0, 15, "pay", memo="asks about now")
    coding.apply_code(project, "interview-01", 20, 30, "pay")  # no memo: not listed
    listed = memos.list_memos(project)
    assert [(m.target_kind, m.text) for m in listed] == [("project", "overall"), ("coding", "asks about now")]
    assert memos.target_label(project, listed[1]) == "Coding Pay · interview-01 “How is the work”"
    assert memos.list_memos(project, "coding", str(c.id))[0].target_id == str(c.id)


def test_memo_targets_name_a_transcript_by_its_title(project) -> None:
    from qcode.usecases.attributes import set_attributes
    from qcode.usecases.coding import apply_code

    set_attributes(project, "interview-01", {"title": "Amina, Casablanca"})
    project.invalidate()
    apply_code(project, "interview-01", 0, 3, "pay", memo="why")
    memos.write_memo(project, "transcript", "interview-01", "long pauses")
    labels = {m.target_kind: memos.target_label(project, m) for m in memos.list_memos(project)}
    assert labels["transcript"] == "Transcript Amina, Casablanca"
    assert labels["coding"].startswith("Coding Pay · Amina, Casablanca “")
