"""The metrics of SPEC §3 as pure functions: numpy arrays in, floats out.

Probabilities are softmax outputs; percentages are in [0, 100]. Nothing here knows about
models, devices or files, so each formula is tested with numbers a person can check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


def s_sens(p_stamped: np.ndarray, p_clean: np.ndarray) -> float:
    """S_sens = mean over X_sens of p(c|x_u) - p(c|x_c) (paper eq. 1)."""
    if len(p_stamped) != len(p_clean) or len(p_stamped) == 0:
        raise ValueError("S_sens needs two equally long, non-empty arrays")
    return float(np.mean(np.asarray(p_stamped, np.float64) - np.asarray(p_clean, np.float64)))


def ttest_greater(p_stamped: np.ndarray, p_clean: np.ndarray, kind: str = "student") -> float:
    """One-tailed p-value of "mean of X_u is greater than mean of X_c" (paper §3).

    `student`: two-sample, equal variances (the paper); `welch`: unequal variances;
    `paired`: the pairs (x_u, x_c) of the same sample. NaN when the test is undefined
    (e.g. both arrays constant and equal).
    """
    xu = np.asarray(p_stamped, np.float64)
    xc = np.asarray(p_clean, np.float64)
    if kind == "paired":
        result = stats.ttest_rel(xu, xc, alternative="greater")
    elif kind in ("student", "welch"):
        result = stats.ttest_ind(xu, xc, equal_var=kind == "student", alternative="greater")
    else:
        raise ValueError(f"unknown t-test '{kind}'")
    return float(result.pvalue)


def recognised(s: float, p: float, alpha: float = 0.05) -> bool:
    """The model recognises z_u when S_sens > 0 and p < alpha (NaN p: not recognised)."""
    return bool(s > 0 and not math.isnan(p) and p < alpha)


@dataclass(frozen=True)
class Misclassification:
    mp: float
    """MP_{j,c} in %: share of misclassified probe samples predicted as c (0 when none)."""
    n_misclassified: int


def misclassification_pct(preds: np.ndarray, true_label: int, target: int) -> Misclassification:
    """MP_{j,c} (paper eq. 2) over predictions of the stamped C_j samples."""
    preds = np.asarray(preds)
    wrong = preds != true_label
    n_wrong = int(wrong.sum())
    if n_wrong == 0:
        return Misclassification(0.0, 0)
    return Misclassification(float(100.0 * np.sum(preds[wrong] == target) / n_wrong), n_wrong)


def accuracy_pct(preds: np.ndarray, labels: np.ndarray | int) -> float:
    """Share (%) of predictions equal to their labels (Acc_j, paper eq. 3, and the others)."""
    preds = np.asarray(preds)
    if preds.size == 0:
        return math.nan
    return float(100.0 * np.mean(preds == np.asarray(labels)))


def lm_score(preds_with: np.ndarray, preds_without: np.ndarray, noisy_labels: np.ndarray) -> float:
    """Feldman's LM-score averaged over X_noisy (paper eq. 6):
    mean of 1[F_with(x) = y_L] - 1[F_without(x) = y_L]. NaN for an empty X_noisy (k = 0)."""
    y = np.asarray(noisy_labels)
    if y.size == 0:
        return math.nan
    hit_with = np.asarray(preds_with) == y
    hit_without = np.asarray(preds_without) == y
    return float(np.mean(hit_with.astype(np.float64) - hit_without.astype(np.float64)))


def mean_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, std, low, high) over seeds: sample std and a Student-t interval of the mean.

    With one value the std and interval are NaN: one seed has no spread to report.
    """
    v = np.asarray(values, np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (math.nan,) * 4
    mean = float(v.mean())
    if v.size < 2:
        return mean, math.nan, math.nan, math.nan
    std = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * std / math.sqrt(v.size))
    return mean, std, mean - half, mean + half
