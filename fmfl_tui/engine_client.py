"""Where events come from: a spawned engine, a run directory being written, or a recording.

Each source reads JSON Lines asynchronously, parses them with `engine.events.parse_line`
and posts Textual messages through a `post` callable (the app's `post_message`); a source
never touches a widget. Lines are posted in batches (whatever one read returned, at most
`BATCH` lines), and a source waits while `MAX_IN_FLIGHT` batches are still unprocessed,
so a max-speed replay cannot flood the message queue: memory stays bounded.

- `EngineSource` starts `python -m engine run ... --events -` in its own session (the
  console's Ctrl+C never reaches it), keeps the last stderr lines, and stops it cleanly:
  SIGINT to its process group, then SIGTERM, then SIGKILL.
- `AttachSource` reads `RUN_DIR/events.jsonl` from the start, then follows it like
  `tail -f` until `sweep_finished`. It owns no process: leaving it leaves the engine be.
- `ReplaySource` plays a recording at `speed` times its recorded pace (None: at once).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from textual.message import Message

from engine.events import Event, ProtocolError, SweepFinished, SweepResumed, parse_line

EVENTS_FILE = "events.jsonl"
BATCH = 2_000
"""Lines parsed and posted together."""
MAX_IN_FLIGHT = 4
"""Batches posted but not yet applied by the app before a source waits."""
READ_BYTES = 1 << 20
MAX_GAP = 1.0
"""Longest pause between two replayed events, in seconds of replay time."""
STDERR_LINES = 20


class SourceError(Exception):
    """A source that cannot be read (a missing file or run directory): one clear line."""


@dataclass(frozen=True)
class Skipped:
    """A line that was not a readable event; shown as a warning, then skipped."""

    line: int
    message: str

    def text(self) -> str:
        return f"line {self.line}: {self.message}"


class EventBatch(Message):
    """Parsed events (and skipped lines) in stream order."""

    def __init__(self, items: list[Event | Skipped], release: Callable[[], None]) -> None:
        super().__init__()
        self.items = items
        self._release = release

    def done(self) -> None:
        """Say the batch is applied, so the source may read on."""
        self._release()


class SourceNote(Message):
    """A line for the log from the source itself (engine started, stop signals, ...)."""

    def __init__(self, level: str, text: str) -> None:
        super().__init__()
        self.level = level
        self.text = text


class SourceEnded(Message):
    """The source has no more events: the engine exited, the recording ended, or the
    attached sweep finished. `ok` is False when it could not be read at all."""

    def __init__(
        self,
        kind: str,
        ok: bool,
        message: str,
        returncode: int | None = None,
        stderr_tail: Sequence[str] = (),
        stopped: bool = False,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.ok = ok
        self.message = message
        self.returncode = returncode
        self.stderr_tail = list(stderr_tail)
        self.stopped = stopped


def events_file(path: str | Path) -> Path:
    """The events file of a run directory or an events file; SourceError if missing."""
    p = Path(path)
    if p.is_dir():
        p = p / EVENTS_FILE
        if not p.is_file():
            raise SourceError(f"{path} holds no {EVENTS_FILE}; give a run directory of a sweep")
        return p
    if not p.exists():
        raise SourceError(f"{path} does not exist; give a run directory or an {EVENTS_FILE} file")
    if not p.is_file():
        raise SourceError(f"{path} is not a file or a run directory")
    return p


class LineParser:
    """Splits bytes into lines (keeping an unfinished last line) and parses them."""

    def __init__(self) -> None:
        self.number = 0
        self._tail = b""
        self.finished = False
        """True once a sweep_finished event went past."""

    def feed(self, data: bytes) -> list[Event | Skipped]:
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        return self.parse(lines)

    def parse(self, lines: Iterable[bytes | str]) -> list[Event | Skipped]:
        items: list[Event | Skipped] = []
        for line in lines:
            self.number += 1
            try:
                event = parse_line(line)
            except ProtocolError as exc:
                items.append(Skipped(self.number, str(exc)))
                continue
            if event is not None:
                items.append(event)
                if isinstance(event, SweepFinished):
                    self.finished = True
                elif isinstance(event, SweepResumed):  # the sweep went on after a stop
                    self.finished = False
        return items

    def flush(self) -> list[Event | Skipped]:
        """At the end of the stream: the unfinished last line, if any (a truncated write)."""
        tail, self._tail = self._tail, b""
        if not tail.strip():
            return []
        items = self.parse([tail])
        return [
            Skipped(i.line, f"{i.message}; the stream ends mid-line (truncated)")
            if isinstance(i, Skipped)
            else i
            for i in items
        ]


class EventSource:
    """Base of the three sources: posting with back-pressure."""

    kind = "source"

    def __init__(self, post: Callable[[Message], Any]) -> None:
        self.post = post
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.parser = LineParser()

    @property
    def running(self) -> bool:
        return False

    async def send(self, items: list[Event | Skipped]) -> None:
        if not items:
            return
        await self._slots.acquire()
        self.post(EventBatch(items, self._slots.release))

    async def run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return self.kind


class ReplaySource(EventSource):
    """Plays a recorded stream through the same screens as a live one."""

    kind = "replay"

    def __init__(self, post: Callable[[Message], Any], path: str | Path, speed: float | None):
        super().__init__(post)
        self.path = Path(path)
        self.speed = speed if speed and speed > 0 else None

    def describe(self) -> str:
        pace = "max speed" if self.speed is None else f"x{self.speed:g}"
        return f"replay {pace}"

    async def run(self) -> None:
        try:
            path = events_file(self.path)
            handle = path.open("rb")
        except (SourceError, OSError) as exc:
            self.post(SourceEnded(self.kind, False, _reason(exc)))
            return
        with handle:
            await self._play(handle)
        self.post(SourceEnded(self.kind, True, f"replay finished ({self.parser.number} lines)"))

    async def _play(self, handle: IO[bytes]) -> None:
        start = time.monotonic()
        due = 0.0
        previous: float | None = None
        eof = False
        while not eof:
            items, eof = await asyncio.to_thread(_read_parse, handle, self.parser)
            if self.speed is None:
                await self.send(items)
                continue
            pending: list[Event | Skipped] = []
            for item in items:
                ts = getattr(item, "ts", None)
                if isinstance(ts, int | float):
                    if previous is not None:
                        due += min(max(ts - previous, 0.0) / self.speed, MAX_GAP)
                    previous = float(ts)
                wait = due - (time.monotonic() - start)
                if wait > 0.02:
                    await self.send(pending)
                    pending = []
                    await asyncio.sleep(wait)
                pending.append(item)
            await self.send(pending)


def _read_parse(handle: IO[bytes], parser: LineParser) -> tuple[list[Event | Skipped], bool]:
    """Up to BATCH lines of a recording, parsed (runs in a thread), and whether the file
    ended. A last line without a newline is parsed too; if it is not an event it is
    reported as truncated."""
    lines = []
    for _ in range(BATCH):
        line = handle.readline()
        if not line:
            return parser.parse(lines), True
        if not line.endswith(b"\n"):
            return parser.parse(lines) + parser.feed(line) + parser.flush(), True
        lines.append(line)
    return parser.parse(lines), False


class AttachSource(EventSource):
    """Follows a sweep started elsewhere: the history so far, then new lines as written."""

    kind = "attach"

    def __init__(self, post: Callable[[Message], Any], run_dir: str | Path, poll: float = 0.25):
        super().__init__(post)
        self.run_dir = Path(run_dir)
        self.poll = poll

    def describe(self) -> str:
        return "attached"

    async def run(self) -> None:
        if not self.run_dir.is_dir():
            self.post(SourceEnded(self.kind, False, f"{self.run_dir} is not a run directory"))
            return
        path = self.run_dir / EVENTS_FILE
        if not path.exists():
            self.post(SourceNote("info", f"waiting for {path} to appear"))
            while not path.exists():
                await asyncio.sleep(self.poll)
        try:
            handle = path.open("rb")
        except OSError as exc:
            self.post(SourceEnded(self.kind, False, _reason(exc)))
            return
        following = False
        with handle:
            while True:
                data = await asyncio.to_thread(handle.read, READ_BYTES)
                if data:
                    await self.send(self.parser.feed(data))
                    continue
                if self.parser.finished:  # finished, and nothing written after it
                    break
                if not following:
                    following = True
                    self.post(
                        SourceNote("info", f"history read ({self.parser.number} lines); following")
                    )
                await asyncio.sleep(self.poll)
            await self.send(self.parser.flush())
        self.post(SourceEnded(self.kind, True, "the attached sweep finished; stopped following"))


class EngineSource(EventSource):
    """Runs the engine as a child process and reads its event stream from stdout.

    `verb` is the engine command (`run`, or `resume` for an interrupted run directory);
    with `history`, the events already in that file are sent first, so a resumed sweep
    shows its whole past before the engine's new events."""

    kind = "engine"

    def __init__(
        self,
        post: Callable[[Message], Any],
        args: Sequence[str],
        command: Sequence[str] | None = None,
        grace: tuple[float, float] = (8.0, 4.0),
        *,
        verb: str = "run",
        history: Path | None = None,
    ) -> None:
        super().__init__(post)
        self.command = [*(command or (sys.executable, "-m", "engine")), verb, *args]
        self.history = history
        self.grace = grace
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES)
        self.stopping = False
        self._stopper: asyncio.Future[None] | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def describe(self) -> str:
        pid = f" pid {self.proc.pid}" if self.proc is not None else ""
        return f"engine{pid}"

    async def run(self) -> None:
        if self.history is not None and self.history.is_file():
            history = LineParser()
            data = await asyncio.to_thread(self.history.read_bytes)
            await self.send(history.feed(data) + history.flush())
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            self.post(SourceEnded(self.kind, False, f"cannot start the engine: {_reason(exc)}"))
            return
        proc = self.proc
        self.post(SourceNote("info", f"engine started (pid {proc.pid})"))
        errors = asyncio.create_task(self._read_stderr())
        try:
            assert proc.stdout is not None
            while data := await proc.stdout.read(READ_BYTES):
                await self.send(self.parser.feed(data))
            await self.send(self.parser.flush())
            code = await proc.wait()
            await errors
        finally:
            if proc.returncode is None:  # the console is closing mid-run: do not orphan it
                _signal_group(proc.pid, signal.SIGTERM)
            errors.cancel()
        self.post(
            SourceEnded(
                self.kind,
                True,
                f"engine exited with code {code}",
                returncode=code,
                stderr_tail=self.stderr_tail,
                stopped=self.stopping,
            )
        )

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            text = line.decode("utf-8", errors="replace").rstrip()
            # A terminal progress bar redraws with \r; keep only the last state of a line.
            text = text.rsplit("\r", 1)[-1].replace("\x1b[2K", "").strip()
            if text:
                self.stderr_tail.append(text)

    async def stop(self) -> None:
        """End the engine cleanly: SIGINT (it writes what it has and reports
        `interrupted`), then SIGTERM, then SIGKILL, each after a grace period. A second
        call waits for the first one's sequence instead of signalling again."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        if self._stopper is None:
            self.stopping = True
            self._stopper = asyncio.ensure_future(self._stop_sequence(proc))
        await asyncio.shield(self._stopper)

    async def _stop_sequence(self, proc: asyncio.subprocess.Process) -> None:
        waits = (self.grace[0], self.grace[1], 5.0)
        for sig, wait in zip((signal.SIGINT, signal.SIGTERM, signal.SIGKILL), waits, strict=True):
            if not _signal_group(proc.pid, sig):
                return
            self.post(SourceNote("warning", f"sent {sig.name} to the engine (pid {proc.pid})"))
            try:
                await asyncio.wait_for(asyncio.shield(proc.wait()), wait)
                return
            except TimeoutError:
                continue


def _signal_group(pid: int, sig: signal.Signals) -> bool:
    """Signal the engine's process group (its sweep workers too); False if it is gone."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return str(exc)
    if isinstance(exc, OSError):
        name = exc.filename or ""
        return f"{name}: {exc.strerror or exc}" if name else str(exc.strerror or exc)
    return str(exc)
