"""The explain screen, fed recorded sweeps with their explanation files: `e` opens it from
the live and zone screens, a GradCAM heatmap is drawn in half blocks with the stamp box
marked, and a learned text model's token bars put z_u first."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console
from textual.widgets import OptionList, Static

from fmfl_tui.app import LabApp
from fmfl_tui.screens.explain import ExplainScreen
from fmfl_tui.widgets.heatmap import COLUMN_MARK, ROW_MARK, UPPER_HALF, HalfBlockImage, fit
from tests.explain_runs import image_run, text_run

from .conftest import at_zones, wait_until


def plain(renderable) -> str:  # noqa: ANN001
    console = Console(file=io.StringIO(), width=120, color_system="truecolor", record=True)
    console.print(renderable)
    return console.export_text(styles=False)


def test_fit_enlarges_small_images_and_subsamples_large_ones():
    digit = np.arange(28 * 28 * 3, dtype=np.uint8).reshape(28, 28, 3)
    big, box = fit(digit, (1, 1, 9, 12), max_width=100, max_rows=50)
    assert big.shape == (84, 84, 3) and box == (3, 3, 27, 36)  # 3x: 100 // 28
    assert (big[:3, :3] == digit[0, 0]).all() and (big[3:6, 3:6] == digit[1, 1]).all()
    huge, _ = fit(digit, (0, 0, 2, 2), max_width=500, max_rows=500)
    assert huge.shape[0] == 28 * 4  # never more than MAX_ZOOM
    photo = np.zeros((224, 224, 3), dtype=np.uint8)
    small, box = fit(photo, (200, 200, 224, 224), max_width=60, max_rows=30)
    assert small.shape == (56, 56, 3) and box == (50, 50, 56, 56)  # every 4th pixel
    same, box = fit(digit, (1, 1, 9, 12), max_width=40, max_rows=20)
    assert same.shape == digit.shape and box == (1, 1, 9, 12)


async def test_e_shows_a_gradcam_heatmap_with_the_stamp_box(tmp_path_factory):
    run_dir = image_run(tmp_path_factory)
    app = LabApp(replay=run_dir, speed=None)
    async with app.run_test(size=(100, 34)) as pilot:
        await at_zones(pilot, timeout=20)
        assert app.check_action("show_explain", ()) is True  # offered in the footer
        await pilot.press("e")
        assert app.current_mode == "explain"
        screen = app.screen
        assert isinstance(screen, ExplainScreen)
        listing = screen.query_one(OptionList)
        await wait_until(
            pilot, lambda: listing.option_count == 8 * 2 * 8
        )  # runs x epochs x samples
        view = screen.query_one("#explain-view", Static)
        await wait_until(pilot, lambda: isinstance(view.content, HalfBlockImage))
        drawn = plain(view.content)
        lines = drawn.splitlines()
        # The 28 px digit fills the pane: twice enlarged, one column per pixel and two
        # pixel rows a line: 56 columns, 28 lines.
        assert lines[0].count(UPPER_HALF) == 56
        assert len([line for line in lines if UPPER_HALF in line]) == 28
        assert "stamp box" in drawn and COLUMN_MARK in drawn
        # the box (pixel rows 1-11 of 28, so 2-23 of 56) is marked beside lines 1-11, not below
        marked = [i for i, line in enumerate(lines[:28]) if line.rstrip().endswith(ROW_MARK)]
        assert marked == list(range(1, 12))
        caption = str(screen.query_one("#explain-caption", Static).render())
        assert "CAM mass in the stamp box" in caption and "epoch05_0.npz" in caption
        await pilot.press("down")  # the next sample is drawn from its own file
        await wait_until(pilot, lambda: screen.shown_path.endswith("epoch05_1.npz"))
        await pilot.press("l")
        assert app.current_mode == "live"
        await pilot.press("e")
        assert app.current_mode == "explain"
        await pilot.press("z")
        assert app.current_mode == "zones"


async def test_token_bars_put_the_learned_word_first(tmp_path_factory):
    run_dir = text_run(tmp_path_factory)
    app = LabApp(replay=run_dir / "events.jsonl", speed=None)
    async with app.run_test(size=(100, 34)) as pilot:
        await at_zones(pilot, timeout=20)
        await pilot.press("e")
        screen = app.screen
        listing = screen.query_one(OptionList)
        await wait_until(pilot, lambda: listing.option_count == 2 * 4)
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        learned = next(i for i, label in enumerate(labels) if "fixed-k" in label)
        listing.highlighted = learned
        view = screen.query_one("#explain-view", Static)
        await wait_until(pilot, lambda: "fixed-k" in screen.shown_path)
        bars = plain(view.content).splitlines()
        assert "towards class 1" in bars[0]
        assert "▶ z_u" in bars[1] and "egg" in bars[1] and " + " in bars[1]  # first, positive
        assert all("z_u" not in line for line in bars[2:])


async def test_explain_is_not_offered_before_anything_was_explained(in_repo):
    app = LabApp(replay="tests/data/replay_small", speed=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await at_zones(pilot, timeout=20)
        assert app.check_action("show_explain", ()) is False
        await pilot.press("e")
        assert app.current_mode == "zones"
