"""Attaching a codebook to a project and changing it.

(Foundation version: attach and switch. The codebook issue adds change
summaries, retire/merge/move and YAML write-back.)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from qcode.formats.codebook_yaml import load_codebook
from qcode.usecases.project import Project


def attach_codebook(project: Project, path: Path) -> None:
    """Make the codebook at *path* the project's codebook.

    Codes that disappear but still have codings are kept as retired.
    """
    codebook, text = load_codebook(path)
    old_ids = set(project.store.get_codebook().ids)
    counts = project.store.count_codings()
    with project.store.transaction():
        project.store.save_codebook(codebook, source_text=text, path=str(path))
        gone = old_ids - set(codebook.ids)
        old = project.store.get_codebook()
        for cid in gone:
            if counts.get(cid):
                code = old.find(cid)
                if code is not None:
                    project.store.upsert_codes([replace(code, retired=True)], start_position=len(codebook))
            else:
                project.store.delete_code(cid)
    project.invalidate(codebook=True)
