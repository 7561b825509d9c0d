"""The pure domain of qcode: transcripts, codebooks, codings, analyses.

Only the standard library is imported here (proved by
``tests/test_import_hygiene.py``): no Textual, spaCy, python-docx, YAML,
Jinja2, SQLAlchemy or sqlite3.
"""

from qcode.core.anchor import Anchor, Placement, make_anchor, reanchor
from qcode.core.codebook import Code, Codebook, new_code_id
from qcode.core.coding import Coder, Coding, Memo, stable_guid
from qcode.core.errors import QcodeError
from qcode.core.text import normalize_text
from qcode.core.transcript import Note, Participant, SourceInfo, Transcript, Turn, build_text

__all__ = [
    "Anchor",
    "Code",
    "Codebook",
    "Coder",
    "Coding",
    "Memo",
    "Note",
    "Participant",
    "Placement",
    "QcodeError",
    "SourceInfo",
    "Transcript",
    "Turn",
    "build_text",
    "make_anchor",
    "new_code_id",
    "normalize_text",
    "reanchor",
    "stable_guid",
]
