"""Every dataset x model pair of the paper, from its preset, for one tiny CPU epoch on
small files in the real formats and tiny model configurations."""

import pytest

from engine import events as ev
from engine.cli import main
from engine.config import load_setup
from engine.sweep import run_sweep
from tests import fake_data
from tests.tiny_models import tiny_bert, tiny_roberta

PAPER = [
    "cifar10-resnet9",
    "cifar100-googlenet",
    "utkface-resnet18",
    "utkface-vgg16",
    "nico-mobilevit",
    "medical-roberta",
    "emotions-bert",
    "emotions-roberta",
]

# Overrides that shrink each setup without changing its dataset, model or feature kind:
# 32 px images (the 224 px stamps become "A", the only paper stamp readable at 32 px),
# narrow ResNet9 / GoogLeNet, MobileViT without downloaded weights.
SMALL_IMAGES = ["data.image_size=32", 'feature.text="A"', "feature.size=0.25"]
SMALL = {
    "cifar10-resnet9": ["model.width=4"],
    "cifar100-googlenet": ["model.width=4", "train.batch_size=50"],
    "utkface-resnet18": SMALL_IMAGES,
    # VGG16 keeps its 25088x4096 classifier: few images, few steps.
    "utkface-vgg16": [*SMALL_IMAGES, "data.per_class_limit=10", "train.batch_size=40"],
    "nico-mobilevit": [*SMALL_IMAGES, 'model.pretrained="none"'],
}


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp("data")
    texts_root = base / "texts"
    roots = {
        "cifar10": fake_data.cifar(base / "c10", per_class=10, test_per_class=4),
        "cifar100": fake_data.cifar(base / "c100", hundred=True, per_class=3, test_per_class=1),
        "utkface": fake_data.utkface(base / "utk", per_class=20, size=40),
        "nico": fake_data.nico(base / "nico", per_class=20, size=40),
        "emotions": fake_data.emotions(texts_root / "emo", per_class=12, test_per_class=4),
        "medical-abstracts": fake_data.medical(texts_root / "med", per_class=15, test_per_class=4),
    }
    texts = fake_data.all_texts(texts_root)
    roots["bert"] = tiny_bert(base / "bert", texts, ["egg", "ship", "Riverdale"])
    roots["roberta"] = tiny_roberta(base / "roberta", texts)
    return roots


@pytest.mark.parametrize("name", PAPER)
def test_every_paper_preset_plans(name, capsys):
    assert main(["plan", f"paper/{name}"]) == 0
    out = capsys.readouterr().out
    assert "runs x" in out and "fixed-k" in out


@pytest.mark.parametrize("name", PAPER)
def test_every_paper_pair_trains_one_tiny_epoch(name, roots, tmp_path):
    preset = load_setup(f"paper/{name}")
    overrides = [
        f"data.root={roots[preset.data.dataset]}",
        "sweep.counts=[0,2]",
        "sweep.seeds=[0]",
        'sweep.noise_modes=["fixed"]',
        "train.epochs=1",
        "train.batch_size=16",
        "train.device=cpu",
    ]
    if preset.model.name in ("bert", "roberta"):
        overrides += [f"model.pretrained={roots[preset.model.name]}", "data.max_length=32"]
    setup = load_setup(f"paper/{name}", overrides + SMALL.get(name, []))
    sink = ev.ListEmitter()
    outcome = run_sweep(setup, tmp_path, sink)
    done = sink.of_type(ev.RunFinished)
    assert len(done) == 2 and all(len(e.targets) == 2 for e in done)
    assert set(outcome.zones["role"]) == {"c_i", "y_fixed"}
    assert sink.events[-1].status == "done"
