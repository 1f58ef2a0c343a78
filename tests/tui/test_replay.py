"""Pilot tests fed recorded streams: a replay reaches the zone screen, bad lines are
skipped with a visible warning, a missing file gets a clear message, and the keys of the
live and zone screens do what the footer says."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, DataTable, Static, TabbedContent

from fmfl_tui.app import LabApp
from fmfl_tui.screens.live import LiveScreen
from fmfl_tui.screens.zones import ZoneScreen
from fmfl_tui.widgets.epoch_chart import EpochChart
from fmfl_tui.widgets.log_pane import LogPane
from fmfl_tui.widgets.sweep_progress import SweepProgress
from fmfl_tui.widgets.zone_grid import ZoneGrid

from .conftest import DATA, at_zones, log_text, wait_until


def cell_text(grid: DataTable, row: int, column: int) -> str:
    return str(grid.get_row_at(row)[column])


async def test_replay_reaches_the_zone_screen():
    app = LabApp(replay=DATA / "replay_small", speed=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await at_zones(pilot)
        await wait_until(pilot, lambda: len(app.screen.query(ZoneGrid)) == 4)
        screen = app.screen
        assert isinstance(screen, ZoneScreen)
        grids = list(screen.query(ZoneGrid))
        assert [(g.table.mode, g.table.role) for g in grids] == [
            ("none", "c_i"),
            ("random", "c_i"),
            ("fixed", "c_i"),
            ("fixed", "y_fixed"),
        ]
        none = grids[0]
        assert none.row_count == 8
        assert cell_text(none, 0, 7) == "A (neither)"  # zones spelled out...
        assert cell_text(none, 6, 7) == "C FL~"  # ...and a borderline call marked
        assert none.get_row_at(6)[7].style == "bold red"  # ...and coloured
        files = str(screen.query_one("#zone-files", Static).render())
        assert "replay_small/" in files and "zones.csv" in files
        detail = screen.query_one("#zone-detail", Static)
        await wait_until(pilot, lambda: str(detail.render()) != "")
        assert str(detail.render()).startswith("k=0 seeds 0;1;2")
        await pilot.press("down")  # the detail line follows the highlighted row
        assert "k=2 " in str(detail.render())
        await wait_until(pilot, lambda: app.focused is none)
        tabs = screen.query_one(TabbedContent)
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert tabs.active == "zt-3" and app.focused is grids[3]
        assert "C FL" in cell_text(grids[3], 7, 7)  # fixed, c = y_Lfixed: learned
        await pilot.press("right_square_bracket")
        assert tabs.active == "zt-0"
        await pilot.press("l")
        assert app.current_mode == "live"
        await pilot.press("z")
        assert app.current_mode == "zones"
        assert app.state.skipped_lines == 0


async def test_live_screen_shows_progress_charts_and_keys():
    app = LabApp(replay=DATA / "mid_sweep.jsonl", speed=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "replay finished" in log_text(app))
        await pilot.pause(0.15)  # one redraw tick
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        head = str(screen.query_one("#progress-head", Static).render())
        assert "RUNNING" in head and "runs 49/66" in head and "ETA" in head
        now = str(screen.query_one("#progress-now", Static).render())
        assert now == "now: fixed-k5-s1 7/8, fixed-k5-s2 5/8"
        chart = screen.query_one("#chart-gap", EpochChart)
        latest = app.state.last_started  # the charts follow the run that started last
        assert latest == "fixed-k5-s2" and chart._run == latest
        assert chart._epochs == list(range(1, app.state.runs[latest].epoch + 1))
        assert "ended before the sweep finished" in log_text(app)
        await pilot.press("left_square_bracket")
        assert chart._run == "fixed-k5-s1" and screen.focus_run == chart._run
        assert chart._epochs == [1, 2, 3, 4, 5, 6, 7]
        await pilot.press("f")
        assert chart._run == latest
        await pilot.press("2")
        assert screen.query_one(ContentSwitcher).current == "count-row"
        await pilot.press("z")  # no zone table yet: stay, and say so
        assert app.current_mode == "live"
        assert app.redraws >= 1


async def test_malformed_replay_skips_bad_lines_with_a_warning():
    app = LabApp(replay=DATA / "malformed.jsonl", speed=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_zones(pilot)
        assert app.state.skipped_lines == 3
        warnings = [e.text for e in app.state.log if e.level == "warning"]
        assert warnings[0].startswith("skipped a line: line 20: not JSON")
        assert "missing fields" in warnings[2]
        assert app.state.runs_done == 66  # the good lines around them all counted
        await pilot.press("l")
        await pilot.pause(0.15)
        head = str(app.screen.query_one("#progress-head", Static).render())
        assert "3 bad lines skipped" in head
        pane = app.screen.query_one(LogPane)
        rendered = "\n".join(line.text for line in pane.lines)
        assert "WARN  skipped a line: line 20: not JSON" in rendered


async def test_truncated_replay_warns_and_stays_usable():
    app = LabApp(replay=DATA / "truncated.jsonl", speed=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "replay finished" in log_text(app))
        assert app.state.skipped_lines == 1
        assert "truncated" in log_text(app)
        assert "ended before the sweep finished" in log_text(app)
        await pilot.press("n")
        assert app.current_mode == "setup"


async def test_missing_replay_file_gets_a_clear_message(tmp_path):
    app = LabApp(replay=tmp_path / "nope.jsonl", speed=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state.status == "failed")
        await pilot.pause(0.15)
        assert f"{tmp_path / 'nope.jsonl'} does not exist" in log_text(app)
        head = str(app.screen.query_one(SweepProgress).query_one("#progress-head").render())
        assert "FAILED" in head


async def test_chart_redraws_are_batched():
    app = LabApp(replay=DATA / "replay_small", speed=None, redraw=5)
    async with app.run_test(size=(80, 24)) as pilot:
        await at_zones(pilot)
        # ~190 events in a handful of batches: far fewer redraws than events.
        assert app.state.events_seen == 193 and app.redraws <= 5
