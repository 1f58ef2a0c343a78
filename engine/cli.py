"""`fmfl-engine`: run a sweep, show its plan, re-classify a zone table (SPEC §7).

Exit codes: 0 done; 2 bad input, one line on stderr naming the field and the fix, before
any training; 1 anything else, also written as an `error` event. With `--events -`
stdout carries the event stream and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from engine import catalog
from engine.errors import ConfigError

PROG = "fmfl-engine"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {PROG} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Does a model memorise a feature, or learn it?")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a sweep")
    _preset_args(run)
    run.add_argument("--out", type=Path, help="run directory (default: runs/<name>-<time>)")
    run.add_argument("--events", choices=["-"], help="'-': write the event stream to stdout")
    run.set_defaults(func=cmd_run)

    resume = sub.add_parser(
        "resume", help="continue a stopped or killed sweep from its run directory"
    )
    resume.add_argument(
        "run_dir", type=Path, metavar="RUN_DIR", help="the run directory of the sweep"
    )
    resume.add_argument("--events", choices=["-"], help="'-': write the event stream to stdout")
    resume.set_defaults(func=cmd_resume)

    plan = sub.add_parser("plan", help="list the runs a preset would do, without data")
    _preset_args(plan)
    plan.set_defaults(func=cmd_plan)

    zones = sub.add_parser("zones", help="re-classify a zone table with other thresholds")
    zones.add_argument(
        "table", type=Path, help="CSV with count, s_sens, p_value, mp_diff, acc_diff"
    )
    zones.add_argument(
        "--sigma1", type=float, default=3.5, help="Avg-MP-Diff threshold (default 3.5)"
    )
    zones.add_argument(
        "--sigma2", type=float, default=3.0, help="Avg-TestAcc-Diff threshold (default 3.0)"
    )
    zones.add_argument(
        "--alpha", type=float, default=0.05, help="significance level (default 0.05)"
    )
    zones.add_argument("--out", type=Path, help="write the CSV here instead of stdout")
    zones.set_defaults(func=cmd_zones)

    lister = sub.add_parser("list", help="list shipped presets, datasets and models")
    lister.set_defaults(func=cmd_list)

    report = sub.add_parser("report", help="the paper's figures and a Markdown report of a run")
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a sweep's run directory")
    report.add_argument("--out", type=Path, help="where to write (default: RUN_DIR/report)")
    report.add_argument(
        "--parquet", action="store_true", help="also write the epochs, runs and zones tables"
    )
    report.set_defaults(func=cmd_report)
    return parser


def _preset_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("preset", help="a preset name (e.g. quickstart) or a .toml file")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field, e.g. --set train.epochs=2 --set sweep.counts=[0,20]",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc.line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `fmfl-engine plan ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def cmd_run(args: argparse.Namespace) -> int:
    from engine.config import load_setup

    setup = load_setup(args.preset, args.overrides)
    sweep_id = f"{setup.name.replace('/', '-')}-{time.strftime('%Y%m%d-%H%M%S')}"
    out = args.out or Path("runs") / sweep_id

    # Torch is imported only once the input is known to be good: bad input answers fast.
    from engine import rundir
    from engine.sweep import run_sweep

    rundir.prepare_out_dir(out)
    return _drive(
        out,
        sweep_id,
        args.events == "-",
        lambda emit, stop, _: run_sweep(setup, out, emit, sweep_id=sweep_id, should_stop=stop),
    )


def cmd_resume(args: argparse.Namespace) -> int:
    from engine import rundir
    from engine.sweep import load_stored_setup, resume_sweep, sweep_id_of

    out = args.run_dir
    load_stored_setup(out)  # a missing or broken run directory answers before torch loads
    rundir.check_writable(out, "RUN_DIR")
    return _drive(
        out,
        sweep_id_of(out),
        args.events == "-",
        lambda emit, stop, repaired: resume_sweep(out, emit, should_stop=stop, repaired=repaired),
    )


def _drive(out: Path, sweep: str, to_stdout: bool, start) -> int:  # noqa: ANN001 - (emit, stop, repaired) -> SweepOutcome
    """Run a sweep under a lock, with clean stops on SIGINT/SIGTERM and every failure
    reported as an event and one line; the shared part of `run` and `resume`."""
    from engine import rundir
    from engine.events import Error, JsonlEmitter, Log, OutputError
    from engine.interrupt import Interrupted, StopSignal
    from engine.progress import Progress
    from engine.zones import format_table

    lock = rundir.SweepLock(out).acquire()
    stop = StopSignal().install()
    repaired = rundir.repair_events(out / rundir.EVENTS)  # before anything is appended
    writer = JsonlEmitter(out / rundir.EVENTS, also=sys.stdout if to_stdout else None)
    progress = Progress(sys.stderr)

    def emit(event):  # noqa: ANN001, ANN202
        writer(event)
        progress(event)
        if event.type == "epoch":
            lock.touch()  # a live engine's lock stays fresh

    try:
        if lock.note:
            emit(Log(sweep=sweep, level="warning", message=lock.note))
        outcome = start(emit, stop, repaired)
    except Interrupted:
        print(
            f"{PROG}: stopped by {stop.name}; finished runs are kept. Continue with: fmfl-engine resume {out}",
            file=sys.stderr,
        )
        return 128 + (stop.signum or 2)  # 130 for SIGINT, 143 for SIGTERM
    except OutputError as exc:
        print(
            f"{PROG}: stopped: {exc.strerror}. Free space, then: fmfl-engine resume {out}",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        # A write failure mid-sweep: what is written stays whole (atomic tables, whole
        # event lines, checkpoints by rename), so the sweep can be resumed.
        with contextlib.suppress(OSError):
            emit(Error(sweep=sweep, message=f"{type(exc).__name__}: {exc}", kind="io"))
        print(
            f"{PROG}: stopped: cannot write ({exc}). Fix it, then: fmfl-engine resume {out}",
            file=sys.stderr,
        )
        return 1
    except ConfigError:
        raise
    except Exception as exc:  # report any failure as an event, then exit 1
        detail = traceback.format_exc()[-8000:]
        with contextlib.suppress(OSError):
            emit(Error(sweep=sweep, message=f"{type(exc).__name__}: {exc}", kind="crash"))
            writer(Error(sweep=sweep, message=detail, kind="traceback"))
        print(
            f"{PROG}: failed: {type(exc).__name__}: {exc} (details in {out / rundir.EVENTS})",
            file=sys.stderr,
        )
        return 1
    finally:
        writer.close()
        lock.release()
    table = format_table(outcome.zones)
    stream = sys.stderr if to_stdout else sys.stdout
    print(f"\n{table}\n\nrun directory: {out}  (zones.csv, runs.csv, events.jsonl)", file=stream)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from engine.config import load_setup
    from engine.plan import plan_runs

    setup = load_setup(args.preset, args.overrides)
    info = catalog.DATASETS[setup.data.dataset]
    size = catalog.train_per_class(info, setup.data.test_fraction, setup.data.per_class_limit)
    runs = plan_runs(setup)
    total_epochs = len(runs) * setup.train.epochs
    print(
        f"{setup.name}: {setup.data.dataset} / {setup.model.name}, z_u={setup.feature.text!r}, "
        f"C_i={setup.classes.c_i} C_j={setup.classes.c_j} y_Lfixed={setup.classes.y_fixed}"
    )
    size_note = f"{size} training samples in C_i" if size else "C_i size known after loading"
    print(f"{len(runs)} runs x {setup.train.epochs} epochs = {total_epochs} epochs; {size_note}")
    print(f"{'#':>4}  {'run':<22} {'mode':<9} {'seed':>4} {'count':>6} {'ratio%':>7}")
    for r in runs:
        d = r.to_dict(size)
        ratio = f"{d['ratio']:.2f}" if size else "?"
        print(f"{r.index:>4}  {r.run:<22} {r.mode:<9} {r.seed:>4} {r.count:>6} {ratio:>7}")
    return 0


def cmd_zones(args: argparse.Namespace) -> int:
    import pandas as pd

    from engine.zones import REQUIRED_COLUMNS, classify

    try:
        table = pd.read_csv(args.table)
    except FileNotFoundError:
        raise ConfigError(
            "TABLE", f"{args.table} does not exist", "give the path of a CSV file"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "TABLE", f"{args.table} is not a readable CSV ({exc})", "give a CSV file"
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ConfigError(
            "TABLE",
            f"{args.table} lacks column(s) {', '.join(missing)}",
            f"it needs {', '.join(REQUIRED_COLUMNS)}",
        )
    out = classify(table, args.sigma1, args.sigma2, args.alpha)
    if args.out:
        from engine.rundir import atomic_write_text

        atomic_write_text(args.out, out.to_csv(index=False))
    else:
        sys.stdout.write(out.to_csv(index=False))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from engine.config import list_presets

    print("presets:  " + ", ".join(list_presets()))
    print("datasets:")
    for info in catalog.DATASETS.values():
        print(f"  {info.name:<16} {info.summary}")
    print("models:")
    for model in catalog.MODELS.values():
        print(f"  {model.name:<16} {model.summary}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from engine.report import make_report

    written = make_report(args.run_dir, args.out, parquet=args.parquet)
    report = next((p for p in written if p.name == "report.md"), written[-1])
    print(f"{len(written)} files in {report.parent}  (report.md, figures as PNG and SVG)")
    return 0
