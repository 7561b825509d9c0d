"""Transcript importers: one small adapter per format, behind one registry.

An importer turns the bytes of one file into a :class:`~qcode.core.Transcript`
whose text is normalised (see :mod:`qcode.core.text`). Importers never touch
the store; :mod:`qcode.usecases.importing` does, all or nothing per file.
"""

from __future__ import annotations

from qcode.formats.importers.base import Importer, ImportOptions, importer_for, registry

__all__ = ["ImportOptions", "Importer", "importer_for", "registry"]
