"""Fixtures of the console's tests: recorded streams, a fake engine, and a helper that
waits on the app's state (polling between pilot pauses, with a deadline), never a sleep."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

DATA = Path(__file__).parent.parent / "data"
REPO = Path(__file__).parent.parent.parent
FAKE_ENGINE = Path(__file__).parent / "fake_engine.py"
TINY = [
    "data.per_class_limit=30",
    "sweep.counts=[0,12]",
    "sweep.seeds=[0]",
    'sweep.noise_modes=["none","fixed"]',
    "train.epochs=2",
    "sweep.workers=1",
    "train.device=cpu",
]
"""The tiny real sweep: 3 runs x 2 epochs on 30 digits per class, ~10 s on a 2-core CPU."""


async def wait_until(pilot: Pilot, ready: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app process messages until `ready()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {ready}")
        await pilot.pause(0.02)


async def at_zones(pilot: Pilot, timeout: float = 10.0) -> None:
    """Wait until the zone screen is shown and fully mounted (its first table has the
    focus): quitting while Textual still mounts the tabs raises inside Textual."""
    from fmfl_tui.widgets.zone_grid import ZoneGrid

    app = pilot.app
    await wait_until(pilot, lambda: app.current_mode == "zones", timeout)
    await wait_until(pilot, lambda: isinstance(app.focused, ZoneGrid), timeout)


def fake_engine(mode: str, *extra: str) -> list[str]:
    """An engine command that misbehaves as `mode` says (see fake_engine.py)."""
    return [sys.executable, str(FAKE_ENGINE), mode, *extra]


def log_text(app) -> str:  # noqa: ANN001
    return "\n".join(entry.text for entry in app.state.log)


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root, so paths shown on screen are short and stable."""
    monkeypatch.chdir(REPO)
    return REPO
