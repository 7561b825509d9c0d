"""Units of suggestion: speaker turns, or sentence-like windows when a turn is long.

A long turn (``auto`` mode) is cut at its sentence boundaries; a sentence
still longer than :data:`MAX_WINDOW_TOKENS` (unpunctuated transcriptions:
Transcriber files, ASR output) is cut into windows at a preferred cut (a
Transcriber ``<Sync>`` time point inside the turn), else at a pause (a comma,
an ellipsis, a filler such as "euh", "um", "hein": :data:`PAUSES`), as late
as the bound allows, else at the bound, so a suggested passage is one a
researcher would code, not a 1,000-character turn.

A :class:`Unit` keeps only what scoring needs once the parsed document is
gone: its absolute span in the transcript text and its *terms* (the lemma
hashes of its content words, with the absolute offsets of each token), so
that documents can be streamed and dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qcode.suggest.arrays import ranges

if TYPE_CHECKING:  # numpy is imported only inside functions (quick commands do not load it)
    import numpy as np
    from numpy.typing import NDArray

    Ints = NDArray[np.int64]
    Hashes = NDArray[np.uint64]

UnitMode = Literal["auto", "turn", "sentence"]
LONG_TURN_TOKENS = 60
"""In ``auto`` mode, a turn with more tokens than this is split into sentences (then windows)."""
MIN_SENTENCE_TOKENS = 6
"""In ``auto`` mode, shorter sentences are joined to the next one."""
MAX_WINDOW_TOKENS = 45
"""In ``auto`` and ``sentence`` modes, a longer sentence is cut into windows of at most this many tokens."""
MIN_WINDOW_TOKENS = 12
"""A window is cut at a pause no earlier than this many tokens after its start."""
PAUSES = (",", ";", ":", "...", "…", "--", "euh", "heu", "hein", "ben", "bah", "bon", "voilà", "enfin", "quoi",
          "um", "uh", "erm", "hmm", "mm", "okay")
"""Tokens (lowercase forms) after which a window may end."""


@dataclass(slots=True)
class Unit:
    transcript_id: int
    start: int
    end: int
    terms: list[int] = field(default_factory=list)
    """Lemma hashes of the content words (no stop words, punctuation or numbers)."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Absolute offsets of the token behind each term (parallel to ``terms``)."""
    turn: int = 0
    stops: list[int] = field(default_factory=list)
    """Lemma hashes of its function words (stop words): features of the learned model, never evidence."""


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs of *text* (used when a transcript has no turns)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for block in text.split("\n\n"):
        stripped = block.strip()
        if stripped:
            s = pos + block.index(stripped)
            out.append((s, s + len(stripped)))
        pos += len(block) + 2
    return out


TABLE_ATTRS = ("LEMMA", "IS_ALPHA", "IS_STOP", "IDX", "LENGTH", "SENT_START", "NORM", "POS")
"""Columns of a document's token table: what the doc cache and the features read from a parsed turn
(:func:`build_features` reads them by position)."""


UNITS_KEY = "qcode_units"
"""``doc.spans`` key of the units of a turn (set by the ``qcode_units_v1`` component)."""


def token_table(doc: Any) -> Hashes:
    """The (tokens x TABLE_ATTRS) uint64 array of *doc* (``doc.to_array``)."""
    import numpy as np
    from spacy.attrs import IDS

    if not len(doc):
        return np.zeros((0, len(TABLE_ATTRS)), dtype=np.uint64)
    return doc.to_array([IDS[a] for a in TABLE_ATTRS]).reshape(len(doc), len(TABLE_ATTRS))


def doc_terms(doc: Any) -> tuple[Hashes, Ints, Ints, Ints]:
    """Arrays (lemma hash, start char, end char, token index) of the content tokens of *doc*."""
    import numpy as np
    from spacy.attrs import IDX, IS_ALPHA, IS_STOP, LEMMA, LENGTH

    if len(doc) == 0:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty.astype(np.int64), empty.astype(np.int64), empty.astype(np.int64)
    arr = doc.to_array([LEMMA, IS_ALPHA, IS_STOP, IDX, LENGTH])
    keep = (arr[:, 1] == 1) & (arr[:, 2] == 0)
    idx = np.nonzero(keep)[0]
    lemmas = arr[idx, 0]
    starts = arr[idx, 3].astype(np.int64)
    ends = starts + arr[idx, 4].astype(np.int64)
    return lemmas, starts, ends, idx


_TEXT_TERMS: dict[tuple[int, str], Hashes] = {}
"""(id of the pipeline info, text) -> :func:`doc_terms` lemmas of a codebook text (bounded, see :func:`text_terms`)."""


def text_terms(info: Any, texts: list[str]) -> list[Hashes]:
    """The content lemmas (:func:`doc_terms`) of each of some short texts (the codebook's), parsed once per pipeline
    and session: the signals that read them share one parse, and a re-run in the app parses only edited texts."""
    from qcode.suggest.pipeline import parse

    key = id(info)
    todo = list(dict.fromkeys(t for t in texts if (key, t) not in _TEXT_TERMS))
    if len(_TEXT_TERMS) + len(todo) > 20_000:
        _TEXT_TERMS.clear()
        todo = list(dict.fromkeys(texts))
    for text, doc in zip(todo, parse(info, todo), strict=True):
        _TEXT_TERMS[(key, text)] = doc_terms(doc)[0]
    return [_TEXT_TERMS[(key, t)] for t in texts]


@dataclass(eq=False)
class Features:
    """The units of one transcript as arrays (what scoring needs; cacheable without the docs).

    ``ptr[i]:ptr[i + 1]`` indexes the terms of unit *i* in ``terms`` (lemma
    hashes of content words) and in ``tstart``/``tend`` (their absolute offsets).
    """

    transcript_id: int
    start: Ints
    end: Ints
    turn: Ints
    tok: Ints
    """(n, 2): token range of each unit inside its turn's document."""
    ptr: Ints
    terms: Hashes
    tstart: Ints
    tend: Ints
    sptr: Ints | None = None
    """``sptr[i]:sptr[i + 1]`` indexes the function words of unit *i* in ``sterms`` (lemma hashes)."""
    sterms: Hashes | None = None

    def __len__(self) -> int:
        return len(self.start)

    def unit(self, i: int) -> Unit:
        a, b = int(self.ptr[i]), int(self.ptr[i + 1])
        return Unit(
            self.transcript_id, int(self.start[i]), int(self.end[i]), self.terms[a:b].tolist(),
            list(zip(self.tstart[a:b].tolist(), self.tend[a:b].tolist(), strict=True)),
            int(self.turn[i]),
            self.sterms[self.sptr[i]:self.sptr[i + 1]].tolist() if self.sptr is not None and self.sterms is not None else [],
        )

    def units(self) -> list[Unit]:
        return [self.unit(i) for i in range(len(self))]

    def words(self) -> tuple[Ints, Hashes]:
        """(ptr, terms) of each unit's content words followed by its function words (the learned model's rows)."""
        import numpy as np

        n = len(self)
        if self.sptr is None:
            return self.ptr, self.terms
        own_t = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.ptr))
        own_s = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.sptr))
        order = np.argsort(np.concatenate([own_t, own_s]), kind="stable")
        terms = np.concatenate([self.terms, self.sterms]).astype(np.uint64)[order]
        return self.ptr + self.sptr, terms


@dataclass(eq=False)
class Tokens:
    """Per-token arrays of a transcript's parsed turns, concatenated (for rule matching)."""

    offset: Ints
    """First global token index of each turn's document (length turns + 1)."""
    start: Ints
    """Absolute start offset of each token."""
    end: Ints
    unit_first: Ints
    """Global token range of each unit."""
    unit_last: Ints
    lemma: Hashes | None = None
    """LEMMA hash of each token (for the array phrase matching of :mod:`qcode.suggest.rules`)."""
    norm: Hashes | None = None
    """NORM hash (the lowercase form) of each token."""
    pos: Hashes | None = None
    """POS id of each token (0 without a tagger)."""


def build_features(
    transcript_id: int, turn_spans: list[tuple[int, int]], docs: list[Any], mode: UnitMode, tables: list[Hashes] | None = None,
    cuts: Sequence[Sequence[int]] | None = None,
) -> tuple[Features, Tokens]:
    """Cut each parsed turn into units and collect their terms, with arrays instead of spaCy objects.

    *tables*: the :func:`token_table` of each doc, when the caller has them; *cuts*: per turn, the
    character offsets (in the turn) where a window should preferably end (see :func:`turn_pieces`).
    A doc that has the ``qcode_units`` span group keeps those units.
    """
    import itertools

    import numpy as np

    if tables is None:
        tables = [token_table(d) for d in docs]
    # All the turns' tables at once (one copy), then the units of each turn from its rows.
    lengths = [len(d) for d in docs]
    offsets = [0, *itertools.accumulate(lengths)]
    filled = [t for t, n in zip(tables, lengths, strict=True) if n]
    if filled:
        # one copy (the columns are read by position below: TABLE_ATTRS's order), as int64 (the same bits)
        arr = np.concatenate(filled).view(np.int64)
        arr[:, 3] += np.repeat(np.array([a for a, _ in turn_spans], dtype=np.int64), lengths)
    else:
        arr = np.zeros((0, 8), dtype=np.int64)
    sent = arr[:, 5]
    pause = np.isin(arr[:, 6].view(np.uint64), _pause_hashes())
    pieces, turns = [], []
    for k, n in enumerate(lengths):
        if n:
            o = offsets[k]
            group = docs[k].spans.get(UNITS_KEY) if docs[k].spans else None
            if group is not None:
                spans = [(s.start, s.end) for s in group]
            else:
                prefer = None
                if cuts and cuts[k] and (mode == "sentence" or (mode == "auto" and n > LONG_TURN_TOKENS)):
                    prefer = _preferred(tables[k], cuts[k])  # only where the turn may be cut into windows
                spans = _pieces_arr(sent[o:o + n], n, mode, pause[o:o + n], prefer)
            for a, b in spans:
                pieces.append((o + a, o + b, a, b))
                turns.append(k)
    starts_all = arr[:, 3]
    ends_all = starts_all + arr[:, 4]
    p = np.array(pieces, dtype=np.int64).reshape(-1, 4)
    ustart = starts_all[p[:, 0]] if len(p) else np.zeros(0, np.int64)
    uend = ends_all[p[:, 1] - 1] if len(p) else np.zeros(0, np.int64)
    keep = uend > ustart
    p, ustart, uend = p[keep], ustart[keep], uend[keep]
    turns_arr = np.array(turns, dtype=np.int64)[keep]
    content = np.nonzero((arr[:, 1] == 1) & (arr[:, 2] == 0))[0]
    lo = np.searchsorted(content, p[:, 0])
    hi = np.searchsorted(content, p[:, 1])
    # Units are contiguous and ordered, so their terms are the content tokens between lo and hi.
    sel = content[ranges(lo, hi)[1]]
    ptr = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int64)
    stop = np.nonzero((arr[:, 1] == 1) & (arr[:, 2] == 1))[0]
    slo, shi = np.searchsorted(stop, p[:, 0]), np.searchsorted(stop, p[:, 1])
    ssel = stop[ranges(slo, shi)[1]]
    feats = Features(
        transcript_id, ustart, uend, turns_arr, p[:, 2:4].copy(), ptr,
        arr[sel, 0].view(np.uint64), starts_all[sel], ends_all[sel],
        np.concatenate([[0], np.cumsum(shi - slo)]).astype(np.int64), arr[ssel, 0].view(np.uint64),
    )
    tokens = Tokens(np.array(offsets, dtype=np.int64), starts_all, ends_all, p[:, 0].copy(), p[:, 1].copy(),
                    arr[:, 0].astype(np.uint64), arr[:, 6].astype(np.uint64), arr[:, 7].astype(np.uint64))
    return feats, tokens


def turn_pieces(
    table: Hashes, mode: UnitMode, cuts: Sequence[int] | None = None, pause: NDArray[np.bool_] | None = None
) -> list[tuple[int, int]]:
    """Token ranges of the units of one turn from its token table; *cuts*: character offsets (in the
    turn) where a window should preferably end (Transcriber ``<Sync>`` times), before any pause;
    *pause*: which tokens are pauses, when the caller computed it for many turns at once."""
    import numpy as np

    sent_col, norm_col = (TABLE_ATTRS.index(a) for a in ("SENT_START", "NORM"))
    n = len(table)
    if mode == "turn" or (mode == "auto" and n <= LONG_TURN_TOKENS):
        return [(0, n)] if n else []
    sent = table[:, sent_col].astype(np.int64)
    if pause is None:
        pause = np.isin(table[:, norm_col], _pause_hashes())
    return _pieces_arr(sent, n, mode, pause, _preferred(table, cuts) if cuts else None)


def _preferred(table: Hashes, cuts: Sequence[int]) -> NDArray[np.bool_]:
    """Which tokens of a turn (its token table) end just before one of *cuts* (character offsets in the
    turn): the next token starts at or after the cut. A cut before the first or after the last token is none."""
    import numpy as np

    n = len(table)
    idx = table[:, TABLE_ATTRS.index("IDX")].astype(np.int64)
    at = np.searchsorted(idx, np.asarray(sorted(cuts), dtype=np.int64)) - 1
    prefer = np.zeros(n, dtype=bool)
    prefer[at[(at >= 0) & (at < n - 1)]] = True
    return prefer


def _pause_hashes() -> Hashes:
    import numpy as np
    from spacy.strings import get_string_id

    return np.array([get_string_id(p) for p in PAUSES], dtype=np.uint64)


def _pieces_arr(
    sent_start: Ints, n: int, mode: UnitMode, pause: NDArray[np.bool_] | None = None, prefer: NDArray[np.bool_] | None = None
) -> list[tuple[int, int]]:
    """Token ranges of the units of one turn, from the SENT_START column (1 = starts a sentence;
    0 everywhere = not set) and, for windows, the tokens after which a pause allows a cut
    (*prefer*: those after which a cut is preferred to a pause)."""
    import numpy as np

    if mode == "turn" or (mode == "auto" and n <= LONG_TURN_TOKENS):
        return [(0, n)]
    bounds = np.flatnonzero(sent_start == 1).tolist()
    if not bounds:  # no sentence start set: one sentence
        sents = [(0, n)]
    else:
        if bounds[0] != 0:
            bounds = [0, *bounds]
        sents = _merge(list(zip(bounds, [*bounds[1:], n], strict=True)), n, mode)
    out: list[tuple[int, int]] = []
    for a, b in sents:
        if b - a <= MAX_WINDOW_TOKENS:
            out.append((a, b))
        else:
            out.extend(windows(a, b, pause, prefer))
    return out


def windows(
    a: int, b: int, pause: NDArray[np.bool_] | None = None, prefer: NDArray[np.bool_] | None = None
) -> list[tuple[int, int]]:
    """Cut the token range a:b into windows of at most MAX_WINDOW_TOKENS, each ending after a preferred
    cut (``prefer[i]`` true: a ``<Sync>`` time), else after a pause token (``pause[i]`` true), as late
    as possible, else at the bound; the last one at least MIN_WINDOW_TOKENS."""
    out: list[tuple[int, int]] = []
    s = a
    while b - s > MAX_WINDOW_TOKENS:
        cut = s + MAX_WINDOW_TOKENS
        for marks in (prefer, pause):
            if marks is None:
                continue
            found = next((i for i in range(s + MAX_WINDOW_TOKENS - 1, s + MIN_WINDOW_TOKENS - 2, -1) if marks[i]), None)
            if found is not None:
                cut = found + 1
                break
        if b - cut < MIN_WINDOW_TOKENS:  # do not leave a scrap at the end
            cut = b - MIN_WINDOW_TOKENS if b - s > MAX_WINDOW_TOKENS + MIN_WINDOW_TOKENS else b
        out.append((s, cut))
        s = cut
    if s < b:
        out.append((s, b))
    return out


def _merge(sents: list[tuple[int, int]], n: int, mode: UnitMode) -> list[tuple[int, int]]:
    """In ``auto`` mode, join sentences shorter than MIN_SENTENCE_TOKENS to the next one."""
    if mode == "sentence":
        return sents
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for a, b in sents:
        start = a if pending is None else pending
        if b - start < MIN_SENTENCE_TOKENS:
            pending = start
            continue
        merged.append((start, b))
        pending = None
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], n)
        else:
            merged.append((pending, n))
    return merged
