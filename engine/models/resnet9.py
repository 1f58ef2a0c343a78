"""ResNet9 as the paper describes it (Appendix A.1): 4 conv blocks, 2 residual blocks,
BatchNorm and ReLU after each convolution, max-pooling, a linear classifier.

The layout is the well-known CIFAR ResNet9 (prep, layer1 + residual, layer2,
layer3 + residual); `width` is the prep block's channels (64 in the paper).
"""

from __future__ import annotations

import torch
from torch import nn

from engine.models.common import conv_bn


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def resnet9(in_channels: int, num_classes: int, width: int = 64) -> nn.Module:
    w = width
    return nn.Sequential(
        conv_bn(in_channels, w),
        conv_bn(w, 2 * w, pool=True),
        Residual(2 * w),
        conv_bn(2 * w, 4 * w, pool=True),
        conv_bn(4 * w, 8 * w, pool=True),
        Residual(8 * w),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(8 * w, num_classes),
    )
