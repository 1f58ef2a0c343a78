"""A per-epoch chart of one run: S_sens with its p-value, the LM-score, the train-test
gap (train accuracy on the stamped samples X_noisy against accuracy on stamped C_j test
samples), or MP_{j,i}.

The chart keeps its own data; `show()` hands it new data and `replot()` clears, plots and
refreshes. Every line has its own marker character, named in the chart's title (its
legend, which would cover a small plot), so nothing depends on colour alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from textual_plotext import PlotextPlot

from fmfl_tui.state import RunSeries


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    marker: str
    color: str
    right: bool = False


def _lines(kind: str, ci: str, yl: str) -> tuple[str, tuple[Line, ...], tuple[float, float] | None]:
    """Title (which names each line's marker: the legend), lines and fixed y-range."""
    if kind == "s_sens":
        return (
            f"S_sens •c={ci} xc={yl} | p right ·c={ci} +c={yl}",
            (
                Line("s_sens:c_i", f"S_sens c={ci}", "•", "cyan"),
                Line("s_sens:y_fixed", f"S_sens c={yl}", "x", "magenta"),
                Line("p:c_i", f"p c={ci}", "·", "gray", right=True),
                Line("p:y_fixed", f"p c={yl}", "+", "gray", right=True),
            ),
            None,
        )
    if kind == "lm":
        return "LM-score •", (Line("lm", "LM-score", "•", "green"),), (-1.0, 1.0)
    if kind == "gap":
        return (
            "gap %: •train X_noisy xtest C_j",
            (
                Line("noisy_acc", "train X_noisy", "•", "yellow"),
                Line("acc_j", "test stamped C_j", "x", "cyan"),
            ),
            (0.0, 100.0),
        )
    if kind == "mp":
        return (
            f"MP_j,c %: •c={ci} xc={yl}",
            (
                Line("mp:c_i", f"MP c={ci}", "•", "red"),
                Line("mp:y_fixed", f"MP c={yl}", "x", "magenta"),
            ),
            (0.0, 100.0),
        )
    raise ValueError(f"unknown chart kind {kind!r}")


FRAME_MIN_HEIGHT = 12
"""Below this many rows the plot drops its box to keep rows for data."""


class EpochChart(PlotextPlot):
    """One metric of one run over its epochs."""

    def __init__(self, kind: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes="chart")
        self.kind = kind
        self._title, self._spec, self._ylim = _lines(kind, "C_i", "y_L")
        self._epochs: list[int] = []
        self._data: dict[str, list[float]] = {}
        self._run = ""
        self._total = 0

    def show(
        self, run: str, series: RunSeries | None, epochs: int, classes: tuple[str, str]
    ) -> None:
        """New data for the chart: the run's id, its series, its planned epochs and the
        class numbers of C_i and y_Lfixed (for the legend)."""
        self._title, self._spec, self._ylim = _lines(self.kind, *classes)
        self._run = run
        self._total = epochs
        self._epochs = list(series.epochs) if series is not None else []
        self._data = (
            {line.key: series.column(line.key) for line in self._spec} if series is not None else {}
        )
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self._title)
        plt.frame(self.size.height >= FRAME_MIN_HEIGHT)
        drawn = 0
        for line in self._spec:
            xs, ys = _finite(self._epochs, self._data.get(line.key, []))
            if not xs:
                continue
            drawn += 1
            plt.plot(
                xs,
                ys,
                marker=line.marker,
                color=line.color,
                yside="right" if line.right else "left",
            )
        if self._ylim is not None:
            plt.ylim(*self._ylim)
        if any(line.right for line in self._spec):
            plt.ylim(0.0, 1.0, yside="right")
        last = max(self._total, self._epochs[-1] if self._epochs else 1, 2)
        plt.xlim(1, last)
        if last <= 12:
            plt.xticks(list(range(1, last + 1)))
        if not drawn:
            empty = "no run yet" if not self._run else "undefined for k = 0"
            plt.title(f"{self._title}: {empty}")
        self.refresh()


def _finite(xs: list[int], ys: list[float]) -> tuple[list[int], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if not math.isnan(y)]
    return [p[0] for p in pairs], [p[1] for p in pairs]
