"""The codebook as a tree, with coding counts and number-key shortcuts."""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from qcode.core.codebook import Code, Codebook
from qcode.tui.safe import label as safe_label


def number_keys(codebook: Codebook) -> dict[str, str]:
    """'1'..'9' -> code id: the first nine codes in tree order that are not retired."""
    keys: dict[str, str] = {}
    for _depth, code in codebook.walk():
        if code.retired:
            continue
        if len(keys) == 9:
            break
        keys[str(len(keys) + 1)] = code.id
    return keys


class CodeTree(Tree[str]):
    """Codes in tree order; Enter applies the highlighted code to the selection."""

    @dataclass
    class CodeChosen(Message):
        """The user chose a code in the tree (Enter or click)."""

        tree: CodeTree
        code_id: str

        @property
        def control(self) -> CodeTree:
            return self.tree

    @dataclass
    class CodeHighlighted(Message):
        tree: CodeTree
        code_id: str

        @property
        def control(self) -> CodeTree:
            return self.tree

    def __init__(self, *, id: str | None = None) -> None:  # Textual's name
        super().__init__("Codes", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._code_nodes: dict[str, TreeNode[str]] = {}
        self._codebook: Codebook | None = None
        self._colors: dict[str, Color] = {}
        self._counts: dict[str, int] = {}
        self._keys: dict[str, str] = {}
        self.lang: str | None = None

    def show_codebook(self, codebook: Codebook, colors: dict[str, Color], counts: dict[str, int], lang: str | None) -> None:
        """Rebuild the tree (keeps the highlighted code when it still exists)."""
        current = self.highlighted_code
        self._codebook, self._colors, self._counts, self.lang = codebook, colors, counts, lang
        self._keys = {v: k for k, v in number_keys(codebook).items()}
        self.clear()
        self._code_nodes = {}
        for _depth, code in codebook.walk():
            parent = self._code_nodes.get(code.parent or "", self.root)
            node = parent.add(self._code_text(code), data=code.id, expand=True)
            self._code_nodes[code.id] = node
        for node in list(self._code_nodes.values()):
            if not node.children:
                node.allow_expand = False
        if current in self._code_nodes:
            self.move_cursor(self._code_nodes[current])
        elif self._code_nodes:
            self.cursor_line = 0

    def set_counts(self, counts: dict[str, int]) -> None:
        """Update the counts; only the labels whose count changed are redrawn."""
        old, self._counts = self._counts, counts
        if self._codebook is None:
            return
        for code in self._codebook.codes:
            node = self._code_nodes.get(code.id)
            if node is not None and old.get(code.id, 0) != counts.get(code.id, 0):
                node.set_label(self._code_text(code))

    def _code_text(self, code: Code) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        key = self._keys.get(code.id)
        t.append(key or " ", style="bold")
        col = self._colors.get(code.id)
        t.append("▌", style=col.rich_color.name if col else "")
        n = self._counts.get(code.id, 0)
        t.append(f"{n:>3} " if n else "    ", style="dim")
        t.append(safe_label(code.display(self.lang), 40), style="strike dim" if code.retired else "")
        return t

    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        """The label, cut with "…" to the room beside its guides (the tree would crop it unmarked)."""
        text = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room > 0 and text.cell_len > room:
            text.truncate(room, overflow="ellipsis")
        return text

    @property
    def highlighted_code(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and node is not self.root else None

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.CodeChosen(self, event.node.data))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.CodeHighlighted(self, event.node.data))
