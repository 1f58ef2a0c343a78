"""The event protocol round-trips, ignores what it does not know, rejects what is broken."""

import json
import math

import pytest

from engine import events as ev

SAMPLES = [
    ev.SweepStarted(
        sweep="s",
        setup={"train": {"epochs": 2}},
        plan=[{"run": "k0-s0", "seed": 0}],
        out_dir="/tmp/x",
        device="cpu",
        train_size_ci=400,
        classes=["0", "1"],
    ),
    ev.SweepResumed(
        sweep="s", runs_done=3, continuing=[{"run": "none-k2-s0", "from_epoch": 4}], repaired="x"
    ),
    ev.RunStarted(
        sweep="s",
        run="k0-s0",
        seed=0,
        count=0,
        mode="baseline",
        ratio=0.0,
        index=0,
        epochs=2,
        start_epoch=3,
    ),
    ev.Epoch(
        sweep="s",
        run="k0-s0",
        epoch=1,
        epochs=2,
        seconds=0.5,
        metrics={"train_acc": 90.0, "lm": None},
        targets=[{"target": 0, "role": "c_i", "s_sens": 0.1, "p_value": 0.01}],
    ),
    ev.RunFinished(sweep="s", run="k0-s0", seconds=1.0, metrics={"acc_j": 95.0}, targets=[]),
    ev.ZoneTable(
        sweep="s",
        mode="none",
        target=0,
        role="c_i",
        sigma1=3.5,
        sigma2=3.0,
        rows=[{"count": 0, "zone": "A"}],
    ),
    ev.Artifact(sweep="s", kind="samples", path="runs/k0-s0/samples.npz", run="k0-s0"),
    ev.Log(sweep="s", level="info", message="hello"),
    ev.Error(sweep="s", message="boom", kind="crash"),
    ev.SweepFinished(sweep="s", status="done", seconds=3.0, runs_done=1, out_dir="/tmp/x"),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_every_event_round_trips(event):
    line = event.to_line()
    assert "\n" not in line
    data = json.loads(line)
    assert data["v"] == ev.SCHEMA_VERSION and data["type"] == event.type and data["sweep"] == "s"
    assert ev.parse_line(line) == event


def test_every_event_type_is_covered_here():
    assert {e.type for e in SAMPLES} == set(ev.EVENT_TYPES)


def test_nan_becomes_null():
    e = ev.Epoch(
        sweep="s",
        run="r",
        epoch=1,
        epochs=1,
        seconds=1.0,
        metrics={"lm": math.nan},
        targets=[{"p_value": float("inf")}],
    )
    data = json.loads(e.to_line())
    assert data["metrics"]["lm"] is None and data["targets"][0]["p_value"] is None


def test_unknown_types_and_keys_are_ignored():
    assert ev.parse_line('{"v": 9, "type": "future_thing", "sweep": "s"}') is None
    parsed = ev.parse_line(
        '{"v": 1, "type": "log", "sweep": "s", "level": "info", "message": "m", "new": 1}'
    )
    assert parsed == ev.Log(sweep="s", level="info", message="m", ts=parsed.ts)
    assert ev.parse_line("   ") is None


@pytest.mark.parametrize(
    "line",
    [
        '{"v": 1, "type": "log", "swe',
        "not json",
        "[1, 2]",
        '{"v": 1, "type": "run_started", "sweep": "s"}',
    ],
)
def test_malformed_lines_raise_protocol_error(line):
    with pytest.raises(ev.ProtocolError):
        ev.parse_line(line)


def test_read_events_skips_and_reports_bad_lines():
    lines = [SAMPLES[7].to_line(), '{"broken', SAMPLES[9].to_line()]
    problems = []
    out = list(ev.read_events(lines, lambda n, msg: problems.append(n)))
    assert [e.type for e in out] == ["log", "sweep_finished"]
    assert problems == [2]


def test_jsonl_emitter_writes_one_flushed_line_per_event(tmp_path):
    writer = ev.JsonlEmitter(tmp_path / "events.jsonl")
    writer(SAMPLES[7])
    # Readable before close: flushed per line.
    assert (tmp_path / "events.jsonl").read_text().count("\n") == 1
    writer(SAMPLES[9])
    writer.close()
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [ev.parse_line(x).type for x in lines] == ["log", "sweep_finished"]


def test_oversized_events_are_refused(tmp_path):
    writer = ev.JsonlEmitter(tmp_path / "e.jsonl")
    with pytest.raises(ValueError, match="too large"):
        writer(ev.Log(sweep="s", level="info", message="x" * 70_000))
    writer.close()
