"""Seconds per epoch on the quickstart, and the share of epoch time spent outside the
training step (evaluation, metrics, events). Target: under 15%.

    python benchmarks/epoch_cost.py [--epochs 4] [--set key=value ...]

Runs the quickstart's baseline and its largest fixed-label count for one seed, so the
evaluation carries the largest X_noisy the sweep has.
"""

from __future__ import annotations

import argparse
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
    epochs = sink.of_type(ev.Epoch)
    total = [e.seconds for e in epochs]
    train = [e.metrics["train_seconds"] for e in epochs]
    outside = 1 - sum(train) / sum(total)
    setup_seconds = sink.of_type(ev.SweepStarted)[0].ts - wall_clock
    print(
        f"epochs measured:          {len(epochs)} ({setup.data.dataset}, {setup.model.name} width {setup.model.width})"
    )
    print(
        f"seconds per epoch:        median {statistics.median(total):.3f}  min {min(total):.3f}  max {max(total):.3f}"
    )
    print(f"training step per epoch:  median {statistics.median(train):.3f}")
    print(f"outside the training step: {100 * outside:.1f}% of epoch time (target < 15%)")
    print(
        f"data preparation:         {setup_seconds:.2f} s (load, split, stamp); wall {wall:.1f} s in all"
    )
    runs = len(base.sweep.seeds) * (1 + (len(base.sweep.counts) - 1) * len(base.sweep.noise_modes))
    estimate = runs * base.train.epochs * statistics.median(total)
    print(
        f"quickstart estimate:      {runs} runs x {base.train.epochs} epochs -> {estimate / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
