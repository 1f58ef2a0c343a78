"""The lab console app: three screens (setup, live, zones) over one `SweepState`.

Wiring, all in one place: a source (spawned engine, attached run directory, or replay;
see `engine_client`) runs as a worker and posts `EventBatch` messages; the app folds
them into the state and marks it dirty; a timer redraws the current screen at most
`redraw` times a second (attributes down). Errors from the background land in the log
and the app keeps running.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from textual import on
from textual.app import App
from textual.css.query import NoMatches
from textual.worker import Worker, WorkerState

from engine.events import SweepFinished
from fmfl_tui.engine_client import (
    AttachSource,
    EngineSource,
    EventBatch,
    EventSource,
    ReplaySource,
    Skipped,
    SourceEnded,
    SourceNote,
)
from fmfl_tui.screens.explain import ExplainScreen
from fmfl_tui.screens.live import LiveScreen
from fmfl_tui.screens.setup import SetupScreen
from fmfl_tui.screens.zones import ZoneScreen
from fmfl_tui.state import SweepState

DEFAULT_SPEED = 10.0


class LabApp(App):
    """fmfl lab console."""

    CSS_PATH = "app.tcss"
    TITLE = "fmfl lab console"
    ENABLE_COMMAND_PALETTE = False
    MODES = {
        "setup": SetupScreen,
        "live": LiveScreen,
        "zones": ZoneScreen,
        "explain": ExplainScreen,
    }
    DEFAULT_MODE = "setup"

    def __init__(
        self,
        *,
        preset: str = "quickstart",
        overrides: Sequence[str] = (),
        replay: str | Path | None = None,
        speed: float | None = DEFAULT_SPEED,
        attach: str | Path | None = None,
        engine_command: Sequence[str] | None = None,
        out_root: str | Path | None = None,
        grace: tuple[float, float] = (8.0, 4.0),
        redraw: float = 10.0,
    ) -> None:
        # A replay or an attach opens on the live screen, a new sweep on the setup screen.
        self.DEFAULT_MODE = "live" if replay is not None or attach is not None else "setup"
        super().__init__()
        self.preset = preset
        self.overrides = list(overrides)
        self.replay = replay
        self.speed = speed
        self.attach = attach
        self.engine_command = engine_command
        self.out_root = Path(out_root) if out_root is not None else None
        self.grace = grace
        self.redraw_interval = 1.0 / redraw
        self.state = SweepState()
        self.source: EventSource | None = None
        self.source_label = ""
        self.files_dir = ""
        """Where the sweep's files are, when known better than the events' out_dir."""
        self.dirty = False
        self.redraws = 0

    def on_mount(self) -> None:
        self.set_interval(self.redraw_interval, self.flush)
        if self.replay is not None:
            path = Path(self.replay)
            self.files_dir = str(path.parent if path.is_file() else path)
            self.begin(ReplaySource(self.post_message, path, self.speed))
        elif self.attach is not None:
            self.files_dir = str(self.attach)
            self.begin(AttachSource(self.post_message, self.attach))

    # -- sources ----------------------------------------------------------------------

    def begin(self, source: EventSource) -> None:
        """Start reading a source; show the live screen."""
        self.state = SweepState()
        self.source = source
        self.source_label = source.describe()
        self.run_worker(
            source.run(), name=source.kind, group="source", exclusive=True, exit_on_error=False
        )
        self.switch_mode("live")
        self.dirty = True

    @on(SetupScreen.Start)
    def start_engine(self, message: SetupScreen.Start) -> None:
        if self.source is not None and self.source.running:
            self.notify("A sweep is running: stop it first (s on the live screen).")
            return
        args = [message.preset]
        for item in message.overrides:
            args += ["--set", item]
        if self.out_root is not None:
            name = message.setup.name.replace("/", "-")
            out = self.out_root / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
            n = 1
            while out.exists():
                n += 1
                out = out.with_name(f"{out.name.rsplit('~', 1)[0]}~{n}")
            args += ["--out", str(out)]
        args += ["--events", "-"]
        self.files_dir = ""
        self.begin(EngineSource(self.post_message, args, self.engine_command, self.grace))

    @on(EventBatch)
    def events_arrived(self, message: EventBatch) -> None:
        finished = False
        explained = bool(self.state.explanations)
        try:
            for item in message.items:
                if isinstance(item, Skipped):
                    self.state.skipped(item.text())
                else:
                    self.state.apply(item)
                    finished = finished or isinstance(item, SweepFinished)
        finally:
            message.done()
        self.dirty = True
        if finished or explained != bool(self.state.explanations):
            self.refresh_bindings()  # Resume or Explain may be on offer now
        if finished:
            self.sweep_finished()

    def sweep_finished(self) -> None:
        state = self.state
        if state.zones and self.current_mode == "live":
            self.flush()
            self.switch_mode("zones")
        elif not state.zones:
            hint = (
                " Press r to resume it." if state.status == "interrupted" and state.out_dir else ""
            )
            self.notify(f"Sweep {state.status}: no zone table.{hint}", severity="warning")

    @on(SourceNote)
    def source_note(self, message: SourceNote) -> None:
        self.state.note(message.level, message.text)
        if message.text.startswith("engine started"):
            self.source_label = self.source.describe() if self.source else ""
        self.dirty = True

    @on(SourceEnded)
    def source_ended(self, message: SourceEnded) -> None:
        state = self.state
        if not message.ok:
            state.note("error", message.message)
            if state.status in ("waiting", "running"):
                state.status = "failed"
            self.notify(message.message, severity="error", timeout=10)
        elif message.kind == "engine":
            self._engine_exited(message)
        else:
            state.note("info", message.message)
            if state.finished is None:
                state.note(
                    "warning", "the stream ended before the sweep finished (a truncated file?)"
                )
        self.dirty = True

    def _engine_exited(self, message: SourceEnded) -> None:
        self.call_later(self.refresh_bindings)  # Resume may be on offer now
        state, code = self.state, message.returncode
        if message.stopped:
            if state.finished is None:
                state.status = "interrupted"
            state.note("warning", f"engine stopped on request (exit code {code})")
            self.notify("Engine stopped.")
        elif code == 0:
            state.note("info", "engine finished (exit code 0)")
        elif state.status == "interrupted":
            state.note("warning", f"engine stopped (exit code {code}); r resumes the sweep")
        else:
            what = "refused the setup" if code == 2 else "failed"
            state.note("error", f"engine {what} (exit code {code}); its last stderr lines:")
            for line in message.stderr_tail[-8:]:
                state.note("error", f"  {line}")
            if state.status in ("waiting", "running"):
                state.status = "failed"
            last = message.stderr_tail[-1] if message.stderr_tail else f"exit code {code}"
            self.notify(f"Engine {what}: {last}", severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.state.note("error", f"{event.worker.name} failed: {event.worker.error!r}")
            self.dirty = True

    # -- drawing ----------------------------------------------------------------------

    def flush(self) -> None:
        """Redraw the current screen if anything changed since the last tick."""
        if not self.dirty:
            return
        self.dirty = False
        screen = self.screen
        show = getattr(screen, "show_state", None)
        if show is not None and screen.is_mounted:
            self.redraws += 1
            try:
                with self.batch_update():
                    show(self.state, self.source_label)
            except NoMatches:  # a widget of the screen is still composing: next tick
                self.dirty = True

    # -- actions ----------------------------------------------------------------------

    def action_show_live(self) -> None:
        self.switch_mode("live")
        self.dirty = True

    def action_show_zones(self) -> None:
        if not self.state.zones:
            self.notify("No zone table yet: it comes when the sweep finishes.")
            return
        self.switch_mode("zones")

    def action_show_setup(self) -> None:
        self.switch_mode("setup")

    def action_show_explain(self) -> None:
        """The GradCAM / SHAP explanations announced so far."""
        self.switch_mode("explain")
        self.dirty = True

    async def action_stop(self) -> None:
        source = self.source
        if isinstance(source, EngineSource) and source.stopping and source.running:
            self.notify("The engine is already stopping.")
        elif isinstance(source, EngineSource) and source.running:
            self.state.note("warning", "stopping the engine (SIGINT, then SIGTERM)…")
            self.dirty = True
            self.run_worker(source.stop(), name="stop", group="stop", exit_on_error=False)
        elif isinstance(source, AttachSource):
            self.notify("Attached: this console did not start the engine; it keeps running.")
        elif isinstance(source, ReplaySource) and self.state.finished is None:
            self.workers.cancel_group(self, "source")
            self.state.note("warning", "replay stopped")
            self.dirty = True
        else:
            self.notify("Nothing is running.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resume shows in the footer only for an interrupted sweep that can be resumed,
        Explain only once the engine has announced an explanation."""
        if action == "resume":
            return self.resume_dir() is not None
        if action == "show_explain":
            return bool(self.state.explanations)
        return True

    def resume_dir(self) -> Path | None:
        """The run directory an interrupted sweep can be resumed from, if any."""
        if not self.state.resumable or (self.source is not None and self.source.running):
            return None
        folder = Path(self.files_dir or self.state.out_dir)
        return folder if (folder / "config.toml").is_file() else None

    def action_resume(self) -> None:
        """Continue an interrupted sweep: `fmfl-engine resume RUN_DIR` as a background
        process; its history is shown first, then the new events."""
        folder = self.resume_dir()
        if folder is None:
            self.notify(
                "Nothing to resume: only an interrupted sweep with its run directory can be."
            )
            return
        source = EngineSource(
            self.post_message,
            [str(folder), "--events", "-"],
            self.engine_command,
            self.grace,
            verb="resume",
            history=folder / "events.jsonl",
        )
        self.files_dir = str(folder)
        self.begin(source)

    async def action_quit(self) -> None:
        """Quit; an engine this console started is stopped first (in a worker, so its
        last events are still read while it winds down)."""
        source = self.source
        if isinstance(source, EngineSource) and source.running:
            self.notify("Stopping the engine this console started, then quitting…")
            self.run_worker(self._stop_then_exit(source), group="stop", exit_on_error=False)
            return
        self.exit()

    async def _stop_then_exit(self, source: EngineSource) -> None:
        await source.stop()
        self.exit()
