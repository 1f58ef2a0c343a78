"""Progress on stderr: a line per finished run in logs, a redrawn bar on terminals."""

import io

from engine import events as ev
from engine.progress import Progress, duration


def _feed(progress):
    progress(ev.SweepStarted(sweep="s", setup={"train": {"epochs": 2}}, plan=[{}, {}]))
    progress(
        ev.RunStarted(
            sweep="s", run="k0-s0", seed=0, count=0, mode="baseline", ratio=0, index=0, epochs=2
        )
    )
    for epoch in (1, 2):
        progress(
            ev.Epoch(
                sweep="s", run="k0-s0", epoch=epoch, epochs=2, seconds=1.0, metrics={}, targets=[]
            )
        )
    progress(
        ev.RunFinished(
            sweep="s",
            run="k0-s0",
            seconds=2.0,
            metrics={"acc_j": 90.0},
            targets=[{"s_sens": 0.25, "p_value": 0.01, "mp": 12.5}],
        )
    )


def test_log_mode_writes_one_line_per_run():
    stream = io.StringIO()
    _feed(Progress(stream, live=False))
    assert len(stream.getvalue().splitlines()) == 1
    line = stream.getvalue()
    assert line.startswith("run 1/2 k0-s0 (2s): S_sens=0.250 p=0.010 MP=12.5% Acc_j=90.0%")
    assert "ETA" in line and "\r" not in line


def test_terminal_mode_redraws_a_bar():
    stream = io.StringIO()
    _feed(Progress(stream, live=True))
    text = stream.getvalue()
    assert "\r\x1b[2K[" in text and "1/2 runs" in text and "epoch 2/2" in text


def test_duration():
    assert [duration(x) for x in (5, 65, 3725)] == ["5s", "1m05s", "1h02m"]
