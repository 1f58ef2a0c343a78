"""The sources without the app: line splitting, malformed lines, missing files, replay
pacing and back-pressure, and following a file that is still being written."""

from __future__ import annotations

import asyncio
import time

import pytest

from engine.events import Epoch, SweepFinished, SweepStarted
from fmfl_tui.engine_client import (
    AttachSource,
    EventBatch,
    LineParser,
    ReplaySource,
    Skipped,
    SourceEnded,
    SourceError,
    SourceNote,
    events_file,
)

from .conftest import DATA


class Collector:
    """Stands in for the app: records messages and applies batches at once."""

    def __init__(self) -> None:
        self.messages: list[object] = []

    def __call__(self, message: object) -> bool:
        self.messages.append(message)
        if isinstance(message, EventBatch):
            message.done()
        return True

    def items(self) -> list[object]:
        return [i for m in self.messages if isinstance(m, EventBatch) for i in m.items]

    def ended(self) -> SourceEnded:
        (end,) = [m for m in self.messages if isinstance(m, SourceEnded)]
        return end


def test_parser_keeps_an_unfinished_line_until_its_end_arrives():
    parser = LineParser()
    line = (DATA / "replay_small" / "events.jsonl").read_bytes().split(b"\n")[0]
    assert parser.feed(line[:100]) == []
    (event,) = parser.feed(line[100:] + b"\n")
    assert isinstance(event, SweepStarted)
    assert parser.feed(b"not json\n")[0] == Skipped(2, "not JSON (Expecting value at column 1)")
    parser.feed(b'{"v":1,"type":"epoch"')
    (skipped,) = parser.flush()
    assert isinstance(skipped, Skipped) and "truncated" in skipped.message


def test_missing_paths_get_one_clear_line(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        events_file(tmp_path / "nope")
    with pytest.raises(SourceError, match="holds no events.jsonl"):
        events_file(tmp_path)
    assert events_file(DATA / "replay_small") == DATA / "replay_small" / "events.jsonl"


async def test_replay_reports_bad_lines_in_order_and_reads_on(monkeypatch):
    from fmfl_tui import engine_client

    monkeypatch.setattr(engine_client, "BATCH", 1)  # a batch of an unknown type is empty
    post = Collector()
    await ReplaySource(post, DATA / "malformed.jsonl", speed=None).run()
    items = post.items()
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [s.line for s in skipped] == [20, 21, 22]
    assert "not JSON" in skipped[0].message and "missing fields" in skipped[2].message
    assert isinstance(items[-1], SweepFinished)  # everything after the bad lines still came
    assert post.ended().ok


async def test_replay_of_a_truncated_file_warns_about_the_cut_line():
    post = Collector()
    await ReplaySource(post, DATA / "truncated.jsonl", speed=None).run()
    last = post.items()[-1]
    assert isinstance(last, Skipped) and last.line == 41 and "truncated" in last.message


async def test_replay_of_a_missing_file_ends_with_the_reason(tmp_path):
    post = Collector()
    await ReplaySource(post, tmp_path / "gone.jsonl", speed=None).run()
    end = post.ended()
    assert not end.ok and "does not exist" in end.message


async def test_replay_speed_follows_the_recorded_pace(tmp_path):
    lines = (DATA / "replay_small" / "events.jsonl").read_text().splitlines()
    epochs = [line for line in lines if '"type":"epoch"' in line][:4]  # ~2.5 s recorded
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(epochs) + "\n")
    post = Collector()
    start = time.monotonic()
    await ReplaySource(post, path, speed=5.0).run()
    took = time.monotonic() - start
    first, last = post.items()[0], post.items()[-1]
    assert isinstance(first, Epoch)
    expected = (last.ts - first.ts) / 5.0
    assert expected * 0.8 <= took <= expected + 1.0


async def test_back_pressure_bounds_batches_in_flight(monkeypatch):
    from fmfl_tui import engine_client

    monkeypatch.setattr(engine_client, "BATCH", 10)
    held: list[EventBatch] = []
    source = ReplaySource(held.append, DATA / "replay_small" / "events.jsonl", speed=None)
    task = asyncio.create_task(source.run())
    await asyncio.sleep(0.3)
    assert len(held) == engine_client.MAX_IN_FLIGHT  # the source waits for the app
    for batch in held:
        batch.done()
    while not task.done():
        for batch in held:
            if isinstance(batch, EventBatch):
                batch.done()
        await asyncio.sleep(0.01)
    assert isinstance(held[-1], SourceEnded)


async def test_attach_reads_history_then_follows_until_the_sweep_finishes(tmp_path):
    lines = (DATA / "replay_small" / "events.jsonl").read_text().splitlines(keepends=True)
    path = tmp_path / "events.jsonl"
    path.write_text("".join(lines[:50]) + lines[50][:40])  # mid-write: half a line
    post = Collector()
    task = asyncio.create_task(AttachSource(post, tmp_path, poll=0.02).run())
    while not any(isinstance(m, SourceNote) and "following" in m.text for m in post.messages):
        await asyncio.sleep(0.02)
    assert len(post.items()) == 50 and not task.done()
    with path.open("a") as f:
        f.write(lines[50][40:] + "".join(lines[51:]))
    await asyncio.wait_for(task, 5)
    assert not any(isinstance(i, Skipped) for i in post.items())  # the half line was joined
    assert len(post.items()) == len(lines)
    assert post.ended().ok


async def test_attach_to_a_missing_run_dir_says_so(tmp_path):
    post = Collector()
    await AttachSource(post, tmp_path / "nope").run()
    assert not post.ended().ok and "is not a run directory" in post.ended().message
