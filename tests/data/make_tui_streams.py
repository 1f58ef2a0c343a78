"""Make the small event streams the console's tests replay, from the shipped recording.

Run from the repository root: `python tests/data/make_tui_streams.py`. It writes

- `replay_small/events.jsonl`: the whole quickstart sweep (plan, every run's start and
  end, the zone tables) with the per-epoch events of only six runs, so a replay is fast;
- `mid_sweep.jsonl`: the recording cut in the middle, when the run started last is at
  epoch 5 (for the live screen);
- `malformed.jsonl`: `replay_small` with a line that is not JSON, a truncated line, an
  event missing fields and an unknown event type in the middle;
- `truncated.jsonl`: the first lines of the recording, cut in the middle of a line.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE.parent.parent / "presets" / "replays" / "quickstart" / "events.jsonl"
KEEP_EPOCHS = {"k0-s0", "k0-s1", "k0-s2", "fixed-k20-s0", "fixed-k200-s1", "fixed-k200-s2"}


def main() -> None:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]

    small = [
        line
        for line, e in zip(lines, events, strict=True)
        if e["type"] not in ("epoch", "artifact") or e.get("run") in KEEP_EPOCHS
    ]
    (HERE / "replay_small").mkdir(exist_ok=True)
    (HERE / "replay_small" / "events.jsonl").write_text("\n".join(small) + "\n")

    cut, latest = 0, ""
    for i, e in enumerate(events):
        latest = e["run"] if e["type"] == "run_started" else latest
        if i > 300 and e["type"] == "epoch" and e["run"] == latest and e["epoch"] == 5:
            cut = i
            break
    finished = {e["run"] for e in events[:cut] if e["type"] == "run_finished"}
    recent = {e["run"] for e in events[cut - 30 : cut] if e["type"] == "run_started"}
    mid = [
        line
        for line, e in zip(lines[: cut + 1], events[: cut + 1], strict=True)
        if e["type"] != "artifact"
        and not (e["type"] == "epoch" and e["run"] in finished and e["run"] not in recent)
    ]
    (HERE / "mid_sweep.jsonl").write_text("\n".join(mid) + "\n")

    at = small.index(next(line for line in small if '"type":"run_finished"' in line))
    bad = [
        "this is not JSON",
        small[at][: len(small[at]) // 2],
        json.dumps({"v": 1, "type": "run_started", "sweep": "x", "run": "k0-s9"}),
        json.dumps({"v": 1, "type": "from_the_future", "sweep": "x", "detail": 1}),
    ]
    malformed = small[:at] + bad + small[at:]
    (HERE / "malformed.jsonl").write_text("\n".join(malformed) + "\n")

    head = lines[:40]
    (HERE / "truncated.jsonl").write_text("\n".join(head) + "\n" + lines[40][:200])


if __name__ == "__main__":
    main()
