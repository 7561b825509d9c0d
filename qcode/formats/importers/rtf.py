"""Rich Text Format (``.rtf``) transcripts, converted to text by striprtf.

RTF is 7-bit text whose accents are ``\\'e9`` escapes in the document's code
page (``\\ansicpg1252``) or ``\\u233?`` Unicode escapes. The code page named
in the header is honoured; speaker turns are then found as in plain text.
"""

from __future__ import annotations

import re

from qcode.core.errors import ImportFormatError
from qcode.core.text import normalize_text
from qcode.core.transcript import Transcript
from qcode.formats.importers.base import ImportOptions, check_size, clean_text, finish, register
from qcode.formats.importers.speakers import detect_turns, lines_to_paras


class RtfImporter:
    format = "rtf"
    extensions = (".rtf",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        from striprtf.striprtf import rtf_to_text

        check_size(data, filename, options)
        head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:5]
        if head != b"{\\rtf":
            raise ImportFormatError(
                f"{filename}: does not start with '{{\\rtf'; it is not an RTF document.",
                hint="Check the file's real format (open it in a text editor) and give it the right extension.",
            )
        m = re.search(rb"\\ansicpg(\d+)", data[:4096])
        codepage = options.encoding or (f"cp{int(m.group(1))}" if m else "cp1252")
        try:
            source = data.decode("latin-1")
            text = rtf_to_text(source, encoding=codepage, errors="strict")
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFormatError(
                f"{filename}: its characters cannot be decoded with code page {codepage} ({exc}).",
                hint="Pass --encoding with the right code page (for example --encoding cp1252).",
            ) from exc
        except Exception as exc:  # striprtf raises bare errors on broken groups
            raise ImportFormatError(f"{filename}: this RTF document cannot be read ({exc}).",
                                    hint="Open it in Word or LibreOffice and save it again.") from exc
        text = normalize_text(clean_text(text))
        detection = detect_turns(lines_to_paras(text), options.speaker_pattern)
        return finish(detection.turns, data, filename, options, self.format, encoding=codepage, notes_at=detection.notes)


register(".rtf")(RtfImporter)
