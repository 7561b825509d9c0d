"""Import screen: pick files or a folder, preview what will be imported, import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, Static

from qcode.core.errors import QcodeError
from qcode.tui.messages import WorkFailed, WorkProgress
from qcode.tui.safe import label as safe_label
from qcode.tui.screens.base import QcodeScreen
from qcode.tui.workers import WorkCancelled, stop_if_cancelled
from qcode.usecases import importing


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def preview_text(path: Path, pv: importing.Preview) -> Text:
    """The dry run as text: words, turns, speakers with their first line, warnings."""
    t = Text()
    t.append(f"{safe_label(pv.name or path.name)}\n", style="bold")
    if pv.error:
        t.append(safe_label(str(pv.error)) + "\n", style="red")
        return t
    t.append(f"{_n(pv.words, 'word')} · {_n(pv.turns, 'turn')}")
    if pv.format:
        t.append(f" · {safe_label(pv.format)}")
    if pv.encoding:
        t.append(f" · {safe_label(pv.encoding)}{' (guessed)' if pv.encoding_guessed else ''}")
    t.append("\n")
    if pv.duplicate_of:
        t.append(f"Already in the project as '{safe_label(pv.duplicate_of)}': it will be skipped.\n", style="yellow")
    t.append("Speakers:\n", style="bold")
    for sp in pv.speakers[:20]:
        t.append(f"  {safe_label(sp.label, 30)}", style="bold")
        t.append(f"  {_n(sp.turns, 'turn')}  ", style="dim")
        t.append(safe_label(sp.first_line, 60) + "\n", style="italic")
    if not pv.speakers:
        t.append("  none detected: the text will be one block per paragraph\n", style="yellow")
    if pv.unlabelled_turns:
        t.append(f"{_n(pv.unlabelled_turns, 'turn')} without a speaker\n", style="yellow")
    for m in pv.metadata[:6]:
        t.append(f"kept as a note: {safe_label(m, 70)}\n", style="dim")
    for w in pv.warnings[:8]:
        t.append(f"⚠ {safe_label(str(w))}\n", style="yellow")
    return t


class ImportScreen(QcodeScreen):
    """A file picker with a dry-run preview of speakers, words and warnings."""

    BINDINGS = [
        Binding("ctrl+g", "do_import", "Import it"),
        Binding("escape", "back", "Back"),
    ]

    @dataclass
    class FolderListed(Message):
        """The importable files of the folder *path* were listed."""

        path: Path
        files: list[Path]

    @dataclass
    class PreviewReady(Message):
        """The dry run of importing the file *path* is ready."""

        path: Path
        preview: importing.Preview

    @dataclass
    class ImportFinished(Message):
        """Importing finished: *report* says what was imported, skipped and failed."""

        report: importing.ImportReport

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start
        self.chosen: Path | None = None
        self._shown_path = ""
        """The path box's text as qcode last set it (Esc goes back to it)."""

    def compose(self) -> ComposeResult:
        root = self.start or self.project.root
        yield Header()
        with Horizontal(classes="tool-body"):
            with Vertical():
                yield Input(self._start_text(root), placeholder="a file or folder path; Enter previews", id="import-path")
                yield DirectoryTree(str(root), id="import-tree")
            with Vertical():
                yield Static("Type a file or folder path above (Enter previews it), or choose one in the tree.", id="import-preview")
                yield Button("Import", variant="primary", id="import-go", disabled=True)
        yield Footer()

    @staticmethod
    def _start_text(root: Path) -> str:
        return str(root).rstrip("/\\") + "/"

    def on_mount(self) -> None:
        self.sub_title = "Import transcripts"
        box = self.query_one("#import-path", Input)
        self._shown_path = box.value
        box.focus()  # typing a path works at once (in the tree, "/" would open Search)
        box.cursor_position = len(box.value)

    def action_back(self) -> None:
        """Esc in the path box first undoes what was typed there; otherwise it leaves the screen."""
        box = self.query_one("#import-path", Input)
        if box.has_focus and box.value != self._shown_path:
            box.value = self._shown_path
            box.cursor_position = len(box.value)
            return
        self.app.pop_screen()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self._choose(Path(event.path))

    @on(DirectoryTree.DirectorySelected)
    def _dir(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#import-path", Input).value = self._shown_path = str(event.path)

    @on(Input.Submitted, "#import-path")
    def _typed(self, event: Input.Submitted) -> None:
        self._choose(Path(event.value).expanduser())

    def _choose(self, path: Path) -> None:
        self.chosen = path
        self.query_one("#import-path", Input).value = self._shown_path = str(path)
        self.query_one("#import-preview", Static).update(Text(f"Reading {safe_label(str(path))}…"))
        self.query_one("#import-go", Button).disabled = True
        self._preview(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-preview")
    def _preview(self, path: Path) -> None:
        project = self.project
        try:
            if path.is_dir():
                files = importing.collect_files([path])
                self.post_message(self.FolderListed(path, files))
            else:
                self.post_message(self.PreviewReady(path, importing.preview_file(project, path)))
        except QcodeError as exc:
            self.post_message(WorkFailed("preview", exc))
        except OSError as exc:
            self.post_message(WorkFailed("preview", QcodeError(f"Cannot read {path}: {exc.strerror}.")))

    def on_import_screen_folder_listed(self, msg: FolderListed) -> None:
        t = Text(f"Folder {safe_label(str(msg.path))}: {len(msg.files)} importable files\n", style="bold")
        for f in msg.files[:30]:
            t.append(f"  {safe_label(f.name)}\n")
        self.query_one("#import-preview", Static).update(t)
        self.query_one("#import-go", Button).disabled = not msg.files

    def on_import_screen_preview_ready(self, msg: PreviewReady) -> None:
        self.query_one("#import-preview", Static).update(preview_text(msg.path, msg.preview))
        self.query_one("#import-go", Button).disabled = bool(getattr(msg.preview, "error", None))

    def on_import_screen_import_finished(self, msg: ImportFinished) -> None:
        report = msg.report
        lines = [f"Imported {len(report.imported)}, skipped {len(report.skipped)}, failed {len(report.failed)}."]
        lines += [f"✗ {r.path.name}: {r.message}" for r in report.failed]
        lines += [f"– {r.path.name}: {r.message}" for r in report.skipped]
        self.notify(safe_label("\n".join(lines)), title="Import", severity="error" if report.failed else "information", markup=False)
        self.project.invalidate()
        if report.imported and not report.failed:
            self.dismiss(None)
        else:
            self.query_one("#import-preview", Static).update(Text("\n".join(safe_label(x) for x in lines)))

    @on(WorkFailed)
    def _failed(self, msg: WorkFailed) -> None:
        err = msg.error
        text = str(err)
        self.sub_title = "Import transcripts"
        self.query_one("#import-preview", Static).update(Text(safe_label(text), style="red"))
        if isinstance(err, QcodeError):
            self.qcode_app.show_error(err)

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
        project = self.project

        def progress(done: int, total: int, label: str) -> None:
            stop_if_cancelled()
            self.post_message(WorkProgress(done, total, label))

        try:
            report = importing.import_paths(project, [path], progress=progress)
        except WorkCancelled:
            return  # the screen was left: nothing to show
        except QcodeError as exc:
            self.post_message(WorkFailed("import", exc))
            return
        self.post_message(self.ImportFinished(report))
