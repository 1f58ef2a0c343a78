"""Model registry: a setup's `model.name` to a torch module that takes the dataset's
raw inputs (uint8 images) and returns logits."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from engine import catalog
from engine.config import Setup
from engine.models.common import Standardize
from engine.models.resnet9 import resnet9
from engine.models.small_cnn import small_cnn

BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "small-cnn": small_cnn,
    "resnet9": resnet9,
}


def build_model(setup: Setup, mean: torch.Tensor, std: torch.Tensor) -> nn.Module:
    """A fresh model for `setup`; the caller seeds torch first so inits repeat."""
    info = catalog.DATASETS[setup.data.dataset]
    body = BUILDERS[setup.model.name](info.channels, info.num_classes, setup.model.width)
    return nn.Sequential(Standardize(mean, std), body)
