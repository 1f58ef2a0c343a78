"""Small datasets written in the real on-disk formats, so the real loaders read them:
CIFAR python pickles, UTKFace and NICO++ JPEG folders, the Emotions text files, the
Medical Abstracts CSVs. Pixels and words are random but seeded; images carry a faint
class-dependent tint so a model can learn something in one epoch."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image

from engine import catalog

WORDS = "the a movie film plot good bad great awful story actor scene long short fun dull".split()


def _images(rng: np.random.Generator, n: int, size: int, label: int) -> np.ndarray:
    base = rng.integers(0, 200, (n, size, size, 3), dtype=np.uint8)
    base[..., label % 3] = np.clip(base[..., label % 3].astype(int) + 40, 0, 255).astype(np.uint8)
    return base


def cifar(root: Path, hundred: bool = False, per_class: int = 10, test_per_class: int = 4) -> Path:
    """`cifar-10-batches-py/` (5 data batches, test_batch, batches.meta) or
    `cifar-100-python/` (train, test, meta) as torchvision reads them."""
    rng = np.random.default_rng(0)
    classes = catalog.CIFAR100 if hundred else catalog.CIFAR10
    n = len(classes)

    def part(count: int) -> tuple[np.ndarray, list[int]]:
        labels = [c for c in range(n) for _ in range(count)]
        data = np.concatenate([_images(rng, count, 32, c) for c in range(n)])
        data = data.transpose(0, 3, 1, 2).reshape(len(labels), -1)
        return data, labels

    def dump(path: Path, obj: dict) -> None:
        with path.open("wb") as f:
            pickle.dump(obj, f)

    if hundred:
        folder = root / "cifar-100-python"
        folder.mkdir(parents=True, exist_ok=True)
        data, labels = part(per_class)
        dump(
            folder / "train",
            {"data": data, "fine_labels": labels, "coarse_labels": [0] * len(labels)},
        )
        data, labels = part(test_per_class)
        dump(
            folder / "test",
            {"data": data, "fine_labels": labels, "coarse_labels": [0] * len(labels)},
        )
        dump(folder / "meta", {"fine_label_names": list(classes), "coarse_label_names": ["x"]})
        return root
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    data, labels = part(per_class)
    order = rng.permutation(len(labels))
    for b, chunk in enumerate(np.array_split(order, 5), start=1):
        dump(
            folder / f"data_batch_{b}", {"data": data[chunk], "labels": [labels[i] for i in chunk]}
        )
    data, labels = part(test_per_class)
    dump(folder / "test_batch", {"data": data, "labels": labels})
    dump(folder / "batches.meta", {"label_names": list(classes)})
    return root


def utkface(root: Path, per_class: int = 10, size: int = 40, bad_names: int = 2) -> Path:
    """`[age]_[gender]_[race]_[date&time].jpg.chip.jpg` files, plus a few badly named ones."""
    rng = np.random.default_rng(1)
    root.mkdir(parents=True, exist_ok=True)
    for race in range(5):
        for i, img in enumerate(_images(rng, per_class, size, race)):
            name = f"{20 + i}_{i % 2}_{race}_2017011{race}1{i:05d}.jpg.chip.jpg"
            Image.fromarray(img).save(root / name, quality=90)
    for i in range(bad_names):
        Image.fromarray(_images(rng, 1, size, 0)[0]).save(root / f"61_1_20170109142408075_{i}.jpg")
    return root


def nico(
    root: Path, per_class: int = 10, size: int = 40, contexts: tuple[str, ...] = ("autumn", "rock")
) -> Path:
    """`<context>/<category>/<n>.jpg` for the paper's 15 categories (and one other)."""
    rng = np.random.default_rng(2)
    for c, category in enumerate((*catalog.NICO_CATEGORIES, "bicycle")):
        for j, context in enumerate(contexts):
            folder = root / context / category
            folder.mkdir(parents=True, exist_ok=True)
            count = per_class // len(contexts) + (j < per_class % len(contexts))
            for i, img in enumerate(_images(rng, count, size, c)):
                Image.fromarray(img).save(folder / f"{i}.jpg")
    return root


def _sentences(rng: np.random.Generator, n: int, label: int) -> list[str]:
    marker = f"mood{label}"
    return [" ".join([marker, *rng.choice(WORDS, size=rng.integers(5, 14))]) for _ in range(n)]


def emotions(root: Path, per_class: int = 12, test_per_class: int = 4) -> Path:
    """`train.txt`, `val.txt`, `test.txt` with `text;emotion` lines (the original release)."""
    rng = np.random.default_rng(3)
    root.mkdir(parents=True, exist_ok=True)
    for part, count in (("train", per_class), ("val", test_per_class), ("test", test_per_class)):
        lines = [
            f"{t};{name}"
            for c, name in enumerate(catalog.EMOTIONS)
            for t in _sentences(rng, count, c)
        ]
        (root / f"{part}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def medical(root: Path, per_class: int = 15, test_per_class: int = 4) -> Path:
    """`medical_tc_train.csv` / `medical_tc_test.csv`: condition_label 1-5, medical_abstract."""
    import pandas as pd

    rng = np.random.default_rng(4)
    root.mkdir(parents=True, exist_ok=True)
    for part, count in (("train", per_class), ("test", test_per_class)):
        rows = [(c + 1, t) for c in range(5) for t in _sentences(rng, count, c)]
        pd.DataFrame(rows, columns=["condition_label", "medical_abstract"]).to_csv(
            root / f"medical_tc_{part}.csv", index=False
        )
    return root


def all_texts(root: Path) -> list[str]:
    """Every text in the generated text datasets (for building tiny vocabularies)."""
    texts = []
    for path in root.rglob("*.txt"):
        texts += [line.rpartition(";")[0] for line in path.read_text().splitlines() if line]
    for path in root.rglob("medical_tc_*.csv"):
        import pandas as pd

        texts += list(pd.read_csv(path)["medical_abstract"])
    return texts
