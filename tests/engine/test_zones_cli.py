"""`fmfl-engine zones`: try other thresholds on a saved table."""

import pandas as pd

from engine.cli import main


def _table(path):
    pd.DataFrame(
        {
            "count": [0, 10, 40],
            "s_sens": [0.0, 0.2, 0.4],
            "p_value": [0.6, 0.001, 0.0001],
            "mp_diff": [0.0, 2.0, 8.0],
            "acc_diff": [0.0, 1.0, 2.0],
            "note": ["base", "x", "y"],
        }
    ).to_csv(path, index=False)


def test_zones_reclassifies_with_other_thresholds(tmp_path, capsys):
    _table(tmp_path / "t.csv")
    assert main(["zones", str(tmp_path / "t.csv")]) == 0
    default = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert list(default["zone"]) == ["A", "B", "C"]
    assert list(default["note"]) == ["base", "x", "y"]
    assert (
        main(["zones", str(tmp_path / "t.csv"), "--sigma1", "10", "--out", str(tmp_path / "o.csv")])
        == 0
    )
    assert list(pd.read_csv(tmp_path / "o.csv")["zone"]) == ["A", "B", "B"]


def test_zones_names_missing_columns(tmp_path, capsys):
    pd.DataFrame({"count": [0], "s_sens": [0.1]}).to_csv(tmp_path / "t.csv", index=False)
    assert main(["zones", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "p_value, mp_diff, acc_diff" in err


def test_zones_missing_file(tmp_path, capsys):
    assert main(["zones", str(tmp_path / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
