"""Snapshots pin the setup, live and zone screens, at 80x24 (SSH) and larger.

Deterministic by construction: the live and zone screens replay recorded streams whose
elapsed time and ETA come from the events' own timestamps; paths are shown relative to
the repository root; input cursors do not blink. Update with `pytest --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets import Input, TabbedContent

from fmfl_tui.app import LabApp
from fmfl_tui.widgets.zone_grid import ZoneGrid

from .conftest import log_text, wait_until

MID_SWEEP = "tests/data/mid_sweep.jsonl"
SMALL = "tests/data/replay_small"


async def setup_ready(pilot) -> None:  # noqa: ANN001
    app = pilot.app
    await wait_until(pilot, lambda: getattr(app.screen, "setup", None) is not None)
    for field in app.screen.query(Input):
        field.cursor_blink = False


async def live_ready(pilot) -> None:  # noqa: ANN001
    app = pilot.app
    await wait_until(pilot, lambda: "replay finished" in log_text(app))
    await wait_until(pilot, lambda: not app.dirty)


async def zones_ready(pilot) -> None:  # noqa: ANN001
    app = pilot.app
    await wait_until(pilot, lambda: app.current_mode == "zones")
    await wait_until(pilot, lambda: len(app.screen.query(ZoneGrid)) == 4)
    await wait_until(pilot, lambda: isinstance(app.focused, ZoneGrid))
    await wait_until(pilot, lambda: app.screen.query_one(TabbedContent).active != "")


def test_setup_screen_80x24(snap_compare, in_repo):
    assert snap_compare(LabApp(), terminal_size=(80, 24), run_before=setup_ready)


def test_setup_screen_with_an_invalid_field(snap_compare, in_repo):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await setup_ready(pilot)
        field = pilot.app.screen.query_one("#f-classes-c_j", Input)
        field.focus()
        field.value = "0"
        await wait_until(pilot, lambda: pilot.app.screen.error is not None)

    assert snap_compare(LabApp(), terminal_size=(80, 24), run_before=run_before)


def test_live_screen_80x24(snap_compare, in_repo):
    app = LabApp(replay=MID_SWEEP, speed=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=live_ready)


def test_live_screen_120x36(snap_compare, in_repo):
    app = LabApp(replay=MID_SWEEP, speed=None)
    assert snap_compare(app, terminal_size=(120, 36), run_before=live_ready)


def test_live_screen_counts_view_at_the_end(snap_compare, in_repo):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await zones_ready(pilot)
        await pilot.press("l", "2")
        await wait_until(pilot, lambda: not pilot.app.dirty)

    app = LabApp(replay=SMALL, speed=None)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_zone_screen_80x24(snap_compare, in_repo):
    app = LabApp(replay=SMALL, speed=None)
    assert snap_compare(app, terminal_size=(80, 24), run_before=zones_ready)


def test_zone_screen_fixed_mode_120x36(snap_compare, in_repo):
    async def run_before(pilot) -> None:  # noqa: ANN001
        await zones_ready(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await pilot.press("down", "down", "down", "down", "down", "down", "down")

    app = LabApp(replay=SMALL, speed=None)
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
