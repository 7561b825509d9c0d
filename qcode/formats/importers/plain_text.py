"""Plain text and Markdown transcripts (``.txt``, ``.md``).

The bytes are decoded by :mod:`qcode.formats.encoding` (BOM, UTF-8, UTF-16,
guessed legacy encodings, never U+FFFD), normalised to NFC and ``\\n``, and
speaker turns are found by :mod:`qcode.formats.importers.speakers`.
"""

from __future__ import annotations

from qcode.core.text import normalize_text
from qcode.core.transcript import Transcript
from qcode.formats.encoding import decode_bytes
from qcode.formats.importers.base import ImportOptions, check_size, clean_text, finish, register
from qcode.formats.importers.speakers import detect_turns, lines_to_paras


def encoding_warning(label: str, guessed: bool) -> list[str]:
    if not guessed:
        return []
    return [
        f"the file is not UTF-8; qcode assumed the encoding {label}. If accented letters look wrong, "
        "import it again with --encoding"
    ]


class PlainTextImporter:
    format = "txt"
    extensions = (".txt", ".md", ".text")

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        check_size(data, filename, options)
        decoded = decode_bytes(data, filename, options.encoding)
        text = normalize_text(clean_text(decoded.text))
        detection = detect_turns(lines_to_paras(text), options.speaker_pattern)
        fmt = "md" if filename.lower().endswith(".md") else "txt"
        return finish(
            detection.turns, data, filename, options, fmt,
            encoding=decoded.encoding, guessed=decoded.guessed,
            warnings=encoding_warning(decoded.label, decoded.guessed), notes_at=detection.notes,
        )


register(".txt", ".md", ".text")(PlainTextImporter)
