"""SweepState folds events into what the screens draw: checked with hand-made events and
numbers a person can verify."""

from __future__ import annotations

import math

from engine.events import (
    Epoch,
    Error,
    RunFinished,
    RunStarted,
    SweepFinished,
    SweepStarted,
    ZoneTable,
    read_events,
)
from fmfl_tui import state as state_mod
from fmfl_tui.state import SweepState
from fmfl_tui.widgets.zone_grid import ZONE_NAMES

from .conftest import DATA

SETUP = {
    "name": "hand",
    "classes": {"c_i": 0, "c_j": 4, "y_fixed": 1},
    "sweep": {"noise_modes": ["none", "fixed"]},
    "train": {"epochs": 2},
    "metrics": {"sigma1": 3.5, "sigma2": 3.0},
}
PLAN = [
    {"run": "k0-s0", "seed": 0, "count": 0, "mode": "baseline", "index": 0, "ratio": 0.0},
    {"run": "k0-s1", "seed": 1, "count": 0, "mode": "baseline", "index": 1, "ratio": 0.0},
    {"run": "none-k5-s0", "seed": 0, "count": 5, "mode": "none", "index": 2, "ratio": 5.0},
    {"run": "none-k5-s1", "seed": 1, "count": 5, "mode": "none", "index": 3, "ratio": 5.0},
]


def finish(run: str, s_sens: float, mp: float, acc_j: float, ts: float) -> RunFinished:
    target = {"target": 0, "role": "c_i", "s_sens": s_sens, "mp": mp}
    return RunFinished(
        sweep="s", ts=ts, run=run, seconds=1.0, metrics={"acc_j": acc_j}, targets=[target]
    )


def started_state() -> SweepState:
    state = SweepState()
    state.apply(SweepStarted(sweep="s", ts=100.0, setup=SETUP, plan=PLAN))
    return state


def test_progress_and_eta_come_from_event_timestamps():
    state = started_state()
    state.apply(
        RunStarted(
            sweep="s",
            ts=100.0,
            run="k0-s0",
            seed=0,
            count=0,
            mode="baseline",
            ratio=0.0,
            index=0,
            epochs=2,
        )
    )
    assert math.isnan(state.eta())
    state.apply(
        Epoch(
            sweep="s",
            ts=110.0,
            run="k0-s0",
            epoch=1,
            epochs=2,
            seconds=10.0,
            metrics={"acc_j": 90.0, "lm": None},
            targets=[],
        )
    )
    # 1 of 4 runs x 2 epochs done in 10 s: 7 epochs left at 10 s each.
    assert state.total_epochs == 8
    assert state.eta() == 70.0
    assert state.running == ["k0-s0"] and state.runs["k0-s0"].epoch == 1
    assert math.isnan(state.series["k0-s0"].column("lm")[0])  # null is NaN, not a crash


def test_by_count_takes_differences_against_the_same_seeds_baseline():
    state = started_state()
    for event in (
        finish("k0-s0", 0.0, mp=10.0, acc_j=90.0, ts=101),
        finish("k0-s1", 0.0, mp=20.0, acc_j=80.0, ts=102),
        finish("none-k5-s0", 0.2, mp=15.0, acc_j=86.0, ts=103),
        finish("none-k5-s1", 0.4, mp=30.0, acc_j=70.0, ts=104),
    ):
        state.apply(event)
    rows = state.by_count("none")
    assert [r.count for r in rows] == [0, 5]
    k5 = rows[1]
    # MP diffs 15-10 = 5 and 30-20 = 10; Acc diffs 90-86 = 4 and 80-70 = 10.
    assert (k5.n, k5.s_sens, k5.mp_diff, k5.acc_diff) == (2, 0.30000000000000004, 7.5, 7.0)
    assert state.runs_done == 4


def test_series_stay_bounded(monkeypatch):
    monkeypatch.setattr(state_mod, "MAX_SERIES", 3)
    state = SweepState()
    for i in range(10):
        run = f"none-k{i + 1}-s0"
        state.apply(
            RunStarted(
                sweep="s", run=run, seed=0, count=i + 1, mode="none", ratio=1.0, index=i, epochs=1
            )
        )
        state.apply(finish(run, 0.0, 0.0, 0.0, ts=float(i)))
    assert len(state.series) == 3
    assert list(state.series) == ["none-k8-s0", "none-k9-s0", "none-k10-s0"]


def test_errors_and_the_end_of_a_sweep_reach_the_log():
    state = started_state()
    state.apply(Error(sweep="s", message="RuntimeError: boom", kind="crash"))
    state.apply(
        Error(sweep="s", message="Traceback\n  File x\nRuntimeError: boom", kind="traceback")
    )
    state.apply(SweepFinished(sweep="s", status="failed", seconds=1.0, runs_done=0))
    text = [entry.text for entry in state.log]
    assert "engine error: RuntimeError: boom" in text
    assert "  RuntimeError: boom" in text
    assert state.status == "failed" and state.eta() == 0.0


def test_the_recorded_quickstart_folds_into_four_zone_tables():
    state = SweepState()
    with (DATA / "replay_small" / "events.jsonl").open() as lines:
        for event in read_events(lines):
            state.apply(event)
    assert state.status == "done" and state.runs_done == state.total_runs == 66
    assert [(z.mode, z.role) for z in state.zones] == [
        ("none", "c_i"),
        ("random", "c_i"),
        ("fixed", "c_i"),
        ("fixed", "y_fixed"),
    ]
    assert isinstance(state.zones[0], ZoneTable)
    fixed_yl = state.by_count("fixed", "y_fixed")
    assert fixed_yl[-1].count == 200 and fixed_yl[-1].s_sens > 0.9  # the paper's headline


def test_zone_names_match_the_engine():
    from engine.zones import ZONE_NAMES as ENGINE_NAMES

    assert ZONE_NAMES == ENGINE_NAMES
