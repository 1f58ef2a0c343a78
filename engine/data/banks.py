"""Banks: model inputs of one modality, held on the device, gathered by row index.

An image bank is a uint8 tensor (N, C, H, W). A text bank is token ids and an attention
mask padded to the longest sample, plus each sample's length on the host, so a batch is
cut to its own longest sample without a device sync. Training and evaluation only ever
ask a bank for rows, which is what lets a run select stamped samples by row map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

Inputs = torch.Tensor | dict[str, torch.Tensor]


@dataclass
class ImageBank:
    x: torch.Tensor

    def __len__(self) -> int:
        return len(self.x)

    def take(self, rows: np.ndarray) -> torch.Tensor:
        return self.x[torch.from_numpy(np.asarray(rows, dtype=np.int64)).to(self.x.device)]

    def to(self, device: torch.device) -> ImageBank:
        return ImageBank(self.x.to(device))

    @staticmethod
    def cat(banks: list[Any]) -> ImageBank:
        return ImageBank(torch.cat([b.x for b in banks]))


@dataclass
class TextBank:
    ids: torch.Tensor
    mask: torch.Tensor
    lengths: np.ndarray
    pad_id: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: np.ndarray) -> dict[str, torch.Tensor]:
        rows = np.asarray(rows, dtype=np.int64)
        width = int(self.lengths[rows].max()) if len(rows) else 1
        index = torch.from_numpy(rows).to(self.ids.device)
        return {"input_ids": self.ids[index, :width], "attention_mask": self.mask[index, :width]}

    def to(self, device: torch.device) -> TextBank:
        return TextBank(self.ids.to(device), self.mask.to(device), self.lengths, self.pad_id)

    @staticmethod
    def from_sequences(sequences: list[list[int]], pad_id: int) -> TextBank:
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        width = int(lengths.max()) if len(lengths) else 1
        ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for i, seq in enumerate(sequences):
            ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[i, : len(seq)] = 1
        return TextBank(ids, mask, lengths, pad_id)

    @staticmethod
    def cat(banks: list[Any]) -> TextBank:
        width = max(b.ids.shape[1] for b in banks)
        pad_id = banks[0].pad_id

        def widen(t: torch.Tensor, value: int) -> torch.Tensor:
            return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=value)

        return TextBank(
            torch.cat([widen(b.ids, pad_id) for b in banks]),
            torch.cat([widen(b.mask, 0) for b in banks]),
            np.concatenate([b.lengths for b in banks]),
            pad_id,
        )


Bank = ImageBank | TextBank


def cat_banks(banks: list[Bank]) -> Bank:
    return type(banks[0]).cat(banks)
