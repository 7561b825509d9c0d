"""Turning the bytes of a text file into ``str`` faithfully, or refusing.

Order of decisions (a wrong guess would garble text silently, so each step
is one that cannot mistake a valid file for another encoding):

1. ``--encoding`` given: decode strictly with it.
2. A byte-order mark: UTF-32, UTF-8, UTF-16 (Word's "Unicode text").
3. UTF-16 without a BOM (every other byte NUL in ASCII-heavy text).
4. Binary content (NUL bytes, known file signatures): refused.
5. Strict UTF-8.
6. A legacy single-byte encoding guessed with charset-normalizer. Western
   guesses are resolved to cp1252 (charset-normalizer often says cp1250 for
   French or Spanish text and would turn "niña" into "nińa"). The result is
   marked ``guessed`` so the import reports which encoding was assumed.

Decoding is always strict: qcode never inserts U+FFFD. An undecodable byte is
an error naming its position (byte offset and line).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from qcode.core.errors import ImportFormatError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (perhaps a .docx, .odt or .xlsx file)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"ID3", "an MP3 audio file"),
    (b"RIFF", "an audio or video file"),
    (b"SQLite format 3", "a SQLite database"),
)

_WESTERN = {
    "cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_15", "iso8859_2",
    "iso8859_9", "mac_roman", "cp850", "cp437", "iso8859_3", "iso8859_4", "iso8859_16",
}

_LABELS = {
    "utf-8": "UTF-8", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE",
    "utf-32-le": "UTF-32 LE", "utf-32-be": "UTF-32 BE", "cp1252": "Windows-1252 (Western European)",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    """Python codec name actually used."""
    guessed: bool = False
    """True when the encoding was inferred statistically (not BOM, not UTF-8, not given)."""
    bom: bool = False

    @property
    def label(self) -> str:
        return _LABELS.get(self.encoding, self.encoding)


def describe_binary(data: bytes) -> str | None:
    """A phrase naming what *data* is when it starts with a known binary signature."""
    for sig, what in _SIGNATURES:
        if data.startswith(sig):
            return what
    return None


def _position(data: bytes, byte: int) -> str:
    line = data.count(b"\n", 0, byte) + 1
    return f"byte {byte} (line {line})"


def _strict(data: bytes, encoding: str, filename: str, given: bool) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFormatError(
            f"{filename}: unknown encoding '{encoding}'.",
            hint="Use a Python codec name such as utf-8, cp1252, latin-1, utf-16, mac-roman.",
        ) from None
    try:
        return data.decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        what = "the encoding you gave" if given else "its byte-order mark"
        raise ImportFormatError(
            f"{filename}: cannot be decoded as {encoding} ({what}): invalid data at "
            f"{_position(data, exc.start)}.",
            hint="Pass the right --encoding (for example --encoding cp1252 or --encoding utf-16), "
            "or re-save the file as UTF-8.",
        ) from exc


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nul > 0.4 * half and even_nul < 0.05 * half:
        return "utf-16-le"
    if even_nul > 0.4 * half and odd_nul < 0.05 * half:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, filename: str, encoding: str | None = None) -> Decoded:
    """Decode *data* (the whole file) as described in the module docstring.

    Raises :class:`ImportFormatError` for empty, binary or undecodable input.
    """
    if encoding:
        text = _strict(data, encoding, filename, given=True)
        return Decoded(text.removeprefix("\ufeff"), codecs.lookup(encoding).name, False, text.startswith("\ufeff"))
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return Decoded(_strict(data[len(bom):], enc, filename, given=False), enc, False, True)
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return Decoded(data.decode(utf16), utf16, True)
        except UnicodeDecodeError:
            pass
    what = describe_binary(data)
    if what:
        raise ImportFormatError(
            f"{filename}: this is {what}, not a text file.",
            hint="Give the file its real extension (for example .docx or .pdf) or export it as text.",
        )
    nul = data.find(b"\x00")
    if nul != -1:
        raise ImportFormatError(
            f"{filename}: contains a NUL byte at {_position(data, nul)}; it looks like a binary file, not text.",
            hint="If it is text saved as UTF-16 or UTF-32, pass --encoding utf-16 (or utf-32); "
            "otherwise export the transcript as plain text.",
        )
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    return _guess_legacy(data, filename, utf8_error)


def _guess_legacy(data: bytes, filename: str, utf8_error: UnicodeDecodeError) -> Decoded:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    candidate = best.encoding if best is not None else None
    tries: list[str] = []
    if candidate is None or candidate in _WESTERN:
        tries.append("cp1252")
    if candidate:
        tries.append(candidate)
    for enc in tries:
        try:
            text = data.decode(enc, errors="strict")
        except (UnicodeDecodeError, LookupError):
            continue
        if _control_ratio(text) > 0.01:
            continue
        return Decoded(text, codecs.lookup(enc).name, True)
    raise ImportFormatError(
        f"{filename}: is not valid UTF-8 (invalid data at {_position(data, utf8_error.start)}) and no "
        "other text encoding fits it.",
        hint="If it is a text file, pass --encoding (for example --encoding cp1252, latin-1 or utf-16).",
    )


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)
