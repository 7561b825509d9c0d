"""One error family for everything qcode reports to a user.

Every error has a *title* (what failed), a *message* (what, where: file, line,
key) and a *hint* (what to do next). The CLI prints them to stderr and exits
with code 2; the app shows them in a dialog. Nothing here imports outer
libraries.
"""

from __future__ import annotations

from collections.abc import Collection


class QcodeError(Exception):
    """A problem the user can fix. Never shown with a traceback."""

    title: str = "qcode error"

    def __init__(self, message: str, *, hint: str = "", title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ProjectError(QcodeError):
    title = "Project problem"


class ProjectBusyError(ProjectError):
    title = "Project is busy"


class StorageError(QcodeError):
    title = "Could not save"


class PermissionDeniedError(StorageError):
    title = "Not allowed"


class EditConflictError(StorageError):
    """Someone else changed what this change was based on (optimistic locking by version column)."""

    title = "Changed by someone else"


class SettingsError(QcodeError):
    title = "Settings file problem"


class CodebookError(QcodeError):
    title = "Codebook problem"


class ImportFormatError(QcodeError):
    title = "Could not import"


class CodingError(QcodeError):
    title = "Coding problem"


class NotFoundError(QcodeError):
    title = "Not found"


class AmbiguousError(QcodeError):
    title = "Ambiguous name"


class SuggestError(QcodeError):
    title = "Suggestion problem"


class ReportError(QcodeError):
    title = "Report problem"


def did_you_mean(word: str, options: Collection[str]) -> str:
    """Return ' Did you mean 'x'?' for the closest option, or ''."""
    close = closest(word, options)
    return f" Did you mean '{close}'?" if close else ""


def closest(word: str, options: Collection[str]) -> str | None:
    """The option *word* most likely stands for: the closest spelling, else the shortest option
    it begins (``pay`` -> ``pay-piece-rates``, ``CFP`` -> ``CFPP2000``), else None."""
    import difflib

    ordered = sorted(options)
    close = difflib.get_close_matches(word, ordered, n=1, cutoff=0.6)
    if close:
        return close[0]
    key = word.casefold()
    starts = [o for o in ordered if len(key) >= 2 and o.casefold().startswith(key)]
    return min(starts, key=len) if starts else None
