"""GradCAM (pytorch-grad-cam) on the image models (paper §4, Figures 2, 6: GradCam of the
stamped C_j test samples).

The target layer is found generically (`target_layer`): the module that outputs the last
spatial feature map, which every model of the registry produces from a conv block,
MobileViT included (its `final_conv` after the last attention block). The activations
are (N, C, H, W) maps, so no reshape transform is needed; targeting a MobileViT
transformer block instead would need one (tokens back to a grid).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def target_layer(model: nn.Module, example: torch.Tensor) -> nn.Module:
    """The module whose output is the model's last spatial feature map: the last one to
    finish, in one forward pass of `example`, with an (N, C, H, W) output larger than
    1 x 1. That is the map the classifier's global pooling reads, after the last conv's
    normalisation, activation and residual sum (torchvision ResNet: `layer4`; ResNet9 and
    the small CNN: their last conv block; GoogLeNet: inception 5b; MobileViT: the 1x1
    `final_conv` after the last attention block, a conv map, so no reshape transform).

    The bare last `nn.Conv2d` is a worse target: before BatchNorm and ReLU its weighted
    sum is often negative everywhere, which GradCAM clips to an empty map (measured on the
    quickstart's small CNN: no map at all for whole runs).
    """
    finished: list[nn.Module] = []

    def note(module: nn.Module, _inputs: object, output: object) -> None:
        if isinstance(output, torch.Tensor) and output.ndim == 4 and output.shape[-2:].numel() > 1:
            finished.append(module)

    handles = [m.register_forward_hook(note) for m in model.modules() if m is not model]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(example[:1])
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    if not finished:
        raise ValueError("the model has no spatial feature map to explain with GradCAM")
    return finished[-1]


def gradcam(model: nn.Module, images: torch.Tensor, classes: list[int]) -> np.ndarray:
    """GradCAM maps, (N, H, W) in [0, 1] (each map scaled to its own maximum), of uint8
    images (N, C, H, W) towards one class per image.

    The images go in as floats that require gradients, so the maps exist even when the
    target layer's weights are frozen (`model.trainable = head`). The library's context
    manager removes its hooks afterwards; the model's gradients are cleared and its
    train/eval mode restored, so training continues exactly as without explanations.
    """
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    was_training = model.training
    x = images.float().requires_grad_(True)
    targets = [ClassifierOutputTarget(int(c)) for c in classes]
    layer = target_layer(model, images)
    maps = None
    try:
        with torch.enable_grad(), GradCAM(model=model, target_layers=[layer]) as cam:
            maps = cam(input_tensor=x, targets=targets)
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    if maps is None:  # the context manager swallows an IndexError (a class out of range)
        raise ValueError(f"GradCAM failed for classes {list(classes)}")
    return np.asarray(maps, dtype=np.float32)
