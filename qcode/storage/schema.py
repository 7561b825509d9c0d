"""The project database schema (SQLAlchemy Core, portable to PostgreSQL).

Each table is defined once here. Changes to the schema are made by adding a
migration in :mod:`qcode.storage.migrations`, never by editing a released
version's tables in place without one.

Ids are never reused. A table's ``id`` is held outside its row: by exported
files, the suggestion cache's manifest, undo, memos on a coding or a
transcript (``memos.target_id``), a colleague's note. SQLite gives a table
with a plain ``INTEGER PRIMARY KEY`` the id ``max(id) + 1``, so removing the
newest row would hand its id to the next one; every table with an integer id
is therefore ``AUTOINCREMENT`` on SQLite (``sqlite_autoincrement=True``, from
schema version 7, whose migration rebuilds the tables of older projects).
PostgreSQL's sequences never go back anyway.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "qcode_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

coders = sa.Table(
    "coders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sqlite_autoincrement=True,
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("attributes", sa.JSON, nullable=False, default=dict),
    sqlite_autoincrement=True,
)

attribute_defs = sa.Table(
    "attribute_defs",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("scope", sa.String(20), primary_key=True),
    sa.Column("type", sa.String(20), nullable=False),
)

transcripts = sa.Table(
    "transcripts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("language", sa.String(20)),
    sa.Column("kind", sa.String(40), nullable=False, default="interview"),
    sa.Column("words", sa.Integer, nullable=False, default=0),
    sa.Column("attributes", sa.JSON, nullable=False, default=dict),
    sa.Column("notes", sa.JSON, nullable=False, default=list),
    sa.Column("warnings", sa.JSON, nullable=False, default=list),
    sa.Column("source_filename", sa.Text),
    sa.Column("source_sha256", sa.String(64), index=True),
    sa.Column("source_format", sa.String(40)),
    sa.Column("source_encoding", sa.String(40)),
    sa.Column("encoding_guessed", sa.Boolean, nullable=False, default=False),
    sa.Column("source_bytes", sa.LargeBinary),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("modified", sa.String(32), nullable=False),
    sqlite_autoincrement=True,
)

turns = sa.Table(
    "turns",
    metadata,
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("speaker", sa.String(200)),
    sa.Column("time_start", sa.Float),
    sa.Column("time_end", sa.Float),
    sa.Column("overlap", sa.Boolean, nullable=False, default=False),
)

speakers = sa.Table(
    "speakers",
    metadata,
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("label", sa.String(200), primary_key=True),
    sa.Column("participant_id", sa.Integer, sa.ForeignKey("participants.id", ondelete="SET NULL")),
)

codebooks = sa.Table(
    "codebooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("version", sa.String(64), nullable=False, default=""),
    sa.Column("path", sa.Text),
    sa.Column("source_text", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("attached", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=False),
    sa.Column("row_version", sa.Integer, nullable=False, default=1, system=True),  # added by migration 6 (system: not in CREATE TABLE)
    sqlite_autoincrement=True,
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("parent", sa.String(200)),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("retired", sa.Boolean, nullable=False, default=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("row_version", sa.Integer, nullable=False, default=1, system=True),  # added by migration 6 (system: not in CREATE TABLE)
)

codings = sa.Table(
    "codings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id"), nullable=False),
    sa.Column("code_id", sa.String(200), sa.ForeignKey("codes.id", onupdate="CASCADE"), nullable=False),
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.id"), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("memo", sa.Text, nullable=False, default=""),
    sa.Column("origin", sa.String(20), nullable=False, default="manual"),
    sa.Column("quote", sa.Text, nullable=False, default=""),
    sa.Column("prefix", sa.Text, nullable=False, default=""),
    sa.Column("suffix", sa.Text, nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False, default="ok"),
    sa.Column("codebook_hash", sa.String(64)),
    sa.Column("evidence", sa.JSON),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("modified", sa.String(32), nullable=False),
    sa.CheckConstraint("start >= 0 AND start < \"end\"", name="coding_span"),
    sa.Index("ix_codings_code", "code_id"),
    sa.Index("ix_codings_transcript", "transcript_id", "start"),
    sa.Index("ix_codings_coder", "coder_id"),
    sqlite_autoincrement=True,
)

memos = sa.Table(
    "memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("target_kind", sa.String(20), nullable=False),
    sa.Column("target_id", sa.String(200), nullable=False),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.id"), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("modified", sa.String(32), nullable=False),
    sa.Index("ix_memos_target", "target_kind", "target_id"),
    sqlite_autoincrement=True,
)

# --- schema version 2: suggestions and the researcher's decisions on them ---
suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("code_id", sa.String(200), sa.ForeignKey("codes.id", onupdate="CASCADE"), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("quote", sa.Text, nullable=False, default=""),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("suggester", sa.String(80), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="pending"),
    sa.Column("coder_id", sa.Integer, sa.ForeignKey("coders.id")),
    sa.Column("coding_id", sa.Integer, sa.ForeignKey("codings.id", ondelete="SET NULL")),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("decided", sa.String(32)),
    sa.Index("ix_suggestions_pair", "transcript_id", "code_id", "start", "end"),
    sqlite_autoincrement=True,
)

# --- the suggestions' indexes made by migrations (2, 8) ---
SUGGESTIONS_BY_STATUS = ("ix_suggestions_status", "suggestions", ("status", "transcript_id"))
"""The index versions 2 to 7 had on suggestions (made by migration 2, dropped by migration 8)."""
PENDING_SUGGESTIONS = ("ix_suggestions_pending", "suggestions", ("status", "transcript_id", "code_id", "score"))
"""Covers the fingerprint of a transcript's pending suggestions (count, sum of ids and of scores), which a
re-run reads for every transcript (:meth:`~qcode.storage.interface.Suggestions.pending_aggregates`), without
reading the rows; made by migration 8 in place of :data:`SUGGESTIONS_BY_STATUS`, a prefix of it."""

# --- migration "unique coding spans": one coding per (transcript, code, coder, span) ---
UNIQUE_CODING_SPAN = ("uq_codings_span", "codings", ("transcript_id", "code_id", "coder_id", "start", "end"))
"""(index, table, columns): two processes coding the same passage at once cannot both store it.

Created by its migration (not attached to the table above, so that version-1
tables stay what version 1 created and old duplicates can be merged first).
"""

V1_TABLES = [meta, coders, participants, attribute_defs, transcripts, turns, speakers, codebooks, codes, codings, memos]
V2_TABLES = [suggestions]

# --- source text and its map to the normalised text (issue #11) ---
transcript_sources = sa.Table(
    "transcript_sources",
    metadata,
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("map", sa.JSON, nullable=False),
)
SOURCE_TABLES = [transcript_sources]

# --- agreement and review of disagreements (schema version 5) ---
agreement_runs = sa.Table(
    "agreement_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),
    sa.Column("coders", sa.JSON, nullable=False),
    sa.Column("codebook_hash", sa.String(64)),
    sa.Column("codebook_version", sa.String(64), nullable=False, default=""),
    sa.Column("result", sa.JSON, nullable=False),
    sqlite_autoincrement=True,
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("code_id", sa.String(200), sa.ForeignKey("codes.id", onupdate="CASCADE"), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("kept", sa.JSON, nullable=False),
    sa.Column("consensus", sa.String(200), nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("memo", sa.Text, nullable=False, default=""),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Index("ix_reviews_place", "transcript_id", "code_id", "start", "end"),
    sqlite_autoincrement=True,
)

AGREEMENT_TABLES = [agreement_runs, reviews]

# --- schema version 7: ids are never reused (see the module docstring) ---
AUTOINCREMENT_TABLES = [coders, participants, transcripts, codebooks, codings, memos, suggestions, agreement_runs, reviews]
"""Every table with an integer id, all of them: most lose rows (transcripts, codings, memos, suggestions,
reviews) and their ids are held elsewhere; the others (coders, participants, codebooks, agreement runs) lose
none today, and being AUTOINCREMENT too means a removal added to them later cannot bring the reuse back.
Tables keyed by something else are not here: codes (their id is the codebook's, a name), turns, speakers,
sources and attribute definitions (keyed by their transcript or name)."""
