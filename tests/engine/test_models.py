"""The models take raw uint8 images and return logits; standardisation is exact."""

import torch
from torch import nn

from engine.models import build_model
from engine.models.common import Standardize
from engine.models.resnet9 import Residual, resnet9
from tests.conftest import replace, tiny_setup


def test_standardize_maps_the_mean_to_zero_and_one_std_to_one():
    layer = Standardize(torch.tensor([0.5]), torch.tensor([0.25]))
    out = layer(torch.tensor([[[[0, 255]]]], dtype=torch.uint8))
    # (0/255 - 0.5)/0.25 = -2 ; (255/255 - 0.5)/0.25 = 2
    assert torch.allclose(out.flatten(), torch.tensor([-2.0, 2.0]))
    assert out.dtype == torch.float32


def test_resnet9_has_the_papers_blocks():
    model = resnet9(3, 10, width=8)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    residuals = [m for m in model.modules() if isinstance(m, Residual)]
    assert len(residuals) == 2
    assert len(convs) == 4 + 2 * 2  # 4 conv blocks + 2 convs in each residual block
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == len(convs)
    assert isinstance(list(model.children())[-1], nn.Linear)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_built_models_take_uint8_digits():
    for name in ("small-cnn", "resnet9"):
        setup = replace(tiny_setup(), "model", name=name, width=4)
        model = build_model(setup, torch.tensor([0.1]), torch.tensor([0.3]))
        logits = model(torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8))
        assert logits.shape == (3, 10) and logits.dtype == torch.float32
