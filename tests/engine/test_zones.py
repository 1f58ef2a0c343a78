"""Zone calls at and around both thresholds, and the across-seed aggregation (SPEC §4)."""

import math

import numpy as np
import pandas as pd
import pytest

from engine import metrics
from engine.zones import classify, zone_table


def _row(s=0.2, p=0.001, mp_diff=0.0, acc_diff=0.0):
    return {"count": 10, "s_sens": s, "p_value": p, "mp_diff": mp_diff, "acc_diff": acc_diff}


@pytest.mark.parametrize(
    ("row", "zone"),
    [
        (_row(), "B"),
        (_row(s=0.0), "A"),  # S_sens must be > 0
        (_row(s=-0.1), "A"),
        (_row(p=0.05), "A"),  # p must be < 0.05
        (_row(p=0.0499), "B"),
        (_row(mp_diff=3.5), "B"),  # at sigma1: still memorised
        (_row(mp_diff=3.5001), "C"),  # just above: learned
        (_row(acc_diff=3.0), "B"),  # at sigma2
        (_row(acc_diff=3.0001), "C"),
        (_row(mp_diff=-20.0, acc_diff=-20.0), "B"),
        (_row(s=-0.1, mp_diff=50.0), "A"),  # not recognised: neither, however large the diffs
    ],
)
def test_classify_at_and_around_the_thresholds(row, zone):
    out = classify(pd.DataFrame([row]))
    assert out["zone"].iloc[0] == zone
    assert bool(out["recognised"].iloc[0]) == (zone != "A")


def test_classify_uses_the_given_thresholds():
    table = pd.DataFrame([_row(mp_diff=5.0)])
    assert classify(table)["zone"].iloc[0] == "C"
    assert classify(table, sigma1=6.0)["zone"].iloc[0] == "B"


def test_classify_keeps_other_columns_and_names_missing_ones():
    table = pd.DataFrame([{**_row(), "note": "x"}])
    assert classify(table)["note"].iloc[0] == "x"
    with pytest.raises(KeyError, match="acc_diff"):
        classify(table.drop(columns=["acc_diff"]))


def _runs():
    """Two seeds, counts 0 and 10, mode none, target 0, with values easy to average."""
    rows = []
    for seed, (mp0, acc0, mp10, acc10, s0, s10) in {
        0: (10.0, 80.0, 20.0, 70.0, -0.01, 0.30),
        1: (20.0, 90.0, 24.0, 89.0, 0.01, 0.10),
    }.items():
        rows.append(
            dict(
                run=f"k0-s{seed}",
                seed=seed,
                count=0,
                mode="baseline",
                ratio=0.0,
                target=0,
                s_sens=s0,
                p_value=0.5,
                mp=mp0,
                acc_j=acc0,
                lm=math.nan,
            )
        )
        rows.append(
            dict(
                run=f"none-k10-s{seed}",
                seed=seed,
                count=10,
                mode="none",
                ratio=2.5,
                target=0,
                s_sens=s10,
                p_value=0.01,
                mp=mp10,
                acc_j=acc10,
                lm=0.5,
            )
        )
    return pd.DataFrame(rows)


def _samples():
    rng = np.random.default_rng(0)
    out = {}
    for seed in (0, 1):
        clean = rng.uniform(0.4, 0.6, 50)
        out[f"k0-s{seed}"] = {0: (clean + rng.normal(0, 0.05, 50), clean)}
        out[f"none-k10-s{seed}"] = {0: (clean + 0.2, clean)}
    return out


def test_zone_table_diffs_are_per_seed_against_the_same_seeds_baseline():
    table = zone_table(_runs(), _samples(), "none", 0).set_index("count")
    # MP diffs: seed 0: 20-10 = 10, seed 1: 24-20 = 4 -> mean 7
    assert table.loc[10, "mp_diff"] == pytest.approx(7.0)
    # Acc diffs: Acc(0) - Acc(k): 80-70 = 10, 90-89 = 1 -> mean 5.5
    assert table.loc[10, "acc_diff"] == pytest.approx(5.5)
    assert table.loc[10, "s_sens"] == pytest.approx(0.2)
    assert table.loc[10, "mp"] == pytest.approx(22.0)
    assert table.loc[10, "acc"] == pytest.approx(79.5)
    assert table.loc[0, "mp_diff"] == 0.0 and table.loc[0, "acc_diff"] == 0.0
    assert table.loc[10, "zone"] == "C"
    assert table.loc[10, "mp_diff_seeds"] == "10;4"
    _, std, lo, hi = metrics.mean_interval(np.array([10.0, 4.0]))
    assert table.loc[10, "mp_diff_std"] == pytest.approx(std)
    assert (table.loc[10, "mp_diff_lo"], table.loc[10, "mp_diff_hi"]) == pytest.approx((lo, hi))


def test_pooled_recognition_tests_all_seeds_samples_together():
    samples = _samples()
    table = zone_table(_runs(), samples, "none", 0).set_index("count")
    xu = np.concatenate([samples[f"none-k10-s{s}"][0][0] for s in (0, 1)])
    xc = np.concatenate([samples[f"none-k10-s{s}"][0][1] for s in (0, 1)])
    assert table.loc[10, "p_value"] == pytest.approx(metrics.ttest_greater(xu, xc))


def test_mean_p_recognition_averages_per_seed_p_values():
    table = zone_table(_runs(), _samples(), "none", 0, recognition="mean-p").set_index("count")
    assert table.loc[10, "p_value"] == pytest.approx(0.01)
    assert table.loc[0, "p_value"] == pytest.approx(0.5)


def test_borderline_marks_a_call_whose_interval_straddles_a_threshold():
    table = zone_table(_runs(), _samples(), "none", 0).set_index("count")
    # mp_diff 10 and 4 over two seeds: the interval is very wide and contains 3.5
    assert table.loc[10, "mp_diff_lo"] < 3.5 < table.loc[10, "mp_diff_hi"]
    assert bool(table.loc[10, "borderline"])
    assert not bool(table.loc[0, "borderline"])  # not recognised
