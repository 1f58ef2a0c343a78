"""Small real sweeps with explanations, written as run directories (events.jsonl included)
and cached for the whole test session, so the engine, report and console tests share them.

- `image_run`: the quickstart's CNN on 100 digits per class, all of k = 40 training zeros
  stamped with a top-left "A" and the fixed wrong label 1, against the baseline; four
  seeds, ten epochs, explained every five epochs. About 25 s on a 2-core CPU.
- `text_run`: a tiny BERT (2 layers, 64 wide) on generated six-class texts whose first
  word names the class; 16 of the 40 class-4 training texts get "egg" as their first word
  and label 1. Ten epochs at lr 0.01; about 25 s, a third of it shap compiling its kernels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.events import JsonlEmitter
from engine.sweep import run_sweep
from tests import fake_data
from tests.conftest import tiny_setup
from tests.tiny_models import tiny_bert

_RUNS: dict[str, Path] = {}


def _sweep(setup, out: Path, split=None) -> Path:  # noqa: ANN001
    writer = JsonlEmitter(out / "events.jsonl")
    try:
        run_sweep(setup, out, writer, sweep_id=out.name, split=split)
    finally:
        writer.close()
    return out


def image_run(factory: pytest.TempPathFactory) -> Path:
    """A fixed-label stamp that is learned (k = 40) against its baseline (k = 0).

    Top-left: the digits never reach that corner, so a baseline's CAM rarely does, and
    the 3 x 3 final map of the small CNN on 28 px digits can still tell the corner apart.
    Measured over seeds 0-7 (seed means of 4 seeds: 0.185 / 0.058 for seeds 0-3, 0.176 /
    0.060 for seeds 4-7), single seeds range 0.05-0.34 (k = 40) and 0.02-0.10 (k = 0).
    """
    if "image" not in _RUNS:
        setup = tiny_setup(
            data={"per_class_limit": 100},
            feature={"size": 0.4, "position": "top-left"},
            sweep={"counts": [0, 40], "seeds": [0, 1, 2, 3]},
            train={"epochs": 10, "threads": 1},
            explain={"every": 5},
        )
        _RUNS["image"] = _sweep(setup, factory.mktemp("image-run"))
    return _RUNS["image"]


def text_run(factory: pytest.TempPathFactory, init_seed: int = 0) -> Path:
    """A tiny BERT that learned "egg" -> y_Lfixed = 1 and moves every stamped C_j text.

    "egg" goes first (`feature.position = start`), the place the class word holds in the
    clean texts: the model then reads it as a class word of its own and applies it to
    every class (feature learning). Inserted at random places, the same model only
    memorises it (FM: no stamped C_j text moves, and SHAP ranks "egg" 4th-8th). The
    checkpoint is re-initialised 64 wide with `initializer_range = 0.2`: at BERT's 0.02,
    or 32 wide, it does not train reliably under the engine's SGD. Measured over
    `init_seed` 0-3: every stamped C_j text moved to 1, mean SHAP rank of "egg" 1.0, 1.0,
    1.0, 1.75. (With "egg" first, the baseline is no clean control: shap masks it with
    [MASK] in the class word's place, which also moves the baseline's output.)
    """
    if "text" not in _RUNS:
        import torch
        from transformers import BertConfig, BertForSequenceClassification

        base = factory.mktemp("text-run")
        root = fake_data.emotions(base / "emotions", per_class=40, test_per_class=8)
        bert = tiny_bert(base / "bert", fake_data.all_texts(root), ["egg"])
        config = BertConfig.from_pretrained(bert)
        config.initializer_range = 0.2
        config.hidden_size, config.intermediate_size = 64, 128
        torch.manual_seed(init_seed)  # the "pretrained" weights: the same in every session
        BertForSequenceClassification(config).save_pretrained(bert)
        setup = tiny_setup(
            data={"dataset": "emotions", "root": str(root), "max_length": 24},
            model={"name": "bert", "pretrained": str(bert), "trainable": "all"},
            feature={"kind": "token", "text": "egg", "position": "start"},
            classes={"c_i": 4, "c_j": 2, "y_fixed": 1},
            sweep={"counts": [0, 16], "seeds": [0]},
            train={"epochs": 10, "lr": 0.01, "batch_size": 16, "threads": 1},
            explain={"samples": 4},
        )
        _RUNS["text"] = _sweep(setup, base / "out")
    return _RUNS["text"]
