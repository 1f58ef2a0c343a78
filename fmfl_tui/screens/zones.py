"""The zone screen: one zone table per noise mode and target class, the highlighted row's
per-seed spread, a legend, and where the run's files are."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from fmfl_tui.state import SweepState
from fmfl_tui.widgets.zone_grid import BORDERLINE, ZONE_NAMES, ZONE_STYLES, ZoneGrid, table_title

if TYPE_CHECKING:
    from fmfl_tui.app import LabApp


def legend() -> Text:
    out = Text()
    meaning = {"A": "not recognised", "B": "memorised", "C": "learned"}
    for zone, name in ZONE_NAMES.items():
        out.append(name, style=ZONE_STYLES[zone])
        out.append(f": {meaning[zone]} · ")
    out.append(f"{BORDERLINE} borderline: the 95% interval over seeds straddles σ1 or σ2")
    return out


class ZoneScreen(Screen):
    """The zone tables at the end of a sweep."""

    BINDINGS = [
        Binding("l", "app.show_live", "Live"),
        Binding("e", "app.show_explain", "Explain"),
        Binding("r", "app.resume", "Resume"),
        Binding("left_square_bracket", "tab(-1)", "Prev table"),
        Binding("right_square_bracket", "tab(1)", "Next table"),
        Binding("n", "app.show_setup", "New"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown_key: tuple[str, int] | None = None

    @property
    def lab(self) -> LabApp:
        return cast("LabApp", self.app)

    def compose(self) -> ComposeResult:
        state = self.lab.state
        self.shown_key = self._key(state)
        yield Static(self._heading(state), id="zones-title")
        with TabbedContent(id="zone-tabs"):
            for i, table in enumerate(state.zones):
                title = table_title(table, state.class_of(table.role))
                with TabPane(title, id=f"zt-{i}"):
                    yield ZoneGrid(table, id=f"grid-{i}")
        if not state.zones:
            yield Static("No zone table yet: the sweep has not finished.", id="no-zones")
        yield Static(id="zone-detail")
        yield Static(legend(), id="zone-legend")
        yield Static(self._files(state), id="zone-files")
        yield Footer()

    @staticmethod
    def _key(state: SweepState) -> tuple[str, int]:
        """What needs the tables rebuilt; the heading and files line update in place (a
        second recompose while the first still mounts its tabs races in Textual)."""
        return (state.sweep, len(state.zones))

    def _heading(self, state: SweepState) -> Text:
        sigma1, sigma2 = state.sigma()
        out = Text(f"Zone tables · {state.name or '-'}", style="bold")
        out.append(f" · sweep {state.status} · {state.runs_done} runs")
        out.append(f" · σ1 = {sigma1:g}, σ2 = {sigma2:g} points")
        return out

    def _files(self, state: SweepState) -> Text:
        where = self.lab.files_dir or state.out_dir or "-"
        out = Text("files: ", style="bold")
        out.append(f"{where}/  zones.csv runs.csv events.jsonl config.toml")
        return out

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_table)

    def _focus_table(self) -> None:
        """Keys go to the first table at once; the detail line shows its first row."""
        grids = self.query(ZoneGrid)
        if grids:
            grid = grids.first()
            grid.focus()
            self.query_one("#zone-detail", Static).update(grid.detail(grid.cursor_row))

    def show_state(self, state: SweepState, source: str) -> None:
        if self._key(state) != self.shown_key:
            self.shown_key = self._key(state)
            self.refresh(recompose=True)
            return
        self.query_one("#zones-title", Static).update(self._heading(state))
        self.query_one("#zone-files", Static).update(self._files(state))

    def on_screen_resume(self) -> None:
        self.show_state(self.lab.state, self.lab.source_label)

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        grid = event.data_table
        if isinstance(grid, ZoneGrid):
            self.query_one("#zone-detail", Static).update(grid.detail(event.cursor_row))

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        grids = event.pane.query(ZoneGrid)
        if grids:
            grid = grids.first()
            grid.focus()
            self.query_one("#zone-detail", Static).update(grid.detail(grid.cursor_row))

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        panes = [p.id for p in tabs.query(TabPane) if p.id]
        if not panes or tabs.active not in panes:
            return
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]
