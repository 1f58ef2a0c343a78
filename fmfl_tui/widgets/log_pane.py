"""The log pane: the engine's messages and errors, skipped lines, the console's own notes.

It appends the state's log entries it has not shown yet. Levels are spelled out as a
prefix (`WARN`, `ERROR`) as well as coloured.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from fmfl_tui.state import SweepState

PREFIX = {"warning": ("WARN ", "bold yellow"), "error": ("ERROR", "bold red")}


class LogPane(RichLog):
    """A bounded, scrolling log."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(max_lines=2_000, min_width=20, wrap=True, markup=False, id=id)
        self.shown = 0
        """Sequence number of the last entry written."""

    def show(self, state: SweepState) -> None:
        for entry in state.log:
            if entry.seq <= self.shown:
                continue
            self.shown = entry.seq
            prefix, style = PREFIX.get(entry.level, ("", ""))
            line = Text()
            if prefix:
                line.append(prefix + " ", style=style)
            line.append(entry.text, style="red" if entry.level == "error" else "")
            self.write(line)
