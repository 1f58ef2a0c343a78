"""A stand-in for `python -m engine` in the console's fault tests: it replays the first
lines of a recorded stream on stdout, then misbehaves as asked, without training.

    python fake_engine.py MODE run PRESET [--set ...] [--out DIR] --events -

MODE: `crash` (an error event, a traceback on stderr, exit 1), `die` (stderr only, exit
1, no error event), `refuse` (exit 2 with one line, like bad input), `slow` (waits; on
SIGINT reports `interrupted` and exits 130), `stubborn` (ignores SIGINT; SIGTERM ends
it), `write DIR` (writes DIR/events.jsonl slowly, like a detached `nohup` engine).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

STREAM = Path(__file__).parent.parent / "data" / "replay_small" / "events.jsonl"


def head(n: int) -> list[str]:
    with STREAM.open(encoding="utf-8") as f:
        return [next(f).rstrip("\n") for _ in range(n)]


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def event(type_: str, **fields: object) -> str:
    return json.dumps({"v": 1, "type": type_, "sweep": "fake", "ts": 1796416500.0, **fields})


def main() -> int:
    mode = sys.argv[1]
    if mode == "refuse":
        print(
            "fmfl-engine: error: --out: runs/x already holds a sweep; choose a new folder",
            file=sys.stderr,
        )
        return 2
    if mode == "write":
        target = Path(sys.argv[2]) / "events.jsonl"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as f:
            for line in head(20):
                f.write(line + "\n")
                f.flush()
                time.sleep(0.05)
            time.sleep(120)  # a sweep that keeps running after the console leaves
        return 0
    for line in head(6):
        out(line)
    if mode == "crash":
        print("run 1/66 k0-s0 (1s): S_sens=0.011 p=0.313", file=sys.stderr)
        print("Traceback (most recent call last):", file=sys.stderr)
        print("RuntimeError: CUDA out of memory (fake)", file=sys.stderr)
        out(event("error", message="RuntimeError: CUDA out of memory (fake)", kind="crash"))
        out(
            event(
                "error",
                message="Traceback (most recent call last):\n  File x\nRuntimeError: CUDA out of memory (fake)",
                kind="traceback",
            )
        )
        out(event("sweep_finished", status="failed", seconds=1.0, runs_done=0, out_dir="x"))
        return 1
    if mode == "die":
        print("Fatal Python error: Segmentation fault (fake)", file=sys.stderr)
        return 1

    def interrupted(signum: int, frame: object) -> None:
        out(event("sweep_finished", status="interrupted", seconds=1.0, runs_done=0, out_dir="x"))
        sys.exit(130)

    if mode == "slow":
        signal.signal(signal.SIGINT, interrupted)
    elif mode == "stubborn":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    out(event("log", level="info", message="fake engine waiting"))
    time.sleep(120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
