"""GoogLeNet (Inception v1) in its CIFAR variant (paper A.3: the architecture of
weiaicunzai/pytorch-cifar100): a 3x3 conv stem instead of ImageNet's strided 7x7 stem,
inception blocks 3a-5b with BatchNorm, the 5x5 branch as two 3x3 convs, max-pools between
stages, global average pooling, dropout 0.4, a linear classifier.

`width` scales every channel count; 64 (the stem's width) is the paper's network.
"""

from __future__ import annotations

import torch
from torch import nn

# (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj) per inception block, at width 64.
_BLOCKS = {
    "a3": (64, 96, 128, 16, 32, 32),
    "b3": (128, 128, 192, 32, 96, 64),
    "a4": (192, 96, 208, 16, 48, 64),
    "b4": (160, 112, 224, 24, 64, 64),
    "c4": (128, 128, 256, 24, 64, 64),
    "d4": (112, 144, 288, 32, 64, 64),
    "e4": (256, 160, 320, 32, 128, 128),
    "a5": (256, 160, 320, 32, 128, 128),
    "b5": (384, 192, 384, 48, 128, 128),
}


def _cbr(c_in: int, c_out: int, kernel: int) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


class Inception(nn.Module):
    def __init__(self, c_in: int, n1: int, r3: int, n3: int, r5: int, n5: int, pool: int) -> None:
        super().__init__()
        self.b1 = nn.Sequential(*_cbr(c_in, n1, 1))
        self.b2 = nn.Sequential(*_cbr(c_in, r3, 1), *_cbr(r3, n3, 3))
        self.b3 = nn.Sequential(*_cbr(c_in, r5, 1), *_cbr(r5, n5, 3), *_cbr(n5, n5, 3))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *_cbr(c_in, pool, 1))
        self.out_channels = n1 + n3 + n5 + pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


class GoogLeNetCifar(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, width: int = 64) -> None:
        super().__init__()

        def scale(n: int) -> int:
            return max(1, round(n * width / 64))

        self.prelayer = nn.Sequential(
            *_cbr(in_channels, scale(64), 3),
            *_cbr(scale(64), scale(64), 3),
            *_cbr(scale(64), scale(192), 3),
        )
        channels = scale(192)
        stages: list[nn.Module] = []
        for name, spec in _BLOCKS.items():
            if name in ("a4", "a5"):
                stages.append(nn.MaxPool2d(3, stride=2, padding=1))
            block = Inception(channels, *(scale(n) for n in spec))
            stages.append(block)
            channels = block.out_channels
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(p=0.4)
        self.linear = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.stages(self.prelayer(x))).flatten(1)
        return self.linear(self.dropout(x))
