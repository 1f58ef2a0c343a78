"""Stratified, seeded train/test splits (numpy only).

The split seed is a setup field of its own, so every run seed of a sweep shares one
test split and the metrics of different seeds compare the same samples.
"""

from __future__ import annotations

import numpy as np


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int, per_class_limit: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), each sorted. Per class: shuffle, keep at most
    `per_class_limit` samples (0: all), give `round(n * test_fraction)` to the test split."""
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        if per_class_limit:
            idx = idx[:per_class_limit]
        n_test = round(len(idx) * test_fraction)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
