"""What the console knows about one sweep, built from events alone (no Textual here).

`SweepState.apply(event)` folds the engine's stream into plain Python state: the plan,
which runs are running or done, bounded per-epoch series of recent runs, final metrics
per run (for the chart across counts), the zone tables, and a bounded log. Screens read
it when they redraw; nothing here draws. Time comes from the events' own timestamps, so
a replay shows the recorded elapsed time and ETA and a snapshot test is deterministic.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from engine.events import (
    Artifact,
    Epoch,
    Error,
    Event,
    Log,
    RunFinished,
    RunStarted,
    SweepFinished,
    SweepResumed,
    SweepStarted,
    ZoneTable,
)

MAX_POINTS = 1_000
"""Epochs kept per run series (older ones drop off)."""
MAX_SERIES = 24
"""Runs whose per-epoch series are kept; the oldest finished ones are dropped first."""
MAX_LOG = 1_000
MAX_EXPLANATIONS = 20_000
"""Explanation files remembered (a paper sweep explained at its end makes ~3,400)."""
EXPLANATION_KINDS = ("gradcam", "shap")
BASELINE = "baseline"
SERIES_KEYS = (
    "s_sens:c_i",
    "p:c_i",
    "mp:c_i",
    "s_sens:y_fixed",
    "p:y_fixed",
    "mp:y_fixed",
    "lm",
    "noisy_acc",
    "acc_j",
    "test_acc",
    "train_acc",
)


def num(value: Any) -> float:
    """A metric as a float; None (the protocol's NaN) and non-numbers become NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


@dataclass
class RunInfo:
    """One planned run and how far it got."""

    run: str
    seed: int
    count: int
    mode: str
    ratio: float = math.nan
    index: int = 0
    status: str = "planned"
    """planned, running or done."""
    epoch: int = 0
    epochs: int = 0
    final: dict[str, Any] | None = None
    """At run_finished: s_sens and mp per role, acc_j."""


class RunSeries:
    """Per-epoch values of one run, at most MAX_POINTS epochs; NaN where undefined."""

    def __init__(self, maxlen: int = MAX_POINTS) -> None:
        self.epochs: deque[int] = deque(maxlen=maxlen)
        self.values: dict[str, deque[float]] = {k: deque(maxlen=maxlen) for k in SERIES_KEYS}

    def add(self, epoch: int, values: dict[str, float]) -> None:
        # A resumed run repeats the epochs after its last checkpoint: the new ones replace them.
        while self.epochs and self.epochs[-1] >= epoch:
            self.epochs.pop()
            for column in self.values.values():
                column.pop()
        self.epochs.append(epoch)
        for key, column in self.values.items():
            column.append(values.get(key, math.nan))

    def column(self, key: str) -> list[float]:
        return list(self.values[key])

    def has(self, key: str) -> bool:
        return any(not math.isnan(v) for v in self.values[key])


@dataclass
class LogEntry:
    seq: int
    level: str
    """info, warning, error (or the engine's own level names)."""
    text: str


@dataclass
class CountRow:
    """One point of the chart across counts: seed means so far."""

    count: int
    n: int
    s_sens: float
    mp_diff: float
    acc_diff: float


@dataclass
class SweepState:
    sweep: str = ""
    name: str = ""
    setup: dict[str, Any] = field(default_factory=dict)
    out_dir: str = ""
    device: str = ""
    classes: list[str] = field(default_factory=list)
    runs: dict[str, RunInfo] = field(default_factory=dict)
    running: list[str] = field(default_factory=list)
    series: OrderedDict[str, RunSeries] = field(default_factory=OrderedDict)
    zones: list[ZoneTable] = field(default_factory=list)
    log: deque[LogEntry] = field(default_factory=lambda: deque(maxlen=MAX_LOG))
    status: str = "waiting"
    """waiting, running, then the sweep's own done / interrupted / failed."""
    started_ts: float = math.nan
    last_ts: float = math.nan
    epoch_events: int = 0
    runs_done: int = 0
    skipped_lines: int = 0
    errors: list[str] = field(default_factory=list)
    finished: SweepFinished | None = None
    events_seen: int = 0
    _seq: int = 0
    last_started: str = ""
    explanations: deque[Artifact] = field(default_factory=lambda: deque(maxlen=MAX_EXPLANATIONS))
    """GradCAM and SHAP files announced so far (paths relative to the run directory)."""

    # -- reading events ---------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state."""
        self.events_seen += 1
        if isinstance(event, SweepStarted):
            self._sweep_started(event)
        elif isinstance(event, RunStarted):
            self._run_started(event)
        elif isinstance(event, Epoch):
            self._epoch(event)
        elif isinstance(event, RunFinished):
            self._run_finished(event)
        elif isinstance(event, ZoneTable):
            self.zones.append(event)
        elif isinstance(event, Log):
            self.note(event.level, event.message)
        elif isinstance(event, Error):
            self._error(event)
        elif isinstance(event, SweepResumed):
            self.finished = None
            self.status = "running"
            self.zones.clear()  # the resumed sweep sends its tables again at the end
            self.note("info", f"sweep resumed: {event.runs_done} runs already done")
        elif isinstance(event, SweepFinished):
            self.finished = event
            self.status = event.status
            self.out_dir = event.out_dir or self.out_dir
            self.running.clear()
            runs = event.runs_done or self.runs_done  # an interrupted engine may say 0
            self.note("info", f"sweep {event.status}: {runs} runs")
        elif isinstance(event, Artifact) and event.kind in EXPLANATION_KINDS:
            self.explanations.append(
                event
            )  # many per run: listed by the explain screen, not logged
        elif isinstance(event, Artifact) and event.kind not in ("samples",):
            self.note("info", f"{event.kind}: {event.path}")
        ts = getattr(event, "ts", math.nan)
        if isinstance(ts, int | float):
            self.last_ts = float(ts) if math.isnan(self.last_ts) else max(self.last_ts, ts)
            if math.isnan(self.started_ts):
                self.started_ts = float(ts)

    def note(self, level: str, text: str) -> None:
        """Add a line to the log (engine messages, warnings, the console's own notes)."""
        self._seq += 1
        self.log.append(LogEntry(self._seq, level, text))

    def skipped(self, message: str) -> None:
        """A malformed line was skipped: count it and say so in the log."""
        self.skipped_lines += 1
        self.note("warning", f"skipped a line: {message}")

    def _sweep_started(self, event: SweepStarted) -> None:
        keep = (self.log, self._seq, self.skipped_lines, self.events_seen)
        self.__init__()  # a new sweep starts from nothing (but the log and counters)
        self.log, self._seq, self.skipped_lines, self.events_seen = keep
        self.sweep = event.sweep
        self.setup = event.setup if isinstance(event.setup, dict) else {}
        self.name = str(self.setup.get("name", event.sweep))
        self.out_dir = event.out_dir
        self.device = event.device
        self.classes = list(event.classes)
        self.status = "running"
        self.started_ts = event.ts
        epochs = self.epochs_per_run
        for item in event.plan:
            try:
                info = RunInfo(
                    run=str(item["run"]),
                    seed=int(item["seed"]),
                    count=int(item["count"]),
                    mode=str(item["mode"]),
                    ratio=num(item.get("ratio")),
                    index=int(item.get("index", len(self.runs))),
                    epochs=epochs,
                )
            except (KeyError, TypeError, ValueError):
                self.skipped(f"a plan entry without run, seed, count or mode: {item!r:.80}")
                continue
            self.runs[info.run] = info

    def _run_started(self, event: RunStarted) -> None:
        info = self.runs.get(event.run)
        if info is None:
            info = self.runs[event.run] = RunInfo(event.run, event.seed, event.count, event.mode)
        info.ratio, info.index, info.epochs = num(event.ratio), event.index, event.epochs
        info.status, info.epoch = "running", 0
        if event.run not in self.running:
            self.running.append(event.run)
        self.last_started = event.run
        if self.status == "waiting":
            self.status = "running"
        self._series(event.run)

    def _series(self, run: str) -> RunSeries:
        series = self.series.get(run)
        if series is None:
            series = self.series[run] = RunSeries()
            while len(self.series) > MAX_SERIES:
                victim = next((r for r in self.series if r not in self.running), None)
                self.series.pop(victim if victim is not None else next(iter(self.series)))
        return series

    def _epoch(self, event: Epoch) -> None:
        self.epoch_events += 1
        info = self.runs.get(event.run)
        if info is not None:
            info.epoch, info.epochs = event.epoch, event.epochs
        metrics = event.metrics if isinstance(event.metrics, dict) else {}
        values = {k: num(metrics.get(k)) for k in ("lm", "noisy_acc", "acc_j", "test_acc")}
        values["train_acc"] = num(metrics.get("train_acc"))
        for target in event.targets or []:
            if not isinstance(target, dict):
                continue
            role = target.get("role", "c_i")
            values[f"s_sens:{role}"] = num(target.get("s_sens"))
            values[f"p:{role}"] = num(target.get("p_value"))
            values[f"mp:{role}"] = num(target.get("mp"))
        self._series(event.run).add(event.epoch, values)

    def _run_finished(self, event: RunFinished) -> None:
        info = self.runs.get(event.run)
        if info is None:
            return
        if info.status != "done":
            self.runs_done += 1
        info.status = "done"
        if event.run in self.running:
            self.running.remove(event.run)
        metrics = event.metrics if isinstance(event.metrics, dict) else {}
        final: dict[str, Any] = {"acc_j": num(metrics.get("acc_j")), "s_sens": {}, "mp": {}}
        for target in event.targets or []:
            if isinstance(target, dict):
                role = target.get("role", "c_i")
                final["s_sens"][role] = num(target.get("s_sens"))
                final["mp"][role] = num(target.get("mp"))
        info.final = final

    def _error(self, event: Error) -> None:
        if event.kind == "traceback":
            lines = [line for line in event.message.strip().splitlines() if line.strip()]
            for line in lines[-6:]:
                self.note("error", f"  {line}")
            return
        self.errors.append(event.message)
        where = f" in {event.run}" if event.run else ""
        self.note("error", f"engine error{where}: {event.message}")

    # -- derived views ----------------------------------------------------------------

    @property
    def epochs_per_run(self) -> int:
        train = self.setup.get("train", {}) if isinstance(self.setup, dict) else {}
        try:
            return max(1, int(train.get("epochs", 1)))
        except (TypeError, ValueError):
            return 1

    @property
    def resumable(self) -> bool:
        """An interrupted or failed sweep whose run directory is known can be resumed."""
        return self.status in ("interrupted", "failed") and bool(self.out_dir)

    @property
    def modes(self) -> list[str]:
        sweep = self.setup.get("sweep", {}) if isinstance(self.setup, dict) else {}
        modes = [m for m in sweep.get("noise_modes", []) if isinstance(m, str)]
        return modes or sorted({r.mode for r in self.runs.values() if r.mode != BASELINE})

    def class_of(self, role: str) -> str:
        """The class number of a target role, e.g. '0' for c_i in the quickstart."""
        classes = self.setup.get("classes", {}) if isinstance(self.setup, dict) else {}
        value = classes.get("c_i" if role == "c_i" else "y_fixed", "?")
        return str(value)

    @property
    def total_runs(self) -> int:
        return len(self.runs)

    @property
    def total_epochs(self) -> int:
        return sum(max(r.epochs, 1) for r in self.runs.values())

    @property
    def epochs_done(self) -> int:
        """Epochs trained so far: all of each finished run, the current one of a running
        run (robust to a stream that starts late or lacks some epoch events)."""
        return sum(max(r.epochs, 1) if r.status == "done" else r.epoch for r in self.runs.values())

    @property
    def elapsed(self) -> float:
        return self.last_ts - self.started_ts

    def eta(self) -> float:
        """Seconds left at the pace so far (NaN before the first epoch; 0 when finished)."""
        if self.finished is not None:
            return 0.0
        done = self.epochs_done
        if not done or not self.elapsed > 0:
            return math.nan
        return self.elapsed / done * max(self.total_epochs - done, 0)

    def run_order(self) -> list[str]:
        """Runs that have per-epoch series, oldest first."""
        return list(self.series)

    def by_count(self, mode: str, role: str = "c_i") -> list[CountRow]:
        """Seed means per count of the finished runs of `mode` (count 0: the baselines):
        S_sens, Avg-MP-Diff = MP(k) - MP(0) and Avg-TestAcc-Diff = Acc_j(0) - Acc_j(k),
        differences taken per seed against the same seed's baseline (SPEC §4)."""
        base: dict[int, dict[str, Any]] = {}
        groups: dict[int, list[RunInfo]] = {}
        for info in self.runs.values():
            if info.final is None:
                continue
            if info.count == 0:
                base[info.seed] = info.final
                groups.setdefault(0, []).append(info)
            elif info.mode == mode:
                groups.setdefault(info.count, []).append(info)
        rows = []
        for count in sorted(groups):
            s_vals, mp_diffs, acc_diffs = [], [], []
            for info in groups[count]:
                final = info.final or {}
                s_vals.append(final["s_sens"].get(role, math.nan))
                ref = base.get(info.seed)
                if ref is not None:
                    mp = final["mp"].get(role, math.nan)
                    mp_diffs.append(mp - ref["mp"].get(role, math.nan))
                    acc_diffs.append(ref["acc_j"] - final["acc_j"])
            rows.append(
                CountRow(count, len(s_vals), _mean(s_vals), _mean(mp_diffs), _mean(acc_diffs))
            )
        return rows

    def sigma(self) -> tuple[float, float]:
        metrics = self.setup.get("metrics", {}) if isinstance(self.setup, dict) else {}
        return num(metrics.get("sigma1", 3.5)), num(metrics.get("sigma2", 3.0))


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan
