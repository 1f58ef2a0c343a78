"""Pieces shared by the image models: the input standardisation layer and conv blocks."""

from __future__ import annotations

import torch
from torch import nn


class Standardize(nn.Module):
    """uint8 images in, zero-mean unit-variance floats out (paper A.7).

    The statistics are the clean training split's, per channel, fixed before training.
    Keeping this inside the model lets data stay uint8 (a quarter of the memory) and lets
    stamps be drawn in pixel space, before normalisation, as SPEC §1 asks.
    """

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("scale", (1.0 / (255.0 * std)).view(1, -1, 1, 1))
        self.register_buffer("shift", (mean / std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() * self.scale - self.shift


def conv_bn(c_in: int, c_out: int, stride: int = 1, pool: bool = False) -> nn.Sequential:
    """3x3 conv, BatchNorm, ReLU, optionally a 2x2 max-pool."""
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)
