"""Pilot tests with an engine process: a real tiny sweep from the setup screen to the zone
screen, and a fake engine that crashes, dies, refuses, or has to be stopped."""

from __future__ import annotations

import signal
import subprocess
import sys

from textual.widgets import Static

from fmfl_tui.app import LabApp
from fmfl_tui.engine_client import EngineSource
from fmfl_tui.screens.zones import ZoneScreen
from fmfl_tui.widgets.zone_grid import ZoneGrid

from .conftest import FAKE_ENGINE, TINY, at_zones, fake_engine, log_text, wait_until


async def test_a_real_tiny_sweep_from_the_setup_screen_to_the_zone_screen(tmp_path):
    app = LabApp(overrides=TINY, out_root=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        assert "3 runs x 2 epochs" in str(app.screen.query_one("#verdict", Static).render())
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.current_mode == "live")
        assert isinstance(app.source, EngineSource)
        assert app.source.command[:3] == [sys.executable, "-m", "engine"]
        await at_zones(pilot, timeout=90)
        await wait_until(pilot, lambda: len(app.screen.query(ZoneGrid)) == 3)
        assert isinstance(app.screen, ZoneScreen)
        tables = [(g.table.mode, g.table.role) for g in app.screen.query(ZoneGrid)]
        assert tables == [("none", "c_i"), ("fixed", "c_i"), ("fixed", "y_fixed")]
        (run_dir,) = tmp_path.iterdir()
        assert (run_dir / "zones.csv").is_file()
        assert str(run_dir) in str(app.screen.query_one("#zone-files", Static).render())
        await wait_until(pilot, lambda: "engine finished (exit code 0)" in log_text(app))
        assert app.state.status == "done" and app.state.runs_done == 3
        assert app.source.proc is not None and app.source.proc.returncode == 0


async def test_an_engine_crash_shows_the_error_and_its_stderr_and_the_app_stays_usable():
    app = LabApp(overrides=TINY, engine_command=fake_engine("crash"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "engine failed" in log_text(app))
        text = log_text(app)
        assert "engine error: RuntimeError: CUDA out of memory (fake)" in text  # error event
        assert "engine failed (exit code 1); its last stderr lines:" in text
        assert "  Traceback (most recent call last):" in text  # stderr tail
        assert app.state.status == "failed" and app.current_mode == "live"
        await pilot.pause(0.15)
        head = str(app.screen.query_one("#progress-head", Static).render())
        assert "FAILED" in head
        await pilot.press("n")  # still usable: back to the setup, start again
        assert app.current_mode == "setup"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: log_text(app).count("engine failed") == 1)
        assert app.current_mode == "live" and app.state.status == "failed"


async def test_an_engine_that_dies_without_events_shows_its_last_stderr_lines():
    app = LabApp(overrides=TINY, engine_command=fake_engine("die"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "engine failed" in log_text(app))
        assert "  Fatal Python error: Segmentation fault (fake)" in log_text(app)
        assert app.state.status == "failed"


async def test_an_engine_refusing_the_setup_says_why():
    app = LabApp(overrides=TINY, engine_command=fake_engine("refuse"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "refused" in log_text(app))
        assert "engine refused the setup (exit code 2)" in log_text(app)
        assert "already holds a sweep" in log_text(app)


async def test_stop_ends_the_engine_cleanly_and_says_so():
    app = LabApp(overrides=TINY, engine_command=fake_engine("slow"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "fake engine waiting" in log_text(app))
        await pilot.press("s", "s")  # a second press does not signal again
        await wait_until(pilot, lambda: "engine stopped on request" in log_text(app))
        assert log_text(app).count("sent SIGINT") == 1 and "sent SIGTERM" not in log_text(app)
        assert app.source.proc.returncode == 130
        assert app.state.status == "interrupted"  # the engine's own sweep_finished


async def test_stop_escalates_to_sigterm_when_sigint_is_ignored():
    app = LabApp(overrides=TINY, engine_command=fake_engine("stubborn"), grace=(0.3, 5.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "fake engine waiting" in log_text(app))
        await pilot.press("s")
        await wait_until(pilot, lambda: "engine stopped on request" in log_text(app))
        assert "sent SIGTERM" in log_text(app)
        assert app.source.proc.returncode == -signal.SIGTERM
        assert app.state.status == "interrupted"


async def test_quitting_stops_an_engine_the_console_started():
    app = LabApp(overrides=TINY, engine_command=fake_engine("slow"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.setup is not None)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "fake engine waiting" in log_text(app))
        proc = app.source.proc
        await pilot.press("q")
        await wait_until(pilot, lambda: proc.returncode is not None)
    assert proc.returncode == 130


async def test_attach_follows_a_detached_engine_and_quitting_leaves_it_running(tmp_path):
    run_dir = tmp_path / "run"
    engine = subprocess.Popen(
        [sys.executable, str(FAKE_ENGINE), "write", str(run_dir)], start_new_session=True
    )
    try:
        app = LabApp(attach=run_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.state.epoch_events >= 5)
            assert app.current_mode == "live" and app.state.total_runs == 66
            await wait_until(pilot, lambda: "following" in log_text(app))
            await pilot.press("s")  # not ours to stop
            await pilot.press("q")
        assert engine.poll() is None  # the sweep runs on
        assert (run_dir / "events.jsonl").read_text().count("\n") >= 5
    finally:
        engine.kill()
        engine.wait()
