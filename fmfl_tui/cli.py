"""`fmfl-tui`: the console's command line.

```
fmfl-tui [--preset NAME] [--set KEY=VALUE ...]     the setup screen, then a live sweep
fmfl-tui --replay RUN_DIR_OR_EVENTS_FILE [--speed X|max]
fmfl-tui attach RUN_DIR                            follow a sweep started elsewhere
```
Bad arguments, an unknown preset or a missing file: one line on stderr, exit code 2,
before the screen opens.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import apply_overrides, read_toml, resolve_preset
from engine.errors import ConfigError
from fmfl_tui.engine_client import SourceError, events_file

if TYPE_CHECKING:
    from fmfl_tui.app import LabApp

PROG = "fmfl-tui"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {PROG} --help)\n")


def speed(text: str) -> float | None:
    """`--speed`: a factor on the recorded pace, or `max` (or 0) for as fast as possible."""
    if text.lower() in ("max", "0", "inf"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number or 'max'") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be positive, or 'max'")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="The fmfl lab console: set up a sweep and watch it, replay one, or "
        "attach to one (`fmfl-tui attach RUN_DIR`).",
    )
    parser.add_argument("--preset", default="quickstart", help="preset to open (quickstart)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="prefill a field, as `fmfl-engine run --set` (e.g. train.epochs=2)",
    )
    parser.add_argument(
        "--replay", metavar="PATH", help="play a recorded run directory or events.jsonl"
    )
    parser.add_argument(
        "--speed",
        type=speed,
        default=argparse.SUPPRESS,
        metavar="X",
        help="replay at X times the recorded pace (default 10; 'max' for no waiting)",
    )
    return parser


def build_attach_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{PROG} attach",
        description="Follow a sweep started elsewhere (e.g. nohup fmfl-engine run ... &): "
        "its history, then live. Quitting leaves the engine running.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the sweep's run directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app = make_app(args)
    except (ConfigError, SourceError) as exc:
        text = exc.line() if isinstance(exc, ConfigError) else str(exc)
        print(f"{PROG}: error: {text}", file=sys.stderr)
        return 2
    app.run()
    if app.attach is not None and app.state.finished is None:
        print(f"{PROG}: detached; the sweep in {app.attach} runs on", file=sys.stderr)
    return int(app.return_code or 0)


def make_app(args: list[str]) -> LabApp:
    """The app for a command line, or ConfigError / SourceError for bad input. The app
    module is imported only once the arguments are good, so `--help` answers at once."""
    if args[:1] == ["attach"]:
        ns = build_attach_parser().parse_args(args[1:])
        run_dir = Path(ns.run_dir)
        if not run_dir.is_dir():
            raise SourceError(f"{run_dir} is not a run directory; give the folder of a sweep")
        from fmfl_tui.app import LabApp

        return LabApp(attach=run_dir)
    ns = build_parser().parse_args(args)
    from fmfl_tui.app import DEFAULT_SPEED, LabApp

    if ns.replay is not None:
        if ns.overrides:
            raise ConfigError("--set", "has no effect with --replay", "leave it out")
        events_file(ns.replay)  # raises SourceError with a clear line
        pace = ns.speed if hasattr(ns, "speed") else DEFAULT_SPEED
        return LabApp(replay=ns.replay, speed=pace)
    if hasattr(ns, "speed"):
        raise ConfigError("--speed", "only applies to --replay", "add --replay PATH")
    apply_overrides(read_toml(resolve_preset(ns.preset)), ns.overrides)  # unknown keys: exit 2
    return LabApp(preset=ns.preset, overrides=ns.overrides)
