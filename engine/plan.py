"""The runs of a sweep, in the order they execute (no torch, no data).

Baselines come first: every other run of a seed needs its baseline's predictions at the
same epoch for the LM-score (SPEC §3). Then mode by mode, count by count, seed by seed,
so that a count's row of the zone table is complete as early as possible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from engine.config import Setup

BASELINE = "baseline"
"""The mode name of count-0 runs; one baseline serves every noise mode of its seed."""


@dataclass(frozen=True)
class PlannedRun:
    run: str
    seed: int
    count: int
    mode: str
    index: int

    @property
    def is_baseline(self) -> bool:
        return self.count == 0

    def to_dict(self, train_size: int | None) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out["ratio"] = ratio(self.count, train_size)
        return out


def run_id(seed: int, count: int, mode: str) -> str:
    return f"k0-s{seed}" if count == 0 else f"{mode}-k{count}-s{seed}"


def ratio(count: int, train_size: int | None) -> float:
    """Ratio (%) = 100 k / |train samples of C_i| (SPEC §1); NaN while the size is unknown."""
    return 100.0 * count / train_size if train_size else float("nan")


def plan_runs(setup: Setup) -> list[PlannedRun]:
    seeds = setup.sweep.seeds
    counts = sorted(k for k in setup.sweep.counts if k > 0)
    order: list[tuple[int, int, str]] = [(s, 0, BASELINE) for s in seeds]
    order += [(s, k, m) for m in setup.sweep.noise_modes for k in counts for s in seeds]
    return [PlannedRun(run_id(s, k, m), s, k, m, i) for i, (s, k, m) in enumerate(order)]


def targets(setup: Setup, mode: str) -> list[tuple[int, str]]:
    """The classes c whose S_sens and MP_{j,c} a run reports, with their role.

    Always C_i; in `fixed` mode also y_Lfixed. A baseline reports every target any mode of
    the sweep needs, since it is every mode's reference.
    """
    out = [(setup.classes.c_i, "c_i")]
    fixed_needed = mode == "fixed" or (mode == BASELINE and "fixed" in setup.sweep.noise_modes)
    if fixed_needed:
        out.append((setup.classes.y_fixed, "y_fixed"))
    return out
