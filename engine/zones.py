"""The zone table of SPEC §4: seeds in, one row per count out (pure pandas and scipy).

For every noise mode and target class c (C_i; in `fixed` mode also y_Lfixed), each count
k gets the seed means of S_sens, MP_{j,c} and Acc_j, the per-seed differences to the same
seed's baseline (Avg-MP-Diff, Avg-TestAcc-Diff), their spread over seeds, a recognition
test and a zone: A (not recognised), B (memorised), C (learned).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from engine import metrics
from engine.explain.artifacts import EXPLAIN_KEYS

ZONE_NAMES = {"A": "A (neither)", "B": "B FM", "C": "C FL"}
REQUIRED_COLUMNS = ("count", "s_sens", "p_value", "mp_diff", "acc_diff")
SampleArrays = Mapping[str, Mapping[int, tuple[np.ndarray, np.ndarray]]]
"""run id -> target class -> (p(c|x_u), p(c|x_c)) over X_sens at the final epoch."""


def classify(
    table: pd.DataFrame, sigma1: float = 3.5, sigma2: float = 3.0, alpha: float = 0.05
) -> pd.DataFrame:
    """The table with `recognised` and `zone` (A/B/C) set from its five required columns.

    Recognised: S_sens > 0 and p < alpha. Zone C when recognised and Avg-MP-Diff > σ1 or
    Avg-TestAcc-Diff > σ2; B when recognised otherwise; A when not recognised.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise KeyError(", ".join(missing))
    out = table.copy()
    s = pd.to_numeric(out["s_sens"], errors="coerce")
    p = pd.to_numeric(out["p_value"], errors="coerce")
    mp_diff = pd.to_numeric(out["mp_diff"], errors="coerce")
    acc_diff = pd.to_numeric(out["acc_diff"], errors="coerce")
    rec = (s > 0) & (p < alpha)
    moved = (mp_diff > sigma1) | (acc_diff > sigma2)
    out["recognised"] = rec
    out["zone"] = np.where(~rec, "A", np.where(moved, "C", "B"))
    return out


def zone_table(
    runs: pd.DataFrame,
    samples: SampleArrays,
    mode: str,
    target: int,
    *,
    ttest: str = "student",
    recognition: str = "pooled",
    sigma1: float = 3.5,
    sigma2: float = 3.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One zone table from the final metrics of the runs (one row per run and target).

    `runs` needs columns run, seed, count, mode, ratio, target, s_sens, p_value, mp, acc_j,
    lm; count-0 rows are the baselines, shared by every mode.
    """
    rows = runs[(runs["target"] == target) & ((runs["mode"] == mode) | (runs["count"] == 0))]
    base = rows[rows["count"] == 0].set_index("seed")
    explained = [k for k in EXPLAIN_KEYS if k in rows.columns and rows[k].notna().any()]
    records = []
    for count, group in rows.groupby("count", sort=True):
        group = group[group["seed"].isin(base.index)].sort_values("seed")
        if group.empty:
            continue
        seeds = group["seed"].to_numpy()
        mp_diff = group["mp"].to_numpy() - base.loc[seeds, "mp"].to_numpy()
        acc_diff = base.loc[seeds, "acc_j"].to_numpy() - group["acc_j"].to_numpy()
        s_mean, s_std, s_lo, s_hi = metrics.mean_interval(group["s_sens"].to_numpy())
        mp_mean, mp_std, mp_lo, mp_hi = metrics.mean_interval(mp_diff)
        acc_mean, acc_std, acc_lo, acc_hi = metrics.mean_interval(acc_diff)
        p = _recognition_p(group, samples, target, ttest, recognition)
        records.append(
            {
                "mode": mode,
                "target": target,
                "count": int(count),
                "ratio": float(group["ratio"].iloc[0]),
                "n_seeds": len(seeds),
                "s_sens": s_mean,
                "p_value": p,
                "mp": float(group["mp"].mean()),
                "mp_diff": mp_mean,
                "acc": float(group["acc_j"].mean()),
                "acc_diff": acc_mean,
                "lm": _nanmean(group["lm"].to_numpy(dtype=float)),
                # seed means of the explanation metrics, where the runs have them
                **{
                    key: _nanmean(pd.to_numeric(group[key], errors="coerce").to_numpy(float))
                    for key in explained
                },
                "s_sens_std": s_std,
                "s_sens_lo": s_lo,
                "s_sens_hi": s_hi,
                "mp_diff_std": mp_std,
                "mp_diff_lo": mp_lo,
                "mp_diff_hi": mp_hi,
                "acc_diff_std": acc_std,
                "acc_diff_lo": acc_lo,
                "acc_diff_hi": acc_hi,
                "seeds": ";".join(str(s) for s in seeds),
                "s_sens_seeds": _join(group["s_sens"].to_numpy()),
                "mp_diff_seeds": _join(mp_diff),
                "acc_diff_seeds": _join(acc_diff),
            }
        )
    table = classify(pd.DataFrame.from_records(records), sigma1, sigma2, alpha)
    table["borderline"] = _borderline(table, sigma1, sigma2)
    return table


def _recognition_p(
    group: pd.DataFrame, samples: SampleArrays, target: int, ttest: str, recognition: str
) -> float:
    """Pooled: one t-test on the per-sample arrays of all seeds; mean-p: mean of the
    per-seed p-values (SPEC §4)."""
    if recognition == "mean-p":
        return _nanmean(group["p_value"].to_numpy(dtype=float))
    arrays = [samples[r][target] for r in group["run"] if r in samples and target in samples[r]]
    if not arrays:
        return math.nan
    stamped = np.concatenate([a[0] for a in arrays])
    clean = np.concatenate([a[1] for a in arrays])
    if len(stamped) < 2:
        return math.nan
    return metrics.ttest_greater(stamped, clean, ttest)


def _borderline(table: pd.DataFrame, sigma1: float, sigma2: float) -> pd.Series:
    """True where a recognised row's 95% interval over seeds straddles σ1 or σ2, i.e. the
    B/C call could flip with other seeds."""
    if table.empty:
        return pd.Series(dtype=bool)
    near_mp = (table["mp_diff_lo"] <= sigma1) & (table["mp_diff_hi"] > sigma1)
    near_acc = (table["acc_diff_lo"] <= sigma2) & (table["acc_diff_hi"] > sigma2)
    return table["recognised"] & (near_mp | near_acc)


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def _join(values: np.ndarray) -> str:
    return ";".join(f"{v:.6g}" for v in values)


def format_table(zones: pd.DataFrame) -> str:
    """The zone tables as aligned text, one block per noise mode and target class.

    A `~` after the zone marks a borderline call (SPEC §4: the 95% interval over seeds
    straddles a threshold).
    """
    blocks = []
    for (mode, target, role), table in zones.groupby(["mode", "target", "role"], sort=False):
        label = "C_i" if role == "c_i" else "y_Lfixed"
        lines = [f"noise {mode}, target class {target} ({label})"]
        lines.append(
            f"{'count':>6} {'ratio%':>7} {'S_sens':>8} {'p':>8} {'MP%':>6} {'MP-diff':>8} "
            f"{'Acc_j%':>7} {'Acc-diff':>8} {'LM':>6}  zone"
        )
        for r in table.itertuples():
            mark = "~" if getattr(r, "borderline", False) else ""
            lines.append(
                f"{r.count:>6} {r.ratio:>7.2f} {r.s_sens:>8.4f} {_p(r.p_value):>8} {r.mp:>6.1f} "
                f"{r.mp_diff:>8.2f} {r.acc:>7.1f} {r.acc_diff:>8.2f} {_f(r.lm):>6}  "
                f"{ZONE_NAMES[r.zone]}{mark}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _p(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.1e}" if value < 1e-3 else f"{value:.4f}"


def _f(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"
