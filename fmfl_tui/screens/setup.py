"""The setup screen: pick a preset, adjust the form, see the engine's verdict, Start.

Every change is checked at once with the engine's own code (`apply_overrides`,
`setup_from_dict`, `validate`), so the message under a field is exactly the line
`fmfl-engine run` would print. Start is possible only when the setup is valid; it posts
`SetupScreen.Start` up to the app, which starts the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from engine import catalog
from engine.config import (
    Setup,
    apply_overrides,
    field_doc,
    list_presets,
    read_toml,
    resolve_preset,
    setup_from_dict,
    validate,
)
from engine.errors import ConfigError
from engine.plan import plan_runs
from fmfl_tui.widgets.setup_form import KEYS, OTHER, OTHER_HELP, SetupForm


def check(preset: str, overrides: Sequence[str]) -> tuple[Setup | None, ConfigError | None]:
    """Resolve and validate a preset with overrides exactly as `fmfl-engine run` does."""
    try:
        data = apply_overrides(read_toml(resolve_preset(preset)), overrides)
        setup = setup_from_dict(data)
        validate(setup)
    except ConfigError as exc:
        return None, exc
    return setup, None


def summary(setup: Setup) -> str:
    """One line on what Start would run."""
    runs = len(plan_runs(setup))
    info = catalog.DATASETS.get(setup.data.dataset)
    size = (
        catalog.train_per_class(info, setup.data.test_fraction, setup.data.per_class_limit)
        if info
        else None
    )
    ci = f" · C_i has {size} training samples" if size else ""
    total = runs * setup.train.epochs
    return f"✓ valid: {runs} runs x {setup.train.epochs} epochs = {total} epochs{ci}"


class SetupScreen(Screen):
    """Preset, form, verdict, Start."""

    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+l", "app.show_live", "Live"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    class Start(Message):
        """The user asked to run this valid setup."""

        def __init__(self, preset: str, overrides: list[str], setup: Setup) -> None:
            super().__init__()
            self.preset = preset
            self.overrides = overrides
            self.setup = setup

    def __init__(self) -> None:
        super().__init__()
        self.preset = "quickstart"
        self.extra: list[str] = []
        self.prefill: list[str] = []
        self.setup: Setup | None = None
        self.error: ConfigError | None = None

    def _take_app_settings(self) -> None:
        """The preset and `--set` values the app was started with (attributes down)."""
        self.preset = str(getattr(self.app, "preset", "quickstart"))
        extra = list(getattr(self.app, "overrides", []))
        # `--set` values of fields the form does not show are kept as given.
        self.extra = [item for item in extra if item.partition("=")[0].strip() not in KEYS]
        self.prefill = extra

    def compose(self) -> ComposeResult:
        self._take_app_settings()
        presets = list_presets()
        if self.preset not in presets:
            presets.insert(0, self.preset)
        with VerticalScroll(id="setup-body"):
            yield Static("New sweep: pick a preset, adjust, Start", id="setup-title")
            with Horizontal(classes="field"):
                yield Label("preset", classes="field-label")
                yield Select(
                    [(p, p) for p in presets],
                    value=self.preset,
                    allow_blank=False,
                    compact=True,
                    id="preset",
                )
            yield Static(id="preset-about")
            yield SetupForm(id="form")
        yield Static(id="verdict")
        yield Static(id="field-help")
        with Horizontal(id="setup-buttons"):
            yield Button("Start  ^r", id="start", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load_preset(self.preset, self.prefill)
        self.query_one("#preset", Select).focus()

    def load_preset(self, preset: str, overrides: Sequence[str] = ()) -> None:
        """Fill the form from a preset (and `--set` values given on the command line)."""
        self.preset = preset
        try:
            setup = setup_from_dict(apply_overrides(read_toml(resolve_preset(preset)), overrides))
        except ConfigError as exc:
            self.show_verdict(None, exc)
            return
        self.query_one("#preset-about", Static).update(setup.description)
        self.query_one(SetupForm).fill(setup, self.extra)
        self.call_after_refresh(self.revalidate)

    def overrides(self) -> list[str]:
        """Every `--set` the engine will get; ConfigError if the `other` row is unreadable."""
        return self.query_one(SetupForm).overrides()

    def revalidate(self) -> None:
        try:
            setup, error = check(self.preset, self.overrides())
        except ConfigError as exc:
            setup, error = None, exc
        self.show_verdict(setup, error)

    def show_verdict(self, setup: Setup | None, error: ConfigError | None) -> None:
        self.setup, self.error = setup, error
        verdict = self.query_one("#verdict", Static)
        form = self.query_one(SetupForm)
        if error is None and setup is not None:
            form.mark(None)
            verdict.update(Text(summary(setup), style="green"))
            verdict.set_class(False, "-invalid")
        else:
            assert error is not None
            key = error.field.removeprefix("--set ").strip()
            form.mark(key if key in KEYS else OTHER, error.line())
            verdict.update(Text(f"✗ {error.line()}", style="bold red"))
            verdict.set_class(True, "-invalid")
        self.query_one("#start", Button).disabled = error is not None

    @on(Select.Changed, "#preset")
    def preset_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.preset:
            self.load_preset(event.value)

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed, "SetupForm Select")
    def field_changed(self, _event: Any) -> None:
        self.revalidate()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        widget = event.widget
        key = ""
        for node in (widget, *widget.ancestors):
            node_id = node.id or ""
            if node_id.startswith("f-"):
                key = node_id[2:].replace("-", ".", 1)
                break
        if widget.id == "preset":
            text = "a shipped preset (TOML); the form shows its values"
        elif key == OTHER:
            text = OTHER_HELP
        elif key:
            text = f"{key}: {field_doc(key)}"
        else:
            text = ""
        self.query_one("#field-help", Static).update(text)

    @on(Button.Pressed, "#start")
    def start_pressed(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        self.revalidate()
        if self.setup is None:
            self.notify(self.error.line() if self.error else "invalid setup", severity="error")
            return
        self.post_message(self.Start(self.preset, self.overrides(), self.setup))
