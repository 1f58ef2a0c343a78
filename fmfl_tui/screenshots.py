"""Save the README's pictures of the console: the live, zone and explain screens as SVG.

    python -m fmfl_tui.screenshots docs/ [--size 100x30]

Plays the shipped quickstart recording headless. `live.svg`: its first part (cut
mid-sweep, while the run started last is at epoch 5), attached to as if the sweep were
still running. `zones.svg`: all of it replayed, showing the fixed-label table for
y_Lfixed, the paper's headline. `explain.svg`: the Explain view on a GradCAM of the run
with the most stamped zeros under fixed noisy labels. Nothing is trained.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from textual.widgets import OptionList, TabbedContent

from engine.config import presets_dir
from fmfl_tui.app import LabApp
from fmfl_tui.widgets.zone_grid import ZoneGrid


def quickstart_replay() -> Path:
    """The shipped recording, relative to the working directory when inside it (the zone
    screen shows where the files are)."""
    path = presets_dir() / "replays" / "quickstart"
    relative = Path(os.path.relpath(path))
    return relative if not str(relative).startswith("..") else path


def mid_sweep(lines: list[str]) -> list[str]:
    """The lines up to the first point past half-way where the run started last reaches
    epoch 5: a screen with a sweep in progress and a run well under way."""
    latest = ""
    for i, line in enumerate(lines):
        event = json.loads(line)
        if event.get("type") == "run_started":
            latest = event["run"]
        if (
            i > len(lines) // 2
            and event.get("type") == "epoch"
            and event.get("run") == latest
            and event.get("epoch") == 5
        ):
            return lines[: i + 1]
    return lines


async def _until(app: LabApp, pilot, ready, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("the replay did not get there")
        await pilot.pause(0.05)


async def save_live(run_dir: Path, out: Path, size: tuple[int, int]) -> None:
    app = LabApp(attach=run_dir)
    async with app.run_test(size=size) as pilot:
        await _until(app, pilot, lambda: any("following" in e.text for e in app.state.log))
        await _until(app, pilot, lambda: not app.dirty)
        await pilot.pause(0.2)
        app.save_screenshot(out.name, str(out.parent))


async def save_zones(events: Path, out: Path, size: tuple[int, int]) -> None:
    app = LabApp(replay=events, speed=None)
    async with app.run_test(size=size) as pilot:
        await _until(app, pilot, lambda: app.current_mode == "zones")
        await _until(app, pilot, lambda: isinstance(app.focused, ZoneGrid))
        tabs = app.screen.query_one(TabbedContent)
        await _until(app, pilot, lambda: tabs.active != "")
        panes = [p.id for p in tabs.query("TabPane")]
        tabs.active = panes[-1]
        await pilot.pause(0.2)
        app.save_screenshot(out.name, str(out.parent))


async def save_explain(events: Path, out: Path, size: tuple[int, int], run: str) -> None:
    app = LabApp(replay=events, speed=None)
    async with app.run_test(size=size) as pilot:
        await _until(app, pilot, lambda: app.current_mode == "zones")
        await pilot.press("e")
        listing = app.screen.query_one(OptionList)
        await _until(app, pilot, lambda: listing.option_count > 0)
        labels = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        listing.highlighted = next((i for i, t in enumerate(labels) if f" {run} " in t), 0)
        listing.focus()
        await pilot.pause(0.3)
        app.save_screenshot(out.name, str(out.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where live.svg, zones.svg and explain.svg go")
    parser.add_argument("--size", default="100x30", help="terminal size, WxH")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    args.folder.mkdir(parents=True, exist_ok=True)
    source = quickstart_replay()
    with tempfile.TemporaryDirectory() as tmp:
        lines = (source / "events.jsonl").read_text(encoding="utf-8").splitlines()
        part = "\n".join(mid_sweep(lines)) + "\n"
        (Path(tmp) / "events.jsonl").write_text(part, encoding="utf-8")
        asyncio.run(save_live(Path(tmp), args.folder / "live.svg", size))
    asyncio.run(save_zones(source, args.folder / "zones.svg", size))
    asyncio.run(save_explain(source, args.folder / "explain.svg", size, "fixed-k200-s0"))
    names = ", ".join(str(args.folder / f"{n}.svg") for n in ("live", "zones", "explain"))
    print(f"wrote {names}")


if __name__ == "__main__":
    main()
