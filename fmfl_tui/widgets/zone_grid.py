"""One zone table (SPEC §4) as a DataTable: a row per count k with the seed means, the
spread of the two differences, and the zone, coloured and spelled out (A (neither) /
B FM / C FL). A `~` after the zone marks a borderline call: the 95% interval over seeds
straddles σ1 or σ2, so other seeds could flip it. `detail()` spells out a row's per-seed
values and intervals for the line under the table.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from engine.events import ZoneTable
from fmfl_tui.format import fixed, p_value, signed, spread
from fmfl_tui.state import num

ZONE_NAMES = {"A": "A (neither)", "B": "B FM", "C": "C FL"}
"""The same names as `engine.zones.ZONE_NAMES` (a test keeps them equal); not imported
from there because that module loads pandas and scipy, seconds of start-up time."""
ZONE_STYLES = {"A": "dim", "B": "bold yellow", "C": "bold red"}
BORDERLINE = "~"
COLUMNS = ("k", "ratio%", "S_sens", "p", "MP-Diff±sd", "Acc-Diff±sd", "LM", "zone")
PAPER_COLUMNS = ("paper MP-Diff", "paper Acc-Diff", "paper zone")
"""Shown when the setup is a paper preset: its Appendix D values for the same ratio."""


def zone_text(zone: str, borderline: bool) -> Text:
    """`C FL~` in the zone's colour: the letter and the name carry the meaning too."""
    label = ZONE_NAMES.get(zone, str(zone)) + (BORDERLINE if borderline else "")
    return Text(label, style=ZONE_STYLES.get(zone, ""))


def table_title(table: ZoneTable, class_of: str) -> str:
    target = "C_i" if table.role == "c_i" else "y_L"
    return f"{table.mode} · {target}={class_of}"


class ZoneGrid(DataTable):
    """The rows of one ZoneTable event."""

    def __init__(self, table: ZoneTable, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.table = table
        self.rows_data: list[dict[str, Any]] = [r for r in table.rows if isinstance(r, dict)]
        self.paper = any(
            r.get("paper_zone") not in (None, "") or not math.isnan(num(r.get("paper_mp_diff")))
            for r in self.rows_data
        )

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS, *(PAPER_COLUMNS if self.paper else ()))
        for row in self.rows_data:
            self.add_row(*self.cells(row), *(self.paper_cells(row) if self.paper else ()))

    @staticmethod
    def paper_cells(row: dict[str, Any]) -> tuple[Any, ...]:
        """The paper's value beside the user's; blank where the paper has no such ratio."""
        mp, acc = num(row.get("paper_mp_diff")), num(row.get("paper_acc_diff"))
        zone = row.get("paper_zone")
        zone = zone if isinstance(zone, str) else ""
        return (
            Text("" if math.isnan(mp) else signed(mp, 2), justify="right"),
            Text("" if math.isnan(acc) else signed(acc, 2), justify="right"),
            zone_text(zone, False) if zone else Text(""),
        )

    @staticmethod
    def cells(row: dict[str, Any]) -> tuple[Any, ...]:
        return (
            Text(str(row.get("count", "?")), justify="right"),
            Text(fixed(num(row.get("ratio"))), justify="right"),
            Text(signed(num(row.get("s_sens")), 3), justify="right"),
            Text(p_value(num(row.get("p_value"))), justify="right"),
            Text(spread(num(row.get("mp_diff")), num(row.get("mp_diff_std"))), justify="right"),
            Text(spread(num(row.get("acc_diff")), num(row.get("acc_diff_std"))), justify="right"),
            Text(fixed(num(row.get("lm"))), justify="right"),
            zone_text(str(row.get("zone", "?")), bool(row.get("borderline"))),
        )

    def detail(self, index: int) -> Text:
        """Per-seed values and 95% intervals of row `index`, against σ1 and σ2."""
        if not 0 <= index < len(self.rows_data):
            return Text("")
        row = self.rows_data[index]
        t = self.table
        out = Text()
        out.append(f"k={row.get('count')} ", style="bold")
        out.append(f"seeds {row.get('seeds', '-')} · ")
        out.append(f"S_sens {_seeds(row.get('s_sens_seeds'))} · ")
        out.append(
            f"MP-Diff {_seeds(row.get('mp_diff_seeds'))} "
            f"95% {_interval(row, 'mp_diff')} vs σ1 {t.sigma1:g} · "
        )
        out.append(
            f"Acc-Diff {_seeds(row.get('acc_diff_seeds'))} "
            f"95% {_interval(row, 'acc_diff')} vs σ2 {t.sigma2:g}"
        )
        if row.get("borderline"):
            out.append(f"  {BORDERLINE} borderline", style="bold")
        return out


def _seeds(joined: Any) -> str:
    if not isinstance(joined, str) or not joined:
        return "-"
    values = []
    for part in joined.split(";"):
        try:
            values.append(f"{float(part):.3g}")
        except ValueError:
            values.append(part)
    return ";".join(values)


def _interval(row: dict[str, Any], key: str) -> str:
    lo, hi = num(row.get(f"{key}_lo")), num(row.get(f"{key}_hi"))
    if math.isnan(lo) or math.isnan(hi):
        return "[-]"
    return f"[{lo:.1f}, {hi:.1f}]"
