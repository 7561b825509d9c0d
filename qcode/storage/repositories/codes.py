"""The codebook: its codes, and the record of each version made active (``codebooks`` table)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from qcode.core.codebook import Code, Codebook
from qcode.core.coding import now, stable_guid
from qcode.core.errors import CodingError, EditConflictError
from qcode.storage import schema
from qcode.storage.engine import TransactionManager
from qcode.storage.interface import CodebookRecord
from qcode.storage.repositories.codings import SqlCodings


class SqlCodes:
    """The active codebook and its codes.

    A code is written only if nobody changed it since this store last read
    it: the repository remembers the ``row_version`` it saw of each code and
    of the active codebook (edit-conflict detection between team members).
    """

    def __init__(self, tx: TransactionManager, codings: SqlCodings) -> None:
        self._tx = tx
        self._codings = codings
        self._seen_versions: dict[str, tuple[int, str]] = {}
        """row_version and content of each code when this store last read or wrote it."""
        self._seen_codebook: int | None = None
        """row_version of the active codebook when this store last read or wrote it."""

    def save(self, codebook: Codebook, *, source_text: str | None = None, path: str | None = None) -> None:
        """Make *codebook* the active one: record its version and upsert its codes.

        Codes that are in the store but not in *codebook* are left alone: the
        codebook use case decides whether they are retired, merged or deleted.
        """
        cb = schema.codebooks
        new_hash = codebook.content_hash()
        with self._tx.write() as conn:
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
                    attached=now().isoformat(),
                    active=True,
                )
            )
            self.upsert(codebook.codes)
            self._seen_codebook = revision

    def upsert(self, codes: Iterable[Code], start_position: int = 0) -> None:
        """Insert new codes and write changed ones.

        A changed code is written only if nobody changed it since this store
        read it (its ``row_version``); otherwise nothing is saved and
        :class:`EditConflictError` names the codes.
        """
        ct = schema.codes
        conflicts: list[str] = []
        with self._tx.write() as conn:
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

    def delete(self, code_id: str) -> None:
        """Delete a code that no coding uses (raises otherwise)."""
        with self._tx.write() as conn:
            used = conn.execute(sa.select(sa.func.count()).where(schema.codings.c.code_id == code_id)).scalar()
            if used:
                raise CodingError(
                    f"Code '{code_id}' still has {used} codings; it cannot be deleted.",
                    hint="Move its codings to another code (`qcode codebook merge-codes`) or keep it as retired.",
                )
            conn.execute(sa.delete(schema.suggestions).where(schema.suggestions.c.code_id == code_id))
            conn.execute(sa.delete(schema.codes).where(schema.codes.c.id == code_id))
            self._codings.forget_code(code_id)

    def codebook(self) -> Codebook:
        """The active codebook, including retired codes still in use."""
        cb, ct = schema.codebooks, schema.codes
        with self._tx.read() as conn:
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

    def record(self) -> CodebookRecord | None:
        """Path, hash, version and source text of the active codebook."""
        cb = schema.codebooks
        with self._tx.read() as conn:
            row = conn.execute(sa.select(cb).where(cb.c.active.is_(True)).order_by(cb.c.id.desc())).first()
        if row is None:
            return None
        return CodebookRecord(
            path=row.path,
            content_hash=row.content_hash,
            version=row.version,
            title=row.title,
            source_text=row.source_text,
            attached=row.attached,
        )

    def guids(self) -> dict[str, str]:
        """Code id -> GUID of every code in the store."""
        with self._tx.read() as conn:
            return {r.id: r.guid for r in conn.execute(sa.select(schema.codes.c.id, schema.codes.c.guid))}


def _code_key(values: Any) -> str:
    """A code's content (parent, retired, data) as one comparable string."""
    return json.dumps([values["parent"], bool(values["retired"]), values["data"]], sort_keys=True, default=str)


def _codebook_meta(cb: Codebook) -> dict[str, Any]:
    return {
        "title": cb.title,
        "version": cb.version,
        "languages": list(cb.languages),
        "authors": list(cb.authors),
        "description": cb.description,
        "extra": cb.extra,
    }
