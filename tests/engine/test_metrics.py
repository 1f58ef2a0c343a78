"""Each metric of SPEC §3 against numbers worked out by hand."""

import math

import numpy as np
import pytest
from scipy import stats

from engine import metrics


def test_s_sens_is_the_mean_paired_difference():
    # differences 0.5, 0.0, -0.2 -> mean 0.1
    assert metrics.s_sens(np.array([0.9, 0.5, 0.1]), np.array([0.4, 0.5, 0.3])) == pytest.approx(
        0.1
    )


def test_s_sens_rejects_unequal_lengths():
    with pytest.raises(ValueError):
        metrics.s_sens(np.array([0.1, 0.2]), np.array([0.1]))


def _student_p(xu, xc):
    # Pooled-variance t statistic written out, one-tailed upper p-value.
    n1, n2 = len(xu), len(xc)
    sp2 = ((n1 - 1) * np.var(xu, ddof=1) + (n2 - 1) * np.var(xc, ddof=1)) / (n1 + n2 - 2)
    t = (np.mean(xu) - np.mean(xc)) / math.sqrt(sp2 * (1 / n1 + 1 / n2))
    return stats.t.sf(t, n1 + n2 - 2)


def _welch_p(xu, xc):
    v1, v2 = np.var(xu, ddof=1) / len(xu), np.var(xc, ddof=1) / len(xc)
    t = (np.mean(xu) - np.mean(xc)) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (len(xu) - 1) + v2**2 / (len(xc) - 1))
    return stats.t.sf(t, df)


def _paired_p(xu, xc):
    d = np.asarray(xu) - np.asarray(xc)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
    return stats.t.sf(t, len(d) - 1)


XU = np.array([0.9, 0.8, 0.85, 0.7, 0.95, 0.6])
XC = np.array([0.5, 0.7, 0.4, 0.65, 0.55, 0.6])


@pytest.mark.parametrize(
    ("kind", "reference"), [("student", _student_p), ("welch", _welch_p), ("paired", _paired_p)]
)
def test_ttests_agree_with_the_formulas_and_scipy(kind, reference):
    p = metrics.ttest_greater(XU, XC, kind)
    assert p == pytest.approx(reference(XU, XC), rel=1e-9)
    assert p < 0.05  # X_u is clearly greater here


def test_ttest_is_one_tailed_towards_greater():
    # Swapping the arrays must give the complementary tail, not the same p.
    p_up = metrics.ttest_greater(XU, XC)
    p_down = metrics.ttest_greater(XC, XU)
    assert p_up + p_down == pytest.approx(1.0)
    assert p_down > 0.95


def test_recognised_needs_both_conditions():
    assert metrics.recognised(0.1, 0.01)
    assert not metrics.recognised(0.1, 0.05)  # p must be strictly below alpha
    assert not metrics.recognised(0.0, 0.001)  # S_sens must be strictly positive
    assert not metrics.recognised(-0.2, 0.001)
    assert not metrics.recognised(0.3, math.nan)


def test_mp_counts_only_misclassified_samples():
    # C_j = 4; predictions: 2 correct, 3 wrong of which 2 went to class 0 -> 66.67%
    mp = metrics.misclassification_pct(np.array([4, 0, 4, 0, 7]), true_label=4, target=0)
    assert mp.mp == pytest.approx(200 / 3)
    assert mp.n_misclassified == 3


def test_mp_is_zero_when_nothing_is_misclassified():
    mp = metrics.misclassification_pct(np.array([4, 4, 4]), true_label=4, target=0)
    assert mp.mp == 0.0
    assert mp.n_misclassified == 0


def test_accuracy_pct():
    assert metrics.accuracy_pct(np.array([4, 4, 1, 4]), 4) == pytest.approx(75.0)
    assert metrics.accuracy_pct(np.array([1, 2, 3]), np.array([1, 0, 3])) == pytest.approx(200 / 3)
    assert math.isnan(metrics.accuracy_pct(np.array([]), 4))


def test_lm_score_by_hand():
    y = np.array([1, 1, 2, 3])
    with_z = np.array([1, 1, 2, 0])  # hits: 1 1 1 0
    without = np.array([1, 0, 0, 0])  # hits: 1 0 0 0
    # differences 0, 1, 1, 0 -> 0.5
    assert metrics.lm_score(with_z, without, y) == pytest.approx(0.5)
    assert math.isnan(metrics.lm_score(np.array([]), np.array([]), np.array([])))


def test_mean_interval_matches_a_t_interval():
    mean, std, lo, hi = metrics.mean_interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0 and std == pytest.approx(1.0)
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # 2.484
    assert (lo, hi) == pytest.approx((2.0 - half, 2.0 + half))
    one = metrics.mean_interval(np.array([5.0]))
    assert one[0] == 5.0 and all(math.isnan(v) for v in one[1:])
