"""Stopping a sweep cleanly on SIGINT or SIGTERM.

The first signal only raises a flag; training checks it between batches and raises
`Interrupted` at a point where every file is whole, so the sweep can be marked
interrupted and resumed. A second signal stops at once (KeyboardInterrupt). Worker
processes ignore the signals and watch a shared event the parent sets instead.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

StopCheck = Callable[[], bool]


class Interrupted(Exception):
    """Raised between two batches after a stop was requested."""


def never() -> bool:
    return False


class StopSignal:
    """Turns SIGINT and SIGTERM into a flag (first signal) or an immediate stop (second)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    def install(self) -> StopSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.signum = signum
        self.event.set()

    def __call__(self) -> bool:
        return self.event.is_set()

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "stop"


def ignore_signals() -> None:
    """In worker processes: the parent decides when to stop."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
