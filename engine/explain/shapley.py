"""SHAP (shap's text masker) on the text models (paper §4, Figures 4, 8: Shapley values of
the stamped C_j test texts).

The explained function maps a list of strings to class probabilities through the run's
own model and tokenizer, truncated to `data.max_length` like the banks. The strings are
the stamped test texts decoded from the evaluation bank's token ids (special tokens
skipped), so the text SHAP explains is the one the metrics scored, z_u included.

shap compiles its numba kernels the first time a process explains anything: about ten
seconds once per process (a worker), then a text costs `max_evals` model calls.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.explain.artifacts import ShapRecord

MIN_EVALS = 64
"""Model calls per text at least; 2 x tokens + 1 when that is more (shap's own floor for
a full pass over the tokens)."""


@dataclass
class TextExplainer:
    """SHAP values of texts towards given classes, through `model`."""

    model: nn.Module
    tokenizer: object
    max_length: int
    device: torch.device
    batch_size: int = 64

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (N, classes) of raw strings (the function SHAP explains)."""
        enc = self.tokenizer(  # type: ignore[operator]
            [str(t) for t in texts],
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )
        inputs = {
            k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask")
        }
        self.model.eval()
        with torch.inference_mode():
            logits = self.model(inputs).float()
        return torch.softmax(logits, dim=1).double().cpu().numpy()

    def explain(self, texts: list[str], classes: list[int], word: str) -> list[ShapRecord]:
        """One record per text: SHAP value of every token towards `classes[i]`, and the
        value and rank of the z_u word's tokens among them."""
        with warnings.catch_warnings():  # shap's import warns about matplotlib's future API
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap

        was_training = self.model.training
        masker = shap.maskers.Text(self.tokenizer)
        explainer = shap.Explainer(self.probabilities, masker)
        records = []
        try:
            for text, cls in zip(texts, classes, strict=True):
                n = len(self.tokenizer(text)["input_ids"])  # type: ignore[operator]
                result = explainer(
                    [text],
                    max_evals=max(MIN_EVALS, 2 * n + 1),
                    batch_size=self.batch_size,
                    silent=True,
                )[0]
                tokens = [str(t) for t in result.data]
                values = np.asarray(result.values)[:, int(cls)].astype(np.float64)
                feature = word_positions(self.tokenizer, text, word, len(tokens))
                special = special_positions(self.tokenizer, text, len(tokens))
                value, rank = feature_value_and_rank(values, feature, special)
                records.append(
                    ShapRecord(tokens, values.tolist(), feature.tolist(), value, rank, {})
                )
        finally:
            self.model.train(was_training)
        return records


def _ids(tokenizer: object, text: str) -> list[int]:
    return list(tokenizer(text)["input_ids"])  # type: ignore[operator]


def word_positions(tokenizer: object, text: str, word: str, n_tokens: int) -> np.ndarray:
    """Which of the text's tokens (as shap's masker splits it: the tokenizer's, special
    tokens included) belong to an occurrence of `word`.

    The word is looked for in both its mid-sentence form (" word", how TokenInserter
    inserts it) and its text-initial form."""
    ids = _ids(tokenizer, text)
    mask = np.zeros(n_tokens, dtype=bool)
    if len(ids) != n_tokens:  # shap split the text differently: no safe alignment
        return mask
    forms = {
        tuple(tokenizer(" " + word.strip(), add_special_tokens=False)["input_ids"]),  # type: ignore[operator]
        tuple(tokenizer(word.strip(), add_special_tokens=False)["input_ids"]),  # type: ignore[operator]
    }
    for form in forms:
        if not form:
            continue
        for at in range(len(ids) - len(form) + 1):
            if tuple(ids[at : at + len(form)]) == form:
                mask[at : at + len(form)] = True
    return mask


def special_positions(tokenizer: object, text: str, n_tokens: int) -> np.ndarray:
    ids = _ids(tokenizer, text)
    special = set(getattr(tokenizer, "all_special_ids", []))
    if len(ids) != n_tokens:
        return np.zeros(n_tokens, dtype=bool)
    return np.array([i in special for i in ids], dtype=bool)


def feature_value_and_rank(
    values: np.ndarray, feature: np.ndarray, special: np.ndarray
) -> tuple[float, int]:
    """The z_u word's SHAP value (summed over its tokens and occurrences) and its rank by
    absolute value among the text's other tokens, 1 = most important.

    The word counts as one unit, since a word split into pieces should not lose rank for
    it; special tokens ([CLS], [SEP]: never masked, value 0) do not compete. A tie ranks
    in the word's favour. (NaN, 0) when the word is not in the text.
    """
    if not feature.any():
        return math.nan, 0
    value = float(values[feature].sum())
    others = np.abs(values[~feature & ~special])
    return value, int(1 + (others > abs(value)).sum())


SHOWN_TOKENS = 15


def shap_picture(record: ShapRecord, path: Path) -> None:
    """Horizontal token bars (the paper's SHAP plots): the tokens with the largest
    |SHAP value|, z_u labelled and hatched, each value written with its sign."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    items = record.ranked()[:SHOWN_TOKENS][::-1]
    fig = Figure(figsize=(5.5, 0.32 * len(items) + 1.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    values = [v for _, v, _ in items]
    bars = ax.barh(
        range(len(items)),
        values,
        color=["#d62728" if v > 0 else "#1f77b4" for v in values],
    )
    for bar, (_, value, is_feature) in zip(bars, items, strict=True):
        if is_feature:
            bar.set_hatch("//")
            bar.set_edgecolor("black")
        ax.annotate(
            f"{value:+.3g}",
            (value, bar.get_y() + bar.get_height() / 2),
            xytext=(3 if value >= 0 else -3, 0),
            textcoords="offset points",
            ha="left" if value >= 0 else "right",
            va="center",
            fontsize=7,
        )
    labels = [f"z_u: {t.strip()}" if f else t.strip() for t, _, f in items]
    ax.set_yticks(range(len(items)), labels, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    meta = record.meta
    ax.set_xlabel(f"SHAP value towards class {meta.get('pred', '?')} (the prediction)")
    ax.set_title(f"z_u rank {record.rank} of the text's tokens", fontsize=9)
    ax.margins(x=0.25)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
