"""Import screen: pick files or a folder, preview what will be imported, import."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, Static

from qcode.core.errors import QcodeError
from qcode.tui.messages import WorkDone, WorkFailed, WorkProgress
from qcode.tui.safe import label as safe_label
from qcode.usecases import importing


def preview_file(project, path: Path):  # noqa: ANN001, ANN201
    """The import use case's dry run when it has one; else read without storing."""
    dry = getattr(importing, "preview_file", None) or getattr(importing, "dry_run", None)
    if dry is not None:
        return dry(project, path)
    # Fallback until the import use case offers a dry run: read, never store.
    from qcode.formats.importers import ImportOptions, importer_for

    options = ImportOptions(language=project.settings.language, max_bytes=int(project.settings.import_max_mb * 1024 * 1024))
    return importer_for(path).read(path.read_bytes(), path.name, options)


class ImportScreen(Screen[None]):
    """A file picker with a dry-run preview of speakers, words and warnings."""

    BINDINGS = [
        Binding("ctrl+i,I", "do_import", "Import it"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start
        self.chosen: Path | None = None

    def compose(self) -> ComposeResult:
        root = self.start or self.app.project.root  # type: ignore[attr-defined]
        yield Header()
        with Horizontal(classes="tool-body"):
            with Vertical():
                yield Input(str(root), placeholder="a file or folder path; Enter previews", id="import-path")
                yield DirectoryTree(str(root), id="import-tree")
            with Vertical():
                yield Static("Choose a transcript file (or a folder) on the left to preview it.", id="import-preview")
                yield Button("Import", variant="primary", id="import-go", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Import transcripts"
        self.query_one(DirectoryTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self._choose(Path(event.path))

    @on(DirectoryTree.DirectorySelected)
    def _dir(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#import-path", Input).value = str(event.path)

    @on(Input.Submitted, "#import-path")
    def _typed(self, event: Input.Submitted) -> None:
        self._choose(Path(event.value).expanduser())

    def _choose(self, path: Path) -> None:
        self.chosen = path
        self.query_one("#import-path", Input).value = str(path)
        self.query_one("#import-preview", Static).update(Text(f"Reading {safe_label(str(path))}…"))
        self.query_one("#import-go", Button).disabled = True
        self._preview(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-preview")
    def _preview(self, path: Path) -> None:
        project = self.app.project  # type: ignore[attr-defined]
        try:
            if path.is_dir():
                files = importing.collect_files([path])
                self.post_message(WorkDone("preview-dir", (path, files)))
            else:
                self.post_message(WorkDone("preview", (path, preview_file(project, path))))
        except QcodeError as exc:
            self.post_message(WorkFailed("preview", exc))
        except OSError as exc:
            self.post_message(WorkFailed("preview", QcodeError(f"Cannot read {path}: {exc.strerror}.")))

    @on(WorkDone)
    def _done(self, msg: WorkDone) -> None:
        out = self.query_one("#import-preview", Static)
        if msg.kind == "preview-dir":
            path, files = msg.result
            t = Text(f"Folder {safe_label(str(path))}: {len(files)} importable files\n", style="bold")
            for f in files[:30]:
                t.append(f"  {safe_label(f.name)}\n")
            out.update(t)
            self.query_one("#import-go", Button).disabled = not files
        elif msg.kind == "preview":
            path, tr = msg.result
            t = Text()
            t.append(f"{safe_label(getattr(tr, 'title', '') or path.name)}\n", style="bold")
            words = getattr(tr, "words", 0)
            turns = getattr(tr, "turns", [])
            speakers = tr.speaker_labels() if hasattr(tr, "speaker_labels") else getattr(tr, "speakers", [])
            t.append(f"{words:,} words · {len(turns)} turns · language {getattr(tr, 'language', None) or '?'}\n")
            t.append("Speakers: ", style="bold")
            t.append(safe_label(", ".join(map(str, speakers)) or "none detected") + "\n")
            for w in getattr(tr, "warnings", [])[:8]:
                t.append(f"⚠ {safe_label(str(w))}\n", style="yellow")
            text = getattr(tr, "text", "")
            if text:
                t.append("\n" + safe_label(text[:400].replace("\n", " ")) + ("…" if len(text) > 400 else ""), style="dim")
            out.update(t)
            self.query_one("#import-go", Button).disabled = False
        elif msg.kind == "import":
            report = msg.result
            lines = [f"Imported {len(report.imported)}, skipped {len(report.skipped)}, failed {len(report.failed)}."]
            lines += [f"✗ {r.path.name}: {r.message}" for r in report.failed]
            lines += [f"– {r.path.name}: {r.message}" for r in report.skipped]
            self.notify(safe_label("\n".join(lines)), title="Import", severity="error" if report.failed else "information", markup=False)
            self.app.project.invalidate()  # type: ignore[attr-defined]
            if report.imported and not report.failed:
                self.dismiss(None)
            else:
                out.update(Text("\n".join(safe_label(x) for x in lines)))

    @on(WorkFailed)
    def _failed(self, msg: WorkFailed) -> None:
        err = msg.error
        text = str(err)
        self.query_one("#import-preview", Static).update(Text(safe_label(text), style="red"))
        if isinstance(err, QcodeError):
            self.app.show_error(err)  # type: ignore[attr-defined]

    @on(WorkProgress)
    def _progress(self, msg: WorkProgress) -> None:
        self.sub_title = f"Importing {msg.done}/{msg.total} {safe_label(msg.label, 40)}"

    @on(Button.Pressed, "#import-go")
    def action_do_import(self) -> None:
        if self.chosen is None:
            self.notify("Choose a file or folder first.", markup=False)
            return
        self.query_one("#import-go", Button).disabled = True
        self._import(self.chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _import(self, path: Path) -> None:
        project = self.app.project  # type: ignore[attr-defined]

        def progress(done: int, total: int, label: str) -> None:
            self.post_message(WorkProgress(done, total, label))

        try:
            report = importing.import_paths(project, [path], progress=progress)
        except QcodeError as exc:
            self.post_message(WorkFailed("import", exc))
            return
        self.post_message(WorkDone("import", report))
