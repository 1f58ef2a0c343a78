"""The chart across counts (the paper's Figure 2): one line per noise mode, one point per
count k, filled in as runs finish. Either the seed mean of S_sens, or Avg-MP-Diff with
the σ1 threshold drawn across it.

Counts sit at even spacing and are labelled with k, since they span orders of magnitude
and k = 0 has no logarithm. Each mode has its own marker; `legend()` names them.
"""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from fmfl_tui.state import CountRow
from fmfl_tui.widgets.epoch_chart import FRAME_MIN_HEIGHT

MARKERS = {"none": "o", "random": "x", "fixed": "+", "fixed y_L": "*"}
COLORS = {"none": "cyan", "random": "yellow", "fixed": "red", "fixed y_L": "magenta"}


def legend(labels: list[str], ci: str, yl: str) -> str:
    """The markers of the lines, for the title above both charts."""
    names = {"fixed": f"fixed c={ci}", "fixed y_L": f"fixed c={yl}"}
    return "  ".join(f"{MARKERS.get(label, '•')} {names.get(label, label)}" for label in labels)


class CountChart(PlotextPlot):
    """S_sens or Avg-MP-Diff against the count k, per noise mode."""

    def __init__(self, metric: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes="chart")
        if metric not in ("s_sens", "mp_diff"):
            raise ValueError(f"unknown metric {metric!r}")
        self.metric = metric
        self._counts: list[int] = []
        self._lines: dict[str, list[CountRow]] = {}
        self._sigma1 = 3.5

    def show(self, counts: list[int], lines: dict[str, list[CountRow]], sigma1: float) -> None:
        """All counts of the plan, and per line label (a mode, or `fixed y_L`) its rows."""
        self._counts = sorted(counts)
        self._lines = lines
        self._sigma1 = sigma1
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.metric == "s_sens":
            plt.title("S_sens, seed mean")
        else:
            plt.title(f"Avg-MP-Diff %, σ1 = {self._sigma1:g} as ---")
        plt.frame(self.size.height >= FRAME_MIN_HEIGHT)
        where = {k: i for i, k in enumerate(self._counts)}
        for label, rows in self._lines.items():
            xs, ys = [], []
            for row in rows:
                value = row.s_sens if self.metric == "s_sens" else row.mp_diff
                if row.count in where and not math.isnan(value):
                    xs.append(where[row.count])
                    ys.append(value)
            if xs:
                plt.plot(
                    xs,
                    ys,
                    marker=MARKERS.get(label, "•"),
                    color=COLORS.get(label, "white"),
                )
        if self.metric == "mp_diff" and self._counts:
            plt.plot(
                [0, len(self._counts) - 1],
                [self._sigma1, self._sigma1],
                marker="-",
                color="gray",
            )
        if self._counts:
            plt.xticks(list(range(len(self._counts))), [str(k) for k in self._counts])
            plt.xlim(-0.3, max(len(self._counts) - 1, 1) + 0.3)
        self.refresh()
