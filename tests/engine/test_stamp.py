"""Stamp rendering: same pixels every time, where the setup says, or a clear error."""

import numpy as np
import pytest
import torch

from engine.config import FeatureConfig
from engine.data.inject import ImageStamp
from engine.data.stamp import StampSpec, scale_nearest, text_bitmap
from engine.errors import ConfigError

A_7PX = [
    ".###.",
    "#...#",
    "#...#",
    "#...#",
    "#####",
    "#...#",
    "#...#",
]


def _art(mask):
    return ["".join("#" if v else "." for v in row) for row in mask]


def test_letter_a_at_native_size_is_the_drawn_glyph():
    assert _art(text_bitmap("A")) == A_7PX


def test_glyphs_are_separated_by_one_blank_column():
    bitmap = text_bitmap("AA")
    assert bitmap.shape == (7, 11)
    assert not bitmap[:, 5].any()
    assert _art(bitmap[:, 6:]) == A_7PX


def test_nearest_scaling_doubles_every_pixel():
    glyph = text_bitmap("A")
    big = scale_nearest(glyph, 14, 10)
    assert (big[::2, ::2] == glyph).all() and (big[1::2, 1::2] == glyph).all()


def _spec(**kw):
    feature = FeatureConfig(**{"text": "A", "size": 0.25, "position": "bottom-right", **kw})
    return StampSpec.from_config(feature, 28, 1)


def test_rendering_is_deterministic_and_fixed():
    a, b = _spec(), _spec()
    assert np.array_equal(a.ink, b.ink) and a.box == b.box
    # 0.25 * 28 = 7 px tall: the native glyph, unscaled, 1 px from the bottom-right corner.
    assert _art(a.ink) == A_7PX
    assert a.box == (28 - 1 - 5, 28 - 1 - 7, 27, 27)


@pytest.mark.parametrize(
    ("position", "box"),
    [
        ("top-left", (1, 1, 6, 8)),
        ("top-right", (22, 1, 27, 8)),
        ("bottom-left", (1, 20, 6, 27)),
        ("center", (11, 10, 16, 17)),
        ((3, 4), (3, 4, 8, 11)),
    ],
)
def test_placement(position, box):
    assert _spec(position=position).box == box


def test_apply_changes_only_the_ink_pixels():
    spec = _spec()
    images = np.full((2, 1, 28, 28), 7, dtype=np.uint8)
    out = spec.apply(images)
    x0, y0, x1, y1 = spec.box
    changed = out != images
    assert changed[:, 0, y0:y1, x0:x1].sum() == 2 * spec.ink.sum()
    assert changed.sum() == 2 * spec.ink.sum()
    assert (out[:, 0, y0:y1, x0:x1][:, spec.ink] == 255).all()


def test_torch_stamp_equals_numpy_stamp_and_leaves_input_alone():
    spec = StampSpec.from_config(
        FeatureConfig(text="JOHN DOE", size=0.05, colour=(10, 200, 30), background=(1, 2, 3)),
        224,
        3,
    )
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 3, 224, 224), dtype=np.uint8)
    before = images.copy()
    stamped = ImageStamp(spec)(torch.from_numpy(images)).numpy()
    assert np.array_equal(stamped, spec.apply(images))
    assert np.array_equal(images, before)
    x0, y0, x1, y1 = spec.box
    assert (
        stamped[:, :, y0:y1, x0:x1][:, :, ~spec.ink] == np.array([1, 2, 3])[None, :, None]
    ).all()


def test_stamp_size_follows_the_image_height():
    # "JOHN DOE" is 8 glyphs: 8 * 6 - 1 = 47 native columns, 7 rows.
    # On 224 px at size 0.05: 11 px tall, round(47 * 11 / 7) = 74 px wide.
    spec = StampSpec.from_config(FeatureConfig(text="JOHN DOE", size=0.05), 224, 3)
    assert (spec.height, spec.width) == (11, 74)
    assert spec.box == (224 - 1 - 74, 224 - 1 - 11, 223, 223)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"text": "ID: 452817096712", "size": 0.3}, "feature.text"),  # too long for 28 px
        ({"text": "ABC", "size": 0.6}, "feature.size"),  # 17 px tall: 34 px wide
        ({"size": 0.1}, "feature.size"),  # 3 px: too small to draw
        ({"position": (25, 25)}, "feature.position"),  # leaves the image
        ({"position": "middle"}, "feature.position"),
        ({"text": "é"}, "feature.text"),
        ({"text": ""}, "feature.text"),
        ({"colour": (1, 2, 3)}, "feature.colour"),  # RGB on a grey image
        ({"colour": 300}, "feature.colour"),
    ],
)
def test_a_stamp_that_cannot_be_drawn_is_a_config_error(kw, field):
    with pytest.raises(ConfigError) as err:
        _spec(**kw)
    assert err.value.field == field
    assert err.value.fix  # always says how to fix it
