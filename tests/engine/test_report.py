"""`engine.results.load` and `fmfl-engine report`: tidy tables that agree with the files
they are read from, and figures and a Markdown report that exist and open."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from engine import events as ev
from engine import results, rundir
from engine.errors import ConfigError
from engine.report import make_report
from tests.explain_runs import image_run

REPLAY = Path(__file__).resolve().parents[2] / "presets" / "replays" / "quickstart"


def _markdown_table(text: str, heading: str) -> pd.DataFrame:
    """The first pipe table after `heading` in a Markdown text, as strings."""
    lines = text.splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    head, _rule, *body = rows
    return pd.DataFrame(body, columns=head)


# -- results.load --------------------------------------------------------------------------


def test_load_gives_one_epoch_row_per_run_epoch_and_target(tmp_path_factory):
    out = image_run(tmp_path_factory)
    res = results.load(out)
    runs = pd.read_csv(out / rundir.RUNS)
    epochs_per_run = res.setup["train"]["epochs"]
    assert len(res.epochs) == len(runs) * epochs_per_run  # runs.csv: one row per run x target
    assert not res.epochs.duplicated(["run", "epoch", "target"]).any()
    # The last epoch's numbers are the run's final ones in runs.csv.
    last = res.epochs[res.epochs["epoch"] == epochs_per_run].set_index(["run", "target"])
    final = runs.set_index(["run", "target"])
    for column in ("s_sens", "mp", "acc_j", "cam_in_stamp"):
        assert last.loc[final.index, column].to_numpy() == pytest.approx(
            final[column].to_numpy()
        ), column
    explained = res.epochs.dropna(subset=["cam_in_stamp"])["epoch"].unique()
    assert sorted(explained) == [5, 10]  # explain.every = 5
    assert res.zones.equals(pd.read_csv(out / rundir.ZONES))
    cams = res.artifacts[res.artifacts["kind"] == "gradcam"]
    assert len(cams) == len(runs["run"].unique()) * 2 * 8 * 2  # 2 epochs x 8 samples x png+npz
    assert res.skipped == 0


def test_load_keeps_the_last_report_of_a_repeated_epoch_and_skips_broken_lines(tmp_path):
    """A resumed run repeats the epochs after its checkpoint; a killed writer leaves half
    a line. Neither doubles a row nor stops the reading."""
    lines = (REPLAY / rundir.EVENTS).read_text().splitlines()
    first_epoch = next(i for i, line in enumerate(lines) if '"type":"epoch"' in line)
    repeated = ev.parse_line(lines[first_epoch])
    changed = dataclasses.replace(repeated, metrics={**repeated.metrics, "acc_j": 12.5})
    lines[first_epoch + 1 : first_epoch + 1] = [changed.to_line(), '{"type": "epo']
    (tmp_path / rundir.EVENTS).write_text("\n".join(lines) + "\n")
    res = results.load(tmp_path)  # no CSV files: runs and zones come from the events
    assert res.skipped == 1
    reference = results.load(REPLAY)
    assert len(res.epochs) == len(reference.epochs)
    row = res.epochs[(res.epochs["run"] == repeated.run) & (res.epochs["epoch"] == repeated.epoch)]
    assert set(row["acc_j"]) == {12.5}
    assert len(res.runs) == len(reference.runs)
    assert len(res.zones) == len(reference.zones)
    merged = res.zones.merge(reference.zones, on=["mode", "role", "count"], suffixes=("", "_csv"))
    assert len(merged) == len(reference.zones)
    assert (merged["zone"] == merged["zone_csv"]).all()
    assert merged["s_sens"].to_numpy() == pytest.approx(merged["s_sens_csv"].to_numpy())


def test_load_refuses_a_folder_that_is_no_run_directory(tmp_path):
    with pytest.raises(ConfigError, match="RUN_DIR"):
        results.load(tmp_path / "missing")
    with pytest.raises(ConfigError, match="events.jsonl"):
        results.load(tmp_path)


# -- report ----------------------------------------------------------------------------------


def _check_files(written: list[Path]) -> None:
    pngs = [p for p in written if p.suffix == ".png"]
    svgs = [p for p in written if p.suffix == ".svg"]
    assert pngs and {p.stem for p in pngs} == {p.stem for p in svgs}
    for png in pngs:
        with Image.open(png) as picture:
            picture.verify()  # a whole, valid PNG
        with Image.open(png) as picture:
            assert picture.format == "PNG" and picture.width > 300 and picture.height > 200
    for svg in svgs:
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 100  # drawn, not an empty canvas


def _paper_run(tmp_path: Path) -> Path:
    """The recorded quickstart as if it were a paper preset with GradCAM: the paper's
    values and a CAM share added to its zone table."""
    run = tmp_path / "run"
    shutil.copytree(REPLAY, run)
    zones = pd.read_csv(run / rundir.ZONES)
    zones["paper_mp_diff"] = 10.0 + zones["count"]
    zones["paper_acc_diff"] = 1.5
    zones["paper_zone"] = ["B" if k else "" for k in zones["count"]]
    zones["cam_in_stamp"] = 0.25
    zones.to_csv(run / rundir.ZONES, index=False)
    return run


def test_report_writes_every_figure_the_zone_tables_and_the_paper_values(tmp_path):
    run = _paper_run(tmp_path)
    written = make_report(run, parquet=True)
    out = run / "report"
    names = {p.name for p in written}
    for mode in ("none", "random", "fixed"):
        assert f"figure2_{mode}_c_i.png" in names and f"figure3_{mode}.svg" in names
    assert {"figure2_fixed_y_fixed.png", "figure5_modes.png", "report.md"} <= names
    _check_files(written)

    text = (out / "report.md").read_text()
    zones = pd.read_csv(run / rundir.ZONES)
    for mode, role, heading in (
        ("none", "c_i", "### noise none, target C_i = class 0"),
        ("fixed", "y_fixed", "### noise fixed, target y_Lfixed = class 1"),
    ):
        table = _markdown_table(text, heading)
        expected = zones[(zones["mode"] == mode) & (zones["role"] == role)].sort_values("count")
        assert table["k"].astype(int).tolist() == expected["count"].tolist()
        letters = table["zone"].str.rstrip("~").tolist()
        assert letters == expected["zone"].tolist()
        marked = table["zone"].str.endswith("~").tolist()
        assert marked == expected["borderline"].tolist()
    for stem in ("figure2_none_c_i", "figure5_modes"):
        assert f"({stem}.png)" in text and (out / f"{stem}.png").is_file()

    table = _markdown_table(text, "### noise random, target C_i = class 0")
    assert {"paper MP-Diff", "paper Acc-Diff", "paper zone", "cam_in_stamp"} <= set(table.columns)
    assert table.loc[table["k"] == "40", "paper MP-Diff"].tolist() == ["50.00"]
    assert table.loc[table["k"] == "0", "paper zone"].tolist() == ["-"]
    assert set(table["cam_in_stamp"]) == {"0.250"}

    loaded = results.load(run)
    for name in ("epochs", "runs", "zones"):
        table = pd.read_parquet(out / f"{name}.parquet")
        assert len(table) == len(getattr(loaded, name)), name
    back = pd.read_parquet(out / "zones.parquet")
    assert back["zone"].tolist() == zones["zone"].tolist()
    assert back["paper_zone"].fillna("").tolist() == zones["paper_zone"].fillna("").tolist()


def test_report_lists_the_explanation_pictures_of_each_run(tmp_path_factory, tmp_path):
    out = image_run(tmp_path_factory)
    written = make_report(out, tmp_path)
    _check_files(written)
    text = (tmp_path / "report.md").read_text()
    table = _markdown_table(text, "## Explanations")
    runs = pd.read_csv(out / rundir.RUNS)["run"].unique()
    assert sorted(table["run"]) == sorted(runs)
    for cell in table["picture"]:
        link = cell.split("](")[1].rstrip(")")
        assert (tmp_path / link).resolve().is_file()
        assert "epoch10_0.png" in link  # the last explained epoch

    # A copy that left one run's pictures behind links only the pictures it has.
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    gone = runs[0]
    for picture in (copy / "runs" / gone / "explain").glob("*.png"):
        picture.unlink()
    make_report(copy)
    table = _markdown_table((copy / "report" / "report.md").read_text(), "## Explanations")
    assert sorted(table["run"]) == sorted(r for r in runs if r != gone)


def _report_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", "report", *args], capture_output=True, text=True
    )


def test_report_command_answers_bad_run_directories_with_one_line(tmp_path):
    for target in (tmp_path / "missing", tmp_path):
        done = _report_cli(str(target))
        assert done.returncode == 2
        assert "RUN_DIR" in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert "Traceback" not in done.stderr
    (tmp_path / rundir.EVENTS).write_text("")
    done = _report_cli(str(tmp_path))
    assert done.returncode == 2 and "no finished runs" in done.stderr


def test_report_command_names_what_it_wrote(tmp_path_factory, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(image_run(tmp_path_factory), run)
    done = _report_cli(str(run))
    assert done.returncode == 0, done.stderr
    assert str(run / "report") in done.stdout
    assert (run / "report" / "report.md").is_file()
