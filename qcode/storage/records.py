"""Store methods for the codebook and codings (mixed into :class:`Store`; memos are ``store.memos``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qcode.core.codebook import Code, Codebook
from qcode.core.coding import Coding, now, stable_guid
from qcode.core.errors import CodingError, EditConflictError, NotFoundError, did_you_mean
from qcode.storage import schema
from qcode.storage.engine import insert_sql, inserted_id

_INSERT_CODING = sa.insert(schema.codings)


def _ts(dt: datetime) -> str:
    return dt.isoformat()


class RecordsMixin:
    """Codebook and coding persistence."""

    _known_codes: set[str] = set()
    """Code ids seen in the database (a cache; the foreign key is the real guard)."""
    _seen_versions: dict[str, tuple[int, str]]
    """row_version and content of each code when this store last read or wrote it (edit-conflict detection)."""
    _seen_codebook: int | None
    """row_version of the active codebook when this store last read or wrote it."""

    # Provided by Store.
    def transaction(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError  # pragma: no cover

    def reading(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError  # pragma: no cover

    def coder_id(self, name: str) -> int:
        raise NotImplementedError  # pragma: no cover

    def _coder_names(self, conn: sa.Connection) -> dict[int, str]:
        raise NotImplementedError  # pragma: no cover

    # ------------------------------------------------------------- codebook
    def save_codebook(self, codebook: Codebook, *, source_text: str | None = None, path: str | None = None) -> None:
        """Make *codebook* the active one: record its version and upsert its codes.

        Codes that are in the store but not in *codebook* are left alone: the
        codebook use case decides whether they are retired, merged or deleted.
        """
        cb = schema.codebooks
        new_hash = codebook.content_hash()
        with self.transaction() as conn:
            cur = conn.execute(
                sa.select(cb.c.row_version, cb.c.content_hash, cb.c.version, cb.c.attached)
                .where(cb.c.active.is_(True)).order_by(cb.c.id.desc())
            ).first()
            seen = self._seen_codebook
            if cur is not None and seen is not None and cur.row_version != seen and cur.content_hash != new_hash:
                raise EditConflictError(
                    f"The codebook was changed by someone else since you loaded it (version '{cur.version}', "
                    f"saved {cur.attached}; its revision is now {cur.row_version}, you had {seen}).",
                    hint="Your codebook was not saved. Reload the project to see their version, then make "
                    "your change again.",
                )
            revision = (cur.row_version if cur is not None else 0) + 1
            conn.execute(sa.update(cb).values(active=False))
            conn.execute(
                sa.insert(cb).values(
                    row_version=revision,
                    content_hash=new_hash,
                    title=codebook.title,
                    version=codebook.version,
                    path=path,
                    source_text=source_text,
                    data=_codebook_meta(codebook),
                    attached=_ts(now()),
                    active=True,
                )
            )
            self.upsert_codes(codebook.codes)
            self._seen_codebook = revision

    def upsert_codes(self, codes: Iterable[Code], start_position: int = 0) -> None:
        """Insert new codes and write changed ones.

        A changed code is written only if nobody changed it since this store
        read it (its ``row_version``); otherwise nothing is saved and
        :class:`EditConflictError` names the codes.
        """
        ct = schema.codes
        conflicts: list[str] = []
        with self.transaction() as conn:
            existing = {r.id: r for r in conn.execute(sa.select(ct.c.id, ct.c.parent, ct.c.retired, ct.c.data, ct.c.position, ct.c.row_version))}
            for pos, code in enumerate(codes, start=start_position):
                values = {"parent": code.parent, "retired": code.retired, "data": code.to_dict()}
                mine = _code_key(values)
                old = existing.get(code.id)
                if old is None:
                    conn.execute(sa.insert(ct).values(id=code.id, guid=stable_guid("code", code.id), position=pos, row_version=1, **values))
                    self._seen_versions[code.id] = (1, mine)
                    continue
                theirs = _code_key(old._mapping)
                seen, seen_key = self._seen_versions.get(code.id, (old.row_version, theirs))
                if theirs == mine or (mine == seen_key and old.row_version != seen):
                    # Nothing to write, or a code this writer did not change that someone else did: theirs stays.
                    if old.position != pos:
                        conn.execute(sa.update(ct).where(ct.c.id == code.id).values(position=pos))
                    self._seen_versions[code.id] = (old.row_version, theirs)
                    continue
                n = conn.execute(
                    sa.update(ct).where((ct.c.id == code.id) & (ct.c.row_version == seen))
                    .values(position=pos, row_version=seen + 1, **values)
                ).rowcount
                if n == 0:
                    conflicts.append(code.id)
                else:
                    self._seen_versions[code.id] = (seen + 1, mine)
            if conflicts:
                raise EditConflictError(
                    f"Someone else changed {', '.join(repr(c) for c in conflicts)} since you loaded the codebook; "
                    "your version would overwrite theirs.",
                    hint="Nothing was saved. Reload the project to see their change, then make yours again.",
                )

    def delete_code(self, code_id: str) -> None:
        """Delete a code that no coding uses (raises otherwise)."""
        with self.transaction() as conn:
            used = conn.execute(sa.select(sa.func.count()).where(schema.codings.c.code_id == code_id)).scalar()
            if used:
                raise CodingError(
                    f"Code '{code_id}' still has {used} codings; it cannot be deleted.",
                    hint="Move its codings to another code (`qcode codebook merge-codes`) or keep it as retired.",
                )
            conn.execute(sa.delete(schema.suggestions).where(schema.suggestions.c.code_id == code_id))
            conn.execute(sa.delete(schema.codes).where(schema.codes.c.id == code_id))
            self._known_codes.discard(code_id)

    def get_codebook(self) -> Codebook:
        """The active codebook, including retired codes still in use."""
        cb, ct = schema.codebooks, schema.codes
        with self.reading() as conn:
            active = conn.execute(sa.select(cb.c.data, cb.c.row_version).where(cb.c.active.is_(True)).order_by(cb.c.id.desc())).first()
            code_rows = conn.execute(
                sa.select(ct.c.id, ct.c.parent, ct.c.retired, ct.c.data, ct.c.row_version).order_by(ct.c.position)
            ).all()
        rows = [r.data for r in code_rows]
        self._seen_versions.update({r.id: (r.row_version, _code_key(r._mapping)) for r in code_rows})
        self._seen_codebook = active.row_version if active is not None else None
        meta = active.data if active is not None else None
        meta = meta or {}
        return Codebook(
            title=meta.get("title", "Untitled codebook"),
            version=meta.get("version", ""),
            languages=tuple(meta.get("languages", ())),
            authors=tuple(meta.get("authors", ())),
            description=meta.get("description", ""),
            codes=tuple(Code.from_dict(d) for d in rows),
            extra=meta.get("extra", {}),
        )

    def codebook_record(self) -> dict[str, Any] | None:
        """Path, hash, version and source text of the active codebook."""
        cb = schema.codebooks
        with self.reading() as conn:
            row = conn.execute(sa.select(cb).where(cb.c.active.is_(True)).order_by(cb.c.id.desc())).first()
        if row is None:
            return None
        return {
            "path": row.path,
            "content_hash": row.content_hash,
            "version": row.version,
            "title": row.title,
            "source_text": row.source_text,
            "attached": row.attached,
        }

    # -------------------------------------------------------------- codings
    def add_coding(self, coding: Coding) -> Coding:
        return self.add_codings([coding])[0]

    def add_codings(self, items: Sequence[Coding]) -> list[Coding]:
        """Insert codings in one transaction; returns them with their ids."""
        out: list[Coding] = []
        if not items:
            return out
        with self.transaction() as conn:
            self._check_codes(conn, {c.code_id for c in items})
            coder_ids = {name: self.coder_id(name) for name in {c.coder for c in items}}
            rows = [self._coding_row(c, coder_ids[c.coder]) for c in items]
            if len(rows) == 1:
                new_id = inserted_id(conn, _INSERT_CODING, rows[0])
                return [_with_id(items[0], int(new_id))]
            _bulk_insert(conn, schema.codings, rows)
            guids = [c.guid for c in items]
            ids: dict[str, int] = {}
            for chunk in range(0, len(guids), 500):
                part = guids[chunk : chunk + 500]
                for guid, cid in conn.execute(
                    sa.select(schema.codings.c.guid, schema.codings.c.id).where(schema.codings.c.guid.in_(part))
                ).all():
                    ids[guid] = cid
        return [_with_id(c, ids[c.guid]) for c in items]

    def _check_codes(self, conn: sa.Connection, code_ids: set[str]) -> None:
        missing = code_ids - self._known_codes
        if not missing:
            return
        known = set(conn.execute(sa.select(schema.codes.c.id)).scalars())
        self._known_codes = known
        for cid in sorted(code_ids - known):
            raise CodingError(
                f"Unknown code '{cid}'." + did_you_mean(cid, known),
                hint="List the codes with `qcode codebook show`, or add the code to the codebook first.",
            )

    def _coding_row(self, c: Coding, coder_id: int) -> dict[str, Any]:
        return {
            "guid": c.guid,
            "transcript_id": c.transcript_id,
            "code_id": c.code_id,
            "coder_id": coder_id,
            "start": c.start,
            "end": c.end,
            "memo": c.memo,
            "origin": c.origin,
            "quote": c.quote,
            "prefix": c.prefix,
            "suffix": c.suffix,
            "status": c.status,
            "codebook_hash": c.codebook_hash,
            "evidence": c.evidence,
            "created": _ts(c.created),
            "modified": _ts(c.modified),
        }

    def update_coding(self, coding: Coding) -> Coding:
        """Write back every field of *coding* (matched by id); returns it with a new modified time."""
        if coding.id is None:
            raise ValueError("coding has no id")
        updated = replace(coding, modified=now())
        with self.transaction() as conn:
            self._check_codes(conn, {coding.code_id})
            row = self._coding_row(updated, self.coder_id(coding.coder))
            row.pop("guid")
            row.pop("created")
            n = conn.execute(sa.update(schema.codings).where(schema.codings.c.id == coding.id).values(**row)).rowcount
            if n == 0:
                raise NotFoundError(f"No coding with id {coding.id}.")
        return updated

    def update_codings(self, items: Sequence[Coding]) -> None:
        with self.transaction():
            for c in items:
                self.update_coding(c)

    def delete_coding(self, coding_id: int) -> Coding:
        """Delete one coding; returns what was deleted (so it can be restored by undo)."""
        with self.transaction() as conn:
            old = self.get_coding(coding_id)
            conn.execute(
                sa.update(schema.suggestions).where(schema.suggestions.c.coding_id == coding_id).values(coding_id=None)
            )
            conn.execute(sa.delete(schema.codings).where(schema.codings.c.id == coding_id))
        return old

    def restore_coding(self, coding: Coding) -> Coding:
        """Re-insert a deleted coding with its original id, guid and times (undo)."""
        with self.transaction() as conn:
            self._check_codes(conn, {coding.code_id})
            row = self._coding_row(coding, self.coder_id(coding.coder))
            if coding.id is not None:
                row["id"] = coding.id
            conn.execute(sa.insert(schema.codings).values(**row))
        return coding

    def get_coding(self, coding_id: int) -> Coding:
        with self.reading() as conn:
            row = conn.execute(sa.select(schema.codings).where(schema.codings.c.id == coding_id)).first()
            if row is None:
                raise NotFoundError(f"No coding with id {coding_id}.", hint="List codings with `qcode codings`.")
            names = self._coder_names(conn)
        return _coding_from_row(row, names)

    def codings(
        self,
        *,
        transcript_id: int | None = None,
        code_ids: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        status: str | None = None,
    ) -> list[Coding]:
        """Codings matching every filter given, ordered by transcript and position."""
        return list(self.iter_codings(transcript_id=transcript_id, code_ids=code_ids, coders=coders, status=status))

    def iter_codings(
        self,
        *,
        transcript_id: int | None = None,
        code_ids: Iterable[str] | None = None,
        coders: Iterable[str] | None = None,
        status: str | None = None,
    ) -> Iterator[Coding]:
        ct = schema.codings
        q = sa.select(ct)
        if transcript_id is not None:
            q = q.where(ct.c.transcript_id == transcript_id)
        if code_ids is not None:
            q = q.where(ct.c.code_id.in_(list(code_ids)))
        with self.reading() as conn:
            names = self._coder_names(conn)
            if coders is not None:
                wanted = set(coders)
                q = q.where(ct.c.coder_id.in_([i for i, n in names.items() if n in wanted]))
            if status is not None:
                q = q.where(ct.c.status == status)
            q = q.order_by(ct.c.transcript_id, ct.c.start, ct.c.end, ct.c.id)
            rows = conn.execute(q).all()
        for row in rows:
            yield _coding_from_row(row, names)

    def find_coding(self, transcript_id: int, code_id: str, coder: str, start: int, end: int) -> int | None:
        """The id of the coding with exactly this span, code and coder, if there is one."""
        ct, co = schema.codings, schema.coders
        with self.reading() as conn:
            return conn.execute(
                sa.select(ct.c.id)
                .select_from(ct.join(co, ct.c.coder_id == co.c.id))
                .where(
                    (ct.c.transcript_id == transcript_id)
                    & (ct.c.start == start)
                    & (ct.c.end == end)
                    & (ct.c.code_id == code_id)
                    & (co.c.name == coder)
                )
            ).scalar()

    def coding_guids(self) -> set[str]:
        """The GUID of every coding (an imported coding keeps its own GUID only when it is not taken)."""
        with self.reading() as conn:
            return set(conn.execute(sa.select(schema.codings.c.guid)).scalars())

    def count_codings(self) -> dict[str, int]:
        """Number of codings per code id."""
        ct = schema.codings
        with self.reading() as conn:
            rows = conn.execute(sa.select(ct.c.code_id, sa.func.count()).group_by(ct.c.code_id)).all()
        return {code_id: n for code_id, n in rows}

    def reassign_codings(self, from_code: str, to_code: str) -> int:
        """Move every coding of *from_code* to *to_code*, dropping exact duplicates."""
        ct = schema.codings
        with self.transaction() as conn:
            self._check_codes(conn, {from_code, to_code})
            moved = 0
            for row in conn.execute(sa.select(ct).where(ct.c.code_id == from_code)).all():
                dup = conn.execute(
                    sa.select(ct.c.id).where(
                        (ct.c.code_id == to_code)
                        & (ct.c.transcript_id == row.transcript_id)
                        & (ct.c.start == row.start)
                        & (ct.c.end == row.end)
                        & (ct.c.coder_id == row.coder_id)
                    )
                ).first()
                if dup:
                    conn.execute(sa.delete(ct).where(ct.c.id == row.id))
                else:
                    conn.execute(sa.update(ct).where(ct.c.id == row.id).values(code_id=to_code, modified=_ts(now())))
                moved += 1
        return moved


def _code_key(values: Any) -> str:
    """A code's content (parent, retired, data) as one comparable string."""
    return json.dumps([values["parent"], bool(values["retired"]), values["data"]], sort_keys=True, default=str)


def _with_id(c: Coding, coding_id: int) -> Coding:
    """A copy of *c* with its database id (faster than dataclasses.replace in bulk)."""
    return Coding(
        c.transcript_id, c.start, c.end, c.code_id, c.coder, c.memo, c.origin, c.quote, c.prefix,
        c.suffix, c.created, c.modified, c.status, c.codebook_hash, c.evidence, c.guid, coding_id,
    )


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """executemany straight through the driver: SQLAlchemy's per-row processing dominates bulk inserts.

    JSON columns are serialised here; the SQL is built with the dialect's own
    quoting and parameter style, so it stays portable.
    """
    cols = list(rows[0])
    json_cols = {c for c in cols if isinstance(table.c[c].type, sa.JSON)}
    sql = insert_sql(conn, table, cols)
    data = [
        tuple(json.dumps(r[c]) if c in json_cols and r[c] is not None else r[c] for c in cols) for r in rows
    ]
    conn.exec_driver_sql(sql, data)


def _codebook_meta(cb: Codebook) -> dict[str, Any]:
    return {
        "title": cb.title,
        "version": cb.version,
        "languages": list(cb.languages),
        "authors": list(cb.authors),
        "description": cb.description,
        "extra": cb.extra,
    }


def _coding_from_row(row: Any, names: dict[int, str]) -> Coding:
    return Coding(
        id=row.id,
        guid=row.guid,
        transcript_id=row.transcript_id,
        code_id=row.code_id,
        coder=names.get(row.coder_id, "?"),
        start=row.start,
        end=row.end,
        memo=row.memo,
        origin=row.origin,
        quote=row.quote,
        prefix=row.prefix,
        suffix=row.suffix,
        status=row.status,
        codebook_hash=row.codebook_hash,
        evidence=row.evidence,
        created=datetime.fromisoformat(row.created),
        modified=datetime.fromisoformat(row.modified),
    )
