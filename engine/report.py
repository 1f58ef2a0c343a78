"""`fmfl-engine report RUN_DIR`: the paper's figures and a Markdown report from a run directory.

Writes into `<RUN_DIR>/report/` (or `--out`), each figure as PNG and SVG:

- `figure2_<mode>_<role>`: the metrics against the share of stamped samples (paper Fig. 2,
  4, 6, 8): S_sens with its p-value, Avg-MP-Diff and Avg-TestAcc-Diff with the σ lines,
  train accuracy on the stamped samples against Acc_j, and the explanation metric where
  the runs have one; the zones shaded and lettered A / B / C.
- `figure3_<mode>`: the metrics over epochs for a few counts, one per zone (paper Fig. 3,
  7): S_sens and p, LM-score, train accuracy on X_noisy against Acc_j.
- `figure5_modes`: the noise modes side by side (paper Fig. 5, 6).
- `report.md`: the setup, each zone table (the paper's values beside it for a paper
  preset), the figures, and links to the explanation pictures.

With `--parquet` the tidy tables of `engine.results` go beside them as Parquet. The x axes
place counts evenly and label them with their ratio, as the paper does; seeds are
averaged. Everything is drawn with matplotlib's Agg canvas (no display needed).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine import results as results_module
from engine.errors import ConfigError
from engine.explain.artifacts import CAM_KIND, SHAP_KIND

ZONE_FILL = {"A": "#e8e8e8", "B": "#fff2b3", "C": "#ffc9c9"}
ZONE_LABEL = {"A": "A neither", "B": "B FM", "C": "C FL"}
ROLE_NAME = {"c_i": "C_i", "y_fixed": "y_Lfixed"}
P_FLOOR = 1e-16
"""p-values below this are drawn at it: a log axis down to 1e-300 would flatten the rest."""


def make_report(
    run_dir: str | Path, out: str | Path | None = None, parquet: bool = False
) -> list[Path]:
    """Write the figures, the Markdown report (and Parquet tables); return the paths."""
    res = results_module.load(run_dir)
    if res.zones.empty and res.epochs.empty:
        raise ConfigError(
            "RUN_DIR",
            f"{res.run_dir} holds no finished runs (an empty or just-started sweep)",
            "report on a sweep that has trained at least one epoch",
        )
    out_dir = Path(out) if out is not None else res.run_dir / "report"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "--out", f"cannot create {out_dir} ({exc.strerror})", "choose a writable folder"
        ) from None
    written: list[Path] = []
    figures: list[tuple[str, str]] = []  # (stem, caption)
    zones = res.zones
    if not zones.empty:
        for (mode, role), table in zones.groupby(["mode", "role"], sort=False):
            stem = f"figure2_{mode}_{role}"
            written += _save(_figure_ratio(res, str(mode), str(role), table), out_dir, stem)
            figures.append(
                (
                    stem,
                    f"metrics against the ratio: noise {mode}, target {ROLE_NAME.get(str(role), role)}",
                )
            )
        modes = list(dict.fromkeys(str(m) for m in zones["mode"]))
        if len(modes) > 1:
            written += _save(_figure_modes(res, modes), out_dir, "figure5_modes")
            figures.append(("figure5_modes", "the noise modes side by side"))
    if not res.epochs.empty:
        for mode in _modes(res):
            fig = _figure_epochs(res, mode)
            if fig is not None:
                written += _save(fig, out_dir, f"figure3_{mode}")
                figures.append((f"figure3_{mode}", f"metrics over epochs: noise {mode}"))
    report = out_dir / "report.md"
    report.write_text(_markdown(res, figures, out_dir), encoding="utf-8")
    written.append(report)
    if parquet:
        for name, table in res.tables().items():
            path = out_dir / f"{name}.parquet"
            _parquet_safe(table).to_parquet(path, index=False)
            written.append(path)
    return written


# ---------------------------------------------------------------------------------------
# helpers


def _modes(res: results_module.Results) -> list[str]:
    sweep = res.setup.get("sweep", {})
    modes = [m for m in sweep.get("noise_modes", []) if isinstance(m, str)]
    found = [m for m in dict.fromkeys(res.epochs["mode"].dropna().astype(str)) if m != "baseline"]
    return modes or found


def _class(res: results_module.Results, role: str) -> str:
    classes = res.setup.get("classes", {})
    return str(classes.get("c_i" if role == "c_i" else "y_fixed", "?"))


def _c_j(res: results_module.Results) -> str:
    classes = res.setup.get("classes", {})
    return str(classes.get("c_j", "j"))


def _sigma(res: results_module.Results) -> tuple[float, float]:
    m = res.setup.get("metrics", {})
    return float(m.get("sigma1", 3.5)), float(m.get("sigma2", 3.0))


def _figure(rows: int, cols: int, width: float = 4.2, height: float = 2.3):  # noqa: ANN202
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * cols, height * rows + 0.6), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, sharex="col")
    return fig, axes


def _save(fig, out_dir: Path, stem: str) -> list[Path]:  # noqa: ANN001
    fig.tight_layout()
    paths = [out_dir / f"{stem}.png", out_dir / f"{stem}.svg"]
    fig.savefig(paths[0])
    fig.savefig(paths[1], metadata={"Date": None})  # no timestamp: a rerun gives the same file
    return paths


def _log_axis(ax) -> None:  # noqa: ANN001
    """A log axis with a few plain tick labels: matplotlib's default minor ticks and
    math-text labels over 16 decades cost most of a report's drawing time."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=5))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0e}"))


def _shade_zones(ax, zones: list[str], letters: bool) -> None:  # noqa: ANN001
    """Zone bands behind the data, and the letter on top (never colour alone)."""
    for i, zone in enumerate(zones):
        if zone in ZONE_FILL:
            ax.axvspan(i - 0.5, i + 0.5, color=ZONE_FILL[zone], zorder=0, linewidth=0)
            if letters:  # just above the panel, where no curve or legend can hide it
                ax.text(
                    i, 1.01, zone, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=9, fontweight="bold",
                )  # fmt: skip


def _ratio_ticks(ax, table: pd.DataFrame) -> None:  # noqa: ANN001
    labels = [f"{r:.2g}%\nk={int(k)}" for r, k in zip(table["ratio"], table["count"], strict=True)]
    ax.set_xticks(range(len(table)), labels, fontsize=7)
    ax.set_xlim(-0.5, len(table) - 0.5)


def _per_count(res: results_module.Results, mode: str, column: str) -> dict[int, float]:
    """Seed mean of a final-run metric per count (count 0: the baselines)."""
    runs = res.runs
    if runs.empty or column not in runs.columns:
        return {}
    rows = runs[(runs["mode"] == mode) | (runs["count"] == 0)]
    rows = rows.drop_duplicates(["run"])
    values = pd.to_numeric(rows[column], errors="coerce")
    return {int(k): float(v) for k, v in values.groupby(rows["count"]).mean().items()}


def _explain_column(table: pd.DataFrame) -> tuple[str, str] | None:
    for column, label in (
        ("cam_in_stamp", "GradCAM mass in stamp box"),
        ("shap_rank", "SHAP rank of z_u (1 = first)"),
    ):
        if column in table.columns and pd.to_numeric(table[column], errors="coerce").notna().any():
            return column, label
    return None


def _legend_patches(zones: list[str]) -> list[Any]:
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=ZONE_FILL[z], edgecolor="grey", label=ZONE_LABEL[z])
        for z in ("A", "B", "C")
        if z in zones
    ]


# ---------------------------------------------------------------------------------------
# Figure 2 kind: against the ratio


def _figure_ratio(res: results_module.Results, mode: str, role: str, table: pd.DataFrame):  # noqa: ANN202
    table = table.sort_values("count").reset_index(drop=True)
    x = np.arange(len(table))
    zones = [str(z) for z in table["zone"]]
    explain = _explain_column(table)
    rows = 4 if explain else 3
    fig, axes = _figure(rows, 1, width=6.4, height=2.0)
    c = _class(res, role)
    j = _c_j(res)
    sigma1, sigma2 = _sigma(res)

    ax = axes[0, 0]
    _shade_zones(ax, zones, letters=True)
    ax.plot(x, table["s_sens"], "o-", color="tab:blue", label=f"S_sens (class {c})")
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.set_ylabel("S_sens")
    twin = ax.twinx()
    p = pd.to_numeric(table["p_value"], errors="coerce").clip(lower=P_FLOOR)
    twin.plot(x, p, "s--", color="tab:purple", label="p-value")
    twin.axhline(0.05, color="tab:purple", linewidth=0.6, linestyle=":")
    _log_axis(twin)
    twin.set_ylabel("p-value (log)")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles + _legend_patches(zones), fontsize=7, loc="lower right", ncol=2)
    role_name = ROLE_NAME.get(role, role)
    ax.set_title(
        f"noise {mode}, target {role_name} = class {c}: FM and FL by ratio", fontsize=9, pad=14
    )

    ax = axes[1, 0]
    _shade_zones(ax, zones, letters=False)
    ax.errorbar(x, table["mp_diff"], yerr=table.get("mp_diff_std"), fmt="o-", color="tab:red",
                capsize=2, label=f"Avg-MP-Diff (MP_{j},{c})")  # fmt: skip
    ax.errorbar(x, table["acc_diff"], yerr=table.get("acc_diff_std"), fmt="^-", color="tab:green",
                capsize=2, label="Avg-TestAcc-Diff")  # fmt: skip
    ax.axhline(sigma1, color="tab:red", linestyle="--", linewidth=0.8, label=f"σ1 = {sigma1:g}")
    ax.axhline(sigma2, color="tab:green", linestyle=":", linewidth=0.8, label=f"σ2 = {sigma2:g}")
    ax.set_ylabel("points")
    ax.legend(fontsize=7, loc="upper left")

    ax = axes[2, 0]
    _shade_zones(ax, zones, letters=False)
    noisy = _per_count(res, mode, "noisy_acc")
    ax.plot(x, [noisy.get(int(k), math.nan) for k in table["count"]], "o-", color="tab:orange",
            label="train acc. on stamped samples")  # fmt: skip
    ax.plot(x, table["acc"], "s-", color="tab:cyan", label=f"test acc. on stamped C_j = {j}")
    ax.set_ylabel("accuracy %")
    ax.set_ylim(-5, 105)
    ax.legend(fontsize=7, loc="lower left")

    if explain:
        column, label = explain
        ax = axes[3, 0]
        _shade_zones(ax, zones, letters=False)
        ax.plot(
            x, pd.to_numeric(table[column], errors="coerce"), "D-", color="tab:brown", label=label
        )
        ax.set_ylabel(column)
        ax.legend(fontsize=7, loc="upper left")
    _ratio_ticks(axes[-1, 0], table)
    axes[-1, 0].set_xlabel("share of C_i training samples carrying z_u (ratio) and count k")
    return fig


# ---------------------------------------------------------------------------------------
# Figures 3 / 7 kind: over epochs


def _chosen_counts(res: results_module.Results, mode: str) -> list[int]:
    """Up to three counts: the first count of each zone (B, C, A order of interest), then
    the largest, so each column of the figure shows another regime."""
    zones = res.zones
    role = "y_fixed" if mode == "fixed" else "c_i"
    table = (
        zones[(zones["mode"] == mode) & (zones["role"] == role) & (zones["count"] > 0)]
        if not zones.empty
        else zones
    )
    counts: list[int] = []
    if not table.empty:
        for zone in ("A", "B", "C"):
            rows = table[table["zone"] == zone]
            if not rows.empty:
                counts.append(int(rows["count"].iloc[0]))
        largest = int(table["count"].max())
        if largest not in counts:
            counts.append(largest)
    else:
        found = sorted(
            int(k) for k in res.epochs.loc[res.epochs["mode"] == mode, "count"].dropna().unique()
        )
        counts = found[:1] + found[-2:] if len(found) > 3 else found
    return sorted(set(counts))[:3]


def _figure_epochs(res: results_module.Results, mode: str):  # noqa: ANN202
    epochs = res.epochs
    counts = _chosen_counts(res, mode)
    if not counts:
        return None
    fig, axes = _figure(3, len(counts), width=3.6, height=2.1)
    zone_of = {}
    if not res.zones.empty:
        role = "y_fixed" if mode == "fixed" else "c_i"
        t = res.zones[(res.zones["mode"] == mode) & (res.zones["role"] == role)]
        zone_of = dict(zip(t["count"].astype(int), t["zone"].astype(str), strict=True))
    j = _c_j(res)
    for col, k in enumerate(counts):
        rows = epochs[(epochs["mode"] == mode) & (epochs["count"] == k)]
        ratio = rows["ratio"].iloc[0] if not rows.empty else math.nan
        zone = zone_of.get(k, "")
        title = f"k={k} ({ratio:.2g}%)" + (f", zone {ZONE_LABEL.get(zone, zone)}" if zone else "")
        ax = axes[0, col]
        twin = ax.twinx()
        for role, style in (("c_i", "-"), ("y_fixed", "--")):
            r = rows[rows["role"] == role]
            if r.empty:
                continue
            mean = r.groupby("epoch")[["s_sens", "p_value"]].mean(numeric_only=True)
            label = f"class {_class(res, role)}"
            ax.plot(
                mean.index,
                mean["s_sens"],
                "o" + style,
                color="tab:blue",
                markersize=3,
                label=f"S_sens {label}",
            )
            twin.plot(mean.index, mean["p_value"].clip(lower=P_FLOOR), "s" + style, color="tab:purple",
                      markersize=3, label=f"p {label}")  # fmt: skip
        _log_axis(twin)
        twin.axhline(0.05, color="tab:purple", linestyle=":", linewidth=0.6)
        ax.set_title(title, fontsize=9)
        if col == 0:
            ax.set_ylabel("S_sens")
        if col == len(counts) - 1:
            twin.set_ylabel("p-value (log)")
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=6, loc="best")

        flat = rows.drop_duplicates(["run", "epoch"])
        mean = flat.groupby("epoch")[["lm", "noisy_acc", "acc_j"]].mean(numeric_only=True)
        ax = axes[1, col]
        ax.plot(mean.index, mean["lm"], "o-", color="tab:red", markersize=3, label="LM-score")
        ax.set_ylim(-1.05, 1.05)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.legend(fontsize=6)
        if col == 0:
            ax.set_ylabel("LM-score")
        ax = axes[2, col]
        ax.plot(
            mean.index,
            mean["noisy_acc"],
            "o-",
            color="tab:orange",
            markersize=3,
            label="train acc. stamped",
        )
        ax.plot(
            mean.index,
            mean["acc_j"],
            "s-",
            color="tab:cyan",
            markersize=3,
            label=f"test acc. stamped C_j = {j}",
        )
        ax.set_ylim(-5, 105)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=6)
        if col == 0:
            ax.set_ylabel("accuracy %")
    fig.suptitle(f"over epochs, noise {mode} (seed means)", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------
# Figures 5 / 6 kind: noise modes side by side


def _figure_modes(res: results_module.Results, modes: list[str]):  # noqa: ANN202
    zones = res.zones
    fig, axes = _figure(3, len(modes), width=3.6, height=2.1)
    j = _c_j(res)
    for col, mode in enumerate(modes):
        t = zones[zones["mode"] == mode]
        base = t[t["role"] == "c_i"].sort_values("count").reset_index(drop=True)
        x = np.arange(len(base))
        ax = axes[0, col]
        _shade_zones(ax, [str(z) for z in base["zone"]], letters=True)
        for role, style in (("c_i", "o-"), ("y_fixed", "s--")):
            r = t[t["role"] == role].sort_values("count")
            if not r.empty:
                ax.plot(
                    x[: len(r)],
                    r["s_sens"],
                    style,
                    markersize=3,
                    label=f"S_sens class {_class(res, role)}",
                )
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_title(f"noise {mode} (zones for C_i)", fontsize=9, pad=14)
        ax.legend(fontsize=6, loc="best")
        ax = axes[1, col]
        for role, style in (("c_i", "o-"), ("y_fixed", "s--")):
            r = t[t["role"] == role].sort_values("count")
            if not r.empty:
                ax.plot(
                    x[: len(r)], r["mp"], style, markersize=3, label=f"MP_{j},{_class(res, role)} %"
                )
        ax.legend(fontsize=6, loc="best")
        ax = axes[2, col]
        noisy = _per_count(res, mode, "noisy_acc")
        ax.plot(x, [noisy.get(int(k), math.nan) for k in base["count"]], "o-", color="tab:orange",
                markersize=3, label="train acc. stamped")  # fmt: skip
        ax.plot(x, base["acc"], "s-", color="tab:cyan", markersize=3, label=f"test acc. C_j = {j}")
        ax.set_ylim(-5, 105)
        ax.legend(fontsize=6, loc="best")
        _ratio_ticks(ax, base)
        if col == 0:
            axes[0, 0].set_ylabel("S_sens")
            axes[1, 0].set_ylabel("MP %")
            axes[2, 0].set_ylabel("accuracy %")
    fig.suptitle("noise modes side by side (seed means)", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------
# Markdown


def _fmt(value: Any, digits: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value) if value is not None and str(value) != "nan" else "-"
    if math.isnan(v):
        return "-"
    if 0 < abs(v) < 1e-3:
        return f"{v:.1e}"
    return f"{v:.{digits}f}"


def _markdown(res: results_module.Results, figures: list[tuple[str, str]], out_dir: Path) -> str:
    s = res.setup
    data, model, feature = s.get("data", {}), s.get("model", {}), s.get("feature", {})
    classes, sweep, train = s.get("classes", {}), s.get("sweep", {}), s.get("train", {})
    sigma1, sigma2 = _sigma(res)
    lines = [f"# fmfl report: {s.get('name', res.sweep or res.run_dir.name)}", ""]
    if s.get("description"):
        lines += [str(s["description"]), ""]
    lines += [
        f"Run directory: `{res.run_dir}`, sweep `{res.sweep}`.",
        "",
        "| setting | value |",
        "|---|---|",
        f"| dataset / model | {data.get('dataset', '?')} / {model.get('name', '?')} |",
        f"| z_u | {feature.get('kind', '?')} {feature.get('text', '?')!r} ({feature.get('position', '?')}) |",
        f"| C_i / C_j / y_Lfixed | {classes.get('c_i', '?')} / {classes.get('c_j', '?')} / {classes.get('y_fixed', '?')} |",
        f"| counts | {', '.join(str(k) for k in sweep.get('counts', []))} |",
        f"| seeds / noise modes | {', '.join(str(k) for k in sweep.get('seeds', []))} / {', '.join(sweep.get('noise_modes', []))} |",
        f"| epochs | {train.get('epochs', '?')} |",
        f"| σ1 / σ2 | {sigma1:g} / {sigma2:g} points |",
        "",
        "## Zone tables",
        "",
        "Zones: **A** neither (z_u not recognised), **B** feature memorisation (FM), **C** feature "
        "learning (FL); `~` marks a call whose 95% interval over seeds straddles σ1 or σ2.",
        "",
    ]
    if res.zones.empty:
        lines += ["No zone table: the sweep did not finish.", ""]
    for (mode, role), table in (
        res.zones.groupby(["mode", "role"], sort=False) if not res.zones.empty else []
    ):
        lines += [
            f"### noise {mode}, target {ROLE_NAME.get(str(role), role)} = class {_class(res, str(role))}",
            "",
        ]
        lines += _zone_markdown(table)
        lines.append("")
    lines += ["## Figures", ""]
    for stem, caption in figures:
        lines += [f"![{caption}]({stem}.png)", "", f"*{caption}* ([SVG]({stem}.svg))", ""]
    lines += _explanations_markdown(res, out_dir)
    return "\n".join(lines) + "\n"


def _zone_markdown(table: pd.DataFrame) -> list[str]:
    table = table.sort_values("count")
    explain = [
        c
        for c in ("cam_in_stamp", "shap_value", "shap_rank")
        if c in table.columns and pd.to_numeric(table[c], errors="coerce").notna().any()
    ]
    paper = (
        "paper_zone" in table.columns
        and table["paper_zone"].astype(str).str.strip().replace("nan", "").ne("").any()
    )
    head = [
        "k",
        "ratio %",
        "S_sens",
        "p",
        "MP %",
        "MP-Diff",
        "Acc_j %",
        "Acc-Diff",
        "LM",
        *explain,
        "zone",
    ]
    if paper:
        head += ["paper MP-Diff", "paper Acc-Diff", "paper zone"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        zone = str(r.get("zone", "")) + ("~" if bool(r.get("borderline", False)) else "")
        cells = [
            str(int(r["count"])), _fmt(r["ratio"]), _fmt(r["s_sens"], 4), _fmt(r["p_value"], 4),
            _fmt(r["mp"], 1), _fmt(r["mp_diff"]), _fmt(r["acc"], 1), _fmt(r["acc_diff"]), _fmt(r.get("lm")),
            *[_fmt(r[c], 3) for c in explain], zone,
        ]  # fmt: skip
        if paper:
            cells += [
                _fmt(r.get("paper_mp_diff")),
                _fmt(r.get("paper_acc_diff")),
                _fmt(r.get("paper_zone")),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _explanations_markdown(res: results_module.Results, out_dir: Path) -> list[str]:
    files = res.artifacts
    if files.empty:
        return []
    pictures = files[files["kind"].isin([CAM_KIND, SHAP_KIND]) & files["path"].str.endswith(".png")]
    # A copied run directory may have left its pictures behind: link only what is there.
    pictures = pictures[[(res.run_dir / path).is_file() for path in pictures["path"]]]
    if pictures.empty:
        return []
    lines = [
        "## Explanations",
        "",
        f"{len(pictures)} pictures (GradCAM for images, SHAP token bars for texts) under "
        "`runs/<run>/explain/`; the first explained sample of each run's last explained epoch:",
        "",
        "| run | picture |",
        "|---|---|",
    ]
    for run, group in pictures.groupby("run", sort=False):
        first = _last_epoch_first(group["path"].tolist())
        link = os.path.relpath(res.run_dir / first, out_dir)
        lines.append(f"| {run} | [{Path(first).name}]({link}) |")
    lines.append("")
    return lines


def _last_epoch_first(paths: list[str]) -> str:
    """`runs/r/explain/epochNN_0...` of the highest NN."""

    def key(path: str) -> tuple[int, int]:
        name = Path(path).name
        epoch, _, rest = name.removeprefix("epoch").partition("_")
        index = rest.split("_")[0].split(".")[0]
        return (-int(epoch) if epoch.isdigit() else 0, int(index) if index.isdigit() else 0)

    return sorted(paths, key=key)[0]


def _parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Mixed text/number columns (e.g. paper zones with blanks) as text, so Arrow accepts them."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object:
            kinds = {type(v) for v in out[column].dropna()}
            if len(kinds) > 1:
                out[column] = out[column].map(lambda v: None if v is None or v != v else str(v))
    return out
