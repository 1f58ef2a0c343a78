"""The explain screen: the sweep's GradCAM and SHAP explanations, drawn in the terminal.

On the left, every explained sample the engine announced (`artifact` events of kind
`gradcam` or `shap`); on the right, the highlighted one: for images the GradCAM heatmap
over the stamped C_j test image in half blocks, with the stamp's box outlined and marked;
for texts the SHAP token bars with z_u marked. Files are read relative to the run
directory, so a replay of a copied directory shows them too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine.explain.artifacts import load_cam, load_shap
from fmfl_tui.state import SweepState
from fmfl_tui.widgets.heatmap import HalfBlockImage
from fmfl_tui.widgets.token_bars import token_bars

if TYPE_CHECKING:
    from fmfl_tui.app import LabApp


def explained_items(state: SweepState) -> list[tuple[str, str]]:
    """(path, label) of each explained sample: the `.npz` of a GradCAM, the `.json` of a
    SHAP explanation (their pictures are for people outside the terminal)."""
    items = []
    for artifact in state.explanations:
        path = artifact.path
        if path.endswith(".npz") or path.endswith("_shap.json"):
            name = Path(path).name.removesuffix(".npz").removesuffix("_shap.json")
            epoch, _, index = name.removeprefix("epoch").partition("_")
            kind = "CAM " if path.endswith(".npz") else "SHAP"
            items.append((path, f"{kind} {artifact.run} e{epoch} #{index}"))
    return items


class ExplainScreen(Screen):
    """Explanations of the stamped C_j test samples."""

    DEFAULT_CSS = """
    #explain-title { padding: 0 1; height: 1; }
    #explain-body { height: 1fr; }
    #explain-list { width: 36; height: 1fr; border-right: solid $secondary; }
    #explain-pane { width: 1fr; height: 1fr; padding: 0 1; }
    #explain-caption { height: auto; min-height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("l", "app.show_live", "Live"),
        Binding("z", "app.show_zones", "Zones"),
        Binding("n", "app.show_setup", "New"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str]] = []
        self.shown_path = ""

    @property
    def lab(self) -> LabApp:
        return cast("LabApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("Explanations", id="explain-title")
        with Horizontal(id="explain-body"):
            yield OptionList(id="explain-list")
            with VerticalScroll(id="explain-pane"):
                yield Static(id="explain-view")
        yield Static(id="explain-caption")
        yield Footer()

    def on_mount(self) -> None:
        self.lab.dirty = True

    def on_screen_resume(self) -> None:
        self.show_state(self.lab.state, self.lab.source_label)

    def base_dir(self, state: SweepState) -> Path:
        return Path(self.lab.files_dir or state.out_dir or ".")

    def show_state(self, state: SweepState, source: str) -> None:
        """Add newly announced explanations to the list (attributes down)."""
        items = explained_items(state)
        title = self.query_one("#explain-title", Static)
        title.update(
            Text.assemble(
                ("Explanations", "bold"),
                f" · {state.name or '-'} · {len(items)} explained samples · ↑↓ to pick",
            )
        )
        if items == self.items:
            return
        listing = self.query_one(OptionList)
        new = items[len(self.items) :] if items[: len(self.items)] == self.items else items
        if new is items:
            listing.clear_options()
        listing.add_options([Option(label, id=path) for path, label in new])
        self.items = items
        if listing.highlighted is None and items:
            listing.highlighted = 0
        if not items:
            self.query_one("#explain-view", Static).update(
                "No explanations yet: they come at the end of each run "
                "(and every explain.every epochs)."
            )

    @on(OptionList.OptionHighlighted)
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_item(event.option.id)

    def show_item(self, rel: str) -> None:
        """Draw one explanation from its file."""
        view = self.query_one("#explain-view", Static)
        caption = self.query_one("#explain-caption", Static)
        path = self.base_dir(self.lab.state) / rel
        self.shown_path = rel
        try:
            if rel.endswith(".npz"):
                record = load_cam(path)
                pane = self.query_one("#explain-pane")
                width = max(8, (pane.size.width or 60) - 4)
                rows = max(4, (pane.size.height or 20) - 2)
                view.update(HalfBlockImage.from_cam(record, width, rows))
                meta = record.meta
                share = meta.get("share")
                share_text = f"{share:.0%}" if isinstance(share, float) and share == share else "-"
                caption.update(
                    f"{rel} · stamped C_j={meta.get('label', '?')} sample {meta.get('sample', '?')}"
                    f" predicted {meta.get('pred', '?')} · CAM mass in the stamp box {share_text}"
                )
            else:
                record = load_shap(path)
                view.update(token_bars(record))
                caption.update(f"{rel} · {record.meta.get('text', '')[:200]}")
        except Exception as exc:  # a missing, truncated or foreign file: say so, keep running
            view.update(f"cannot read {path}: {exc}")
            caption.update("")
