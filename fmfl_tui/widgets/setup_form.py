"""The setup form: dataset, model, feature z_u, noise modes, C_i, C_j, y_Lfixed, counts,
seeds, epochs and device, one compact row each.

The form turns what is typed into `--set key=value` overrides, the very strings the
engine's command line takes, so the console validates with `engine.config` and starts
the engine with the same overrides. A field the validator rejects is marked `✗` and
gets the validator's one-line message under it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

import tomli_w
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from engine import catalog
from engine.config import NOISE_MODES, Setup
from engine.errors import ConfigError

# key, label, kind ("select", "text", "int", "list", "modes", "other")
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("data.dataset", "dataset", "select"),
    ("model.name", "model", "select"),
    ("feature.text", "feature z_u", "text"),
    ("sweep.noise_modes", "noise modes", "modes"),
    ("classes.c_i", "C_i", "int"),
    ("classes.c_j", "C_j", "int"),
    ("classes.y_fixed", "y_Lfixed", "int"),
    ("sweep.counts", "counts k", "list"),
    ("sweep.seeds", "seeds", "list"),
    ("train.epochs", "epochs", "int"),
    ("train.device", "device", "text"),
    ("other", "other --set", "other"),
)
KEYS = tuple(key for key, _, kind in FIELDS if kind != "other")
OTHER = "other"
"""The row for any further `key=value` overrides (data.root, train.lr, ...), space
separated; an error about a field the form has no row for is shown under it."""
OTHER_HELP = "more `key=value` overrides, space separated, e.g. data.root=/data train.lr=0.05"


def widget_id(key: str) -> str:
    return "f-" + key.replace(".", "-")


def toml_value(value: Any) -> str:
    """A value as the one-line TOML text `--set` reads (`"A"`, `["none", "fixed"]`, `8`)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


class TickBox(Checkbox):
    """A checkbox whose mark is spelled: `X` when on, blank when off (Textual's own shows
    an X either way and tells them apart by colour only)."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


class SetupForm(Vertical):
    """The form's rows; `overrides()` reads it, `fill()` writes it, `mark()` flags a field."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._marked: tuple[str | None, str] = (None, "")

    def compose(self) -> ComposeResult:
        for key, label, kind in FIELDS:
            with Horizontal(classes="field", id=f"row-{widget_id(key)}"):
                yield Label(label, classes="field-label")
                yield self._widget(key, kind)
            yield Static("", classes="field-error", id=f"err-{widget_id(key)}")

    @staticmethod
    def _widget(key: str, kind: str) -> Widget:
        wid = widget_id(key)
        if key == "data.dataset":
            options = [(name, name) for name in catalog.DATASETS]
            return Select(options, allow_blank=False, compact=True, id=wid)
        if key == "model.name":
            options = [(name, name) for name in catalog.MODELS]
            return Select(options, allow_blank=False, compact=True, id=wid)
        if kind == "modes":
            boxes = [TickBox(m, compact=True, id=f"mode-{m}", classes="mode") for m in NOISE_MODES]
            return Horizontal(*boxes, id=wid, classes="modes")
        restrict = r"-?[0-9]*" if kind == "int" else None
        return Input(compact=True, id=wid, restrict=restrict)

    def fill(self, setup: Setup, other: Sequence[str] = ()) -> None:
        """Show a resolved setup's values, and further overrides in the `other` row."""
        for key, _, kind in FIELDS:
            if kind == "other":
                self._input(key).value = " ".join(shlex.quote(item) for item in other)
                continue
            section, name = key.split(".")
            value = getattr(getattr(setup, section), name)
            if kind == "modes":
                for box in self.query(Checkbox):
                    box.value = (box.id or "").removeprefix("mode-") in value
            elif kind == "select":
                select = self.query_one(f"#{widget_id(key)}", Select)
                select.value = value
            elif kind == "list":
                self._input(key).value = ", ".join(str(v) for v in value)
            else:
                self._input(key).value = str(value)

    def _input(self, key: str) -> Input:
        return self.query_one(f"#{widget_id(key)}", Input)

    def overrides(self) -> list[str]:
        """`key=value` strings for every field, as `fmfl-engine run --set` takes them: the
        `other` row's first, so a field of the form wins. ConfigError if `other` cannot be
        split."""
        out = []
        for key, _, kind in FIELDS:
            if kind == "other":
                text = self._input(key).value
                try:
                    out[:0] = shlex.split(text)
                except ValueError as exc:
                    raise ConfigError(
                        OTHER, f"cannot read {text!r} ({exc})", "quote values with spaces"
                    ) from None
            elif kind == "modes":
                modes = [
                    (b.id or "").removeprefix("mode-") for b in self.query(Checkbox) if b.value
                ]
                out.append(f"{key}={toml_value(modes)}")
            elif kind == "select":
                value = self.query_one(f"#{widget_id(key)}", Select).value
                out.append(f"{key}={toml_value(str(value))}")
            elif kind == "text":
                out.append(f"{key}={toml_value(self._input(key).value)}")
            elif kind == "list":
                raw = self._input(key).value.strip()
                if not raw.startswith("["):
                    raw = f"[{raw}]"
                out.append(f"{key}={raw}")
            else:  # int: as typed; the validator names the field if it is not a number
                out.append(f"{key}={self._input(key).value.strip()}")
        return out

    def mark(self, key: str | None, message: str = "") -> None:
        """Flag the field `key` with the validator's message; clear the previous mark."""
        if self._marked == (key, message):
            return
        previous, _ = self._marked
        self._marked = (key, message)
        labels = {field_key: label for field_key, label, _ in FIELDS}
        for field_key in {previous, key} - {None}:
            assert field_key is not None
            bad = field_key == key
            row = self.query_one(f"#row-{widget_id(field_key)}")
            error = self.query_one(f"#err-{widget_id(field_key)}", Static)
            row.set_class(bad, "-invalid")
            row.query_one(Label).update(f"✗ {labels[field_key]}" if bad else labels[field_key])
            error.set_class(bad, "-shown")
            error.update(f"✗ {message}" if bad else "")
