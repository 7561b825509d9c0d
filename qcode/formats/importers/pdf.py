"""PDF transcripts, as a last resort (pypdf text extraction).

A PDF keeps glyph positions, not paragraphs: line breaks, columns, headers
and footers may come out in an odd order. The import always carries a
warning saying so; if a .docx or .txt of the same transcript exists, import
that instead.
"""

from __future__ import annotations

import io

from qcode.core.errors import ImportFormatError
from qcode.core.text import normalize_text
from qcode.core.transcript import Transcript
from qcode.formats.importers.base import ImportOptions, check_size, clean_text, finish, register
from qcode.formats.importers.speakers import detect_turns, lines_to_paras

MAX_PAGES = 2000


class PdfImporter:
    format = "pdf"
    extensions = (".pdf",)

    def read(self, data: bytes, filename: str, options: ImportOptions) -> Transcript:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        check_size(data, filename, options)
        if not data.startswith(b"%PDF"):
            raise ImportFormatError(f"{filename}: does not start with '%PDF'; it is not a PDF document.")
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise ImportFormatError(
                    f"{filename}: the PDF is encrypted (password protected).",
                    hint="Save an unprotected copy, or export the transcript as .docx or .txt.",
                )
            if len(reader.pages) > MAX_PAGES:
                raise ImportFormatError(f"{filename}: has {len(reader.pages)} pages (limit {MAX_PAGES}).")
            pages = [page.extract_text() or "" for page in reader.pages]
        except ImportFormatError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ImportFormatError(f"{filename}: this PDF cannot be read ({exc}).",
                                    hint="Export the transcript from its source as .docx or .txt.") from exc
        text = normalize_text(clean_text("\n\n".join(pages)))
        if not text.strip():
            raise ImportFormatError(
                f"{filename}: the PDF has no extractable text (it is probably scanned images).",
                hint="Run OCR on it first, or ask for the transcript as .docx or .txt.",
            )
        detection = detect_turns(lines_to_paras(text), options.speaker_pattern)
        warning = (f"imported from PDF ({len(pages)} pages): line breaks, page headers and layout may be lost; "
                   "check the text, or import a .docx/.txt version instead")
        return finish(detection.turns, data, filename, options, self.format, warnings=[warning], notes_at=detection.notes)


register(".pdf")(PdfImporter)
