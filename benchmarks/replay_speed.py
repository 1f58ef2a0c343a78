"""How fast the console digests a stream: a max-speed replay of a paper-size sweep
(105 runs x 50 epochs, two runs interleaved) through the real app, headless, until the
zone screen is up. Prints events per second, seconds to the zone table and peak memory.
Target: at least 1,000 events per second, memory bounded.

    python benchmarks/replay_speed.py [--epochs 50] [--size 120x36]

The synthetic stream has the shape of the engine's (`engine.events` dataclasses, every
metric and both targets of a fixed-mode sweep), written to a temporary file. Memory is
measured twice: the peak of Python allocations (tracemalloc, in a second, slower pass)
for `--epochs` and for four times as many epochs, to show it does not grow with the
stream.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from engine.events import (
    Artifact,
    Epoch,
    Log,
    RunFinished,
    RunStarted,
    SweepFinished,
    SweepStarted,
    ZoneTable,
)
from fmfl_tui.app import LabApp

SEEDS = (0, 1, 2, 3, 4)
COUNTS = (1, 2, 5, 10, 20, 40, 80, 160, 320, 640)
MODES = ("none", "fixed")
SIZE_CI = 4000


def plan() -> list[dict]:
    runs = [(s, 0, "baseline") for s in SEEDS]
    runs += [(s, k, m) for m in MODES for k in COUNTS for s in SEEDS]
    return [
        {
            "run": f"k0-s{s}" if k == 0 else f"{m}-k{k}-s{s}",
            "seed": s,
            "count": k,
            "mode": m,
            "index": i,
            "ratio": 100 * k / SIZE_CI,
        }
        for i, (s, k, m) in enumerate(runs)
    ]


def targets(rng: random.Random) -> list[dict]:
    return [
        {
            "target": t,
            "role": role,
            "s_sens": rng.uniform(-0.5, 1),
            "p_value": rng.random(),
            "recognised": rng.random() < 0.5,
            "mp": rng.uniform(0, 100),
            "n_misclassified": rng.randint(0, 100),
        }
        for t, role in ((0, "c_i"), (1, "y_fixed"))
    ]


def write_stream(path: Path, epochs: int) -> int:
    """A sweep with two workers: the epochs of two runs at a time interleave."""
    rng = random.Random(0)
    runs = plan()
    setup = {
        "name": "paper-size",
        "classes": {"c_i": 0, "c_j": 4, "y_fixed": 1},
        "sweep": {"counts": [0, *COUNTS], "seeds": list(SEEDS), "noise_modes": list(MODES)},
        "train": {"epochs": epochs},
        "metrics": {"sigma1": 3.5, "sigma2": 3.0},
    }
    ts = 1.8e9
    lines = [SweepStarted(sweep="bench", ts=ts, setup=setup, plan=runs, out_dir=str(path.parent))]
    lines.append(Log(sweep="bench", ts=ts, level="info", message="synthetic paper-size sweep"))
    for a, b in zip(runs[::2], runs[1::2] + [None], strict=True):
        pair = [r for r in (a, b) if r is not None]
        for r in pair:
            lines.append(RunStarted(sweep="bench", ts=ts, epochs=epochs, **r))
        for epoch in range(1, epochs + 1):
            for r in pair:
                ts += 0.5
                metrics = {
                    "train_loss": rng.random(),
                    "train_acc": rng.uniform(50, 100),
                    "train_seconds": 0.4,
                    "noisy_acc": None if r["count"] == 0 else rng.uniform(0, 100),
                    "test_acc": rng.uniform(50, 100),
                    "acc_j": rng.uniform(50, 100),
                    "lm": None if r["count"] == 0 else rng.uniform(-1, 1),
                }
                lines.append(
                    Epoch(
                        sweep="bench",
                        ts=ts,
                        run=r["run"],
                        epoch=epoch,
                        epochs=epochs,
                        seconds=0.5,
                        metrics=metrics,
                        targets=targets(rng),
                    )
                )
        for r in pair:
            lines.append(
                RunFinished(
                    sweep="bench",
                    ts=ts,
                    run=r["run"],
                    seconds=epochs * 0.5,
                    metrics={"acc_j": rng.uniform(50, 100)},
                    targets=targets(rng),
                )
            )
            lines.append(
                Artifact(
                    sweep="bench",
                    ts=ts,
                    kind="samples",
                    run=r["run"],
                    path=f"runs/{r['run']}/samples.npz",
                )
            )
    for mode, role in (("none", "c_i"), ("fixed", "c_i"), ("fixed", "y_fixed")):
        rows = [
            {
                "count": k,
                "ratio": 100 * k / SIZE_CI,
                "n_seeds": 5,
                "s_sens": rng.random(),
                "p_value": rng.random(),
                "mp": 5.0,
                "mp_diff": rng.uniform(-5, 10),
                "acc": 90.0,
                "acc_diff": rng.uniform(-3, 6),
                "lm": 0.1,
                "mp_diff_std": 1.0,
                "acc_diff_std": 1.0,
                "zone": rng.choice("ABC"),
                "borderline": rng.random() < 0.3,
            }
            for k in (0, *COUNTS)
        ]
        lines.append(
            ZoneTable(
                sweep="bench",
                ts=ts,
                mode=mode,
                target=0 if role == "c_i" else 1,
                role=role,
                sigma1=3.5,
                sigma2=3.0,
                rows=rows,
            )
        )
    lines.append(
        SweepFinished(
            sweep="bench",
            ts=ts,
            status="done",
            seconds=ts - 1.8e9,
            runs_done=len(runs),
            out_dir=str(path.parent),
        )
    )
    path.write_text("".join(e.to_line() + "\n" for e in lines))
    return len(lines)


async def replay(path: Path, size: tuple[int, int]) -> tuple[float, LabApp]:
    app = LabApp(replay=path, speed=None)
    async with app.run_test(size=size) as pilot:
        start = time.perf_counter()
        while app.current_mode != "zones":
            await pilot.pause(0.005)
        took = time.perf_counter() - start
        await pilot.pause(0.1)
    return took, app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--size", default="120x36", help="terminal size, WxH")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        n = write_stream(path, args.epochs)
        mb = path.stat().st_size / 1e6
        runs = len(plan())
        print(f"stream: {runs} runs x {args.epochs} epochs = {n} events, {mb:.1f} MB")
        took, app = asyncio.run(replay(path, size))
        assert app.state.events_seen == n, (app.state.events_seen, n)
        print(f"zone table after {took:.2f} s: {n / took:,.0f} events/s, {app.redraws} redraws")
        print(
            f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
        for epochs in (args.epochs, 4 * args.epochs):
            n = write_stream(path, epochs)
            tracemalloc.start()
            asyncio.run(replay(path, size))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"peak Python allocations, {epochs} epochs/run ({n} events): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
