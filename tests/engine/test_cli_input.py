"""Every bad input of issue 2: exit code 2, one line naming the field and the fix, no
training, no traceback."""

import subprocess
import sys

import pytest

from engine.cli import main

BAD_SETS = [
    (["data.dataset=cifar-11"], "data.dataset"),
    (["model.name=resnet1000"], "model.name"),
    (["feature.kind=sticker"], "feature.kind"),
    (['sweep.noise_modes=["none","loud"]'], "sweep.noise_modes"),
    (["classes.c_i=10"], "classes.c_i"),
    (["classes.c_j=-1"], "classes.c_j"),
    (["classes.c_j=0"], "classes.c_j"),  # C_j equal to C_i
    (["classes.y_fixed=0"], "classes.y_fixed"),  # y_Lfixed equal to C_i
    (["sweep.counts=[0,401]"], "sweep.counts"),  # class 0 has 400 training digits
    (["sweep.counts=[0,-5]"], "sweep.counts"),
    (["sweep.counts=[0,20,20]"], "sweep.counts"),
    (["sweep.counts=[5,20]"], "sweep.counts"),  # no baseline
    (["sweep.seeds=[]"], "sweep.seeds"),
    (["train.epochs=0"], "train.epochs"),
    (['feature.text="ID: 452817096712"'], "feature.text"),  # no readable size fits 28 px
    (["feature.size=0.6", 'feature.text="ABC"'], "feature.size"),  # 17 px tall: 41 px wide
    (["train.epoch=3"], "--set train.epoch"),
    (["nonsense=1"], "--set nonsense"),
    (["train.epochs=three"], "train.epochs"),
    (["train.device=tpu"], "train.device"),
    (["trainepochs"], "--set"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_SETS, ids=[o[0][0] for o in BAD_SETS])
@pytest.mark.parametrize("command", ["run", "plan"])
def test_bad_overrides_exit_2_with_one_line(command, overrides, field, capsys, tmp_path):
    argv = [command, "quickstart"] + [a for o in overrides for a in ("--set", o)]
    if command == "run":
        argv += ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"fmfl-engine: error: {field}")
    assert ";" in err  # the fix follows the problem
    assert not (tmp_path / "out").exists()  # nothing was started


def test_malformed_toml_names_the_file_and_line(tmp_path, capsys):
    preset = tmp_path / "broken.toml"
    preset.write_text('name = "x"\n[train\nepochs = 2\n')
    assert main(["plan", str(preset)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.toml" in err and "line 2" in err


def test_unknown_key_in_a_preset_file(tmp_path, capsys):
    preset = tmp_path / "p.toml"
    preset.write_text("[train]\nepocs = 2\n")
    assert main(["plan", str(preset)]) == 2
    assert "train.epocs: unknown key" in capsys.readouterr().err


def test_missing_preset(capsys):
    assert main(["plan", "no-such-preset"]) == 2
    err = capsys.readouterr().err
    assert "quickstart" in err  # lists what exists


def test_out_dir_that_holds_a_sweep_is_refused(tmp_path, capsys):
    (tmp_path / "events.jsonl").write_text("")
    assert main(["run", "quickstart", "--out", str(tmp_path)]) == 2
    assert "--out" in capsys.readouterr().err


def test_a_real_process_prints_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "run", "quickstart", "--set", "classes.c_j=0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "fmfl-engine: error: classes.c_j: C_j equals C_i (0); pick a probe class other than C_i"
    ]


def test_argparse_errors_are_one_line_too(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
