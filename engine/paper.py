"""The paper's own numbers (Appendix D, Tables 1-8) beside a sweep's zone table.

The tables ship as CSV under `presets/paper/tables/`; a preset names one with
`paper_table`. They describe the FM-FL setup (noise mode `none`, target C_i), so only
those zone rows get `paper_*` columns, matched by ratio: the paper prints ratios to two
decimals, so a row matches when the ratios agree within that rounding (or 1%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.config import presets_dir
from engine.errors import ConfigError

PAPER_COLUMNS = ("paper_mp", "paper_mp_diff", "paper_acc", "paper_acc_diff", "paper_zone")


def table_names() -> list[str]:
    return sorted(p.stem for p in (presets_dir() / "paper" / "tables").glob("*.csv"))


def load_table(name: str, sigma1: float = 3.5, sigma2: float = 3.0) -> pd.DataFrame:
    """A paper table with its zones (N/A rows: A; else B or C by the thresholds)."""
    path = presets_dir() / "paper" / "tables" / f"{name}.csv"
    if not path.is_file():
        raise ConfigError(
            "paper_table", f"no paper table '{name}'", f"use one of: {', '.join(table_names())}"
        )
    table = pd.read_csv(path, comment="#")
    learned = (table["mp_diff"] > sigma1) | (table["acc_diff"] > sigma2)
    table["zone"] = np.where(table["mp"].isna(), "A", np.where(learned, "C", "B"))
    table.loc[table["ratio"] == 0, "zone"] = ""  # the reference row has no zone
    return table


def attach(zones: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """`zones` with paper_* columns filled on the none/C_i rows whose ratio matches."""
    out = zones.copy()
    for column in PAPER_COLUMNS:
        out[column] = np.nan if column != "paper_zone" else ""
    rows = (out["mode"] == "none") & (out["role"] == "c_i")
    for i in out.index[rows]:
        ratio = out.at[i, "ratio"]
        gap = (table["ratio"] - ratio).abs()
        best = gap.idxmin()
        if gap[best] <= max(0.0051, 0.01 * ratio):
            for column, source in zip(
                PAPER_COLUMNS, ("mp", "mp_diff", "acc", "acc_diff", "zone"), strict=True
            ):
                out.at[i, column] = table.at[best, source]
    return out
