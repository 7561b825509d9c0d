"""What the use cases may ask of a store: one ``typing.Protocol`` per repository.

:class:`qcode.storage.store.Store` is the one implementation (SQLAlchemy Core,
SQLite and PostgreSQL); ``tests/storage/test_interface.py`` checks it satisfies
these Protocols on both backends. Repositories take and return core dataclasses.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, runtime_checkable

from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding, Memo
from qcode.core.sourcemap import SourceMap
from qcode.core.transcript import AttributeDef, Participant, Transcript, TranscriptSummary

if TYPE_CHECKING:
    from qcode.storage.postgres import ServerInfo


@dataclass(frozen=True)
class CodebookRecord:
    """Where the active codebook came from, and which version of it is active (``store.codes.record()``)."""

    path: str | None
    """The YAML file it was read from, as given when it was attached."""
    content_hash: str
    """:meth:`qcode.core.codebook.Codebook.content_hash` (recorded on each new coding)."""
    version: str | None
    title: str | None
    source_text: str | None
    """The YAML text it was read from."""
    attached: str
    """When it was made active (ISO 8601)."""


@dataclass(frozen=True)
class TurnSpan:
    transcript_id: int
    start: int
    end: int


@dataclass(frozen=True)
class CodedSpan:
    transcript_id: int
    start: int
    end: int
    coder: str


@dataclass(frozen=True)
class CoverageRows:
    """What coding progress is computed from (``store.progress.coverage()``)."""

    turns: list[TurnSpan]
    """Every turn, by transcript id then turn index."""
    codings: list[CodedSpan]
    transcript_ids: list[int]


@dataclass(frozen=True)
class SuggestionRow:
    """A stored suggestion and the decision on it (status ``pending``, ``accepted``, ``rejected``)."""

    id: int
    transcript_id: int
    code_id: str
    start: int
    end: int
    quote: str
    score: float
    evidence: dict[str, Any]
    suggester: str
    status: str
    coder: str | None
    """Who decided (None while pending)."""
    coding_id: int | None
    """The coding an accepted suggestion made."""
    created: datetime
    decided: datetime | None


SuggestionInput = tuple[int, str, int, int, str, float, Any, str]
"""A suggestion to write: (transcript_id, code_id, start, end, quote, score, evidence, suggester).

The evidence is a dict or its JSON text (what ``replace_pending`` stores).
"""

Fingerprint = tuple[int, int, float]
"""(count, sum of ids, sum of scores) of a transcript's pending suggestions."""

TranscriptRows = tuple[int, Sequence[SuggestionInput]] | tuple[int, Sequence[SuggestionInput], Sequence[str] | None]
"""One transcript's new pending suggestions: (transcript_id, rows), or (transcript_id, rows, the codes they
replace; None: all)."""


class AgreementRunRecord(TypedDict):
    """A kept agreement computation (``qcode agreement --keep``)."""

    id: int
    created: str
    unit: str
    coders: list[str]
    codebook_hash: str | None
    codebook_version: str
    result: dict[str, Any]
    """What :func:`qcode.usecases.agreement.compute` returned."""


class ReviewRecord(TypedDict):
    """A decision on a disagreement between coders at one place."""

    id: int
    transcript_id: int
    code_id: str
    start: int
    end: int
    decision: str
    kept: list[int]
    """The consensus codings the decision made."""
    consensus: str
    reviewer: str
    memo: str
    created: str


@runtime_checkable
class CodersRepository(Protocol):
    """The coders of a project (people and suggesters)."""

    def id(self, name: str) -> int:
        """The id of coder *name*, created on first use."""
        ...

    def names(self) -> list[str]:
        """Every coder's name, sorted."""
        ...

    def names_by_id(self) -> dict[int, str]:
        """Coder names by id."""
        ...


@runtime_checkable
class ProgressRepository(Protocol):
    """The spans coding progress is computed from."""

    def coverage(self) -> CoverageRows:
        """Every turn's and coding's span, and every transcript id, read in one transaction."""
        ...


@runtime_checkable
class MetaRepository(Protocol):
    """Small key/value project settings kept in the database."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


@runtime_checkable
class SuggestionsRepository(Protocol):
    """Suggestions and the decisions on them; pending ones are replaced by each run, decided ones kept."""

    def replace_pending(
        self,
        transcript_ids: Iterable[int],
        code_ids: Iterable[str],
        rows: Sequence[SuggestionInput | dict[str, Any]],
        unchanged: Iterable[int] = (),
    ) -> int:
        """Make *rows* the pending suggestions of these transcripts x codes; the number written or kept."""
        ...

    def replace_transcripts_pending(
        self, items: Sequence[TranscriptRows], code_ids: Sequence[str]
    ) -> dict[int, tuple[int, Fingerprint]]:
        """``replace_pending`` per transcript in one transaction: rows written and the fingerprint left
        (over *code_ids*). An item may name the codes its rows replace (a subset of *code_ids*; the
        transcript's pending suggestions of the other codes stay as they are)."""
        ...

    def pending_aggregates(self, transcript_ids: Iterable[int], code_ids: Iterable[str]) -> dict[int, Fingerprint]:
        """The fingerprint of each transcript's pending suggestions of these codes."""
        ...

    def transcript_inputs(
        self, transcript_ids: Sequence[int], text: bool = True, turns: bool = True
    ) -> dict[int, tuple[str, str, builtins.list[tuple[int, int]], builtins.list[tuple[int, float | None]]]]:
        """Text (empty when not *text*), its SHA-256, the turn spans (none when not *turns*) and the time points
        (offset, seconds: its :data:`~qcode.core.transcript.SYNC` notes, by offset) of each transcript."""
        ...

    def reconcile(self) -> int:
        """Accepted suggestions whose coding is gone are pending again, and back; the rows changed."""
        ...

    def rejected_keys(
        self, transcript_ids: Iterable[int] | None = None
    ) -> tuple[set[tuple[int, str, int, int]], set[tuple[int, str, str]]]:
        """Rejected (transcript, code, start, end) spans and (transcript, code, quote) quotes."""
        ...

    def list(
        self, *, status: str | None = "pending", transcript_id: int | None = None, code_id: str | None = None
    ) -> builtins.list[SuggestionRow]:
        """Suggestions matching the filters, best score first."""
        ...

    def get(self, suggestion_id: int) -> SuggestionRow:
        """One suggestion (NotFoundError when there is none)."""
        ...

    def decide(self, suggestion_id: int, status: str, coder: str, coding_id: int | None = None) -> None:
        """Record *coder*'s decision (``accepted`` with the coding made, or ``rejected``)."""
        ...

    def delete(self, suggestion_id: int) -> None: ...

    def drop_pending(self, transcript_id: int) -> int:
        """Forget a transcript's pending suggestions (its text changed); how many."""
        ...

    def counts(self) -> dict[str, int]:
        """The number of suggestions per status."""
        ...

    def coding_quotes(self, coding_ids: Iterable[int]) -> dict[int, str]:
        """The quote of each of these codings that still exists."""
        ...


@runtime_checkable
class TranscriptsRepository(Protocol):
    """Transcripts with their turns, speakers and source; referred to by id, name or original file name."""

    def add(self, t: Transcript, source_bytes: bytes | None = None) -> int:
        """Store *t* (and the bytes of its original file); its new id (ProjectError for a taken name)."""
        ...

    def replace_content(self, tid: int, new: Transcript, source_bytes: bytes | None = None) -> None:
        """New text, turns and source for transcript *tid* (its codings are the caller's job)."""
        ...

    def update_fields(self, tid: int, **fields: Any) -> None:
        """Change the name, title, kind, language, attributes or notes (:class:`Note` objects) of transcript *tid*."""
        ...

    def delete(self, tid: int) -> None:
        """Delete transcript *tid* with its codings, memos (on it and on its codings), suggestions, reviews and speaker links."""
        ...

    def get(self, tid: int) -> Transcript:
        """One transcript (NotFoundError when there is none)."""
        ...

    def summaries(self) -> list[TranscriptSummary]:
        """Every transcript's summary (no text), by id."""
        ...

    def find(self, ref: str | int) -> int:
        """The id of the transcript with this id, name or original file name (NotFoundError, AmbiguousError)."""
        ...

    def by_source_hash(self, sha256: str) -> tuple[int, str] | None:
        """The id and name of the transcript imported from a file with this SHA-256."""
        ...

    def source(self, tid: int) -> tuple[str, SourceMap] | None:
        """The source text of transcript *tid* and its map to the text (None when not stored)."""
        ...

    def source_bytes(self, tid: int) -> bytes | None:
        """The bytes of the file transcript *tid* was imported from (None when not stored)."""
        ...

    def hashes(self) -> dict[int, tuple[str, str]]:
        """Transcript id -> (SHA-256 of its text, name)."""
        ...


@runtime_checkable
class CodesRepository(Protocol):
    """The active codebook and its codes; a write that would overwrite someone else's change raises EditConflictError."""

    def save(self, codebook: Codebook, *, source_text: str | None = None, path: str | None = None) -> None:
        """Make *codebook* the active one and upsert its codes (codes not in it are left alone)."""
        ...

    def upsert(self, codes: Iterable[Code], start_position: int = 0) -> None:
        """Insert new codes and write changed ones, at positions from *start_position*."""
        ...

    def delete(self, code_id: str) -> None:
        """Delete a code that no coding uses (CodingError otherwise)."""
        ...

    def codebook(self) -> Codebook:
        """The active codebook, with every stored code (retired ones too)."""
        ...

    def record(self) -> CodebookRecord | None:
        """Path, hash, version and source text of the active codebook (None before one is attached)."""
        ...

    def guids(self) -> dict[str, str]:
        """Code id -> GUID of every code in the store."""
        ...


@runtime_checkable
class CodingsRepository(Protocol):
    """Codings: a code applied by a coder to a span of a transcript (annotations spell ``builtins.list``)."""

    def add(self, coding: Coding) -> Coding:
        """Store *coding*; returns it with its id (CodingError for an unknown code or a duplicate span)."""
        ...

    def add_many(self, items: Sequence[Coding]) -> builtins.list[Coding]:
        """Store *items* in one transaction; returns them with their ids, in order."""
        ...

    def update(self, coding: Coding) -> Coding:
        """Write back every field of coding ``coding.id``; returns it with a new modified time."""
        ...

    def update_many(self, items: Sequence[Coding]) -> None:
        """``update`` each of *items*, in one transaction."""
        ...

    def delete(self, coding_id: int) -> Coding:
        """Delete one coding; returns what was deleted (for undo)."""
        ...

    def restore(self, coding: Coding) -> Coding:
        """Re-insert a deleted coding with its id, guid and times (undo)."""
        ...

    def get(self, coding_id: int) -> Coding:
        """One coding (NotFoundError when there is none)."""
        ...

    def list(
        self,
        *,
        transcript_id: int | None = None,
        code_ids: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        status: str | None = None,
    ) -> builtins.list[Coding]:
        """Codings matching every filter given, by transcript then position."""
        ...

    def iter(
        self,
        *,
        transcript_id: int | None = None,
        code_ids: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        status: str | None = None,
    ) -> Iterator[Coding]:
        """``list``, one coding at a time."""
        ...

    def find(self, transcript_id: int, code_id: str, coder: str, start: int, end: int) -> int | None:
        """The id of the coding with exactly this span, code and coder, if any."""
        ...

    def guids(self) -> set[str]:
        """The GUID of every coding."""
        ...

    def counts(self) -> dict[str, int]:
        """The number of codings per code id."""
        ...

    def reassign(self, from_code: str, to_code: str) -> int:
        """Move every coding of *from_code* to *to_code*, dropping exact duplicates; how many moved."""
        ...


@runtime_checkable
class MemosRepository(Protocol):
    """Memos on the project, a transcript, a code or a coding (``Memo.target_kind``/``target_id``)."""

    def add(self, memo: Memo) -> Memo:
        """Store *memo*; returns it with its id."""
        ...

    def update(self, memo: Memo) -> Memo:
        """New title and text for memo ``memo.id`` (NotFoundError when it is gone)."""
        ...

    def delete(self, memo_id: int) -> None: ...

    def list(self, target_kind: str | None = None, target_id: str | None = None) -> builtins.list[Memo]:
        """The memos on these targets (all when none is given), oldest first."""
        ...


@runtime_checkable
class ParticipantsRepository(Protocol):
    """The people who speak in transcripts (cases, in REFI-QDA terms) and which speaker label is whom."""

    def upsert(self, p: Participant, merge: bool = True) -> int:
        """Create or update *p* (its attributes merged into the stored ones with *merge*); its id."""
        ...

    def link_speaker(self, transcript_id: int, label: str, participant: str | None) -> None:
        """Speaker *label* of the transcript is *participant* (None: nobody)."""
        ...

    def list(self) -> builtins.list[Participant]:
        """Every participant, by name."""
        ...

    def speakers(self) -> dict[tuple[int, str], str]:
        """(transcript id, speaker label) -> participant name, for every linked speaker."""
        ...


@runtime_checkable
class AttributesRepository(Protocol):
    """The declared attributes of transcripts and participants."""

    def define(self, definition: AttributeDef) -> None:
        """Declare an attribute, or change its type."""
        ...

    def definitions(self) -> list[AttributeDef]:
        """Every declared attribute, by scope then name."""
        ...


@runtime_checkable
class RolesRepository(Protocol):
    """A team server's group roles, logins, policies and blind coding (PostgreSQL only)."""

    def database(self) -> str:
        """The database's name."""
        ...

    def set_up(self, prefix: str, *, record_prefix: bool) -> None:
        """Group roles of *prefix*, table ownership, grants and row-level security (run again: harmless)."""
        ...

    def add_login(self, prefix: str, name: str, kind: str, password: str | None = None) -> bool:
        """Login role *name* in group *kind*; True when it is new."""
        ...

    def set_blind(self, on: bool) -> None: ...

    def connection(self) -> tuple[ServerInfo, str | None]:
        """Who is connected, as what, and the TLS version (None without TLS)."""
        ...


@runtime_checkable
class TeamRepository(Protocol):
    """Kept agreement computations and decisions on disagreements."""

    def add_agreement_run(self, unit: str, coders: list[str], codebook_hash: str | None, codebook_version: str,
                          result: dict[str, Any]) -> int: ...

    def agreement_runs(self) -> list[AgreementRunRecord]: ...

    def add_review(self, *, transcript_id: int, code_id: str, start: int, end: int, decision: str, kept: list[int],
                   consensus: str, reviewer: str, memo: str = "") -> int: ...

    def delete_review(self, review_id: int) -> None: ...

    def reviews(self) -> list[ReviewRecord]: ...

    def set_review_memo(self, review_id: int, memo: str) -> None: ...


@runtime_checkable
class StoreProtocol(Protocol):
    """A project store, made of repositories (read-only properties, so implementations may narrow their types)."""

    @property
    def coders(self) -> CodersRepository: ...

    @property
    def progress(self) -> ProgressRepository: ...

    @property
    def meta(self) -> MetaRepository: ...

    @property
    def suggestions(self) -> SuggestionsRepository: ...

    @property
    def transcripts(self) -> TranscriptsRepository: ...

    @property
    def codes(self) -> CodesRepository: ...

    @property
    def codings(self) -> CodingsRepository: ...

    @property
    def memos(self) -> MemosRepository: ...

    @property
    def participants(self) -> ParticipantsRepository: ...

    @property
    def team(self) -> TeamRepository: ...

    @property
    def attributes(self) -> AttributesRepository: ...

    @property
    def roles(self) -> RolesRepository: ...
