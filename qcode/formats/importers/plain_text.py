"""Plain text transcripts: ``Speaker: text`` turns, blank-line paragraphs.

(Minimal version from the foundation; the import issue extends the
conventions, encodings and checks.)
"""

from __future__ import annotations

import re
from pathlib import Path

from qcode.core.errors import ImportFormatError
from qcode.core.transcript import Transcript, build_text
from qcode.formats.importers.base import ImportOptions, register, slugify, source_info

SPEAKER_RE = re.compile(r"^(?P<speaker>[^\s:][^:\n]{0,40}?)\s*:\s+(?P<text>.*)$")


class PlainTextImporter:
    format = "txt"
    extensions = (".txt", ".md")

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        if b"\x00" in data[:8192]:
            raise ImportFormatError(f"{filename}: this looks like a binary file (it contains NUL bytes), not text.")
        encoding = options.encoding or "utf-8-sig"
        try:
            raw = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"{filename}: not valid {encoding} (byte {exc.start}).",
                hint="Pass --encoding (for example --encoding cp1252).",
            ) from exc
        pattern = re.compile(options.speaker_pattern, re.M) if options.speaker_pattern else SPEAKER_RE
        turns: list[tuple[str | None, str, float | None, float | None]] = []
        for block in re.split(r"\n\s*\n", raw.replace("\r\n", "\n").replace("\r", "\n")):
            for line in block.split("\n"):
                m = pattern.match(line)
                if m:
                    turns.append((m.group("speaker").strip(), m.group("text"), None, None))
                elif turns and line.strip():
                    sp, txt, a, b = turns[-1]
                    turns[-1] = (sp, txt + "\n" + line, a, b)
                elif line.strip():
                    turns.append((None, line, None, None))
            turns.append((None, "", None, None))
        text, turn_list = build_text(turns)
        stem = Path(filename).stem
        return Transcript(
            name=options.name or slugify(stem),
            title=stem,
            text=text,
            turns=turn_list,
            language=options.language,
            source=source_info(data, filename, self.format, encoding),
        )


register(".txt", ".md")(PlainTextImporter)
