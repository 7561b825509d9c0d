"""QualCoder projects (a ``.qda`` folder holding ``data.qda``, a SQLite database) as the exchange model.

Tables read (QualCoder 3): ``source`` (``fulltext``), ``code_cat`` (categories,
``supercatid``), ``code_name`` (``catid``, ``color``, ``memo``), ``code_text``
(``pos0``/``pos1`` in code points of ``fulltext``, ``seltext``, ``owner``,
``memo``), ``annotation``, ``journal``, ``cases``/``case_text``,
``attribute_type``/``attribute``. Categories become non-codable codes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qcode.core.codebook import Code, Codebook, new_code_id, tree_order
from qcode.core.coding import stable_guid
from qcode.formats.refi.foreign import columns, read_untrusted, tables
from qcode.formats.refi.model import (
    RefiCase,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
    RefiVariable,
    VariableValue,
)
from qcode.formats.refi.model import (
    parse_time as _time,
)


def read_qualcoder(path: Path) -> RefiProject:
    return read_untrusted(path, "QualCoder", {"source", "code_name", "code_text"}, _read)


def _read(conn: sqlite3.Connection, path: Path) -> RefiProject:
    have = tables(conn)
    version = ""
    if "project" in have and "databaseversion" in columns(conn, "project"):
        row = conn.execute("SELECT databaseversion FROM project").fetchone()
        version = row[0] if row and row[0] else ""
    name = path.parent.name.removesuffix(".qda") if path.name == "data.qda" else path.stem
    p = RefiProject(name=name, origin=f"QualCoder {version}".strip())
    owners: set[str] = set()

    def user(owner: object) -> str | None:
        if not owner:
            return None
        owners.add(str(owner))
        return stable_guid("qualcoder-user", str(owner))

    codes: list[Code] = []
    taken: set[str] = set()
    cat_ids: dict[int, str] = {}
    if "code_cat" in have:
        cats = conn.execute("SELECT catid, name, memo, supercatid FROM code_cat ORDER BY catid").fetchall()
        for catid, cname, _memo, _sup in cats:
            cat_ids[catid] = new_code_id(cname or "category", taken)
            taken.add(cat_ids[catid])
        for catid, cname, memo, sup in cats:
            codes.append(Code(cat_ids[catid], {"": cname or "category"}, parent=cat_ids.get(sup), definition=memo or "",
                              codable=False))
            p.code_guids[stable_guid("qualcoder-cat", str(catid))] = cat_ids[catid]
    code_of: dict[int, str] = {}
    for cid, cname, memo, catid, color in conn.execute(
            "SELECT cid, name, memo, catid, color FROM code_name ORDER BY cid"):
        code_of[cid] = new_code_id(cname or "code", taken)
        taken.add(code_of[cid])
        col = color if isinstance(color, str) and color.startswith("#") and len(color) in (4, 7) else None
        codes.append(Code(code_of[cid], {"": cname or "code"}, parent=cat_ids.get(catid), color=col,
                          definition=memo or ""))
        p.code_guids[stable_guid("qualcoder-code", str(cid))] = code_of[cid]
    p.codebook = Codebook(title=name, codes=tuple(tree_order(codes)))
    sources: dict[int, RefiSource] = {}
    for fid, fname, text, memo, owner, date in conn.execute(
            "SELECT id, name, fulltext, memo, owner, date FROM source ORDER BY id"):
        if text is None:
            p.warnings.append(f"{path.name}: source '{fname}' has no text (a media file); not imported.")
            continue
        src = RefiSource(stable_guid("qualcoder-source", str(fid)), fname or f"source-{fid}", text,
                         user_guid=user(owner), created=_time(date))
        if memo:
            g = stable_guid("qualcoder-source-memo", str(fid))
            p.notes.append(RefiNote(g, "memo", memo, src.user_guid, src.created))
            src.note_refs.append(g)
        sources[fid] = src
    for ctid, cid, fid, seltext, pos0, pos1, owner, date, memo in conn.execute(
            "SELECT ctid, cid, fid, seltext, pos0, pos1, owner, date, memo FROM code_text ORDER BY fid, pos0, ctid"):
        target = sources.get(fid)
        if target is None or cid not in code_of:
            p.warnings.append(f"{path.name}: coding {ctid} refers to a missing source or code; not imported.")
            continue
        ug = user(owner)
        target.selections.append(RefiSelection(
            stable_guid("qualcoder-selection", str(ctid)), int(pos0), int(pos1), name=seltext or "",
            description=memo or "", user_guid=ug, created=_time(date),
            codings=[RefiCoding(stable_guid("qualcoder-coding", str(ctid)), stable_guid("qualcoder-code", str(cid)),
                                ug, _time(date))]))
    if "annotation" in have:
        for anid, fid, pos0, pos1, memo, owner, date in conn.execute(
                "SELECT anid, fid, pos0, pos1, memo, owner, date FROM annotation ORDER BY anid"):
            target = sources.get(fid)
            if target is None or not memo:
                continue
            g = stable_guid("qualcoder-annotation", str(anid))
            p.notes.append(RefiNote(g, "annotation", memo, user(owner), _time(date)))
            target.selections.append(RefiSelection(stable_guid("qualcoder-annotation-sel", str(anid)), int(pos0),
                                                int(pos1), note_refs=[g], user_guid=user(owner)))
    if "journal" in have:
        for jid, jname, entry, date, owner in conn.execute("SELECT jid, name, jentry, date, owner FROM journal"):
            g = stable_guid("qualcoder-journal", str(jid))
            p.notes.append(RefiNote(g, jname or "journal", entry or "", user(owner), _time(date)))
            p.note_refs.append(g)
    _cases_and_attributes(conn, have, p, sources)
    p.sources = list(sources.values())
    p.users = [RefiUser(stable_guid("qualcoder-user", o), o) for o in sorted(owners)]
    return p


def _cases_and_attributes(conn: sqlite3.Connection, have: set[str], p: RefiProject, sources: dict[int, RefiSource]) -> None:
    case_guid: dict[int, RefiCase] = {}
    if "cases" in have:
        for caseid, cname, memo in conn.execute("SELECT caseid, name, memo FROM cases ORDER BY caseid"):
            case_guid[caseid] = RefiCase(stable_guid("qualcoder-case", str(caseid)), cname or f"case-{caseid}",
                                         description=memo or "")
        if "case_text" in have:
            for caseid, fid in conn.execute("SELECT DISTINCT caseid, fid FROM case_text"):
                if caseid in case_guid and fid in sources:
                    case_guid[caseid].source_refs.append(sources[fid].guid)
    if "attribute_type" in have and "attribute" in have:
        kinds = {}
        for aname, memo, _scope, vtype in conn.execute(
                "SELECT name, memo, caseOrFile, valuetype FROM attribute_type ORDER BY name"):
            g = stable_guid("qualcoder-variable", str(aname))
            kinds[aname] = (g, vtype)
            p.variables.append(RefiVariable(g, aname, "Float" if vtype == "numeric" else "Text", memo or ""))
        for aname, attr_type, value, target in conn.execute("SELECT name, attr_type, value, id FROM attribute"):
            if aname not in kinds or value in (None, ""):
                continue
            g, vtype = kinds[aname]
            v: VariableValue = value
            if vtype == "numeric":
                try:
                    number = float(value)
                    v = int(number) if number.is_integer() and abs(number) < 2**53 else number  # 34, not 34.0
                except (TypeError, ValueError, OverflowError):
                    v = value
            if attr_type == "case" and target in case_guid:
                case_guid[target].values[g] = v
            elif attr_type == "file" and target in sources:
                sources[target].values[g] = v
    p.cases = list(case_guid.values())
