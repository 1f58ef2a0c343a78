"""A run directory as tidy pandas tables: `load(RUN_DIR)` -> `Results`.

- `epochs`: one row per run x epoch x target class, every metric of SPEC §3 that run
  reported at that epoch (the explanation metrics `cam_in_stamp`, `shap_value`,
  `shap_rank` included, NaN where not explained), read from `events.jsonl`;
- `runs`: `runs.csv` (final metrics, one row per run and target);
- `zones`: `zones.csv` (one row per noise mode x target x count);
- `artifacts`: the files the engine announced (kind, path relative to the run dir, run).

Malformed event lines are skipped (counted in `skipped`); an epoch reported twice (a
run resumed from a checkpoint repeats the epochs after it) keeps its last report. When
the CSV files are missing (a sweep that stopped early) `runs` and `zones` are rebuilt
from the `run_finished` and `zones` events. No torch here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine import rundir
from engine.errors import ConfigError
from engine.events import (
    Artifact,
    Epoch,
    RunFinished,
    RunStarted,
    SweepStarted,
    ZoneTable,
    read_events,
)
from engine.explain.artifacts import EXPLAIN_KEYS

RUN_KEYS = ("run", "mode", "seed", "count", "ratio")
TARGET_KEYS = ("role", "target", "s_sens", "p_value", "recognised", "mp", "n_misclassified")
METRIC_KEYS = (
    "acc_j", "lm", "train_acc", "noisy_acc", "test_acc", "train_loss", *EXPLAIN_KEYS,
)  # fmt: skip
EPOCH_COLUMNS = [*RUN_KEYS, "epoch", *TARGET_KEYS, *METRIC_KEYS]
"""The columns `epochs` always has (more follow when the engine reported more)."""


@dataclass
class Results:
    run_dir: Path
    setup: dict[str, Any]
    epochs: pd.DataFrame
    runs: pd.DataFrame
    zones: pd.DataFrame
    artifacts: pd.DataFrame
    skipped: int = 0
    sweep: str = ""
    classes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The three tidy tables by name (what `report --parquet` writes)."""
        return {"epochs": self.epochs, "runs": self.runs, "zones": self.zones}


def load(run_dir: str | Path) -> Results:
    """Read a run directory; ConfigError (exit code 2 on the command line) when it is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(
            "RUN_DIR", f"{run_dir} is not a folder", "give the run directory of a sweep"
        )
    events_path = run_dir / rundir.EVENTS
    if not events_path.is_file():
        raise ConfigError(
            "RUN_DIR",
            f"{run_dir} has no {rundir.EVENTS}",
            "give a folder written by `fmfl-engine run`",
        )
    skipped = 0

    def count(_line: int, _message: str) -> None:
        nonlocal skipped
        skipped += 1

    with events_path.open(encoding="utf-8", errors="replace") as f:
        events = list(read_events(f, on_error=count))

    setup: dict[str, Any] = {}
    sweep, classes = "", []
    info: dict[str, dict[str, Any]] = {}
    epochs: dict[tuple[str, int, int], dict[str, Any]] = {}
    finished: dict[str, RunFinished] = {}
    zone_events: dict[tuple[str, int], ZoneTable] = {}
    files: list[dict[str, str]] = []
    for event in events:
        if isinstance(event, SweepStarted):
            setup = event.setup if isinstance(event.setup, dict) else {}
            sweep, classes = event.sweep, list(event.classes)
            for item in event.plan:
                if isinstance(item, dict) and "run" in item:
                    info[str(item["run"])] = {k: item.get(k) for k in RUN_KEYS}
        elif isinstance(event, RunStarted):
            info[event.run] = {
                "run": event.run,
                "mode": event.mode,
                "seed": event.seed,
                "count": event.count,
                "ratio": event.ratio,
            }
        elif isinstance(event, Epoch):
            for row in _epoch_rows(event, info.get(event.run, {"run": event.run})):
                epochs[(event.run, event.epoch, row["target"])] = row
        elif isinstance(event, RunFinished):
            finished[event.run] = event
        elif isinstance(event, ZoneTable):
            zone_events[(event.mode, event.target)] = event
        elif isinstance(event, Artifact):
            files.append({"kind": event.kind, "path": event.path, "run": event.run})

    epoch_table = pd.DataFrame.from_records(list(epochs.values()))
    for column in EPOCH_COLUMNS:
        if column not in epoch_table.columns:
            epoch_table[column] = math.nan
    extra = [c for c in epoch_table.columns if c not in EPOCH_COLUMNS]
    epoch_table = epoch_table[EPOCH_COLUMNS + extra]
    if not epoch_table.empty:
        epoch_table = epoch_table.sort_values(["run", "epoch", "target"], kind="stable")
        epoch_table = epoch_table.reset_index(drop=True)
    return Results(
        run_dir=run_dir,
        setup=setup,
        epochs=epoch_table,
        runs=_table(run_dir / rundir.RUNS, lambda: _runs_from_events(finished, info)),
        zones=_table(run_dir / rundir.ZONES, lambda: _zones_from_events(zone_events)),
        artifacts=pd.DataFrame(files, columns=["kind", "path", "run"]),
        skipped=skipped,
        sweep=sweep,
        classes=classes,
    )


def _epoch_rows(event: Epoch, run: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = event.metrics if isinstance(event.metrics, dict) else {}
    base = {k: run.get(k) for k in RUN_KEYS}
    base["run"] = event.run
    base["epoch"] = event.epoch
    base.update({k: _value(v) for k, v in metrics.items()})
    rows = []
    for target in event.targets or []:
        if isinstance(target, dict) and "target" in target:
            rows.append({**base, **{k: _value(v) for k, v in target.items()}})
    return rows


def _value(value: Any) -> Any:
    return math.nan if value is None else value


def _table(path: Path, fallback) -> pd.DataFrame:  # noqa: ANN001 - a callable giving a table
    if path.is_file():
        try:
            return pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            pass
    return fallback()


def _runs_from_events(finished: dict[str, RunFinished], info: dict) -> pd.DataFrame:
    rows = []
    for run, event in finished.items():
        base = {k: info.get(run, {}).get(k) for k in RUN_KEYS}
        base["run"] = run
        metrics = {k: _value(v) for k, v in (event.metrics or {}).items()}
        for target in event.targets or []:
            if isinstance(target, dict):
                rows.append({**base, **{k: _value(v) for k, v in target.items()}, **metrics})
    return pd.DataFrame.from_records(rows)


def _zones_from_events(tables: dict[tuple[str, int], ZoneTable]) -> pd.DataFrame:
    rows = []
    for (mode, target), event in tables.items():
        for row in event.rows:
            if isinstance(row, dict):
                rows.append({"mode": mode, "target": target, "role": event.role, **row})
    return pd.DataFrame.from_records(rows)
