"""The plan: baselines first, ids, ratios, and `plan` on the command line."""

from engine.cli import main
from engine.plan import plan_runs, targets
from tests.conftest import tiny_setup


def test_baselines_come_first_then_mode_count_seed():
    setup = tiny_setup(
        sweep={"counts": [20, 0, 5], "seeds": [1, 0], "noise_modes": ["random", "none"]}
    )
    runs = [r.run for r in plan_runs(setup)]
    assert runs == [
        "k0-s1", "k0-s0",
        "random-k5-s1", "random-k5-s0", "random-k20-s1", "random-k20-s0",
        "none-k5-s1", "none-k5-s0", "none-k20-s1", "none-k20-s0",
    ]  # fmt: skip
    assert [r.index for r in plan_runs(setup)] == list(range(10))


def test_targets_per_mode():
    setup = tiny_setup(sweep={"noise_modes": ["none", "fixed"]})
    assert targets(setup, "none") == [(0, "c_i")]
    assert targets(setup, "fixed") == [(0, "c_i"), (1, "y_fixed")]
    assert targets(setup, "baseline") == [(0, "c_i"), (1, "y_fixed")]
    no_fixed = tiny_setup(sweep={"noise_modes": ["random"]})
    assert targets(no_fixed, "baseline") == [(0, "c_i")]


def test_plan_command_prints_every_run_with_its_ratio(capsys):
    assert main(["plan", "quickstart"]) == 0
    out = capsys.readouterr().out
    assert "66 runs x 8 epochs" in out
    assert "fixed-k200-s2" in out and "50.00" in out  # 200 of 400
    assert "400 training samples in C_i" in out
