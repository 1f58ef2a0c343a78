"""The run directory contract (SPEC §7) and how files in it are written.

```
<out>/config.toml        the resolved setup
<out>/events.jsonl       the event stream, one JSON object per line
<out>/runs.csv           final metrics, one row per run and target class
<out>/zones.csv          one row per noise mode x target class x count
<out>/runs/<run>/samples.npz   per-sample p(c|x_u), p(c|x_c) at the final epoch
                               (and, for baselines, predictions on X_noisy per epoch)
```
Tables are replaced atomically (temp file + rename), so a reader or a crash never sees
half a CSV.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import ConfigError

CONFIG = "config.toml"
EVENTS = "events.jsonl"
RUNS = "runs.csv"
ZONES = "zones.csv"


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
        raise ConfigError("--out", f"{out} already holds a sweep", "choose a new folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            "--out", f"cannot write to {out} ({exc.strerror})", "choose a writable folder"
        ) from None


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
