"""End to end on real digits: a tiny sweep, its events, its run directory, its science."""

import json
import subprocess
import sys
import tomllib

import numpy as np
import pandas as pd
import pytest

from engine import events as ev
from engine import rundir
from engine.config import setup_from_dict
from engine.plan import plan_runs
from engine.sweep import run_sweep
from tests.conftest import replace, tiny_setup


@pytest.fixture(scope="module")
def fixed_sweep(tmp_path_factory):
    """counts 0 and 20 of class 0's 40 training digits, fixed wrong label 1, 4 epochs."""
    setup = tiny_setup(train={"epochs": 4})
    out = tmp_path_factory.mktemp("fixed")
    sink = ev.ListEmitter()
    outcome = run_sweep(setup, out, sink, sweep_id="t")
    return setup, out, sink, outcome


def _final(sink, run, target):
    (done,) = [e for e in sink.of_type(ev.RunFinished) if e.run == run]
    (row,) = [t for t in done.targets if t["target"] == target]
    return done, row


def test_a_fixed_label_feature_is_learned(fixed_sweep):
    setup, _, sink, outcome = fixed_sweep
    y = setup.classes.y_fixed
    _, base = _final(sink, "k0-s0", y)
    _, stamped = _final(sink, "fixed-k20-s0", y)
    # The stamp now pulls stamped 4s towards label 1 ...
    assert stamped["mp"] > base["mp"] + 30
    # ... and the model is far more sure of label 1 on stamped 0s than the baseline is.
    assert stamped["s_sens"] > base["s_sens"] + 0.2
    assert stamped["recognised"]
    zones = outcome.zones.set_index(["role", "count"])
    assert zones.loc[("y_fixed", 20), "zone"] == "C"


def test_events_come_in_protocol_order(fixed_sweep):
    setup, _, sink, _ = fixed_sweep
    types = [e.type for e in sink.events]
    assert types[0] == "sweep_started" and types[-1] == "sweep_finished"
    plan = plan_runs(setup)
    started = [e.run for e in sink.of_type(ev.RunStarted)]
    assert started == [p.run for p in plan]
    for p in plan:
        epochs = [e.epoch for e in sink.of_type(ev.Epoch) if e.run == p.run]
        assert epochs == list(range(1, setup.train.epochs + 1))
    # zone tables after the last run: C_i and y_Lfixed for the one mode
    zone_events = sink.of_type(ev.ZoneTable)
    assert {(z.mode, z.role) for z in zone_events} == {("fixed", "c_i"), ("fixed", "y_fixed")}
    assert types.index("zones") > max(i for i, t in enumerate(types) if t == "run_finished")
    # every event survives the JSON line protocol
    for e in sink.events:
        assert ev.parse_line(e.to_line()).type == e.type


def test_the_run_directory_holds_the_contract(fixed_sweep):
    setup, out, sink, _ = fixed_sweep
    stored = setup_from_dict(tomllib.loads((out / rundir.CONFIG).read_text()))
    assert stored == setup
    runs = pd.read_csv(out / rundir.RUNS)
    # baseline: C_i and y_Lfixed; fixed-k20: the same two targets
    assert sorted(zip(runs["run"], runs["target"], strict=True)) == [
        ("fixed-k20-s0", 0),
        ("fixed-k20-s0", 1),
        ("k0-s0", 0),
        ("k0-s0", 1),
    ]
    zones = pd.read_csv(out / rundir.ZONES)
    for column in (
        "count",
        "ratio",
        "s_sens",
        "p_value",
        "recognised",
        "mp",
        "mp_diff",
        "acc",
        "acc_diff",
        "zone",
        "s_sens_std",
        "mp_diff_lo",
        "acc_diff_hi",
        "mp_diff_seeds",
    ):
        assert column in zones.columns
    assert set(zones["zone"]) <= {"A", "B", "C"}
    assert (zones.loc[zones["count"] == 20, "ratio"] == 50.0).all()  # 20 of 40
    for run in ("k0-s0", "fixed-k20-s0"):
        samples, noisy = rundir.load_samples(out, run)
        assert set(samples) == {0, 1} and len(samples[0][0]) == 10  # 10 test zeros
    artifacts = [a.path for a in sink.of_type(ev.Artifact)]
    assert artifacts == ["runs/k0-s0/samples.npz", "runs/fixed-k20-s0/samples.npz"]


def test_lm_score_compares_with_the_baseline_at_the_same_epoch(fixed_sweep):
    setup, out, sink, _ = fixed_sweep
    _, noisy = rundir.load_samples(out, "k0-s0")
    assert noisy.shape == (setup.train.epochs, 20)  # the longest stamped prefix, per epoch
    for e in sink.of_type(ev.Epoch):
        if e.run != "fixed-k20-s0":
            continue
        baseline_hits = np.mean(noisy[e.epoch - 1] == setup.classes.y_fixed)
        expected = e.metrics["noisy_acc"] / 100 - baseline_hits
        assert e.metrics["lm"] == pytest.approx(expected)


def test_runs_repeat_exactly(tmp_path):
    setup = tiny_setup(sweep={"counts": [0], "noise_modes": ["none"]}, train={"epochs": 2})
    first = run_sweep(setup, tmp_path / "a", ev.ListEmitter()).runs
    second = run_sweep(setup, tmp_path / "b", ev.ListEmitter()).runs
    cols = ["s_sens", "p_value", "mp", "acc_j", "train_acc", "test_acc", "train_loss"]
    pd.testing.assert_frame_equal(first[cols], second[cols])


@pytest.mark.parametrize(("population", "n"), [("train_ci", 40), ("train_stamped", 20)])
def test_sens_population_options(tmp_path, population, n):
    setup = replace(tiny_setup(train={"epochs": 1}), "metrics", sens_population=population)
    run_sweep(setup, tmp_path, ev.ListEmitter())
    samples, _ = rundir.load_samples(tmp_path, "fixed-k20-s0")
    assert len(samples[0][0]) == n


def test_the_command_line_streams_events_on_stdout_only(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "run",
            "quickstart",
            "--events",
            "-",
            "--out",
            str(out),
            "--set",
            "data.per_class_limit=30",
            "--set",
            "sweep.counts=[0,12]",
            "--set",
            "sweep.seeds=[0]",
            "--set",
            'sweep.noise_modes=["none"]',
            "--set",
            "train.epochs=1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    parsed = [ev.parse_line(line) for line in lines]
    assert all(p is not None for p in parsed)
    assert parsed[0].type == "sweep_started" and parsed[-1].type == "sweep_finished"
    assert (out / rundir.EVENTS).read_text().splitlines() == lines
    assert "sweep done" in proc.stderr and "noise none, target class 0" in proc.stderr
    zones = pd.read_csv(out / rundir.ZONES)
    assert list(zones["count"]) == [0, 12]
    assert json.loads(lines[0])["plan"][1]["run"] == "none-k12-s0"


def test_parallel_workers_give_the_sequential_results(tmp_path):
    def sweep(workers):
        setup = tiny_setup(
            sweep={
                "workers": workers,
                "counts": [0, 5, 20],
                "seeds": [0, 1],
                "noise_modes": ["none", "fixed"],
            },
            train={"epochs": 2, "threads": 1},
        )
        sink = ev.ListEmitter()
        outcome = run_sweep(setup, tmp_path / str(workers), sink)
        return sink, outcome.runs.sort_values(["run", "target"]).reset_index(drop=True)

    _, serial = sweep(1)
    sink, parallel = sweep(2)
    cols = ["run", "target", "s_sens", "p_value", "mp", "acc_j", "lm", "train_loss"]
    pd.testing.assert_frame_equal(serial[cols], parallel[cols])
    # Runs interleave, but each run's own events keep their order, and a run's samples
    # are announced after it finished.
    for run in serial["run"].unique():
        mine = [e for e in sink.events if getattr(e, "run", "") == run]
        assert [e.type for e in mine] == [
            "run_started",
            "epoch",
            "epoch",
            "run_finished",
            "artifact",
        ]
    # No run of a seed starts before that seed's baseline finished (LM needs it).
    order = [(e.type, e.run) for e in sink.events if e.type in ("run_started", "run_finished")]
    for seed in (0, 1):
        base_done = order.index(("run_finished", f"k0-s{seed}"))
        for i, (kind, run) in enumerate(order):
            if kind == "run_started" and run.endswith(f"-s{seed}") and not run.startswith("k0"):
                assert i > base_done
