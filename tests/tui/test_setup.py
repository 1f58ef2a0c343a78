"""The setup screen validates with the engine's own code and shows its exact messages."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Button, Input, Static

from engine.config import load_setup
from engine.errors import ConfigError
from fmfl_tui.app import LabApp
from fmfl_tui.screens.setup import SetupScreen
from fmfl_tui.widgets.setup_form import SetupForm, TickBox, toml_value, widget_id

from .conftest import TINY, wait_until


async def ready(pilot) -> SetupScreen:  # noqa: ANN001
    app = pilot.app
    await wait_until(pilot, lambda: getattr(app.screen, "setup", None) is not None)
    return app.screen


def engine_message(overrides: list[str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_setup("quickstart", overrides)
    return caught.value.line()


async def type_into(pilot, screen: SetupScreen, key: str, text: str) -> None:  # noqa: ANN001
    field = screen.query_one(f"#{widget_id(key)}", Input)
    field.focus()
    field.value = text
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize(
    ("key", "text", "override"),
    [
        ("classes.c_j", "0", "classes.c_j=0"),
        ("sweep.counts", "0, 500", "sweep.counts=[0, 500]"),
        ("train.device", "gpu", 'train.device="gpu"'),
        ("sweep.seeds", "", "sweep.seeds=[]"),
        ("other", "train.lr=-1", "train.lr=-1"),
        ("other", "data.rot=/data", "data.rot=/data"),
    ],
)
async def test_a_bad_field_shows_the_engines_own_message_inline(key, text, override):
    app = LabApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await type_into(pilot, screen, key, text)
        expected = engine_message([override])
        assert screen.error is not None and screen.error.line() == expected
        inline = screen.query_one(f"#err-{widget_id(key)}", Static)
        assert str(inline.render()) == f"✗ {expected}" and inline.display
        assert str(screen.query_one("#verdict", Static).render()) == f"✗ {expected}"
        assert screen.query_one("#start", Button).disabled
        await pilot.press("ctrl+r")
        assert app.current_mode == "setup" and app.source is None  # nothing started


async def test_fixing_the_field_clears_the_mark_and_enables_start():
    app = LabApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await type_into(pilot, screen, "classes.c_j", "0")
        assert screen.error is not None
        await type_into(pilot, screen, "classes.c_j", "7")
        assert screen.error is None and not screen.query_one("#start", Button).disabled
        assert not screen.query_one("#err-f-classes-c_j", Static).display
        assert "66 runs x 8 epochs" in str(screen.query_one("#verdict", Static).render())


async def test_the_form_shows_the_preset_and_command_line_values_and_gives_them_back():
    app = LabApp(overrides=TINY)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        form = screen.query_one(SetupForm)
        assert form.query_one("#f-sweep-counts", Input).value == "0, 12"
        boxes = {box.id: box for box in form.query(TickBox)}
        assert boxes["mode-none"].value and not boxes["mode-random"].value
        # The box's state is spelled by its mark, not only by its colour.
        assert str(boxes["mode-random"].render()).startswith("▐ ▌")
        assert str(boxes["mode-fixed"].render()).startswith("▐X▌")
        other = form.query_one("#f-other", Input).value
        assert other == "data.per_class_limit=30 sweep.workers=1"  # not in the form: kept
        overrides = screen.overrides()
        assert overrides[:2] == ["data.per_class_limit=30", "sweep.workers=1"]
        assert 'sweep.noise_modes=["none", "fixed"]' in overrides
        assert 'feature.text="A"' in overrides and "train.epochs=2" in overrides
        load_setup("quickstart", overrides)  # the engine takes them as they are
        await pilot.press("tab")  # the help line explains the focused field
        help_text = str(screen.query_one("#field-help", Static).render())
        assert help_text.startswith("data.dataset: ")


async def test_a_preset_given_as_a_file_fills_the_form(tmp_path):
    preset = tmp_path / "mine.toml"
    preset.write_text(
        'name = "mine"\ndescription = "a test preset"\n[classes]\nc_i = 3\nc_j = 5\n'
        "[sweep]\ncounts = [0, 7]\n"
    )
    app = LabApp(preset=str(preset))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert screen.query_one("#f-classes-c_i", Input).value == "3"
        assert "a test preset" in str(screen.query_one("#preset-about", Static).render())
        assert "2 runs x 10 epochs" in str(screen.query_one("#verdict", Static).render())


async def test_an_unreadable_other_row_is_marked():
    app = LabApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await type_into(pilot, screen, "other", "feature.text='A B")
        assert screen.error is not None and screen.error.field == "other"
        assert "No closing quotation" in str(screen.query_one("#err-f-other", Static).render())
        await type_into(pilot, screen, "other", "feature.text='A B'")
        assert screen.error is None  # the form's own feature.text wins over it


def test_toml_values_are_what_set_reads():
    assert toml_value("ID: 4528") == '"ID: 4528"'
    assert toml_value(["none", "fixed"]) == '["none", "fixed"]'
    assert toml_value('say "hi"') == '"say \\"hi\\""'


def test_validating_a_setup_loads_no_torch():
    code = (
        "import sys\nfrom fmfl_tui.screens.setup import check\n"
        "setup, error = check('quickstart', ['classes.c_j=4'])\n"
        "assert setup is not None and error is None\nprint('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
