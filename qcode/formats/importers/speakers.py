"""Recognising speaker turns in running text (txt, md, docx, odt, rtf, pdf).

Conventions recognised without configuration (one line = one candidate)::

    Name: text                    NAME : text (French typography)
    [00:01:02] Name: text         (00:01:02) Name: text    00:01:02 Name: text
    Name (00:01:02): text         Name [00:01:02] text
    **Name:** text                **Name**: text           __Name:__ text
    Name<TAB>text
    Sara  00:13                   (Otter.ai export: name and time alone on a
    the spoken text below...       line, the text in the following lines)
    I: / R: / P1: / Interviewer: / Enquêteur : ...

A label must look like a name (a letter first, at most 5 words, 40
characters, no sentence punctuation). To avoid taking "Note: ..." or "The
survey asked: ..." for a speaker, a label is accepted when it occurs at least
twice, is a known role (I, R, P1, Interviewer, Enquêteur...), or is
capitalised like a name in a text where at least two such labels occur (or
the convention is used three times or more). A custom
``--speaker-pattern`` (a regex with a ``speaker`` group and optional ``text``
and ``time`` groups) replaces the built-in conventions.

Timestamps become turn times (seconds) and are removed from the text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import Note
from qcode.formats.importers.base import RawTurn

_NAME = r"[^\W_](?:[\w.'’\-+ ()]{0,38}[\w.'’)]|)"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"

CONVENTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("otter", re.compile(rf"^(?P<speaker>{_NAME}?)\s+(?P<time>{_TIME})\s*$")),
    ("time-name", re.compile(
        rf"^[\[(]?(?P<time>{_TIME})[\])]?\s*[-–—]?\s*(?P<speaker>{_NAME}?)\s*:\s*(?P<text>.*)$")),
    ("name-time", re.compile(
        rf"^(?P<speaker>{_NAME}?)\s*[\[(](?P<time>{_TIME})[\])]\s*:?\s*(?P<text>.*)$")),
    ("markdown", re.compile(
        rf"^(?:\*\*|__)(?P<speaker>{_NAME}?)\s*:?\s*(?:\*\*|__)\s*:?\s*(?P<text>.*)$")),
    ("colon", re.compile(rf"^(?P<speaker>{_NAME}?)[ \t\u00a0\u202f]*:[ \t\u00a0\u202f]*(?P<text>(?!//).*)$")),
    ("tab", re.compile(rf"^(?P<speaker>{_NAME}?)\t+(?P<text>\S.*)$")),
)

_ROLES = re.compile(
    r"^(?:[IRQAEPMS]\d*|P\s?\d+|S\d+|Int|Interviewer|Interviewee|Respondent|Moderator|Moderatrice|"
    r"Modérat(?:eur|rice)|Facilitat(?:or|eur|rice)|Animat(?:eur|rice)|Enquêt(?:eur|rice|é|ée)|"
    r"Enqu[eê]teur|Intervieweu(?:r|se)|Interviewé(?:e)?|Participant(?:e)?\s*\d*|Speaker\s*\d+|"
    r"Locut(?:eur|rice)\s*\d*|Intervenant(?:e)?\s*\d*|Chercheu(?:r|se)|Researcher|Q|A)$",
    re.I,
)
_CODE_LABEL = re.compile(r"^\d{1,4}[A-Z][A-Z0-9]{1,12}(?: \+ \w{1,16})*$")
"""Corpus codes such as ESLO's ``401PERS`` (and overlap labels ``401PERS + OU``)."""
_BAD_LABEL = re.compile(r"[?!;,\"“”«»\[\]]|https?|www\.")


@dataclass
class Para:
    """One paragraph (or line) of running text, as a format adapter sees it."""

    text: str
    speaker: str | None = None
    """A speaker given by the document's structure (table cell, bold run, voice tag)."""
    time: float | None = None
    time_end: float | None = None
    break_before: bool = False
    """A blank line (or paragraph gap) precedes this line."""
    explicit: bool = False
    """True when *speaker* comes from the structure: the paragraph starts a turn."""


@dataclass
class Detection:
    turns: list[RawTurn]
    convention: str | None
    """Name of the convention used for most turns, 'custom', 'structure' or None."""
    labelled: int = 0
    notes: list[tuple[int, int, Note]] = field(default_factory=list)
    """Metadata found around the turns (an Otter.ai header), for :func:`finish`'s ``notes_at``."""


def parse_time(value: str) -> float | None:
    """``01:02:03``, ``1:02``, ``00:01:02.500``, ``00:01:02,5`` -> seconds."""
    m = re.fullmatch(r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?", value.strip())
    if not m:
        return None
    h, mi, s, frac = m.groups()
    if int(s) >= 60 or (h is not None and int(mi) >= 60):
        return None
    total = int(h or 0) * 3600 + int(mi) * 60 + int(s)
    if frac:
        total += int(frac) / (10 ** len(frac))
    return float(total)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a user's ``--speaker-pattern``; errors say what is wrong."""
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ImportFormatError(
            f"--speaker-pattern {pattern!r} is not a valid regular expression: {exc}.",
            hint=r"Example: --speaker-pattern '^(?P<speaker>[A-Z]+) - (?P<text>.*)$'",
        ) from exc
    if "speaker" not in rx.groupindex:
        raise ImportFormatError(
            f"--speaker-pattern {pattern!r} has no (?P<speaker>...) group.",
            hint=r"Name the group that holds the speaker, e.g. '^(?P<speaker>\w+) -- (?P<text>.*)$'.",
        )
    return rx


def _valid_label(label: str) -> bool:
    label = label.strip()
    return (
        bool(label) and len(label) <= 40 and len(label.split()) <= 5 and not _BAD_LABEL.search(label)
        and any(ch.isalpha() for ch in label) and not label[0].isdigit() or bool(_CODE_LABEL.match(label))
    )


def _namelike(label: str) -> bool:
    words = label.split()
    return len(words) <= 3 and all(w[0].isupper() or w[0].isdigit() for w in words)


def _match(line: str, rx_list: tuple[tuple[str, re.Pattern[str]], ...]) -> tuple[str, str, str, float | None] | None:
    for name, rx in rx_list:
        m = rx.match(line)
        if not m:
            continue
        label = m.group("speaker").strip(" *_")
        if not _valid_label(label):
            continue
        gd = m.groupdict()
        text = gd.get("text")
        if text is None:
            text = line[m.end():]
        t = parse_time(gd["time"]) if gd.get("time") else None
        return name, label, text, t
    return None


def detect_turns(
    paras: list[Para], pattern: str | None = None, joiner: str = "\n", known: frozenset[str] = frozenset()
) -> Detection:
    """Group *paras* into speaker turns (see the module docstring).

    Paragraphs without a speaker of their own continue the open turn, joined
    with *joiner* (a line end; subtitles use a space), and extend its end time.
    *known* labels (from a table of speakers) are accepted even when used once.
    An Otter.ai header block (title, date, ``SUMMARY KEYWORDS``, ``SPEAKERS``)
    becomes metadata notes, not a turn.
    """
    custom = compile_pattern(pattern) if pattern else None
    rx_list = (("custom", custom),) if custom else CONVENTIONS
    header, paras = _otter_header(paras)
    candidates: list[tuple[str, str, str, float | None] | None] = []
    for p in paras:
        if p.explicit:
            candidates.append(None)
            continue
        first = p.text.split("\n", 1)[0].strip("\ufeff")
        c = _match(first.rstrip(), rx_list)
        if c is not None and "\n" in p.text:
            c = (c[0], c[1], c[2] + p.text[len(first):], c[3])
        candidates.append(c)
    counts = Counter(c[1] for c in candidates if c)
    by_conv = Counter(c[0] for c in candidates if c)
    # Names the document's structure gives (a speaker table) are speakers in its paragraphs too.
    structural_names = {p.speaker for p in paras if p.explicit and p.speaker} | set(known)
    accepted = {lab for lab, n in counts.items() if custom or n >= 2 or _ROLES.match(lab) or lab in structural_names}
    namelike = {lab for lab in counts if _namelike(lab)}
    if sum(by_conv.values()) >= 3 or len(accepted | namelike) >= 2:
        accepted |= namelike if sum(by_conv.values()) < 3 else set(counts)
    turns: list[RawTurn] = []
    current: list[str] | None = None  # lines of the open turn
    cur_speaker: str | None = None
    cur_t0: float | None = None
    cur_t1: float | None = None
    labelled = 0
    structural = False
    used: Counter[str] = Counter()

    def close() -> None:
        nonlocal current
        if current is not None:
            turns.append((cur_speaker, joiner.join(current), cur_t0, cur_t1))
        current = None

    for p, c in zip(paras, candidates, strict=True):
        if p.explicit:
            close()
            current, cur_speaker, cur_t0, cur_t1 = [p.text], p.speaker, p.time, p.time_end
            structural = True
            labelled += 1 if p.speaker else 0
            used["structure"] += 1
            continue
        if c is not None and c[1] in accepted:
            close()
            conv, label, text, t = c
            current, cur_speaker, cur_t0, cur_t1 = [text], label, t if t is not None else p.time, p.time_end
            structural = False
            labelled += 1
            used[conv] += 1
            continue
        if not p.text.strip():
            if cur_speaker is None:
                close()
            continue
        if current is None or (p.break_before and (cur_speaker is None or structural)):
            close()
            current, cur_speaker, cur_t0, cur_t1 = [p.text], None, p.time, p.time_end
            structural = False
        else:
            current.append(p.text)
            if p.time_end is not None:
                cur_t1 = p.time_end
    close()
    convention = used.most_common(1)[0][0] if used else None
    return Detection(turns, convention, labelled, [(0, 0, note) for note in header])


_OTTER_KEYS = {"summary keywords": "keywords", "speakers": "speakers", "keywords": "keywords"}


def _otter_header(paras: list[Para]) -> tuple[list[Note], list[Para]]:
    """Split off an Otter.ai export's header: the lines before the first ``Name  00:13`` line,
    when they hold a ``SUMMARY KEYWORDS`` or ``SPEAKERS`` heading."""
    otter = CONVENTIONS[0][1]
    first = next((i for i, p in enumerate(paras) if not p.explicit and otter.match(p.text.split("\n", 1)[0].strip())), None)
    if not first or not any(p.text.strip().lower() in _OTTER_KEYS for p in paras[:first]):
        return [], paras
    notes: list[Note] = []
    key: str | None = None
    values: dict[str, list[str]] = {}
    for i, p in enumerate(paras[:first]):
        line = " ".join(p.text.split())
        if line.lower() in _OTTER_KEYS:
            key = _OTTER_KEYS[line.lower()]
        elif key is not None:
            values.setdefault(key, []).append(line)
        elif i == 0:
            notes.append(Note(0, "metadata", f"title: {line}"))
        else:
            notes.append(Note(0, "metadata", f"recorded: {line}"))
    notes += [Note(0, "metadata", f"{k}: {' '.join(v)}") for k, v in values.items()]
    return notes, paras[first:]


def lines_to_paras(text: str) -> list[Para]:
    """Split running text into line paragraphs, remembering blank-line gaps."""
    paras: list[Para] = []
    gap = False
    for line in text.split("\n"):
        if not line.strip():
            gap = True
            continue
        paras.append(Para(line.rstrip(), break_before=gap))
        gap = False
    return paras
