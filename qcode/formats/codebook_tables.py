"""Codebooks as tables: import CSV/XLSX; export CSV, XLSX, Markdown and Word.

Import reads one row per code with at least a *code path* column
(``Pay > Piece rates``; ``/``, ``::`` and ``\\`` also separate levels) and
optionally *description* and *colour*. The extra columns that qcode's own
CSV/XLSX export writes (id, include, exclude, examples, keywords) are read
back too. Exports are meant for a paper's appendix: Word has one table per
top-level theme with definition, include, exclude and examples.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from qcode.core.codebook import Code, Codebook, new_code_id
from qcode.core.errors import CodebookError, did_you_mean
from qcode.formats.safexml import xml_text

COLUMNS = ("id", "code path", "label", "definition", "include", "exclude", "examples", "keywords", "colour")
_ALIASES = {
    "code path": ("code path", "path", "code", "name", "code name", "codes"),
    "definition": ("definition", "description", "memo"),
    "colour": ("colour", "color"),
    "id": ("id", "code id"),
    "include": ("include", "inclusion"),
    "exclude": ("exclude", "exclusion"),
    "examples": ("examples", "example"),
    "keywords": ("keywords",),
    "label": ("label",),
}
_COLOR_RE = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_ROWS = 20_000


# ------------------------------------------------------------------ import
def import_table(path: Path) -> Codebook:
    """A codebook from a ``.csv`` or ``.xlsx`` file (one row per code)."""
    path = Path(path)
    rows = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    return codebook_from_rows(rows, path.name, title=path.stem)


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if len(data) > 20 * 1024 * 1024:
        raise CodebookError(f"{path}: the file is too large for a codebook (over 20 MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for bad files
        raise CodebookError(f"{path}: cannot read this spreadsheet ({exc}).", hint="Save it again as .xlsx.") from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append(["" if v is None else str(v) for v in row])
            if len(rows) > MAX_ROWS:
                raise CodebookError(f"{path}: more than {MAX_ROWS} rows; this is not a codebook.")
        return rows
    finally:
        wb.close()


def codebook_from_rows(rows: list[list[str]], name: str, title: str = "") -> Codebook:
    """Build a codebook from table rows (the first row holds the column names)."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise CodebookError(f"{name}: the table is empty.", hint="The first row names the columns: code path, description, colour.")
    header = [h.strip().lower() for h in rows[0]]
    cols: dict[str, int] = {}
    for column, names in _ALIASES.items():
        for i, h in enumerate(header):
            if h in names and column not in cols:
                cols[column] = i
    if "code path" not in cols:
        raise CodebookError(
            f"{name}: no 'code path' column (found: {', '.join(h for h in header if h) or 'nothing'})."
            + did_you_mean(header[0] if header else "", ["code path", "description", "colour"]),
            hint="Name the columns in the first row: code path, description, colour.",
        )
    codes: dict[tuple[str, ...], Code] = {}
    taken: set[str] = set()

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        value = row[i].strip() if i is not None and i < len(row) else ""
        return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value

    for n, row in enumerate(rows[1:], start=2):
        raw = cell(row, "code path")
        if not raw:
            raise CodebookError(f"{name}, row {n}: the code path is empty.", hint="Fill it in or delete the row.")
        parts = tuple(p.strip() for p in _split_path(raw) if p.strip())
        for depth in range(1, len(parts) + 1):  # create missing parents
            key = parts[:depth]
            if key in codes:
                continue
            parent = codes[key[:-1]].id if depth > 1 else None
            cid = cell(row, "id") if depth == len(parts) and cell(row, "id") else new_code_id(key[-1], taken)
            if cid in taken:
                raise CodebookError(f"{name}, row {n}: the id '{cid}' is used twice.", hint="Give each code its own id.")
            taken.add(cid)
            codes[key] = Code(id=cid, label={"": key[-1]}, parent=parent)
        key = parts
        color = cell(row, "colour")
        if color and not _COLOR_RE.match(color):
            raise CodebookError(f"{name}, row {n}: '{color}' is not a colour.", hint='Use a hex colour such as "#1f77b4".')
        old = codes[key]
        label = cell(row, "label")
        codes[key] = Code(
            id=old.id, label={"": label or key[-1]}, parent=old.parent,
            color=("#" + color.lstrip("#")) if color else None,
            definition=cell(row, "definition"), include=cell(row, "include"), exclude=cell(row, "exclude"),
            examples=tuple(x.strip() for x in cell(row, "examples").split(" | ") if x.strip()),
            keywords={"": tuple(w.strip() for w in cell(row, "keywords").split(";") if w.strip())} if cell(row, "keywords") else {},
        )
    return Codebook(title=title or Path(name).stem, codes=tuple(codes.values()))


def _split_path(raw: str) -> list[str]:
    for sep in (" > ", ">", "::", "/", "\\"):
        if sep in raw:
            return raw.split(sep)
    return [raw]


# ------------------------------------------------------------------ export
def rows(codebook: Codebook, lang: str = "") -> list[list[str]]:
    """One row per code in tree order, with the :data:`COLUMNS`."""
    out = [list(COLUMNS)]
    for _, code in codebook.walk():
        path = " > ".join(codebook.get(cid).display(lang) for cid in codebook.path(code.id))
        keywords = "; ".join(code.keywords.get(lang, ()) or code.all_keywords())
        out.append([code.id, path, code.display(lang), code.definition, code.include, code.exclude,
                    " | ".join(code.examples), keywords, code.color or ""])
    return out


def export_csv(codebook: Codebook, lang: str = "") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows(codebook, lang):
        writer.writerow([_no_formula(c) for c in row])
    return buf.getvalue()


def _no_formula(value: str) -> str:
    """Spreadsheet programs run cells starting with = + - @ as formulas; neutralise them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export_xlsx(codebook: Codebook, lang: str = "") -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]  # a new workbook holds one (ordinary) worksheet
    ws.title = "Codebook"
    for row in rows(codebook, lang):
        ws.append([_no_formula(xml_text(c)) for c in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_markdown(codebook: Codebook, lang: str = "") -> str:
    """The codebook as Markdown: a section per code, headings follow the tree."""
    lines = [f"# {codebook.title}", ""]
    if codebook.version:
        lines += [f"Version {codebook.version}", ""]
    if codebook.description:
        lines += [codebook.description, ""]
    for depth, code in codebook.walk():
        lines.append(f"{'#' * min(depth + 2, 6)} {code.display(lang)} (`{code.id}`)" + (" (retired)" if code.retired else ""))
        lines.append("")
        for name, value in (("Definition", code.definition), ("Include", code.include), ("Exclude", code.exclude)):
            if value:
                lines += [f"**{name}.** {value}", ""]
        if code.examples:
            lines.append("**Examples.**")
            lines += [f"- “{x}”" for x in code.examples]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def export_docx(codebook: Codebook, lang: str = "") -> bytes:
    """A Word document: one table per top-level theme (code, definition, include, exclude, examples)."""
    import docx

    x = xml_text
    doc = docx.Document()
    doc.add_heading(x(codebook.title), level=0)
    if codebook.description:
        doc.add_paragraph(x(codebook.description))
    for theme in codebook.roots():
        doc.add_heading(x(theme.display(lang)), level=1)
        members = [(0, theme)] + [(codebook.depth(c.id) - codebook.depth(theme.id), c) for c in codebook.descendants(theme.id)]
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("Code", "Definition", "Include", "Exclude", "Examples"), strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for depth, code in members:
            cells = table.add_row().cells
            cells[0].text = x(("    " * depth) + code.display(lang))
            cells[1].text = x(code.definition)
            cells[2].text = x(code.include)
            cells[3].text = x(code.exclude)
            cells[4].text = x("\n".join(f"“{e}”" for e in code.examples))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

