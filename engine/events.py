"""The event protocol between the engine and everything that watches it (SPEC §6).

One JSON object per line, each with the schema version `v`, a `type`, a timestamp `ts`
and the ids it belongs to (`sweep`, and `run` where it concerns one run). The engine
writes the stream to `<run dir>/events.jsonl` (and to stdout with `--events -`); the
console reads the same lines live, from a file being appended to, or from a recording.

Readers ignore unknown types and unknown keys, so the engine can add fields without
breaking an older console. No torch here: the console imports this module.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

SCHEMA_VERSION = 1
MAX_LINE_BYTES = 60_000
"""Lines stay under asyncio's 64 KiB readline limit; large things go to files."""


def now() -> float:
    return round(time.time(), 3)


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    sweep: str
    ts: float = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        body = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"v": SCHEMA_VERSION, "type": self.type, **body}

    def to_line(self) -> str:
        """The JSON line (no newline). NaN and infinities become null."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _plain(value.item())
    return value


@dataclass(frozen=True, kw_only=True)
class SweepStarted(Event):
    """The plan: every run the sweep will do, in order, and the resolved setup."""

    type: ClassVar[str] = "sweep_started"
    setup: dict[str, Any]
    plan: list[dict[str, Any]]
    """One dict per run: run, seed, count, mode, ratio."""
    out_dir: str = ""
    device: str = ""
    train_size_ci: int = 0
    """|train samples of C_i|: the denominator of every ratio."""
    classes: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    run: str
    seed: int
    count: int
    mode: str
    ratio: float
    index: int
    """Position in the plan, from 0."""
    epochs: int
    start_epoch: int = 1
    """Above 1 when a resumed run continues from its checkpoint."""


@dataclass(frozen=True, kw_only=True)
class SweepResumed(Event):
    """`fmfl-engine resume` picked the sweep up again; the stream continues below."""

    type: ClassVar[str] = "sweep_resumed"
    runs_done: int
    """Runs already finished before the resume; they are not redone."""
    continuing: list[dict[str, Any]] = field(default_factory=list)
    """Runs cut mid-way: {run, from_epoch} (from_epoch 1: no checkpoint, started again)."""
    repaired: str = ""
    """What was repaired in events.jsonl (e.g. a truncated last line), if anything."""


@dataclass(frozen=True, kw_only=True)
class Epoch(Event):
    """All metrics of SPEC §3 for one run after one epoch."""

    type: ClassVar[str] = "epoch"
    run: str
    epoch: int
    """1-based."""
    epochs: int
    seconds: float
    metrics: dict[str, Any]
    """Flat metrics: train_loss, train_acc, noisy_acc, test_acc, acc_j, lm (None for k=0)."""
    targets: list[dict[str, Any]]
    """Per target class c: target, role ("c_i" or "y_fixed"), s_sens, p_value, recognised,
    mp, n_misclassified."""


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    type: ClassVar[str] = "run_finished"
    run: str
    seconds: float
    metrics: dict[str, Any]
    targets: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class ZoneTable(Event):
    """The zone table of SPEC §4 for one noise mode and one target class."""

    type: ClassVar[str] = "zones"
    mode: str
    target: int
    role: str
    sigma1: float
    sigma2: float
    rows: list[dict[str, Any]]


@dataclass(frozen=True, kw_only=True)
class Artifact(Event):
    """A file the engine wrote, relative to the run directory."""

    type: ClassVar[str] = "artifact"
    kind: str
    path: str
    run: str = ""


@dataclass(frozen=True, kw_only=True)
class Log(Event):
    type: ClassVar[str] = "log"
    level: str
    message: str
    run: str = ""


@dataclass(frozen=True, kw_only=True)
class Error(Event):
    type: ClassVar[str] = "error"
    message: str
    kind: str = "error"
    run: str = ""


@dataclass(frozen=True, kw_only=True)
class SweepFinished(Event):
    type: ClassVar[str] = "sweep_finished"
    status: str
    """done, interrupted or failed."""
    seconds: float
    runs_done: int
    out_dir: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        SweepStarted,
        SweepResumed,
        RunStarted,
        Epoch,
        RunFinished,
        ZoneTable,
        Artifact,
        Log,
        Error,
        SweepFinished,
    )
}


class ProtocolError(ValueError):
    """A line that is not a readable event (truncated, not JSON, missing fields)."""


def parse_line(line: str | bytes) -> Event | None:
    """Parse one line; None for blank lines and unknown event types (forward compatible).

    Raises ProtocolError for malformed lines, so a reader can warn and skip them.
    """
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    line = line.strip()
    if not line:
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict) or "type" not in data:
        raise ProtocolError("not an event object (no 'type')")
    cls = EVENT_TYPES.get(data["type"])
    if cls is None:
        return None
    known = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise ProtocolError(f"'{data['type']}' event is missing fields ({exc})") from None


def read_events(
    lines: Iterable[str | bytes], on_error: Callable[[int, str], None] | None = None
) -> Iterator[Event]:
    """Parse many lines, reporting malformed ones to `on_error(line_number, message)`."""
    for number, line in enumerate(lines, start=1):
        try:
            event = parse_line(line)
        except ProtocolError as exc:
            if on_error is not None:
                on_error(number, str(exc))
            continue
        if event is not None:
            yield event


Emit = Callable[[Event], None]


class ListEmitter:
    """Collects events in memory (tests, in-process callers)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of_type(self, cls: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]


class OutputError(OSError):
    """The event file could not be written (disk full, folder gone, permissions)."""


class JsonlEmitter:
    """Writes each event as one line to a file (and optionally a second stream, e.g.
    stdout), flushing after every line so `tail -f` and the console see it at once, and
    syncing to disk at the end of each epoch and run so a crash loses at most an epoch."""

    SYNC_ON = ("epoch", "run_finished", "zones", "sweep_finished", "sweep_resumed")

    def __init__(self, path: Path, also: IO[str] | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._also = also

    def __call__(self, event: Event) -> None:
        line = event.to_line()
        if len(line) > MAX_LINE_BYTES:
            raise ValueError(f"{event.type} event of {len(line)} bytes is too large for one line")
        try:
            self._file.write(line + "\n")
            self._file.flush()
            if event.type in self.SYNC_ON:
                os.fsync(self._file.fileno())
        except OSError as exc:
            raise OutputError(exc.errno, f"cannot write {self.path}: {exc.strerror}") from None
        if self._also is not None:
            try:
                self._also.write(line + "\n")
                self._also.flush()
            except BrokenPipeError:  # the reader went away; the file still has everything
                self._also = None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass
