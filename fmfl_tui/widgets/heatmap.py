"""A GradCAM heatmap over its image, drawn in the terminal with half blocks.

Each character cell shows two pixels: "▀" with the upper pixel as foreground colour and
the lower one as background. The stamp's box is outlined in green in the picture and,
so that it does not rest on colour alone, marked beside it: `┃` on the right of the rows
it covers and `━` under its columns, labelled "stamp box". Pixels come from
`engine.explain.artifacts` (numpy only; no torch, no matplotlib).
"""

from __future__ import annotations

import math

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

from engine.explain.artifacts import BOX_COLOUR, CamRecord, overlay

UPPER_HALF = "▀"
ROW_MARK = "┃"
COLUMN_MARK = "━"
MAX_ZOOM = 4


def fit(rgb: np.ndarray, box: tuple[int, int, int, int], max_width: int, max_rows: int):  # noqa: ANN201
    """The picture scaled (nearest neighbour, integer factors) to fill at most `max_width`
    columns and `2 * max_rows` pixel rows, and the box in the new pixels: a small image
    (a 28 px digit) is enlarged up to MAX_ZOOM times, a large one is subsampled."""
    h, w = rgb.shape[:2]
    zoom = min(MAX_ZOOM, max_width // max(1, w), (2 * max_rows) // max(1, h))
    if zoom > 1:
        big = np.repeat(np.repeat(rgb, zoom, axis=0), zoom, axis=1)
        return big, tuple(v * zoom for v in box)
    step = max(1, math.ceil(w / max(1, max_width)), math.ceil(h / max(1, 2 * max_rows)))
    if step == 1:
        return rgb, box
    rows = np.arange(0, h, step)
    cols = np.arange(0, w, step)
    x0, y0, x1, y1 = box
    small = rgb[rows][:, cols]
    return small, (
        x0 // step,
        y0 // step,
        max(x0 // step + 1, math.ceil(x1 / step)),
        max(y0 // step + 1, math.ceil(y1 / step)),
    )


def outline(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A copy with the box's border pixels set to the box colour."""
    out = rgb.copy()
    h, w = out.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x1 <= x0 or y1 <= y0:
        return out
    colour = np.array(BOX_COLOUR, dtype=np.uint8)
    out[y0, x0:x1] = colour
    out[y1 - 1, x0:x1] = colour
    out[y0:y1, x0] = colour
    out[y0:y1, x1 - 1] = colour
    return out


class HalfBlockImage:
    """A rich renderable: an RGB array (H, W, 3) as half-block cells, with box markers."""

    def __init__(self, rgb: np.ndarray, box: tuple[int, int, int, int] | None = None) -> None:
        self.rgb = np.asarray(rgb, dtype=np.uint8)
        self.box = box

    @classmethod
    def from_cam(cls, record: CamRecord, max_width: int = 60, max_rows: int = 30) -> HalfBlockImage:
        picture, box = fit(overlay(record.image, record.cam), record.box, max_width, max_rows)
        return cls(outline(picture, box), box)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rgb = self.rgb
        h, w = rgb.shape[:2]
        if h % 2:  # an odd last row pairs with black
            rgb = np.concatenate([rgb, np.zeros((1, w, 3), dtype=np.uint8)])
        x0, y0, x1, y1 = self.box if self.box is not None else (0, 0, 0, 0)
        for top in range(0, rgb.shape[0], 2):
            for x in range(w):
                upper, lower = rgb[top, x], rgb[top + 1, x]
                style = Style(color=_hex(upper), bgcolor=_hex(lower))
                yield Segment(UPPER_HALF, style)
            on_box = self.box is not None and (y0 <= top < y1 or y0 <= top + 1 < y1)
            yield Segment(f" {ROW_MARK}" if on_box else "  ")
            yield Segment.line()
        if self.box is not None:
            yield Segment(" " * x0 + COLUMN_MARK * max(1, x1 - x0) + " stamp box")
            yield Segment.line()


def _hex(pixel: np.ndarray) -> str:
    r, g, b = (int(v) for v in pixel[:3])
    return f"#{r:02x}{g:02x}{b:02x}"
