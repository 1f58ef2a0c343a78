"""Human progress on stderr, driven by the same events everything else reads.

On a terminal: one line redrawn in place with a bar, the current run and epoch, elapsed
time and ETA. Elsewhere (nohup, a log file): one plain line per finished run, so a log
stays readable.
"""

from __future__ import annotations

import math
import time
from typing import TextIO

from engine.events import Epoch, Event, Log, RunFinished, RunStarted, SweepFinished, SweepStarted

BAR = 24


def duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{s:02d}s"
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m"


class Progress:
    """An event sink that draws progress; pass it alongside the event writer."""

    def __init__(self, stream: TextIO, live: bool | None = None) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.total_runs = 0
        self.epochs_per_run = 1
        self.runs_done = 0
        self.epochs_done = 0
        self.current = ""
        self.epoch = 0
        self.started = time.monotonic()

    def eta(self) -> float:
        total = self.total_runs * self.epochs_per_run
        if not self.epochs_done:
            return math.nan
        per_epoch = (time.monotonic() - self.started) / self.epochs_done
        return per_epoch * (total - self.epochs_done)

    def __call__(self, event: Event) -> None:
        if isinstance(event, SweepStarted):
            self.total_runs = len(event.plan)
            self.epochs_per_run = int(event.setup.get("train", {}).get("epochs", 1))
            self.started = time.monotonic()
        elif isinstance(event, RunStarted):
            self.current = f"{event.mode} k={event.count} seed={event.seed}"
            self.epoch = 0
        elif isinstance(event, Epoch):
            self.epoch = event.epoch
            self.epochs_done += 1
        elif isinstance(event, RunFinished):
            self.runs_done += 1
            if not self.live:
                self._line(self._finished(event))
        elif isinstance(event, Log) and event.level != "debug":
            self._line(event.message)
        elif isinstance(event, SweepFinished):
            if self.live:
                self.stream.write("\r\x1b[2K")
            self._line(f"sweep {event.status}: {event.runs_done} runs in {duration(event.seconds)}")
            return
        if self.live and self.total_runs:
            self._draw()

    def _finished(self, event: RunFinished) -> str:
        t = event.targets[0] if event.targets else {}
        p = t.get("p_value")
        return (
            f"run {self.runs_done}/{self.total_runs} {event.run} ({duration(event.seconds)}): "
            f"S_sens={_num(t.get('s_sens'))} p={_num(p)} MP={_num(t.get('mp'), 1)}% "
            f"Acc_j={_num(event.metrics.get('acc_j'), 1)}% · ETA {duration(self.eta())}"
        )

    def _draw(self) -> None:
        share = self.runs_done / self.total_runs
        filled = int(share * BAR)
        bar = "█" * filled + "░" * (BAR - filled)
        elapsed = duration(time.monotonic() - self.started)
        text = (
            f"[{bar}] {self.runs_done}/{self.total_runs} runs · {self.current} "
            f"epoch {self.epoch}/{self.epochs_per_run} · {elapsed} · ETA {duration(self.eta())}"
        )
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self.stream.flush()


def _num(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and digits == 3 and abs(value) < 1e-3 and value != 0:
        return f"{value:.1e}"
    return f"{value:.{digits}f}" if isinstance(value, float | int) else str(value)
