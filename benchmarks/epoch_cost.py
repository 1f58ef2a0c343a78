"""Seconds per epoch on the quickstart, and the share of epoch time spent outside the
training step (evaluation, metrics, events). Target: under 15%. Explained epochs (the
last of each run) are shown apart, with their own cost.

    python benchmarks/epoch_cost.py [--epochs 4] [--set key=value ...]

Runs the quickstart's baseline and its largest fixed-label count for one seed, so the
evaluation carries the largest X_noisy the sweep has.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from engine import events as ev
from engine.config import load_setup
from engine.sweep import run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    base = load_setup("quickstart")
    kmax = max(base.sweep.counts)
    setup = load_setup(
        "quickstart",
        [
            f"train.epochs={args.epochs}",
            f"sweep.counts=[0,{kmax}]",
            "sweep.seeds=[0]",
            'sweep.noise_modes=["fixed"]',
            *args.overrides,
        ],
    )
    sink = ev.ListEmitter()
    with tempfile.TemporaryDirectory() as tmp:
        started, wall_clock = time.perf_counter(), time.time()
        run_sweep(setup, Path(tmp), sink)
        wall = time.perf_counter() - started
    every = sink.of_type(ev.Epoch)
    # Explained epochs (GradCAM / SHAP, the last of each run) are reported on their own:
    # their cost is per run, not per epoch, and the first one in a process also imports
    # pytorch-grad-cam (about 2.5 s).
    epochs = [e for e in every if not _explained(e)] or every
    explained = [e for e in every if _explained(e)]
    total = [e.seconds for e in epochs]
    train = [e.metrics["train_seconds"] for e in epochs]
    outside = 1 - sum(train) / sum(total)
    setup_seconds = sink.of_type(ev.SweepStarted)[0].ts - wall_clock
    print(
        f"epochs measured:          {len(epochs)} not explained ({setup.data.dataset}, {setup.model.name} width {setup.model.width})"
    )
    print(
        f"seconds per epoch:        median {statistics.median(total):.3f}  min {min(total):.3f}  max {max(total):.3f}"
    )
    print(f"training step per epoch:  median {statistics.median(train):.3f}")
    print(f"outside the training step: {100 * outside:.1f}% of epoch time (target < 15%)")
    if explained:
        extra = [e.seconds - e.metrics["train_seconds"] for e in explained]
        print(
            f"explained epochs:          {len(explained)}, outside the training step "
            f"{', '.join(f'{x:.2f}' for x in extra)} s (the first in a process imports pytorch-grad-cam)"
        )
    print(
        f"data preparation:         {setup_seconds:.2f} s (load, split, stamp); wall {wall:.1f} s in all"
    )
    runs = len(base.sweep.seeds) * (1 + (len(base.sweep.counts) - 1) * len(base.sweep.noise_modes))
    workers = max(1, setup.sweep.workers)  # the two runs measured ran side by side
    estimate = runs * base.train.epochs * statistics.median(total) / workers
    print(
        f"quickstart estimate:      {runs} runs x {base.train.epochs} epochs / {workers} workers"
        f" -> {estimate / 60:.1f} min of training and evaluation"
    )


def _explained(epoch: ev.Epoch) -> bool:
    values = [epoch.metrics.get(key) for key in ("cam_in_stamp", "shap_value", "shap_rank")]
    return any(v is not None and not math.isnan(v) for v in values)  # NaN: not explained


if __name__ == "__main__":
    main()
