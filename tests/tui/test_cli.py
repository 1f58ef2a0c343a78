"""`fmfl-tui` command line: bad input is one line on stderr and exit code 2, never a
traceback; good input builds the right app."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fmfl_tui.app import DEFAULT_SPEED
from fmfl_tui.cli import main, make_app

from .conftest import DATA


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--replay", "/no/such/run"], "/no/such/run does not exist"),
        (["--replay", str(DATA)], "holds no events.jsonl"),
        (["--replay", str(DATA / "replay_small"), "--speed", "fast"], "'fast' is not a number"),
        (["--replay", str(DATA / "replay_small"), "--speed", "-2"], "must be positive"),
        (["--speed", "3"], "--speed: only applies to --replay"),
        (["--preset", "nope"], "preset: 'nope' is neither a file nor a shipped preset"),
        (["--set", "train.epoch=2"], "--set train.epoch: unknown key; did you mean train.epochs"),
        (["attach", "/no/such/run"], "/no/such/run is not a run directory"),
        (["attach"], "the following arguments are required: RUN_DIR"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_replay_and_attach_build_the_right_app(tmp_path):
    app = make_app(["--replay", str(DATA / "replay_small"), "--speed", "max"])
    assert app.replay == str(DATA / "replay_small") and app.speed is None
    assert make_app(["--replay", str(DATA / "mid_sweep.jsonl")]).speed == DEFAULT_SPEED
    assert make_app(["--replay", str(DATA / "mid_sweep.jsonl"), "--speed=2.5"]).speed == 2.5
    assert make_app(["attach", str(tmp_path)]).attach == tmp_path
    app = make_app(["--set", "train.epochs=2"])
    assert app.preset == "quickstart" and app.overrides == ["train.epochs=2"]


def test_the_console_script_never_shows_a_traceback():
    out = subprocess.run(
        [sys.executable, "-m", "fmfl_tui", "--replay", "/no/such/file"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr == (
        "fmfl-tui: error: /no/such/file does not exist; "
        "give a run directory or an events.jsonl file\n"
    )
