"""Stratified, seeded splits (numpy only).

The split seed is a setup field of its own, so every run seed of a sweep shares one
test split and the metrics of different seeds compare the same samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stratified_parts(
    labels: np.ndarray, fractions: Sequence[float], seed: int, per_class_limit: int = 0
) -> list[np.ndarray]:
    """Split indices into parts with the given shares of every class (sorted indices).

    Per class: shuffle, keep at most `per_class_limit` samples (0: all), then cut; every
    part but the first gets `round(n * fraction)` samples and the first gets the rest.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        if per_class_limit:
            idx = idx[:per_class_limit]
        sizes = [round(len(idx) * f) for f in fractions[1:]]
        bounds = np.cumsum([len(idx) - sum(sizes), *sizes])[:-1]
        for part, chunk in zip(parts, np.split(idx, bounds), strict=True):
            part.append(chunk)
    return [np.sort(np.concatenate(p)) if p else np.zeros(0, np.int64) for p in parts]


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int, per_class_limit: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): each class gives `round(n * test_fraction)` to the test split."""
    train, test = stratified_parts(
        labels, (1 - test_fraction, test_fraction), seed, per_class_limit
    )
    return train, test


def per_class_subset(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """At most `per_class` indices of every class, drawn with a seed (sorted)."""
    return stratified_parts(labels, (1.0,), seed, per_class)[0]
