"""Explanation files in a run directory, and the numbers both sides need (numpy and PIL only).

The engine writes, for explained sample i of a run at an epoch:

```
runs/<run>/explain/epoch<NN>_<i>.png        the image beside its GradCAM overlay, stamp box drawn
runs/<run>/explain/epoch<NN>_<i>.npz        image (H, W, 3) uint8, cam (H, W) in [0, 1], box, meta
runs/<run>/explain/epoch<NN>_<i>_shap.json  tokens, SHAP values, which tokens are z_u, meta
runs/<run>/explain/epoch<NN>_<i>_shap.png   the token bars
```

Paths in `artifact` events are relative to the run directory, so a replay finds them
wherever the directory was copied. The console renders the `.npz` and `.json` files in
the terminal; it imports this module, so nothing here may import torch or matplotlib.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CAM_KIND = "gradcam"
SHAP_KIND = "shap"
EXPLAIN_KEYS = ("cam_in_stamp", "shap_value", "shap_rank")
"""The per-epoch metrics explanations add (images: the first; texts: the other two)."""
BOX_COLOUR = (0, 255, 0)
PNG_SIDE = 192
"""Each half of a CAM picture is scaled up (nearest neighbour) to at least this many pixels."""


def stem(run: str, epoch: int, index: int) -> str:
    """`runs/<run>/explain/epoch<NN>_<i>`, relative to the run directory."""
    return f"runs/{run}/explain/epoch{epoch:02d}_{index}"


def cam_in_box(cam: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Share of the CAM's mass inside the box (x0, y0, x1, y1; end-exclusive pixels).

    1.0 when all attribution falls on the stamp, about the box's share of the image area
    when the map is flat, 0 when none of it does; NaN for an all-zero map (nothing to share).
    """
    cam = np.clip(np.asarray(cam, dtype=np.float64), 0.0, None)
    total = cam.sum()
    if not total > 0:
        return math.nan
    x0, y0, x1, y1 = box
    return float(cam[y0:y1, x0:x1].sum() / total)


def jet(values: np.ndarray) -> np.ndarray:
    """The classic jet colour map (blue = 0 ... red = 1) as uint8 RGB, shape (..., 3).

    A closed form instead of matplotlib's table, so the console draws the same colours
    without importing matplotlib."""
    x = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)[..., None]
    centres = np.array([3.0, 2.0, 1.0])  # r, g, b peak at x = 3/4, 1/2, 1/4
    rgb = np.clip(1.5 - np.abs(4.0 * x - centres), 0.0, 1.0)
    return (rgb * 255).round().astype(np.uint8)


def to_rgb(image: np.ndarray) -> np.ndarray:
    """A uint8 image (C, H, W) or (H, W, C) or (H, W) with 1 or 3 channels as (H, W, 3)."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, None]
    elif image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = image.transpose(1, 2, 0)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return image.astype(np.uint8)


def overlay(image: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The image blended with the jet-coloured CAM, as pytorch-grad-cam shows it."""
    rgb = to_rgb(image).astype(np.float64)
    heat = jet(cam).astype(np.float64)
    return ((1 - alpha) * rgb + alpha * heat).round().clip(0, 255).astype(np.uint8)


@dataclass
class CamRecord:
    """One explained image, as saved: what the console needs to draw it."""

    image: np.ndarray
    """(H, W, 3) uint8, the stamped test image the model saw."""
    cam: np.ndarray
    """(H, W) float in [0, 1]."""
    box: tuple[int, int, int, int]
    meta: dict[str, Any] = field(default_factory=dict)
    """run, epoch, sample (position among the stamped C_j test samples), label, pred, share."""


def save_cam(run_dir: Path, rel_stem: str, record: CamRecord) -> list[str]:
    """Write the `.npz` (numbers) and the `.png` (picture); return both relative paths."""
    npz, png = f"{rel_stem}.npz", f"{rel_stem}.png"
    path = run_dir / npz
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        image=record.image,
        cam=record.cam.astype(np.float32),
        box=np.asarray(record.box, dtype=np.int64),
        meta=np.array(json.dumps(record.meta)),
    )
    os.replace(tmp, path)
    cam_picture(record).save(run_dir / png)
    return [png, npz]


def load_cam(path: str | Path) -> CamRecord:
    with np.load(path, allow_pickle=False) as data:
        return CamRecord(
            image=data["image"],
            cam=data["cam"].astype(np.float64),
            box=tuple(int(v) for v in data["box"]),  # type: ignore[arg-type]
            meta=json.loads(str(data["meta"])),
        )


def cam_picture(record: CamRecord):  # noqa: ANN201 - a PIL image
    """The image and its overlay side by side, scaled up, the stamp box outlined on both,
    and a caption line. Drawn with PIL: a few milliseconds, where a matplotlib figure
    per sample would cost more than the quickstart's whole 10% budget."""
    from PIL import Image, ImageDraw

    rgb = to_rgb(record.image)
    h, w = rgb.shape[:2]
    scale = max(1, math.ceil(PNG_SIDE / max(h, w)))
    gap, caption = 4, 14
    canvas = Image.new("RGB", (2 * w * scale + gap, h * scale + caption), (255, 255, 255))
    for i, part in enumerate((rgb, overlay(rgb, record.cam))):
        tile = Image.fromarray(part).resize((w * scale, h * scale), Image.NEAREST)
        canvas.paste(tile, (i * (w * scale + gap), 0))
    draw = ImageDraw.Draw(canvas)
    x0, y0, x1, y1 = record.box
    for i in range(2):
        left = i * (w * scale + gap)
        draw.rectangle(
            (left + x0 * scale, y0 * scale, left + x1 * scale - 1, y1 * scale - 1),
            outline=BOX_COLOUR,
            width=max(1, scale // 4),
        )
    meta = record.meta
    share = meta.get("share")
    text = f"pred {meta.get('pred', '?')}"
    if isinstance(share, float) and math.isfinite(share):
        text += f"  CAM in stamp box {share:.0%}"
    draw.text((2, h * scale + 1), text, fill=(0, 0, 0))
    return canvas


@dataclass
class ShapRecord:
    """One explained text: its tokens, their SHAP values towards the predicted class, and
    which of them are z_u."""

    tokens: list[str]
    values: list[float]
    feature: list[bool]
    value: float
    """Summed SHAP value of the z_u tokens."""
    rank: int
    """Rank of z_u by |SHAP value| among the text's tokens, 1 = most important."""
    meta: dict[str, Any] = field(default_factory=dict)

    def ranked(self) -> list[tuple[str, float, bool]]:
        """(token, value, is z_u) by |value|, largest first; z_u's tokens count as one."""
        items = [
            (t, v, False)
            for t, v, f in zip(self.tokens, self.values, self.feature, strict=True)
            if not f and t.strip()
        ]
        word = "".join(t for t, f in zip(self.tokens, self.feature, strict=True) if f).strip()
        if any(self.feature):
            items.append((word, self.value, True))
        return sorted(items, key=lambda item: -abs(item[1]))


def save_shap_json(run_dir: Path, rel_stem: str, record: ShapRecord) -> str:
    rel = f"{rel_stem}_shap.json"
    path = run_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "tokens": record.tokens,
        "values": [float(v) for v in record.values],
        "feature": [bool(f) for f in record.feature],
        "value": float(record.value),
        "rank": int(record.rank),
        "meta": record.meta,
    }
    path.write_text(json.dumps(body), encoding="utf-8")
    return rel


def load_shap(path: str | Path) -> ShapRecord:
    body = json.loads(Path(path).read_text(encoding="utf-8"))
    return ShapRecord(
        tokens=[str(t) for t in body["tokens"]],
        values=[float(v) for v in body["values"]],
        feature=[bool(f) for f in body["feature"]],
        value=float(body["value"]),
        rank=int(body["rank"]),
        meta=dict(body.get("meta", {})),
    )
