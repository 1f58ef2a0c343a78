"""Feature injection (SPEC §1): which training samples carry z_u, with which labels,
and the stamped copies of every input the metrics look at.

Per seed one permutation of C_i's training indices is drawn; count k stamps its first k,
so a smaller count's stamped set is a prefix of a larger one's. Random wrong labels are
drawn once per seed along the same permutation, so they nest the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.data.stamp import StampSpec

_ORDER_STREAM, _NOISE_STREAM = 1, 2
"""Independent random streams per seed: changing one never shifts the other."""


def stamp_order(train_y: np.ndarray, c_i: int, seed: int) -> np.ndarray:
    """Training indices of C_i in the seed's order; count k stamps the first k."""
    idx = np.flatnonzero(np.asarray(train_y) == c_i)
    return np.random.default_rng([seed, _ORDER_STREAM]).permutation(idx)


def random_wrong_labels(n: int, num_classes: int, true_label: int, seed: int) -> np.ndarray:
    """One wrong label (uniform over the other classes) per position of the stamp order."""
    draw = np.random.default_rng([seed, _NOISE_STREAM]).integers(0, num_classes - 1, size=n)
    return draw + (draw >= true_label)


def training_labels(
    train_y: np.ndarray,
    stamped: np.ndarray,
    mode: str,
    random_labels: np.ndarray,
    y_fixed: int,
) -> np.ndarray:
    """Labels of D_train when the samples `stamped` (a prefix of the order) carry z_u."""
    labels = np.array(train_y, copy=True)
    if mode == "random":
        labels[stamped] = random_labels[: len(stamped)]
    elif mode == "fixed":
        labels[stamped] = y_fixed
    return labels


@dataclass(frozen=True)
class ImageStamp:
    """Applies a rendered stamp to uint8 image tensors (N, C, H, W), vectorised."""

    spec: StampSpec

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        out = images.clone()
        x0, y0, x1, y1 = self.spec.box
        region = out[:, :, y0:y1, x0:x1]
        ink = torch.from_numpy(self.spec.ink).to(images.device)
        colour = torch.from_numpy(self.spec.colour).to(images.device).view(1, -1, 1, 1)
        if self.spec.background is not None:
            region[:] = torch.from_numpy(self.spec.background).to(images.device).view(1, -1, 1, 1)
        region[:] = torch.where(ink, colour, region)
        return out
