"""The importer interface, the registry, and the helpers every importer shares."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from qcode.core.errors import ImportFormatError
from qcode.core.text import normalize_text
from qcode.core.transcript import AttributeValue, Note, SourceInfo, Transcript, Turn, build_text

FOCUS_GROUP_SPEAKERS = 4
"""A transcript with this many people who talk (:func:`talkers`) is a focus group unless told otherwise."""
TALKER_MIN_TURNS = 2
TALKER_MIN_SHARE = 0.02


@dataclass(frozen=True)
class ImportOptions:
    encoding: str | None = None
    """Force this encoding instead of detecting one."""
    speaker_pattern: str | None = None
    """A regular expression with a named group ``speaker`` (and optionally ``text``, ``time``)."""
    language: str | None = None
    max_bytes: int = 100 * 1024 * 1024
    name: str | None = None
    """Transcript name to use instead of one made from the file name."""
    kind: str | None = None
    """interview, focus_group...; None lets the importer decide (4+ speakers: focus_group)."""
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    """Transcript attributes given on the command line (--attr KEY=VALUE)."""


class Importer(Protocol):
    @property
    def format(self) -> str:
        """Short format name stored with the transcript (txt, docx, vtt, ...)."""

    @property
    def extensions(self) -> tuple[str, ...]: ...

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        """Parse *data* (the whole file) into a transcript."""
        ...


_REGISTRY: dict[str, Callable[[], Importer]] = {}


def register(*extensions: str) -> Callable[[Callable[[], Importer]], Callable[[], Importer]]:
    def deco(factory: Callable[[], Importer]) -> Callable[[], Importer]:
        for ext in extensions:
            _REGISTRY[ext.lower()] = factory
        return factory

    return deco


def registry() -> dict[str, Callable[[], Importer]]:
    """Extension (with dot) -> importer factory, for every known format."""
    _load_builtin()
    return dict(_REGISTRY)


SIDECARS = {
    ".csv": "A file of codings goes in with `qcode codings import FILE`; "
            "one of transcript or participant attributes with `qcode attributes import FILE`.",
    ".jsonl": "A file of codings goes in with `qcode codings import FILE`.",
    ".yaml": "A codebook is taken in with `qcode codebook use FILE`; attributes with `qcode attributes import FILE`.",
    ".yml": "A codebook is taken in with `qcode codebook use FILE`; attributes with `qcode attributes import FILE`.",
    ".xlsx": "A codebook spreadsheet is converted with `qcode codebook import FILE -o codebook.yaml`.",
    ".qdc": "A REFI-QDA codebook is converted with `qcode codebook import FILE -o codebook.yaml`.",
}
"""What a file that is not a transcript, but that people put beside them, is imported with."""


def importer_for(path: Path) -> Importer:
    _load_builtin()
    ext = path.suffix.lower()
    factory = _REGISTRY.get(ext)
    if factory is None:
        known = ", ".join(sorted(_REGISTRY))
        hint = f"Supported: {known}. Convert the file to one of these (for example .docx or .txt)."
        if ext in SIDECARS:
            hint = SIDECARS[ext] + " " + hint
        raise ImportFormatError(f"qcode cannot import '{ext or 'files without an extension'}' files as transcripts.",
                                hint=hint)
    return factory()


def _load_builtin() -> None:
    # Importing the modules registers them; kept lazy so `qcode --help` stays fast
    # (the heavy libraries are imported inside each importer's read()).
    from qcode.formats.importers import (  # noqa: F401
        docx,
        odt,
        pdf,
        plain_text,
        rtf,
        subtitles,
        tei,
        transcriber,
    )


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "transcript"


def source_info(data: bytes, filename: str, fmt: str, encoding: str | None = None, guessed: bool = False) -> SourceInfo:
    return SourceInfo(
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        encoding=encoding,
        encoding_guessed=guessed,
        size=len(data),
    )


_INNER_SUFFIXES = {"tei", "trs", "teiml"}
"""A second suffix that names the format, not the interview (``Anita.tei.xml``)."""

RawTurn = tuple[str | None, str, float | None, float | None]
"""(speaker, text, time_start, time_end) as given to :func:`build_text`."""


_FORMAT_CONTROLS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
_TERMINAL = re.compile(r"[\x1b\x9b]")


def clean_text(raw: str) -> str:
    """Word's manual line break (VT) and page breaks (FF) become line ends."""
    return raw.translate(_FORMAT_CONTROLS)


def finish(
    raw_turns: Sequence[RawTurn],
    data: bytes,
    filename: str,
    options: ImportOptions,
    fmt: str,
    *,
    encoding: str | None = None,
    guessed: bool = False,
    overlaps: Sequence[bool] | None = None,
    notes_at: Sequence[tuple[int, int, Note]] = (),
    warnings: Sequence[str] = (),
    language: str | None = None,
) -> Transcript:
    """Assemble a :class:`Transcript` from raw turns (the one layout for all formats).

    *overlaps* flags raw turns spoken over others. *notes_at* holds
    ``(raw turn index, offset inside that turn's stripped text, note)``; the
    note's offset is placed in the final text. Empty turns are dropped, and
    notes attached to them move to the next turn's start.
    """
    kept: list[RawTurn] = []
    index_map: dict[int, int] = {}
    for i, (speaker, body, t0, t1) in enumerate(raw_turns):
        norm = normalize_text(clean_text(body)).strip()
        index_map[i] = len(kept)
        if norm:
            kept.append((speaker.strip() if speaker else speaker, norm, t0, t1))
    text, turns = build_text(kept)
    if overlaps is not None:
        flags = [bool(overlaps[i]) for i, (s, b, *_r) in enumerate(raw_turns) if normalize_text(clean_text(b)).strip()]
        turns = [replace(t, overlap=f) for t, f in zip(turns, flags, strict=True)]
    notes: list[Note] = []
    for raw_index, local, note in notes_at:
        k = index_map.get(raw_index, len(turns))
        if k < len(turns):
            t = turns[k]
            offset = min(t.start + max(0, local), t.end)
        else:
            offset = len(text)
        notes.append(replace(note, offset=offset))
    notes.sort(key=lambda n: n.offset)
    if not text.strip():
        raise ImportFormatError(
            f"{filename}: contains no text to import (the file is empty or holds only markup).",
            hint="Check that this is the right file; an empty transcript cannot be coded.",
        )
    stem = Path(filename).stem
    if "." in stem and stem.rsplit(".", 1)[1].lower() in _INNER_SUFFIXES:  # "interview.tei.xml"
        stem = stem.rsplit(".", 1)[0]
    out_warnings = list(warnings)
    n_term = len(_TERMINAL.findall(text))
    if n_term:
        out_warnings.append(
            f"the text contains {n_term} terminal control characters (ESC); they are kept as text and shown escaped"
        )
    speakers = {t.speaker: None for t in turns if t.speaker}
    kind = options.kind or ("focus_group" if len(talkers(text, turns)) >= FOCUS_GROUP_SPEAKERS else "interview")
    return Transcript(
        name=options.name or slugify(stem),
        title=stem,
        text=text,
        turns=turns,
        notes=notes,
        language=options.language or language,
        kind=kind,
        attributes=dict(options.attributes),
        speakers=dict(speakers),
        source=source_info(data, filename, fmt, encoding, guessed),
        warnings=out_warnings,
    )


def talkers(text: str, turns: Sequence[Turn]) -> set[str]:
    """The people who actually talk: at least two turns and 2% of the words.

    Bystanders who say "oui" once, placeholder labels (``inconnu``, ``tous``)
    and the transcriber's one remark do not make an interview a focus group.
    "A + B" labels (overlapping speech in some exports) are not extra people.
    """
    words: dict[str, int] = {}
    counts: dict[str, int] = {}
    for t in turns:
        if not t.speaker:
            continue
        n = len(text[t.start:t.end].split())
        for person in {p.strip() for p in t.speaker.split(" + ")}:
            words[person] = words.get(person, 0) + n
            counts[person] = counts.get(person, 0) + 1
    total = sum(words.values()) or 1
    return {p for p, n in words.items() if counts[p] >= TALKER_MIN_TURNS and n / total >= TALKER_MIN_SHARE}


def format_size(n: float) -> str:
    """A file size for people: ``850 bytes``, ``103 KB``, ``4.2 MB``, ``120 MB``."""
    if n < 1024:
        return f"{n:.0f} bytes"
    if n < 2**20:
        return f"{n / 1024:.0f} KB"
    return f"{n / 2**20:.1f} MB" if n < 10 * 2**20 else f"{n / 2**20:.0f} MB"


def size_error(filename: str, size: int, limit: int) -> ImportFormatError:
    return ImportFormatError(
        f"{filename} is {format_size(size)}, over the import limit of {format_size(limit)}.",
        hint="Raise the limit with --max-mb or [import] max_mb in qcode.toml if this really is a transcript.",
    )


class TextBudget:
    """Counts the characters an importer produces and refuses more than the import limit.

    Markup that expands (ODF ``<text:s text:c="2000000000"/>``) must be bounded
    by the same limit as a plain text file: a transcript never holds more
    characters than ``options.max_bytes``. Checked *before* each expansion, so
    nothing large is ever allocated.
    """

    def __init__(self, filename: str, options: ImportOptions, source_size: int | None = None) -> None:
        from qcode.formats.safezip import DEFAULT_LIMITS

        self.filename = filename
        self.limit = options.max_bytes
        if source_size is not None:
            # Like a ZIP member, text may not expand more than max_ratio times the file it came from
            # (with 1 MiB of slack for small files): a 672-byte .odt does not become 100 MB of spaces.
            self.limit = min(self.limit, max(2**20, int(DEFAULT_LIMITS.max_ratio * source_size)))
        self.used = 0

    def take(self, n: int) -> int:
        self.used += n
        if self.used > self.limit:
            raise ImportFormatError(
                f"{self.filename}: its text expands to more than the import limit of "
                f"{self.limit / 2**20:.1f} MB for this file (repeated spaces, tabs or other markup that "
                "multiplies text); refusing it.",
                hint="A genuine transcript does not do this; re-save it from its application, or raise "
                "--max-mb if it really is that long.",
            )
        return n


def event_text(kind: str, desc: str, extent: str = "") -> str:
    """A non-speech event as a note's text: ``noise: rire``, ``noise: rire (begin)``."""
    text = f"{kind}: {desc}" if kind else desc
    return text + (f" ({extent})" if extent and extent != "instantaneous" else "")


def check_size(data: bytes, filename: str, options: ImportOptions) -> None:
    if len(data) > options.max_bytes:
        raise size_error(filename, len(data), options.max_bytes)


__all__ = ["ImportOptions", "Importer", "RawTurn", "TextBudget", "Turn", "finish", "importer_for", "register", "registry"]
