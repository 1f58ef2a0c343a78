"""The explain screen, fed recorded sweeps with their explanation files: `e` opens it from
the live and zone screens, a GradCAM heatmap is drawn in half blocks with the stamp box
marked, and a learned text model's token bars put z_u first."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import OptionList, Static

from fmfl_tui.app import LabApp
from fmfl_tui.screens.explain import ExplainScreen
from fmfl_tui.widgets.heatmap import COLUMN_MARK, ROW_MARK, UPPER_HALF, HalfBlockImage
from tests.explain_runs import image_run, text_run

from .conftest import at_zones, wait_until


def plain(renderable) -> str:  # noqa: ANN001
    console = Console(file=io.StringIO(), width=120, color_system="truecolor", record=True)
    console.print(renderable)
    return console.export_text(styles=False)


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
        assert lines[0].count(UPPER_HALF) == 28  # one column per pixel, two pixel rows a line
        assert len([line for line in lines if UPPER_HALF in line]) == 14
        assert "stamp box" in drawn and COLUMN_MARK in drawn
        # the box (rows 1-11 of 28) is marked beside rows 0-5 of the 14 lines, not below
        marked = [i for i, line in enumerate(lines[:14]) if line.rstrip().endswith(ROW_MARK)]
        assert marked == [0, 1, 2, 3, 4, 5]
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
