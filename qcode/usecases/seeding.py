"""First use of a project: attach its codebook and import its seed files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcode.core.errors import QcodeError

if TYPE_CHECKING:
    from qcode.usecases.project import Project, SeedReport


def seed_project(project: Project, include_seed: bool = True) -> SeedReport:
    """Attach the configured codebook and import the ``[seed]`` files, all or nothing."""
    from qcode.usecases import codebook, exchange, importing
    from qcode.usecases.project import SeedReport

    report = SeedReport()
    s = project.settings
    with project.store.transaction():
        project.store.meta.set("seeded", "yes")
        if s.codebook:
            codebook.attach_codebook(project, project.path(s.codebook))
        if not include_seed:
            return report
        files = [project.path(p) for p in s.seed_transcripts]
        result = importing.import_paths(project, files)
        if result.failed:
            raise QcodeError(
                "Could not import the project's seed transcripts: "
                + "; ".join(f"{r.path.name}: {r.message}" for r in result.failed),
                hint="Fix or remove them from [seed] in qcode.toml.",
            )
        report.transcripts = len(result.imported)
        for p in s.seed_attributes:
            from qcode.usecases import attributes

            attributes.import_attributes(project, project.path(p))
        for p in s.seed_codings:
            r = exchange.import_codings(project, project.path(p))
            if r.failed:
                raise QcodeError("Could not import the seed codings: " + "; ".join(r.failed[:5]))
            report.codings += r.imported
    project.invalidate(codebook=True)
    return report
