"""Report language: one message catalogue per language, and locale-aware numbers and dates.

Every sentence, heading and table header a report prints (the XLSX
workbook's too; the CSV's column names excepted, which are stable field names,
:data:`qcode.formats.reports.tables.FIELDS`) comes from
``qcode/formats/reports/messages/<lang>.py`` (a plain ``MESSAGES`` table:
key -> text, or for counted nouns key -> ``{"one": ..., "other": ...}``, the
plural categories of the language as Babel/CLDR names them). Adding a
language is adding one such file; a test checks that every catalogue has the
keys of the English one and the same ``{placeholders}``. Numbers, shares and
dates are formatted by Babel for the locale (``1 234``, ``67 %``, ``31 mars 2025``
in French). :attr:`Messages.tag` (``fr-FR``) is what the Word styles, the
document properties and the HTML ``lang`` carry, so spell-checkers and screen
readers use the right language.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from functools import cache
from pathlib import Path

from qcode.core.errors import ReportError

Message = str | dict[str, str]
"""A catalogue entry: a text with ``{placeholders}``, or a counted text by CLDR plural form (``one``, ``other``...)."""

TAGS = {"en": "en-GB", "fr": "fr-FR"}
"""Language -> the BCP 47 tag the documents carry (the region decides spelling and paper habits)."""


def languages() -> list[str]:
    """Languages that have a catalogue (``en``, ``fr``, ...)."""
    folder = Path(__file__).parent / "messages"
    return sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_"))


@cache
def catalogue(lang: str) -> dict[str, Message]:
    return dict(importlib.import_module(f"qcode.formats.reports.messages.{lang}").MESSAGES)


def base_language(lang: str | None) -> str:
    """``fr_FR`` / ``fr-CA`` / ``FR`` -> ``fr``."""
    return (lang or "").replace("_", "-").split("-")[0].strip().lower()


def resolve_language(explicit: str | None, project_language: str | None) -> str:
    """The report language: *explicit* (``--lang``, refused when unknown), else the project's when a
    catalogue exists, else English."""
    known = languages()
    if explicit:
        lang = base_language(explicit)
        if lang not in known:
            raise ReportError(f"No report text in language '{explicit}'.",
                              hint="Use --lang " + " or --lang ".join(known) + " (the project's language is the default).")
        return lang
    lang = base_language(project_language)
    return lang if lang in known else "en"


class Messages:
    """The report text of one language: ``m("key", n=3)``, ``m.count(3, "codings")``, ``m.num(1234)``."""

    def __init__(self, lang: str = "en") -> None:
        from babel import Locale

        self.lang = lang if lang in languages() else "en"
        self.tag = TAGS.get(self.lang, self.lang)
        self.locale = Locale.parse(self.tag.replace("-", "_"))
        self._table = catalogue(self.lang)
        self._fallback = catalogue("en")

    def __call__(self, key: str, **values: object) -> str:
        text = self._table.get(key, self._fallback[key])
        if isinstance(text, dict):
            raise KeyError(f"{key} is a counted message: use Messages.count")
        return text.format(**{k: self.num(v) if isinstance(v, int) and not isinstance(v, bool) else v
                              for k, v in values.items()})

    def raw(self, key: str) -> str:
        """The catalogue text with its ``{placeholders}`` left in (for fields such as page numbers)."""
        text = self._table.get(key, self._fallback[key])
        return str(text)

    def has(self, key: str) -> bool:
        return key in self._fallback

    def count(self, n: int, key: str, **values: object) -> str:
        """``3 codings`` / ``1 coding`` / ``3 codages``: the plural form of the language for *n*."""
        forms = self._table.get(key, self._fallback[key])
        if isinstance(forms, str):
            raise KeyError(f"{key} is not a counted message: use Messages(key)")
        form = self.locale.plural_form(n)
        text = forms.get(form) or forms["other"]
        return text.format(n=self.num(n), **values)

    def num(self, value: int | float) -> str:
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.locale)

    def pct(self, share: float | None) -> str:
        """A share as a whole percentage (``67%``, ``67 %``); an en dash for an empty group."""
        if share is None:
            return "–"
        from babel.numbers import format_percent

        return format_percent(round(share, 2), locale=self.locale)

    def date(self, iso: str) -> str:
        """``31 March 2025`` / ``31 mars 2025`` (the text itself when it is not a date)."""
        from babel.dates import format_date

        try:
            return format_date(date.fromisoformat(iso), format="long", locale=self.locale)
        except ValueError:
            return iso

    def join(self, items: list[str]) -> str:
        """``a, b and c`` / ``a, b et c``."""
        from babel.lists import format_list

        return format_list(list(items), locale=self.locale) if items else ""
