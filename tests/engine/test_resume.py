"""Nothing lost: kill a sweep anywhere, resume it, get the uninterrupted result; stop it
cleanly on SIGINT/SIGTERM; one engine per run directory; a full or unwritable disk."""

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from engine import events as ev
from engine import rundir
from engine.cli import main

TINY = [
    "--set", "data.per_class_limit=40",
    "--set", "sweep.counts=[0,8,16]",
    "--set", "sweep.seeds=[0,1]",
    "--set", 'sweep.noise_modes=["none","fixed"]',
    "--set", "train.epochs=3",
    "--set", "sweep.workers=1",
    "--set", "train.threads=1",
]  # fmt: skip
"""10 runs x 3 epochs on 400 digits: a few seconds of training."""


def _engine(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(out: Path) -> int:
    path = out / rundir.EVENTS
    return path.read_bytes().count(b"\n") if path.is_file() else 0


def _wait_for_lines(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> bool:
    """Wait until events.jsonl has n lines; False if the engine ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _lines(out) >= n:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    raise TimeoutError(f"no {n} event lines in {timeout}s")


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(out / name).drop(columns=["seconds"], errors="ignore")
        for name in (rundir.RUNS, rundir.ZONES)
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "run"
    proc = _engine("run", "quickstart", "--out", str(out), *TINY)
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    return out


def test_sigkill_at_random_points_then_resume_gives_the_uninterrupted_result(reference, tmp_path):
    out = tmp_path / "run"
    total = _lines(reference)
    points = sorted(random.Random(7).sample(range(4, total - 4), 3))
    proc = _engine("run", "quickstart", "--out", str(out), *TINY)
    kills = 0
    for n in points:
        if _wait_for_lines(proc, out, n):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        # a kill can land in the middle of a line: simulate that too, then resume
        if kills == 2:
            with (out / rundir.EVENTS).open("a") as f:
                f.write('{"v":1,"type":"epoch","sweep":"x","ru')
        proc = _engine("resume", str(out))
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    assert kills == 3
    got, want = _tables(out), _tables(reference)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)
    # the event file is whole again, and says it was resumed three times
    events = [ev.parse_line(line) for line in (out / rundir.EVENTS).read_text().splitlines()]
    resumed = [e for e in events if isinstance(e, ev.SweepResumed)]
    assert len(resumed) == 3 and any(r.repaired for r in resumed)
    assert isinstance(events[-1], ev.SweepFinished) and events[-1].status == "done"
    assert not list(out.glob("runs/*/checkpoint.pt"))  # finished runs drop their checkpoints
    assert not (out / rundir.LOCK).exists()


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_finishes_writing_and_says_how_to_resume(reference, tmp_path, sig, code):
    out = tmp_path / "run"
    proc = _engine("run", "quickstart", "--out", str(out), *TINY)
    assert _wait_for_lines(proc, out, 12)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == code
    err = proc.stderr.read()
    assert f"fmfl-engine resume {out}" in err and "Traceback" not in err
    last = ev.parse_line((out / rundir.EVENTS).read_text().splitlines()[-1])
    assert isinstance(last, ev.SweepFinished) and last.status == "interrupted"
    assert last.runs_done == len(pd.read_csv(out / rundir.RUNS)["run"].unique())
    assert main(["resume", str(out)]) == 0
    for name, table in _tables(reference).items():
        pd.testing.assert_frame_equal(_tables(out)[name], table, check_exact=True)


def test_parallel_workers_stop_cleanly_too(tmp_path):
    out = tmp_path / "run"
    args = [a if a != "sweep.workers=1" else "sweep.workers=2" for a in TINY]
    proc = _engine("run", "quickstart", "--out", str(out), *args)
    assert _wait_for_lines(proc, out, 8)
    os.kill(proc.pid, signal.SIGINT)
    code, err = proc.wait(timeout=120), proc.stderr.read()
    assert code == 130, err
    last = ev.parse_line((out / rundir.EVENTS).read_text().splitlines()[-1])
    assert last.status == "interrupted"
    assert "Traceback" not in err


def test_a_second_engine_on_the_same_directory_is_refused(tmp_path):
    out = tmp_path / "run"
    proc = _engine("run", "quickstart", "--out", str(out), *TINY, "--set", "train.epochs=40")
    try:
        assert _wait_for_lines(proc, out, 3)
        second = subprocess.run(
            [sys.executable, "-m", "engine", "resume", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"fmfl-engine: error: RUN_DIR: another engine (pid {proc.pid} on {os.uname().nodename}) is working on "
            f"{out}; stop it first (kill -INT {proc.pid}) or wait for it; a dead engine's lock is taken over"
        ]
    finally:
        proc.kill()
        proc.wait()


def test_a_dead_engines_lock_is_taken_over(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "quickstart",
                "--out",
                str(out),
                *TINY,
                "--set",
                "sweep.counts=[0]",
                "--set",
                "sweep.seeds=[0]",
            ]
        )
        == 0
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / rundir.LOCK).write_text(
        json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "1"})
    )
    assert main(["resume", str(out)]) == 0
    notes = [
        e
        for e in map(ev.parse_line, (out / rundir.EVENTS).read_text().splitlines())
        if isinstance(e, ev.Log)
    ]
    assert any(f"took over a stale lock of pid {dead.pid}" in n.message for n in notes)


def test_an_unwritable_output_location_is_refused_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["run", "quickstart", "--out", str(blocker / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fmfl-engine: error: --out: cannot write to")


def test_a_full_disk_is_refused_before_training(tmp_path, capsys, monkeypatch):
    import shutil

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=5 * 2**20))
    assert main(["run", "quickstart", "--out", str(tmp_path / "run")]) == 2
    assert "only 5 MB free" in capsys.readouterr().err
    assert not (tmp_path / "run" / rundir.EVENTS).exists()


def test_a_write_failure_mid_sweep_stops_cleanly_and_resumes(
    reference, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "run"
    real, calls = rundir.write_csv, []

    def failing(path, table):
        calls.append(path)
        if len(calls) == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, table)

    monkeypatch.setattr(rundir, "write_csv", failing)
    assert main(["run", "quickstart", "--out", str(out), *TINY]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and f"fmfl-engine resume {out}" in err
    # what was written is whole: every event line parses, runs.csv has the 3 runs before
    lines = (out / rundir.EVENTS).read_text().splitlines()
    assert all(ev.parse_line(line) is not None for line in lines)
    assert len(pd.read_csv(out / rundir.RUNS)["run"].unique()) == 3
    monkeypatch.setattr(rundir, "write_csv", real)
    assert main(["resume", str(out)]) == 0
    for name, table in _tables(reference).items():
        pd.testing.assert_frame_equal(_tables(out)[name], table, check_exact=True)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "is not a folder"),
        (lambda p: p.mkdir(), "has no config.toml"),
        (lambda p: (p.mkdir(), (p / "config.toml").write_text("[train\n")), "malformed TOML"),
        (
            lambda p: (p.mkdir(), (p / "config.toml").write_text("[train]\nepochs = 0\n")),
            "train.epochs",
        ),
    ],
)
def test_resume_answers_a_bad_run_directory_with_one_line(tmp_path, capsys, setup, message):
    target = tmp_path / "run"
    setup(target)
    assert main(["resume", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


@pytest.mark.parametrize("tail", [b"", b'{"type": "epo', b"x" * (3 * rundir.REPAIR_BLOCK + 5)])
def test_repair_cuts_only_a_half_written_last_line(tmp_path, tail):
    whole = b'{"type": "a"}\n' + b"y" * rundir.REPAIR_BLOCK + b"\n"
    path = tmp_path / rundir.EVENTS
    path.write_bytes(whole + tail)
    message = rundir.repair_events(path)
    assert path.read_bytes() == whole
    assert (message == "") == (tail == b"")
    if tail:
        assert f"{len(tail)} bytes" in message
    path.write_bytes(b"no newline at all")
    assert "17 bytes" in rundir.repair_events(path) and path.read_bytes() == b""
