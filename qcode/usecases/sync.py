"""Offline and back: ``qcode pull`` / ``qcode push`` between a local SQLite project and its server project.

Both directions are one merge (:func:`qcode.usecases.merge.merge_store`,
issue #13): transcripts matched by the SHA-256 of their text, codes by GUID
or id, codings by GUID (or same transcript, span, code and coder), memos
both kept when they differ; nothing on the side written to is overwritten.
This module adds what a merge leaves out, the codebook (codes the side
written to lacks are added; codes that differ are listed as conflicts and
that side keeps its own), and remembers the server in ``[sync] server``.

On the server, PostgreSQL's roles still apply: a coder's push adds only
their own codings and memos (one in anyone else's name fails the whole
push, and nothing is written); pulling while blind coding is on brings
only their own codings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from qcode.core.codebook import Code
from qcode.core.errors import ProjectError
from qcode.storage import Store, postgres
from qcode.usecases.merge import MergeReport, merge_store
from qcode.usecases.project import Project
from qcode.usecases.settings import check_database_url, remember_sync_server


@dataclass
class SyncReport:
    direction: str
    server: str
    codes_added: list[str] = field(default_factory=list)
    code_conflicts: list[str] = field(default_factory=list)
    """Codes that differ on the two sides: the side written to kept its own."""
    merge: MergeReport | None = None
    """Transcripts, codings and memos brought across."""

    def lines(self) -> list[str]:
        out = [f"{self.direction.capitalize()} {'from' if self.direction == 'pull' else 'to'} {self.server}:"]
        out.append(f"  codes: {len(self.codes_added)} added" + (f" ({', '.join(self.codes_added)})" if self.codes_added else ""))
        if self.code_conflicts:
            out.append(f"  {len(self.code_conflicts)} codes differ on the two sides (each side keeps its own): "
                       + ", ".join(self.code_conflicts))
        if self.merge is not None:
            out += self.merge.lines()[1:]
        return out


def pull(local: Project, url: str | None = None) -> SyncReport:
    """Bring the server project's codebook, transcripts, codings and memos into the local project."""
    url = _server_url(local, url)
    with Store.open_url(url) as server:
        report = SyncReport("pull", postgres.describe(url))
        _sync_codes(server, local.store, report)
        local.invalidate(codebook=True)
        report.merge = _merge(local, server, f"the server {postgres.describe(url)}")
    remember_sync_server(local.root, url)
    local.settings.sync_server = url
    return report


def push(local: Project, url: str | None = None) -> SyncReport:
    """Bring the local project's new work onto the server project."""
    url = _server_url(local, url)
    server_project = Project(local.root, local.settings, Store.open_url(url))
    with server_project:
        report = SyncReport("push", postgres.describe(url))
        _sync_codes(local.store, server_project.store, report)
        server_project.invalidate(codebook=True)
        report.merge = _merge(server_project, local.store, f"the local project {local.root}")
    remember_sync_server(local.root, url)
    local.settings.sync_server = url
    return report


def _server_url(local: Project, url: str | None) -> str:
    if local.store.server is not None:
        raise ProjectError(
            "This project is itself on the server: pull and push are for a local copy.",
            hint="Make a local project (`qcode init DIR`) and pull into it.",
        )
    url = url or local.settings.sync_server
    if not url:
        raise ProjectError(
            "No server to sync with.",
            hint="Give its URL once: `qcode pull postgresql://USER@HOST/DATABASE` (it is remembered in qcode.toml).",
        )
    check_database_url(url, "the server URL")
    return url


def _merge(target: Project, source: Store, label: str) -> MergeReport:
    return merge_store(target, source, label=label)


def _sync_codes(source: Store, target: Store, report: SyncReport) -> None:
    """Add the codes *target* lacks (matched by GUID, then id); list those that differ; save nothing else."""
    src_cb, dst_cb = source.codes.codebook(), target.codes.codebook()
    dst_by_guid = target.codes.guids()
    src_guids = source.codes.guids()
    dst_ids = {c.id: c for c in dst_cb.codes}
    new: list[Code] = []
    for code in src_cb.codes:
        guid = src_guids.get(code.id)
        mine = dst_ids.get(code.id) or next((dst_ids[i] for i, g in dst_by_guid.items() if g == guid and i in dst_ids), None)
        if mine is None:
            new.append(code)
        elif _key(mine) != _key(code):
            report.code_conflicts.append(code.id)
    if not new and dst_cb.ids:
        return
    with target.transaction():
        if target.codes.record() is None:
            rec = source.codes.record()
            target.codes.save(src_cb, source_text=rec.source_text if rec else None, path=rec.path if rec else None)
        else:
            target.codes.upsert(new, start_position=len(dst_cb.codes))
    report.codes_added = [c.id for c in new]


def _key(code: Code) -> str:
    return json.dumps(code.to_dict(), sort_keys=True, default=str)
