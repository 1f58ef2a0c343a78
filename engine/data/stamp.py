"""The vision feature z_u: a text stamp rendered from a bundled 5x7 bitmap font.

Rendering is pure integer arithmetic on the glyph table below (nearest-neighbour scaling),
so a stamp has the same pixels on every machine and every library version (SPEC §1). The
module is numpy only; `engine.data.inject` applies stamps to torch tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ConfigError

if TYPE_CHECKING:
    from engine.config import FeatureConfig

GLYPH_W, GLYPH_H = 5, 7
MIN_HEIGHT = 5
"""Below 5 px the 7 glyph rows can no longer all be drawn."""

# Classic 5x7 LCD font, one byte per column, bit 0 = top row.
_FONT: dict[str, tuple[int, int, int, int, int]] = {
    " ": (0x00, 0x00, 0x00, 0x00, 0x00),
    "!": (0x00, 0x00, 0x5F, 0x00, 0x00),
    "#": (0x14, 0x7F, 0x14, 0x7F, 0x14),
    "'": (0x00, 0x05, 0x03, 0x00, 0x00),
    ",": (0x00, 0x50, 0x30, 0x00, 0x00),
    "-": (0x08, 0x08, 0x08, 0x08, 0x08),
    ".": (0x00, 0x60, 0x60, 0x00, 0x00),
    "/": (0x20, 0x10, 0x08, 0x04, 0x02),
    "0": (0x3E, 0x51, 0x49, 0x45, 0x3E),
    "1": (0x00, 0x42, 0x7F, 0x40, 0x00),
    "2": (0x42, 0x61, 0x51, 0x49, 0x46),
    "3": (0x21, 0x41, 0x45, 0x4B, 0x31),
    "4": (0x18, 0x14, 0x12, 0x7F, 0x10),
    "5": (0x27, 0x45, 0x45, 0x45, 0x39),
    "6": (0x3C, 0x4A, 0x49, 0x49, 0x30),
    "7": (0x01, 0x71, 0x09, 0x05, 0x03),
    "8": (0x36, 0x49, 0x49, 0x49, 0x36),
    "9": (0x06, 0x49, 0x49, 0x29, 0x1E),
    ":": (0x00, 0x36, 0x36, 0x00, 0x00),
    "?": (0x02, 0x01, 0x51, 0x09, 0x06),
    "A": (0x7E, 0x11, 0x11, 0x11, 0x7E),
    "B": (0x7F, 0x49, 0x49, 0x49, 0x36),
    "C": (0x3E, 0x41, 0x41, 0x41, 0x22),
    "D": (0x7F, 0x41, 0x41, 0x22, 0x1C),
    "E": (0x7F, 0x49, 0x49, 0x49, 0x41),
    "F": (0x7F, 0x09, 0x09, 0x09, 0x01),
    "G": (0x3E, 0x41, 0x49, 0x49, 0x7A),
    "H": (0x7F, 0x08, 0x08, 0x08, 0x7F),
    "I": (0x00, 0x41, 0x7F, 0x41, 0x00),
    "J": (0x20, 0x40, 0x41, 0x3F, 0x01),
    "K": (0x7F, 0x08, 0x14, 0x22, 0x41),
    "L": (0x7F, 0x40, 0x40, 0x40, 0x40),
    "M": (0x7F, 0x02, 0x0C, 0x02, 0x7F),
    "N": (0x7F, 0x04, 0x08, 0x10, 0x7F),
    "O": (0x3E, 0x41, 0x41, 0x41, 0x3E),
    "P": (0x7F, 0x09, 0x09, 0x09, 0x06),
    "Q": (0x3E, 0x41, 0x51, 0x21, 0x5E),
    "R": (0x7F, 0x09, 0x19, 0x29, 0x46),
    "S": (0x46, 0x49, 0x49, 0x49, 0x31),
    "T": (0x01, 0x01, 0x7F, 0x01, 0x01),
    "U": (0x3F, 0x40, 0x40, 0x40, 0x3F),
    "V": (0x1F, 0x20, 0x40, 0x20, 0x1F),
    "W": (0x3F, 0x40, 0x38, 0x40, 0x3F),
    "X": (0x63, 0x14, 0x08, 0x14, 0x63),
    "Y": (0x07, 0x08, 0x70, 0x08, 0x07),
    "Z": (0x61, 0x51, 0x49, 0x45, 0x43),
    "_": (0x40, 0x40, 0x40, 0x40, 0x40),
    "a": (0x20, 0x54, 0x54, 0x54, 0x78),
    "b": (0x7F, 0x48, 0x44, 0x44, 0x38),
    "c": (0x38, 0x44, 0x44, 0x44, 0x20),
    "d": (0x38, 0x44, 0x44, 0x48, 0x7F),
    "e": (0x38, 0x54, 0x54, 0x54, 0x18),
    "f": (0x08, 0x7E, 0x09, 0x01, 0x02),
    "g": (0x0C, 0x52, 0x52, 0x52, 0x3E),
    "h": (0x7F, 0x08, 0x04, 0x04, 0x78),
    "i": (0x00, 0x44, 0x7D, 0x40, 0x00),
    "j": (0x20, 0x40, 0x44, 0x3D, 0x00),
    "k": (0x7F, 0x10, 0x28, 0x44, 0x00),
    "l": (0x00, 0x41, 0x7F, 0x40, 0x00),
    "m": (0x7C, 0x04, 0x18, 0x04, 0x78),
    "n": (0x7C, 0x08, 0x04, 0x04, 0x78),
    "o": (0x38, 0x44, 0x44, 0x44, 0x38),
    "p": (0x7C, 0x14, 0x14, 0x14, 0x08),
    "q": (0x08, 0x14, 0x14, 0x18, 0x7C),
    "r": (0x7C, 0x08, 0x04, 0x04, 0x08),
    "s": (0x48, 0x54, 0x54, 0x54, 0x20),
    "t": (0x04, 0x3F, 0x44, 0x40, 0x20),
    "u": (0x3C, 0x40, 0x40, 0x20, 0x7C),
    "v": (0x1C, 0x20, 0x40, 0x20, 0x1C),
    "w": (0x3C, 0x40, 0x30, 0x40, 0x3C),
    "x": (0x44, 0x28, 0x10, 0x28, 0x44),
    "y": (0x0C, 0x50, 0x50, 0x50, 0x3C),
    "z": (0x44, 0x64, 0x54, 0x4C, 0x44),
}


def text_bitmap(text: str) -> np.ndarray:
    """The text at the font's native size: bool array (7, 6 * len - 1), one blank column
    between glyphs. Unknown characters raise ConfigError."""
    for ch in text:
        if ch not in _FONT:
            raise ConfigError(
                "feature.text",
                f"character {ch!r} has no glyph in the stamp font",
                "use letters, digits, space and the signs ! # ' , - . / : ? _",
            )
    if not text:
        raise ConfigError("feature.text", "the stamp text is empty", "give e.g. feature.text='A'")
    columns: list[int] = []
    for i, ch in enumerate(text):
        if i:
            columns.append(0)
        columns.extend(_FONT[ch])
    cols = np.array(columns, dtype=np.uint8)
    rows = np.arange(GLYPH_H, dtype=np.uint8)[:, None]
    return ((cols[None, :] >> rows) & 1).astype(bool)


def scale_nearest(bitmap: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize by integer index arithmetic (no interpolation library)."""
    src_h, src_w = bitmap.shape
    r = (np.arange(height) * src_h) // height
    c = (np.arange(width) * src_w) // width
    return bitmap[r[:, None], c[None, :]]


def _colour(name: str, value: int | tuple[int, ...], channels: int) -> np.ndarray:
    values = (value,) * channels if isinstance(value, int) else tuple(value)
    if len(values) != channels:
        raise ConfigError(
            name,
            f"{list(values)} has {len(values)} values but the images have {channels} channel(s)",
            "give one grey value" if channels == 1 else f"give {channels} values or one grey value",
        )
    if any(not 0 <= v <= 255 for v in values):
        raise ConfigError(name, f"{list(values)} is outside 0-255", "use values between 0 and 255")
    return np.array(values, dtype=np.uint8)


@dataclass(frozen=True, eq=False)
class StampSpec:
    """A rendered stamp: where it goes and which pixels it sets.

    `ink` is the (h, w) mask of text pixels inside the box at (x, y); `background`, when
    set, fills the whole box before the text is drawn.
    """

    text: str
    x: int
    y: int
    ink: np.ndarray
    colour: np.ndarray
    background: np.ndarray | None

    @property
    def height(self) -> int:
        return int(self.ink.shape[0])

    @property
    def width(self) -> int:
        return int(self.ink.shape[1])

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1), end-exclusive, in image pixels."""
        return self.x, self.y, self.x + self.width, self.y + self.height

    def apply(self, images: np.ndarray) -> np.ndarray:
        """A stamped copy of uint8 images shaped (N, C, H, W)."""
        out = images.copy()
        x0, y0, x1, y1 = self.box
        region = out[:, :, y0:y1, x0:x1]
        if self.background is not None:
            region[:] = self.background[None, :, None, None]
        region[:] = np.where(self.ink[None, None], self.colour[None, :, None, None], region)
        return out

    @classmethod
    def from_config(cls, feature: FeatureConfig, image_size: int, channels: int) -> StampSpec:
        """Render the stamp for square images of `image_size` px; ConfigError if it cannot fit."""
        native = text_bitmap(feature.text)
        if not 0 < feature.size <= 1:
            raise ConfigError("feature.size", f"{feature.size} is not in (0, 1]", "use e.g. 0.25")
        height = round(feature.size * image_size)
        if height < MIN_HEIGHT:
            need = MIN_HEIGHT / image_size
            raise ConfigError(
                "feature.size",
                f"a stamp {height} px tall on {image_size} px images is too small to draw",
                f"use feature.size >= {need:.3f}",
            )
        pad = round(height / GLYPH_H) if feature.background != "none" else 0
        text_h = height - 2 * pad
        text_w = max(1, round(native.shape[1] * text_h / GLYPH_H))
        ink = np.zeros((height, text_w + 2 * pad), dtype=bool)
        ink[pad : pad + text_h, pad : pad + text_w] = scale_nearest(native, text_h, text_w)
        h, w = ink.shape
        margin = feature.margin
        if margin < 0:
            raise ConfigError("feature.margin", "must not be negative", "use e.g. 1")
        room = image_size - 2 * margin if isinstance(feature.position, str) else image_size
        if w > room or h > room:
            fit = feature.size * room / w
            if fit * image_size < MIN_HEIGHT:
                raise ConfigError(
                    "feature.text",
                    f"{feature.text!r} is too long to stamp on {image_size} px images at a readable size",
                    f"use a text of at most {max(1, (room * GLYPH_H // MIN_HEIGHT + 1) // 6)} characters",
                )
            raise ConfigError(
                "feature.size",
                f"the stamp {feature.text!r} is {w}x{h} px but the image is {image_size}x{image_size}",
                f"use feature.size <= {fit:.3f} or a shorter feature.text",
            )
        x, y = _place(feature, image_size, w, h)
        background = None
        if feature.background != "none":
            if isinstance(feature.background, str):
                raise ConfigError(
                    "feature.background",
                    f"unknown value '{feature.background}'",
                    "use 'none' or a colour",
                )
            background = _colour("feature.background", feature.background, channels)
        colour = _colour("feature.colour", feature.colour, channels)
        return cls(feature.text, x, y, ink, colour, background)


def _place(feature: FeatureConfig, size: int, w: int, h: int) -> tuple[int, int]:
    position, m = feature.position, feature.margin
    if isinstance(position, str):
        corners = {
            "top-left": (m, m),
            "top-right": (size - m - w, m),
            "bottom-left": (m, size - m - h),
            "bottom-right": (size - m - w, size - m - h),
            "center": ((size - w) // 2, (size - h) // 2),
        }
        if position not in corners:
            raise ConfigError(
                "feature.position",
                f"unknown position '{position}'",
                f"use one of {list(corners)} or [x, y]",
            )
        return corners[position]
    if len(position) != 2:
        raise ConfigError(
            "feature.position", f"{list(position)} is not [x, y]", "give two pixel values"
        )
    x, y = position
    if x < 0 or y < 0 or x + w > size or y + h > size:
        raise ConfigError(
            "feature.position",
            f"a {w}x{h} px stamp at [{x}, {y}] leaves the {size}x{size} image",
            f"use x in 0-{size - w} and y in 0-{size - h}",
        )
    return x, y
