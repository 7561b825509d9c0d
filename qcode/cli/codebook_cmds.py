"""``qcode codebook ...``: check, show, attach, diff, merge, edit, export, import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from qcode.cli.common import cli, echo_json, project_option, say
from qcode.formats.codebook_formats import export_formats

FILE = click.Path(dir_okay=False, path_type=Path)
EXPORT_FORMATS = export_formats()


@cli.group("codebook")
def codebook_group() -> None:
    """Check, show, change, compare, merge, export and import codebooks.

    Example:

    \b
        qcode codebook check codebooks/data-work.yaml
        qcode codebook use codebooks/data-work.yaml
    """


@codebook_group.command("check")
@click.argument("file", type=FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@click.pass_context
def check_cmd(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Check a YAML codebook; list every problem with line, column and key.

    Exit status: 0 when the codebook is valid, 2 when it has problems.

    Example:

    \b
        qcode codebook check codebooks/data-work.yaml
    """
    from qcode.formats.codebook_yaml import check_codebook, load_codebook

    problems = check_codebook(file)
    if as_json:
        echo_json({"file": str(file), "valid": not problems, "problems": [p.to_dict() for p in problems]})
    elif problems:
        for p in problems:
            say(str(p), err=True)
        say(f"{file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}.", err=True)
    else:
        cb, _ = load_codebook(file)
        say(f"{file}: valid ({len(cb)} codes, {len(cb.roots())} top-level).")
    ctx.exit(2 if problems else 0)


@codebook_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the tree as JSON.")
@project_option
def show_cmd(project: Any, as_json: bool) -> None:
    """Show the project's codebook as a tree with the number of codings per code.

    Example:

    \b
        qcode codebook show
    """
    from qcode.usecases.codebook import codebook_tree

    rows = codebook_tree(project)
    if as_json:
        cb = project.codebook
        echo_json({"title": cb.title, "version": cb.version, "codes": rows})
        return
    cb = project.codebook
    say(f"{cb.title}" + (f" {cb.version}" if cb.version else "") + f" ({len(cb)} codes)")
    for r in rows:
        retired = "  [retired]" if r["retired"] else ""
        count = str(r["codings"]) if r["codings"] == r["codings_with_subcodes"] else f"{r['codings']} ({r['codings_with_subcodes']} with sub-codes)"
        say(f"{'  ' * r['depth']}{r['id']}: {r['label']}  [{count}]{retired}")


@codebook_group.command("use")
@click.argument("file", type=FILE)
@click.option("--removed", default="retire", show_default=True,
              help="Codings of codes no longer in the file: retire (keep the code, hidden), delete, or move:CODE.")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@project_option
def use_cmd(project: Any, file: Path, removed: str, dry_run: bool) -> None:
    """Attach a codebook file to the project, or switch to a new version of it.

    Prints what changed: codes added, removed, relabelled, moved, edited.
    Codings are never dropped silently: see --removed.

    Example:

    \b
        qcode codebook use codebooks/data-work.yaml --dry-run
        qcode codebook use codebooks/data-work.yaml --removed move:pay-piece-rates
    """
    from qcode.usecases.codebook import attach_codebook, parse_removed_policy, preview_codebook

    parse_removed_policy(removed)
    change = preview_codebook(project, file) if dry_run else attach_codebook(project, file, removed)
    for line in change.lines():
        say(line)
    verb = "Would change" if dry_run else "Changed"
    say(f"{verb}: {change.diff.summary()}.")
    if change.retired:
        say(f"Kept as retired (they still have codings): {', '.join(change.retired)}.")
    if change.moved_codings:
        say(f"Moved {change.moved_codings} codings.")
    if change.deleted_codings:
        say(f"Deleted {change.deleted_codings} codings.")


@codebook_group.command("diff")
@click.argument("old", type=FILE)
@click.argument("new", type=FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def diff_cmd(old: Path, new: Path, as_json: bool) -> None:
    """Compare two codebook files by code id (added, removed, relabelled, moved, edited).

    Example:

    \b
        qcode codebook diff codebook-v1.yaml codebook-v2.yaml
        git show HEAD~1:codebooks/data-work.yaml > /tmp/old.yaml && qcode codebook diff /tmp/old.yaml codebooks/data-work.yaml
    """
    from qcode.core.codebook_diff import diff_codebooks
    from qcode.usecases.codebook import load_for_compare

    d = diff_codebooks(load_for_compare(old), load_for_compare(new))
    if as_json:
        echo_json(d.to_dict())
        return
    for line in d.lines():
        say(line)
    say(d.summary())


@codebook_group.command("merge")
@click.argument("base", type=FILE)
@click.argument("ours", type=FILE)
@click.argument("theirs", type=FILE)
@click.option("-o", "--output", type=FILE, required=True, help="Where to write the merged codebook (may be OURS).")
@click.option("--json", "as_json", is_flag=True, help="Print the conflicts as JSON.")
@click.pass_context
def merge_cmd(ctx: click.Context, base: Path, ours: Path, theirs: Path, output: Path, as_json: bool) -> None:
    """Three-way merge of codebooks by code id, like git's.

    Exit status 0 when clean, 1 when there are conflicts: they are written
    between <<<<<<< / ======= / >>>>>>> markers in OUT for a person to
    resolve. Works as a git merge driver (see README).

    Example:

    \b
        qcode codebook merge base.yaml mine.yaml theirs.yaml -o merged.yaml
        # .gitattributes:  codebooks/*.yaml merge=qcode-codebook
        # git config merge.qcode-codebook.driver "qcode codebook merge %O %A %B -o %A"
    """
    from qcode.usecases.codebook import merge_files
    from qcode.usecases.outputs import check_output

    check_output(output, "yaml", allow=ours)  # OURS may be the project's codebook: a merge writes it back
    result = merge_files(base, ours, theirs, output)
    if as_json:
        echo_json({"clean": result.clean, "conflicts": [c.to_dict() for c in result.conflicts]})
    for c in result.conflicts:
        say(f"CONFLICT {c.describe()}", err=True)
    if result.conflicts:
        say(f"{output}: merged with {len(result.conflicts)} conflict(s); resolve the marked places, "
                   "then run `qcode codebook check`.", err=True)
        ctx.exit(1)
    say(f"{output}: merged cleanly ({len(result.codebook)} codes).")


@codebook_group.command("merge-codes")
@click.argument("from_code")
@click.argument("into_code")
@project_option
def merge_codes_cmd(project: Any, from_code: str, into_code: str) -> None:
    """Merge FROM_CODE into INTO_CODE: its codings move, then FROM_CODE is removed.

    Sub-codes of FROM_CODE move under INTO_CODE. The YAML file is updated,
    keeping its comments.

    Example:

    \b
        qcode codebook merge-codes waiting-for-tasks job-instability
    """
    from qcode.usecases.codebook import merge_codes

    n = merge_codes(project, from_code, into_code)
    say(f"Merged '{from_code}' into '{into_code}': {n} coding{'s' if n != 1 else ''} moved.")


@codebook_group.command("move-code")
@click.argument("code")
@click.option("--parent", help="New parent code id.")
@click.option("--top", is_flag=True, help="Make it a top-level code.")
@project_option
def move_code_cmd(project: Any, code: str, parent: str | None, top: bool) -> None:
    """Move a code (with its sub-codes) under another parent; codings stay.

    Example:

    \b
        qcode codebook move-code surveillance --parent algorithmic-management
        qcode codebook move-code surveillance --top
    """
    from qcode.core.errors import CodebookError
    from qcode.usecases.codebook import move_code

    if bool(parent) == top:
        raise CodebookError("Give either --parent CODE or --top.", hint="Example: qcode codebook move-code surveillance --top")
    moved = move_code(project, code, None if top else parent)
    say(f"Moved '{moved.id}' to {moved.parent or 'the top level'}.")


@codebook_group.command("add")
@click.argument("label")
@click.option("--parent", help="Parent code id.")
@click.option("--id", "code_id", help="Code id (default: made from the label).")
@click.option("--color", help='Colour, e.g. "#1f77b4".')
@click.option("--definition", default="", help="What the code means.")
@click.option("--lang", help="Language of the label (e.g. fr).")
@project_option
def add_cmd(project: Any, label: str, parent: str | None, code_id: str | None, color: str | None,
            definition: str, lang: str | None) -> None:
    """Add a code to the project's codebook (database and YAML file).

    Example:

    \b
        qcode codebook add "Night work" --parent job-instability
    """
    from qcode.usecases.codebook import add_code

    code = add_code(project, label, parent, code_id=code_id, color=color, definition=definition, language=lang)
    say(f"Added '{code.id}'" + (f" under '{code.parent}'" if code.parent else "") + ".")


@codebook_group.command("split")
@click.argument("code")
@click.argument("labels", nargs=-1, required=True)
@project_option
def split_cmd(project: Any, code: str, labels: tuple[str, ...]) -> None:
    """Split a code: add sub-codes under it; reassign its codings later in the app.

    Example:

    \b
        qcode codebook split surveillance "Screenshots" "Webcam checks"
    """
    from qcode.usecases.codebook import split_code

    made = split_code(project, code, list(labels))
    say(f"Added under '{code}': {', '.join(c.id for c in made)}.")


@codebook_group.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), help="Default: from the file extension.")
@click.option("-o", "--output", type=FILE, required=True, help="File to write.")
@click.option("--file", "source", type=FILE, help="Export this YAML codebook instead of the project's.")
@click.option("--lang", help="Language of labels in tables (default: the project's).")
@click.option("--force", is_flag=True, help="Replace OUTPUT even if it is a file of another format.")
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str | None, output: Path, source: Path | None, lang: str | None,
               force: bool) -> None:
    """Export the codebook as REFI-QDA .qdc, CSV, XLSX, Markdown or Word.

    Example:

    \b
        qcode codebook export -o codebook.qdc
        qcode codebook export --file codebooks/data-work.yaml --format docx -o appendix.docx
    """
    from qcode.usecases.codebook_exchange import export_codebook, export_format

    fmt = export_format(output, fmt)
    if source is not None:
        export_codebook(source, output, fmt, lang or "", force=force)
    else:
        from qcode.usecases.project import Project

        with Project.open((ctx.obj or {}).get("project_dir")) as project:
            export_codebook(project.codebook, output, fmt, lang or project.settings.language, force=force,
                            project_root=project.root)
    say(f"Wrote {output}.")


@codebook_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=FILE, required=True, help="YAML codebook to write.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def import_cmd(file: Path, output: Path, force: bool) -> None:
    """Convert a .qdc, .qdpx, .csv or .xlsx codebook into a qcode YAML codebook.

    Example:

    \b
        qcode codebook import nvivo-export.qdc -o codebooks/imported.yaml
        qcode codebook import codes.csv -o codebooks/codes.yaml
    """
    from qcode.usecases.codebook_exchange import import_codebook

    codebook = import_codebook(file, output, force=force)
    say(f"Wrote {output} ({len(codebook)} codes). Check it with `qcode codebook check {output}`.")
