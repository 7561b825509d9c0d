"""Taguette projects (a ``.sqlite3`` database) as the exchange model.

Taguette stores each document as HTML (``documents.contents``) and each
highlight's ``start_offset``/``end_offset`` in **UTF-8 bytes of the text
nodes, HTML tags not counted** (``taguette/extract.py``). The text is rebuilt
from the text nodes (a line end added at block elements, not counted) and
the offsets are converted to code points over it. Who made a highlight comes
from the ``commands`` log (``highlight_add``); tags are codes (``parent_id``
gives the tree when present), their description the definition.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_left, bisect_right
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from qcode.core.codebook import Code, Codebook, new_code_id, tree_order
from qcode.core.coding import stable_guid
from qcode.formats.refi.foreign import columns, read_untrusted, tables
from qcode.formats.refi.model import RefiCoding, RefiProject, RefiSelection, RefiSource, RefiUser
from qcode.formats.refi.model import parse_time as _time

BLOCKS = frozenset("p div br li tr h1 h2 h3 h4 h5 h6 blockquote pre table ul ol".split())


class _Text(HTMLParser):
    """Text nodes of an HTML document with their UTF-8 byte offsets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.segments: list[tuple[int, int, bytes]] = []  # (byte start, code point start, bytes)
        self.bytes = 0

    def _sep(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
            self.length += 1

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in BLOCKS:
            self._sep()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._sep()

    def handle_data(self, data: str) -> None:
        raw = data.encode("utf-8")
        self.segments.append((self.bytes, self.length, raw))
        self.parts.append(data)
        self.length += len(data)
        self.bytes += len(raw)

    def text(self) -> str:
        return "".join(self.parts)

    def to_codepoint(self, offset: int, end: bool = False) -> int | None:
        """Code point of a byte offset; an *end* at a node boundary stays at the end of the node before."""
        if not 0 <= offset <= self.bytes:
            return None
        starts = [s[0] for s in self.segments]
        i = (bisect_left(starts, offset) if end else bisect_right(starts, offset)) - 1
        if i < 0:
            return 0
        b0, c0, raw = self.segments[i]
        return c0 + len(raw[: offset - b0].decode("utf-8", "ignore"))


def html_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html or "")
    parser.close()
    return parser


def read_taguette(path: Path) -> RefiProject:
    return read_untrusted(path, "Taguette", {"documents", "highlights", "tags", "highlight_tags"}, _read)


def _read(conn: sqlite3.Connection, path: Path) -> RefiProject:
    have = tables(conn)
    p = RefiProject(name=path.stem, origin="Taguette")
    if "projects" in have:
        row = conn.execute("SELECT name FROM projects ORDER BY id LIMIT 1").fetchone()
        if row and row[0]:
            p.name = row[0]
    creators: dict[int, tuple[str, datetime | None]] = {}
    if "commands" in have:
        for login, date, payload in conn.execute("SELECT user_login, date, payload FROM commands ORDER BY id"):
            try:
                data = json.loads(payload)
            except (TypeError, ValueError):
                continue
            if isinstance(data, dict) and data.get("type") == "highlight_add" and isinstance(data.get("highlight_id"), int):
                creators[data["highlight_id"]] = (str(login), _time(date))
    has_parent = "parent_id" in columns(conn, "tags")
    rows = conn.execute(
        f"SELECT id, path, description{', parent_id' if has_parent else ', NULL'} FROM tags ORDER BY id").fetchall()
    taken: set[str] = set()
    ids: dict[int, str] = {}
    for tid, tpath, _d, _par in rows:
        ids[tid] = new_code_id(tpath or "tag", taken)
        taken.add(ids[tid])
    codes = [Code(ids[tid], {"": tpath or "tag"}, parent=ids.get(par), definition=desc or "")
             for tid, tpath, desc, par in rows]
    p.codebook = Codebook(title=p.name, codes=tuple(tree_order(codes)))
    p.code_guids = {stable_guid("taguette-tag", str(tid)): cid for tid, cid in ids.items()}
    tags_of: dict[int, list[int]] = {}
    for hid, tid in conn.execute("SELECT highlight_id, tag_id FROM highlight_tags ORDER BY highlight_id, tag_id"):
        tags_of.setdefault(hid, []).append(tid)
    users: set[str] = set()
    for did, dname, contents, created in conn.execute(
            "SELECT id, name, contents, created FROM documents ORDER BY id").fetchall():
        parsed = html_text(contents)
        src = RefiSource(stable_guid("taguette-document", str(did)), dname or f"document-{did}", parsed.text(),
                         created=_time(created))
        for hid, start, end, snippet in conn.execute(
                "SELECT id, start_offset, end_offset, snippet FROM highlights WHERE document_id = ? ORDER BY start_offset, id",
                (did,)):
            login, date = creators.get(hid, ("", None))
            ug = stable_guid("taguette-user", login) if login else None
            if login:
                users.add(login)
            a, b = parsed.to_codepoint(int(start)), parsed.to_codepoint(int(end), end=True)
            if a is None or b is None:
                a, b = -1, -1  # reported as outside the text by the import
            src.selections.append(RefiSelection(
                stable_guid("taguette-highlight", str(hid)), a, b, name=html_text(snippet).text().strip(),
                user_guid=ug, created=date,
                codings=[RefiCoding(stable_guid("taguette-hltag", f"{hid}-{t}"), stable_guid("taguette-tag", str(t)),
                                    ug, date) for t in tags_of.get(hid, [])]))
        p.sources.append(src)
    p.users = [RefiUser(stable_guid("taguette-user", u), u) for u in sorted(users)]
    return p
