"""The report's sections, in order: a registry every format lays out the same way.

A report is a title page (title and provenance), a table of contents, the
numbered sections of :data:`SECTIONS` and their appendices (lettered A, B,
...). :func:`outline` numbers every heading once, so the table of contents,
the Word headings, the HTML and Markdown headings all agree, with no gap.

To add a section (say, inter-coder agreement):

1. ``register(Section("agreement", "sec_agreement", subheadings=...), after="analysis")``
   here, with its title in every message catalogue (``messages/*.py``);
2. a writer for Word in ``docx_report.WRITERS["agreement"]``;
3. a block ``{% elif s.key == "agreement" %}`` in the shipped Markdown and HTML templates
   (a template skips the keys it does not know).

``applies`` leaves a section out of a report that has nothing for it (the
memos appendix of a project without memos); ``subheadings`` lists its
second-level headings as ``(anchor, title, level)`` (level 2 and deeper).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qcode.formats.reports.data import Report


@dataclass(frozen=True)
class Section:
    key: str
    title_key: str
    """Message key of the heading."""
    appendix: bool = False
    applies: Callable[[Report], bool] = field(default=lambda report: True)
    subheadings: Callable[[Report], list[tuple[str, str, int]]] = field(default=lambda report: [])


@dataclass(frozen=True)
class Heading:
    key: str
    """The section this heading belongs to."""
    anchor: str
    """Unique id (``findings``, ``theme-pay``, ``analysis-frequencies``): bookmarks and HTML ids."""
    number: str
    """``2``, ``2.1``, ``2.1.3``, ``A``."""
    title: str
    level: int
    """1 for a section, 2 and deeper below it."""

    @property
    def text(self) -> str:
        """The heading as printed: ``2.1 Pay`` or ``Appendix A. Codebook``."""
        return f"{self.number} {self.title}" if self.number else self.title


def _theme_headings(report: Report) -> list[tuple[str, str, int]]:
    return [(f"theme-{t.code_id}", t.label, 2 + t.depth) for t in report.themes]


def _analysis_headings(report: Report) -> list[tuple[str, str, int]]:
    m = report.m
    out = [("analysis-frequencies", m("sub_frequencies"), 2)]
    out += [(f"analysis-by-{i}", m("sub_groups", attribute=c.attribute), 2) for i, c in enumerate(report.crosstabs)]
    out += [("analysis-cooccurrence", m("sub_cooccurrence"), 2), ("analysis-by-transcript", m("sub_by_transcript"), 2)]
    return out


SECTIONS: list[Section] = [
    Section("corpus", "sec_corpus"),
    Section("findings", "sec_findings", subheadings=_theme_headings),
    Section("analysis", "sec_analysis", subheadings=_analysis_headings),
    Section("codebook", "sec_codebook", appendix=True),
    Section("memos", "sec_memos", appendix=True, applies=lambda report: bool(report.memos)),
    Section("agreement", "sec_agreement", appendix=True, applies=lambda report: bool(getattr(report, "agreement", None))),
]


def register(section: Section, *, after: str | None = None) -> None:
    """Add *section* after the section keyed *after* (at the end of the numbered sections when None)."""
    if any(s.key == section.key for s in SECTIONS):
        raise ValueError(f"section {section.key!r} is already registered")
    if after is None:
        at = next((i for i, s in enumerate(SECTIONS) if s.appendix), len(SECTIONS)) if not section.appendix else len(SECTIONS)
    else:
        at = next(i for i, s in enumerate(SECTIONS) if s.key == after) + 1
    SECTIONS.insert(at, section)


def outline(report: Report) -> tuple[Heading, ...]:
    """Every heading of *report*, numbered: sections 1, 2, ...; sub-headings 2.1, 2.1.1; appendices A, B."""
    m = report.m
    out: list[Heading] = []
    number = 0
    letter = 0
    for s in SECTIONS:
        if not s.applies(report):
            continue
        if s.appendix:
            head = Heading(s.key, s.key, "", f"{m('appendix', letter=chr(ord('A') + letter))}. {m(s.title_key)}", 1)
            letter += 1
            out.append(head)
            continue
        number += 1
        out.append(Heading(s.key, s.key, str(number), m(s.title_key), 1))
        counters: list[int] = []
        for anchor, title, level in s.subheadings(report):
            depth = max(1, level - 1)
            counters = counters[:depth]
            while len(counters) < depth:
                counters.append(0)
            counters[-1] += 1
            out.append(Heading(s.key, anchor, ".".join([str(number), *map(str, counters)]), title, level))
    return tuple(out)
