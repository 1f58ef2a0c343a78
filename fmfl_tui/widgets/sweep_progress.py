"""Sweep progress: status spelled out, runs done of total, the run(s) training now with
their epoch, elapsed time and ETA (both from the events' timestamps), and a bar over all
epochs of the sweep."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from fmfl_tui.format import duration
from fmfl_tui.state import SweepState

STATUS_STYLE = {
    "waiting": "dim",
    "running": "bold cyan",
    "done": "bold green",
    "interrupted": "bold yellow",
    "stopped": "bold yellow",
    "failed": "bold red",
}


class SweepProgress(Vertical):
    """A line of status, then the progress bar and the run(s) training now."""

    def compose(self) -> ComposeResult:
        yield Static(id="progress-head")
        with Horizontal(id="progress-line"):
            yield ProgressBar(total=None, show_eta=False, id="progress-bar")
            yield Static(id="progress-now")

    def show(self, state: SweepState, source: str) -> None:
        status = state.status
        head = Text()
        head.append(f" {status.upper()} ", style=f"reverse {STATUS_STYLE.get(status, '')}")
        head.append(f" {state.name or 'no sweep yet'}", style="bold")
        if source:
            head.append(f" · {source}")
        if state.total_runs:
            head.append(f" · runs {state.runs_done}/{state.total_runs}")
        if state.epochs_done:
            head.append(f" · {duration(state.elapsed)} elapsed")
            if state.finished is None:
                head.append(f" · ETA {duration(state.eta())}")
        if state.skipped_lines:
            head.append(f" · {state.skipped_lines} bad lines skipped", style="bold yellow")
        now = Text("now: ", style="dim")
        if state.running:
            parts = []
            for run in state.running[-3:]:
                info = state.runs.get(run)
                epoch = f" {info.epoch}/{info.epochs}" if info is not None else ""
                parts.append(f"{run}{epoch}")
            now.append(", ".join(parts))
        elif state.finished is not None:
            took = state.finished.seconds or state.elapsed  # an interrupted engine says 0
            now.append(f"sweep {state.finished.status} after {duration(took)}")
        else:
            now.append("-")
        self.query_one("#progress-head", Static).update(head)
        self.query_one("#progress-now", Static).update(now)
        bar = self.query_one("#progress-bar", ProgressBar)
        if state.total_runs:
            done = state.total_epochs if state.status == "done" else state.epochs_done
            bar.update(total=state.total_epochs, progress=min(done, state.total_epochs))
