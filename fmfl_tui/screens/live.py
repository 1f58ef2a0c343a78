"""The live screen: sweep progress, per-epoch charts of one run, the chart across counts
(the paper's Figure 2), and the log.

Per-epoch charts follow the run that started last; `[` and `]` step through the runs whose
series are kept, `f` follows again. The app calls `show_state()` at most ~10 times a
second with everything that arrived since, so a fast stream costs one redraw per tick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer

from fmfl_tui.state import SweepState
from fmfl_tui.widgets.count_chart import CountChart, legend
from fmfl_tui.widgets.epoch_chart import EpochChart
from fmfl_tui.widgets.log_pane import LogPane
from fmfl_tui.widgets.sweep_progress import SweepProgress

if TYPE_CHECKING:
    from fmfl_tui.app import LabApp

EPOCH_CHARTS = ("s_sens", "lm", "gap", "mp")


class LiveScreen(Screen):
    """Watch a sweep as it trains (or as it is replayed)."""

    BINDINGS = [
        Binding("s", "app.stop", "Stop"),
        Binding("r", "app.resume", "Resume"),
        Binding("z", "app.show_zones", "Zones"),
        Binding("e", "app.show_explain", "Explain"),
        Binding("1", "view('epoch-grid')", "Epochs"),
        Binding("2", "view('count-row')", "Counts"),
        Binding("left_square_bracket", "step(-1)", "Prev"),
        Binding("right_square_bracket", "step(1)", "Next"),
        Binding("f", "follow", "Follow"),
        Binding("n", "app.show_setup", "New"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.focus_run: str | None = None
        """The run the per-epoch charts show; None follows the run that started last."""

    @property
    def lab(self) -> LabApp:
        return cast("LabApp", self.app)

    def compose(self) -> ComposeResult:
        yield SweepProgress(id="progress")
        with ContentSwitcher(initial="epoch-grid", id="views"):
            with Grid(id="epoch-grid"):
                for kind in EPOCH_CHARTS:
                    yield EpochChart(kind, id=f"chart-{kind}")
            with Horizontal(id="count-row"):
                yield CountChart("s_sens", id="count-s_sens")
                yield CountChart("mp_diff", id="count-mp_diff")
        yield LogPane(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.lab.dirty = True  # drawn on the app's next tick, once every widget is composed

    def on_screen_resume(self) -> None:
        self.lab.dirty = True

    def shown_run(self, state: SweepState) -> str:
        if self.focus_run is not None and self.focus_run in state.series:
            return self.focus_run
        self.focus_run = None
        return state.last_started

    def show_state(self, state: SweepState, source: str) -> None:
        """Redraw from the state (attributes down)."""
        self.query_one(SweepProgress).show(state, source)
        run = self.shown_run(state)
        info = state.runs.get(run)
        series = state.series.get(run)
        classes = (state.class_of("c_i"), state.class_of("y_fixed"))
        epochs = info.epochs if info is not None else state.epochs_per_run
        for chart in self.query(EpochChart):
            chart.show(run, series, epochs, classes)
        grid = self.query_one("#epoch-grid", Grid)
        if info is not None:
            following = "following" if self.focus_run is None else "picked with [ ]"
            grid.border_title = (
                f"per epoch · run {run}: {info.mode}, k={info.count}, seed {info.seed}, "
                f"epoch {info.epoch}/{info.epochs} · {following}"
            )
        else:
            grid.border_title = "per epoch · no run started yet"
        counts = sorted({r.count for r in state.runs.values()})
        lines = {}
        for mode in state.modes:
            lines[mode] = state.by_count(mode, "c_i")
            if mode == "fixed":
                lines["fixed y_L"] = state.by_count(mode, "y_fixed")
        sigma1, _ = state.sigma()
        for chart in self.query(CountChart):
            chart.show(counts, lines, sigma1)
        done = sum(1 for r in state.runs.values() if r.final is not None)
        self.query_one(
            "#count-row"
        ).border_title = f"by count k, {done} runs in: {legend(list(lines), *classes)}"
        self.query_one(LogPane).show(state)

    def action_view(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view

    def action_step(self, step: int) -> None:
        state = self.lab.state
        order = state.run_order()
        if not order:
            return
        current = self.shown_run(state)
        index = order.index(current) if current in order else len(order) - 1
        self.focus_run = order[max(0, min(len(order) - 1, index + step))]
        self.show_state(state, self.lab.source_label)

    def action_follow(self) -> None:
        self.focus_run = None
        self.show_state(self.lab.state, self.lab.source_label)
