"""The console offers Resume for an interrupted run directory and continues it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from fmfl_tui.app import LabApp
from fmfl_tui.engine_client import EngineSource
from fmfl_tui.screens.zones import ZoneScreen

from .conftest import TINY, at_zones, log_text, wait_until


def _interrupted_run_dir(out):
    """A tiny sweep stopped with SIGINT after its first run."""
    args = [a for item in TINY for a in ("--set", item)] + ["--set", "train.epochs=6"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", "quickstart", "--out", str(out), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    events = out / "events.jsonl"
    deadline = time.monotonic() + 120
    while not (events.is_file() and events.read_text().count('"run_finished"') >= 1):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    return out


async def test_an_interrupted_sweep_can_be_resumed_from_the_console(tmp_path):
    out = _interrupted_run_dir(tmp_path / "run")
    app = LabApp(attach=out)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.state.status == "interrupted", timeout=30)
        await wait_until(pilot, lambda: app.resume_dir() is not None)
        assert app.check_action("resume", ()) is True  # offered in the footer
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.source, EngineSource))
        assert app.source.command[3:5] == ["resume", str(out)]
        await at_zones(pilot, timeout=120)
        assert isinstance(app.screen, ZoneScreen)
        assert app.state.status == "done" and app.state.runs_done == 3
        assert "sweep resumed: 1 runs already done" in log_text(app)
        await wait_until(
            pilot, lambda: "engine finished (exit code 0)" in log_text(app), timeout=30
        )
        assert app.check_action("resume", ()) is False  # nothing left to resume


async def test_resume_is_not_offered_for_a_finished_replay(in_repo):
    app = LabApp(replay="presets/replays/quickstart", speed=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.state.status == "done", timeout=30)
        assert app.check_action("resume", ()) is False
        await pilot.press("r")
        assert app.source is not None and not isinstance(app.source, EngineSource)
