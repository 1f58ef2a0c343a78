"""The run directory contract (SPEC §7) and how files in it are written.

```
<out>/config.toml        the resolved setup
<out>/events.jsonl       the event stream, one JSON object per line
<out>/runs.csv           final metrics, one row per run and target class
<out>/zones.csv          one row per noise mode x target class x count
<out>/runs/<run>/samples.npz   per-sample p(c|x_u), p(c|x_c) at the final epoch
                               (and, for baselines, predictions on X_noisy per epoch)
<out>/runs/<run>/checkpoint.pt while a run trains: everything needed to continue it
<out>/.lock                    held by the engine working on the sweep
```
Tables are replaced atomically (temp file + rename), so a reader or a crash never sees
half a CSV; events are appended one whole line at a time, and `repair_events` cuts a
line a kill left half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import ConfigError

CONFIG = "config.toml"
EVENTS = "events.jsonl"
RUNS = "runs.csv"
ZONES = "zones.csv"
LOCK = ".lock"
MIN_FREE_BYTES = 100 * 2**20
"""Below this much free space a sweep does not start: events, tables and checkpoints
need room, and a full disk mid-sweep costs a stop and a resume."""


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder, fsync, then rename over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: Path, table: pd.DataFrame) -> None:
    atomic_write_text(path, table.to_csv(index=False))


def prepare_out_dir(out: Path) -> None:
    """Create the run directory; refuse one that already holds a sweep or cannot be written."""
    if (out / EVENTS).exists():
        raise ConfigError(
            "--out",
            f"{out} already holds a sweep",
            f"choose a new folder, or continue it: fmfl-engine resume {out}",
        )
    check_writable(out, "--out")


def check_writable(out: Path, field: str) -> None:
    """Refuse a folder that cannot be created or written, or whose disk is (nearly) full."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            field, f"cannot write to {out} ({exc.strerror})", "choose a writable folder"
        ) from None
    free = shutil.disk_usage(out).free
    if free < MIN_FREE_BYTES:
        raise ConfigError(
            field,
            f"only {free / 2**20:.0f} MB free where {out} lies",
            f"free at least {MIN_FREE_BYTES / 2**20:.0f} MB or choose another folder",
        )


REPAIR_BLOCK = 1 << 16


def repair_events(path: Path) -> str:
    """Cut a last line that a kill left half-written; say what was cut ('' if nothing)."""
    if not path.is_file():
        return ""
    with path.open("r+b") as f:
        size = f.seek(0, os.SEEK_END)
        if not size:
            return ""
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return ""  # the usual case: one byte read, however long the sweep's history
        keep, end = 0, size
        while end > 0:  # back to the last whole line, a block at a time
            start = max(0, end - REPAIR_BLOCK)
            f.seek(start)
            found = f.read(end - start).rfind(b"\n")
            if found >= 0:
                keep = start + found + 1
                break
            end = start
        f.truncate(keep)
        os.fsync(f.fileno())
    return f"cut a half-written last line of {size - keep} bytes from {path.name}"


def checkpoint_path(out: Path, run: str) -> Path:
    return out / "runs" / run / "checkpoint.pt"


# ---------------------------------------------------------------------------- the lock


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks (Linux), to tell a live PID from a reused one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = _start_time(pid)
    return not started or not now or now == started


class SweepLock:
    """One engine per run directory: `.lock` names the holder (pid, host, start time).

    A lock whose process is gone (same host) is stale and taken over, so a killed engine
    never blocks its own resume. A lock from another host is trusted while it is fresh:
    the holder touches it every epoch, and after `stale_after` seconds untouched it is
    taken over too.
    """

    def __init__(self, out: Path, stale_after: float = 3600.0) -> None:
        self.path = out / LOCK
        self.stale_after = stale_after
        self.note = ""

    def acquire(self) -> SweepLock:
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _start_time(os.getpid()),
            "since": time.time(),
        }
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._check_holder()
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            return self
        raise ConfigError(
            "RUN_DIR", f"cannot take the lock {self.path}", "remove it if no engine is running"
        )

    def _check_holder(self) -> None:
        try:
            holder = json.loads(self.path.read_text() or "{}")
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            holder, age = {}, self.stale_after + 1
        pid, host = int(holder.get("pid", 0) or 0), str(holder.get("host", ""))
        if host == socket.gethostname():
            busy = pid > 0 and pid != os.getpid() and _alive(pid, str(holder.get("started", "")))
        else:
            busy = age < self.stale_after
        if busy:
            raise ConfigError(
                "RUN_DIR",
                f"another engine (pid {pid} on {host or '?'}) is working on {self.path.parent}",
                f"stop it first (kill -INT {pid}) or wait for it; a dead engine's lock is taken over",
            )
        self.note = f"took over a stale lock of pid {pid} on {host or '?'}"
        self.path.unlink(missing_ok=True)

    def touch(self) -> None:
        try:
            os.utime(self.path)
        except OSError:
            pass

    def release(self) -> None:
        try:
            if json.loads(self.path.read_text()).get("pid") == os.getpid():
                self.path.unlink()
        except (OSError, ValueError):
            pass


def samples_path(out: Path, run: str) -> Path:
    return out / "runs" / run / "samples.npz"


def save_samples(
    out: Path,
    run: str,
    samples: dict[int, tuple[np.ndarray, np.ndarray]],
    noisy_preds: np.ndarray | None,
) -> Path:
    path = samples_path(out, run)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for target, (stamped, clean) in samples.items():
        arrays[f"stamped_{target}"] = stamped
        arrays[f"clean_{target}"] = clean
    if noisy_preds is not None:
        arrays["noisy_preds"] = noisy_preds
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


def load_samples(
    out: Path, run: str
) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray | None]:
    with np.load(samples_path(out, run)) as data:
        targets = sorted(
            int(name.split("_", 1)[1]) for name in data.files if name.startswith("stamped_")
        )
        samples = {t: (data[f"stamped_{t}"], data[f"clean_{t}"]) for t in targets}
        noisy = data["noisy_preds"] if "noisy_preds" in data.files else None
    return samples, noisy
