"""A sweep: every (seed, count, mode) run of a setup, then the zone tables (SPEC §1, §4).

`run_sweep` is the one entry point; it reports through `emit` only, so the command line
writes JSON Lines, the tests collect a list, and the console reads a pipe.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine import paper, rundir
from engine.config import Setup, check_counts_fit, dumps_toml, setup_to_dict
from engine.data.datasets import Split
from engine.events import (
    Artifact,
    Emit,
    Event,
    Log,
    RunFinished,
    SweepFinished,
    SweepStarted,
    ZoneTable,
)
from engine.plan import PlannedRun, plan_runs, targets
from engine.train import RunResult, SweepData, configure_torch, prepare, run_one
from engine.zones import zone_table

RUN_COLUMNS = [
    "run", "mode", "seed", "count", "ratio", "target", "role", "s_sens", "p_value", "recognised",
    "mp", "n_misclassified", "acc_j", "lm", "train_acc", "noisy_acc", "test_acc", "train_loss",
    "seconds",
]  # fmt: skip


@dataclass
class SweepOutcome:
    out_dir: Path
    runs: pd.DataFrame
    zones: pd.DataFrame
    seconds: float


def run_rows(result: RunResult, train_size: int) -> list[dict[str, object]]:
    """runs.csv rows of one run: one per target class it reports."""
    p = result.planned
    base = {
        "run": p.run,
        "mode": p.mode,
        "seed": p.seed,
        "count": p.count,
        "ratio": 100.0 * p.count / train_size,
        "seconds": round(result.seconds, 3),
    }
    m = result.metrics
    shared = {
        key: m.get(key)
        for key in ("acc_j", "lm", "train_acc", "noisy_acc", "test_acc", "train_loss")
    }
    return [{**base, **t, **shared} for t in result.targets]


def zone_tables(setup: Setup, runs: pd.DataFrame, samples: dict) -> pd.DataFrame:
    """All zone tables of a sweep, stacked: every noise mode x its target classes."""
    tables = []
    m = setup.metrics
    for mode in setup.sweep.noise_modes:
        for target, role in targets(setup, mode):
            table = zone_table(
                runs,
                samples,
                mode,
                target,
                ttest=m.ttest,
                recognition=m.recognition,
                sigma1=m.sigma1,
                sigma2=m.sigma2,
                alpha=m.alpha,
            )
            table.insert(2, "role", role)
            tables.append(table)
    zones = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if setup.paper_table and not zones.empty:
        zones = paper.attach(zones, paper.load_table(setup.paper_table, m.sigma1, m.sigma2))
    return zones


def run_sweep(
    setup: Setup,
    out_dir: Path,
    emit: Emit,
    *,
    sweep_id: str | None = None,
    split: Split | None = None,
) -> SweepOutcome:
    """Run every planned run in order, write the run directory, report through `emit`.

    `split` replaces the dataset loader (tests pass small in-memory splits).
    """
    started = time.perf_counter()
    sweep_id = sweep_id or out_dir.name
    plan = plan_runs(setup)
    device = configure_torch(setup)
    data = prepare(setup, device, split)
    check_counts_fit(setup, data.train_size_ci)
    out_dir.mkdir(parents=True, exist_ok=True)
    rundir.atomic_write_text(out_dir / rundir.CONFIG, dumps_toml(setup))
    train_size = data.train_size_ci
    emit(
        SweepStarted(
            sweep=sweep_id,
            setup=setup_to_dict(setup),
            plan=[p.to_dict(train_size) for p in plan],
            out_dir=str(out_dir),
            device=str(device),
            train_size_ci=train_size,
            classes=list(data.split.classes),
        )
    )
    emit(Log(sweep=sweep_id, level="info", message=_describe(data, len(plan))))
    for note in data.split.notes:
        emit(Log(sweep=sweep_id, level="warning", message=note))
    rows: list[dict[str, object]] = []
    samples: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]] = {}
    runs = pd.DataFrame(columns=RUN_COLUMNS)
    if setup.sweep.workers > 1:
        results = _parallel(plan, setup, data.split, emit, sweep_id)
    else:
        results = _sequential(plan, data, emit, sweep_id)
    for result in results:
        run = result.planned.run
        samples[run] = result.samples
        path = rundir.save_samples(out_dir, run, result.samples, result.noisy_preds)
        emit(Artifact(sweep=sweep_id, run=run, kind="samples", path=str(path.relative_to(out_dir))))
        rows.extend(run_rows(result, train_size))
        runs = pd.DataFrame.from_records(rows, columns=RUN_COLUMNS)
        rundir.write_csv(out_dir / rundir.RUNS, runs)

    zones = zone_tables(setup, runs, samples)
    rundir.write_csv(out_dir / rundir.ZONES, zones)
    for (mode, target, role), table in zones.groupby(["mode", "target", "role"], sort=False):
        emit(
            ZoneTable(
                sweep=sweep_id,
                mode=str(mode),
                target=int(target),
                role=str(role),
                sigma1=setup.metrics.sigma1,
                sigma2=setup.metrics.sigma2,
                rows=table.drop(columns=["mode", "target", "role"]).to_dict(orient="records"),
            )
        )
    seconds = time.perf_counter() - started
    emit(
        SweepFinished(
            sweep=sweep_id,
            status="done",
            seconds=seconds,
            runs_done=len(plan),
            out_dir=str(out_dir),
        )
    )
    return SweepOutcome(out_dir, runs, zones, seconds)


def _describe(data: SweepData, n_runs: int) -> str:
    split = data.split
    return (
        f"{data.setup.data.dataset}: {len(split.train_y)} training / {len(split.test_y)} test samples, "
        f"{data.train_size_ci} in C_i={data.setup.classes.c_i}; {n_runs} runs on {data.device}"
    )


# ---------------------------------------------------------------------------
# Executors: both yield RunResults; a run starts only once its seed's baseline is done.


def _sequential(
    plan: list[PlannedRun], data: SweepData, emit: Emit, sweep_id: str
) -> Iterator[RunResult]:
    baseline_preds: dict[int, np.ndarray] = {}
    for planned in plan:
        result = run_one(data, planned, emit, sweep_id, baseline_preds.get(planned.seed))
        if result.noisy_preds is not None:
            baseline_preds[planned.seed] = result.noisy_preds
        yield result


_WORKER: dict[str, Any] = {}


def _worker_init(setup: Setup, split: Split, events: Any, sweep_id: str) -> None:
    device = configure_torch(setup)
    _WORKER.update(data=prepare(setup, device, split), events=events, sweep_id=sweep_id)


def _worker_run(planned: PlannedRun, baseline_preds: np.ndarray | None) -> RunResult:
    return run_one(
        _WORKER["data"], planned, _WORKER["events"].put, _WORKER["sweep_id"], baseline_preds
    )


def _parallel(
    plan: list[PlannedRun], setup: Setup, split: Split, emit: Emit, sweep_id: str
) -> Iterator[RunResult]:
    """Runs in `sweep.workers` processes. Workers stream their events through a queue that
    this process drains into `emit`, so the event stream stays live and single-writer;
    runs of different seeds interleave, each run's own events stay in order."""
    context = multiprocessing.get_context("spawn")  # safe with CUDA, unlike fork
    events = context.Queue()
    workers = setup.sweep.workers
    baseline_preds: dict[int, np.ndarray] = {}
    waiting = list(plan)
    running: dict[Future[RunResult], PlannedRun] = {}
    finished: set[str] = set()
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_worker_init,
        initargs=(setup, split, events, sweep_id),
    ) as pool:

        def submit_ready() -> None:
            # Keep at most one queued run per worker so runs start in plan order.
            for planned in list(waiting):
                if len(running) >= 2 * workers:
                    break
                if planned.is_baseline or planned.seed in baseline_preds:
                    running[pool.submit(_worker_run, planned, baseline_preds.get(planned.seed))] = (
                        planned
                    )
                    waiting.remove(planned)

        try:
            submit_ready()
            while running:
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, emit, finished)
                for future in done:
                    planned = running.pop(future)
                    result = future.result()
                    _drain(events, emit, finished, until=planned.run)
                    if result.noisy_preds is not None:
                        baseline_preds[planned.seed] = result.noisy_preds
                    yield result
                submit_ready()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _drain(events: Any, emit: Emit, finished: set[str], until: str | None = None) -> None:
    """Emit every queued event, noting finished runs; with `until`, also wait for that
    run's RunFinished (a worker's queue may deliver after its result does)."""
    while True:
        waiting = until is not None and until not in finished
        try:
            event: Event = events.get(timeout=30.0) if waiting else events.get_nowait()
        except queue_module.Empty:
            return
        emit(event)
        if isinstance(event, RunFinished):
            finished.add(event.run)
