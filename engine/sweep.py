"""A sweep: every (seed, count, mode) run of a setup, then the zone tables (SPEC §1, §4).

`run_sweep` starts one and `resume_sweep` continues one from its run directory; both
report through `emit` only, so the command line writes JSON Lines, the tests collect a
list, and the console reads a pipe. Finished runs are recorded as they finish
(samples.npz, then runs.csv, then the run's checkpoint is dropped), so a sweep killed at
any moment loses at most the epochs since its runs' last checkpoints.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine import paper, rundir
from engine.config import (
    Setup,
    check_counts_fit,
    dumps_toml,
    setup_from_dict,
    setup_to_dict,
    validate,
)
from engine.data.datasets import Split
from engine.errors import ConfigError
from engine.events import (
    Artifact,
    Emit,
    Event,
    Log,
    RunFinished,
    SweepFinished,
    SweepResumed,
    SweepStarted,
    ZoneTable,
    read_events,
)
from engine.explain.artifacts import EXPLAIN_KEYS
from engine.interrupt import Interrupted, StopCheck, ignore_signals, never
from engine.plan import PlannedRun, plan_runs, targets
from engine.train import RunResult, SweepData, configure_torch, prepare, run_one
from engine.zones import zone_table

RUN_COLUMNS = [
    "run", "mode", "seed", "count", "ratio", "target", "role", "s_sens", "p_value", "recognised",
    "mp", "n_misclassified", "acc_j", "lm", "train_acc", "noisy_acc", "test_acc", "train_loss",
    "cam_in_stamp", "shap_value", "shap_rank", "seconds",
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
        + EXPLAIN_KEYS  # the last epoch is always explained (engine.explain.runner)
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
    should_stop: StopCheck = never,
) -> SweepOutcome:
    """Run every planned run in order, write the run directory, report through `emit`.

    `split` replaces the dataset loader (tests pass small in-memory splits). When
    `should_stop` turns true the sweep ends as `interrupted` and raises Interrupted.
    """
    started = time.perf_counter()
    sweep_id = sweep_id or out_dir.name
    data = _prepare(setup, split)
    out_dir.mkdir(parents=True, exist_ok=True)
    rundir.atomic_write_text(out_dir / rundir.CONFIG, dumps_toml(setup))
    emit(
        SweepStarted(
            sweep=sweep_id,
            setup=setup_to_dict(setup),
            plan=[p.to_dict(data.train_size_ci) for p in plan_runs(setup)],
            out_dir=str(out_dir),
            device=str(data.device),
            train_size_ci=data.train_size_ci,
            classes=list(data.split.classes),
        )
    )
    _describe_data(data, emit, sweep_id)
    return _execute(data, out_dir, emit, sweep_id, _Record(), should_stop, started)


def resume_sweep(
    out_dir: Path,
    emit: Emit,
    *,
    split: Split | None = None,
    should_stop: StopCheck = never,
    repaired: str = "",
) -> SweepOutcome:
    """Continue a sweep from its run directory: finished runs are kept, runs cut mid-way
    continue from their checkpoints, a half-written last event line is cut (`repaired`
    says what a caller already cut before it opened the file)."""
    started = time.perf_counter()
    setup = load_stored_setup(out_dir)
    repaired = rundir.repair_events(out_dir / rundir.EVENTS) or repaired
    sweep_id = sweep_id_of(out_dir)
    plan = plan_runs(setup)
    record = _Record.load(out_dir, plan)
    for run in record.finished:  # killed after recording the run, before dropping its state
        rundir.checkpoint_path(out_dir, run).unlink(missing_ok=True)
    data = _prepare(setup, split)
    continuing = [
        p.run
        for p in plan
        if p.run not in record.finished and rundir.checkpoint_path(out_dir, p.run).is_file()
    ]
    emit(
        SweepResumed(
            sweep=sweep_id,
            runs_done=len(record.finished),
            continuing=[{"run": run} for run in continuing],
            repaired=repaired,
        )
    )
    message = f"resuming: {len(record.finished)} of {len(plan)} runs done"
    if continuing:
        message += f"; continuing {', '.join(continuing)} from checkpoints"
    emit(Log(sweep=sweep_id, level="info", message=message))
    if repaired:
        emit(Log(sweep=sweep_id, level="warning", message=repaired))
    _describe_data(data, emit, sweep_id)
    return _execute(data, out_dir, emit, sweep_id, record, should_stop, started)


def load_stored_setup(out_dir: Path) -> Setup:
    """The setup a run directory was started with (its config.toml)."""
    path = out_dir / rundir.CONFIG
    if not out_dir.is_dir():
        raise ConfigError(
            "RUN_DIR", f"{out_dir} is not a folder", "give the run directory of a sweep"
        )
    if not path.is_file():
        raise ConfigError(
            "RUN_DIR",
            f"{out_dir} has no {rundir.CONFIG}",
            "give the folder `fmfl-engine run` wrote",
        )
    try:
        setup = setup_from_dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            str(path), f"malformed TOML ({exc})", "restore the file the engine wrote"
        ) from None
    validate(setup)
    return setup


def sweep_id_of(out_dir: Path) -> str:
    """The sweep id its events carry (the folder name if none is readable)."""
    path = out_dir / rundir.EVENTS
    if path.is_file():
        with path.open(encoding="utf-8", errors="replace") as lines:
            for event in read_events(lines):
                if isinstance(event, SweepStarted):
                    return event.sweep
    return out_dir.name


def _prepare(setup: Setup, split: Split | None) -> SweepData:
    data = prepare(setup, configure_torch(setup), split)
    check_counts_fit(setup, data.train_size_ci)
    return data


def _describe_data(data: SweepData, emit: Emit, sweep_id: str) -> None:
    emit(Log(sweep=sweep_id, level="info", message=_describe(data, len(plan_runs(data.setup)))))
    for note in data.split.notes:
        emit(Log(sweep=sweep_id, level="warning", message=note))


@dataclass
class _Record:
    """What is finished: runs.csv rows, per-sample arrays and baseline predictions."""

    rows: list[dict[str, object]] = field(default_factory=list)
    samples: dict[str, dict[int, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    baseline_preds: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def finished(self) -> set[str]:
        return set(self.samples)

    @classmethod
    def load(cls, out_dir: Path, plan: list[PlannedRun]) -> _Record:
        """Runs count as finished when runs.csv has their rows and samples.npz exists."""
        record = cls()
        path = out_dir / rundir.RUNS
        table = (
            pd.read_csv(path)
            if path.is_file() and path.stat().st_size
            else pd.DataFrame(columns=RUN_COLUMNS)
        )
        for planned in plan:
            rows = table[table["run"] == planned.run]
            if rows.empty or not rundir.samples_path(out_dir, planned.run).is_file():
                continue
            samples, noisy = rundir.load_samples(out_dir, planned.run)
            record.samples[planned.run] = samples
            if noisy is not None:
                record.baseline_preds[planned.seed] = noisy
            record.rows.extend(rows.to_dict(orient="records"))
        return record

    def add(self, result: RunResult, train_size: int) -> None:
        self.samples[result.planned.run] = result.samples
        if result.noisy_preds is not None:
            self.baseline_preds[result.planned.seed] = result.noisy_preds
        self.rows.extend(run_rows(result, train_size))

    def table(self, plan: list[PlannedRun]) -> pd.DataFrame:
        """runs.csv in plan order, whatever order the runs finished in."""
        order = {p.run: p.index for p in plan}
        rows = sorted(
            self.rows, key=lambda r: (order.get(str(r["run"]), 1 << 30), int(r["target"]))
        )
        return pd.DataFrame.from_records(rows, columns=RUN_COLUMNS)


def _execute(
    data: SweepData,
    out_dir: Path,
    emit: Emit,
    sweep_id: str,
    record: _Record,
    should_stop: StopCheck,
    started: float,
) -> SweepOutcome:
    setup = data.setup
    plan = plan_runs(setup)
    todo = [p for p in plan if p.run not in record.finished]
    train_size = data.train_size_ci

    def finish(status: str) -> None:
        emit(
            SweepFinished(
                sweep=sweep_id,
                status=status,
                seconds=time.perf_counter() - started,
                runs_done=len(record.finished),
                out_dir=str(out_dir),
            )
        )

    if setup.sweep.workers > 1 and todo:
        results = _parallel(todo, data.split, emit, sweep_id, out_dir, record, should_stop, setup)
    else:
        results = _sequential(todo, data, emit, sweep_id, out_dir, record, should_stop)
    try:
        for result in results:
            run = result.planned.run
            path = rundir.save_samples(out_dir, run, result.samples, result.noisy_preds)
            emit(
                Artifact(
                    sweep=sweep_id, run=run, kind="samples", path=str(path.relative_to(out_dir))
                )
            )
            record.add(result, train_size)
            rundir.write_csv(out_dir / rundir.RUNS, record.table(plan))
            rundir.checkpoint_path(out_dir, run).unlink(missing_ok=True)
    except Interrupted:
        finish("interrupted")
        raise

    runs = record.table(plan)
    zones = zone_tables(setup, runs, record.samples)
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
    finish("done")
    return SweepOutcome(out_dir, runs, zones, time.perf_counter() - started)


def _describe(data: SweepData, n_runs: int) -> str:
    split = data.split
    return (
        f"{data.setup.data.dataset}: {len(split.train_y)} training / {len(split.test_y)} test samples, "
        f"{data.train_size_ci} in C_i={data.setup.classes.c_i}; {n_runs} runs on {data.device}"
    )


# ---------------------------------------------------------------------------
# Executors: both yield RunResults; a run starts only once its seed's baseline is done.


def _checkpoint(setup: Setup, out_dir: Path, run: str) -> Path | None:
    return rundir.checkpoint_path(out_dir, run) if setup.train.checkpoint_every else None


def _sequential(
    todo: list[PlannedRun],
    data: SweepData,
    emit: Emit,
    sweep_id: str,
    out_dir: Path,
    record: _Record,
    should_stop: StopCheck,
) -> Iterator[RunResult]:
    for planned in todo:
        yield run_one(
            data,
            planned,
            emit,
            sweep_id,
            record.baseline_preds.get(planned.seed),
            checkpoint=_checkpoint(data.setup, out_dir, planned.run),
            should_stop=should_stop,
            run_dir=out_dir,
        )


_WORKER: dict[str, Any] = {}


def _worker_init(setup: Setup, split: Split, events: Any, stop: Any, sweep_id: str) -> None:
    ignore_signals()  # the parent process decides when to stop, through `stop`
    device = configure_torch(setup)
    _WORKER.update(data=prepare(setup, device, split), events=events, stop=stop, sweep_id=sweep_id)


def _worker_run(
    planned: PlannedRun,
    baseline_preds: np.ndarray | None,
    checkpoint: Path | None,
    run_dir: Path | None = None,
) -> RunResult:
    w = _WORKER
    return run_one(
        w["data"],
        planned,
        w["events"].put,
        w["sweep_id"],
        baseline_preds,
        checkpoint=checkpoint,
        should_stop=w["stop"].is_set,
        run_dir=run_dir,
    )


def _parallel(
    todo: list[PlannedRun],
    split: Split,
    emit: Emit,
    sweep_id: str,
    out_dir: Path,
    record: _Record,
    should_stop: StopCheck,
    setup: Setup,
) -> Iterator[RunResult]:
    """Runs in `sweep.workers` processes. Workers stream their events through a queue that
    this process drains into `emit`, so the event stream stays live and single-writer;
    runs of different seeds interleave, each run's own events stay in order. A stop
    request reaches the workers through a shared event; each stops between batches."""
    context = multiprocessing.get_context("spawn")  # safe with CUDA, unlike fork
    events, stop = context.Queue(), context.Event()
    workers = setup.sweep.workers
    waiting = list(todo)
    running: dict[Future[RunResult], PlannedRun] = {}
    finished: set[str] = set()
    interrupted = False
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_worker_init,
        initargs=(setup, split, events, stop, sweep_id),
    ) as pool:

        def submit_ready() -> None:
            # Keep at most one queued run per worker so runs start in plan order.
            for planned in list(waiting):
                if len(running) >= 2 * workers or stop.is_set():
                    break
                if planned.is_baseline or planned.seed in record.baseline_preds:
                    future = pool.submit(
                        _worker_run,
                        planned,
                        record.baseline_preds.get(planned.seed),
                        _checkpoint(setup, out_dir, planned.run),
                        out_dir,
                    )
                    running[future] = planned
                    waiting.remove(planned)

        try:
            submit_ready()
            while running:
                if should_stop():
                    stop.set()
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(events, emit, finished)
                for future in done:
                    planned = running.pop(future)
                    try:
                        result = future.result()
                    except Interrupted:
                        interrupted = True
                        continue
                    _drain(events, emit, finished, until=planned.run)
                    yield result
                submit_ready()
        except BaseException:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        _drain(events, emit, finished)
    if interrupted or stop.is_set():
        raise Interrupted


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
