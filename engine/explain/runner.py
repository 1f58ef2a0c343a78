"""The per-run explanation hook: which epochs, which samples, which metrics, which files.

`run_one` builds one `RunExplainer` per run and calls it after each epoch's evaluation.
At the last epoch (and every `explain.every` epochs when set) it explains up to
`explain.samples` stamped C_j test samples, those the model misclassifies as the class
z_u pulls towards first (C_i, or y_Lfixed in `fixed` mode; the paper's choice), then
other misclassified ones, then the rest. Each explanation targets the class the model
predicts for that sample: "why did it say that?". A moved sample's prediction is C_i or
y_Lfixed, so the maps show what pulled it there; a correct one shows what kept it.

Metrics it adds to the epoch's `metrics` (NaN, sent as null, on epochs not explained):
- images: `cam_in_stamp`, the mean over the explained samples of the share of GradCAM
  mass inside the stamp's box (`artifacts.cam_in_box`);
- texts: `shap_value`, the mean SHAP value of the z_u word towards the predicted class,
  and `shap_rank`, its mean rank by |SHAP value| among the text's tokens (1 = first).

An explanation that fails is a warning in the log, never the end of the sweep: the run's
remaining epochs go unexplained and its metrics are kept.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine import catalog
from engine.config import image_size
from engine.events import Artifact, Emit, Log
from engine.explain import artifacts

if TYPE_CHECKING:
    from torch import nn

    from engine.plan import PlannedRun
    from engine.train import SweepData


def pick_samples(preds: np.ndarray, pulled_to: int, c_j: int, n: int) -> np.ndarray:
    """Positions of the `n` probe samples to explain: predicted as `pulled_to` first, then
    other misclassified ones, then correctly classified ones; each group in test order."""
    preds = np.asarray(preds)
    group = np.where(preds == pulled_to, 0, np.where(preds != c_j, 1, 2))
    return np.lexsort((np.arange(len(preds)), group))[:n]


class RunExplainer:
    """Explains one run's model at the epochs due and writes the files (see module doc)."""

    def __init__(
        self,
        data: SweepData,
        planned: PlannedRun,
        emit: Emit,
        sweep_id: str,
        run_dir: Path | None = None,
    ) -> None:
        setup = data.setup
        cfg = setup.explain
        info = catalog.DATASETS[setup.data.dataset]
        self.data, self.planned, self.emit, self.sweep_id = data, planned, emit, sweep_id
        self.run_dir = run_dir
        self.image = info.modality == "image"
        self.enabled = cfg.enabled and cfg.samples > 0
        self.every, self.samples, self.epochs = cfg.every, cfg.samples, setup.train.epochs
        fixed = planned.mode == "fixed"
        self.pulled_to = setup.classes.y_fixed if fixed else setup.classes.c_i
        self.c_j = setup.classes.c_j
        self.failed = False
        self.box: tuple[int, int, int, int] = (0, 0, 0, 0)
        if self.image and self.enabled:
            from engine.data.stamp import StampSpec

            self.box = StampSpec.from_config(setup.feature, image_size(setup), info.channels).box

    @property
    def keys(self) -> tuple[str, ...]:
        return ("cam_in_stamp",) if self.image else ("shap_value", "shap_rank")

    def due(self, epoch: int) -> bool:
        last = epoch == self.epochs
        return self.enabled and (last or bool(self.every and epoch % self.every == 0))

    def __call__(self, model: nn.Module, epoch: int, probe_preds: np.ndarray) -> dict[str, float]:
        """The explanation metrics of this epoch (empty when explanations are off)."""
        if not self.enabled:
            return {}
        out = dict.fromkeys(self.keys, math.nan)
        if not self.due(epoch) or self.failed:
            return out
        chosen = pick_samples(probe_preds, self.pulled_to, self.c_j, self.samples)
        if not len(chosen):
            return out
        preds = np.asarray(probe_preds)[chosen]
        try:
            if self.image:
                out.update(self._images(model, epoch, chosen, preds))
            else:
                out.update(self._texts(model, epoch, chosen, preds))
        except Exception as exc:  # an explanation must never cost the run
            self.failed = True
            self.emit(
                Log(
                    sweep=self.sweep_id,
                    run=self.planned.run,
                    level="warning",
                    message=f"explanations of {self.planned.run} stopped at epoch {epoch}: "
                    f"{type(exc).__name__}: {exc}",
                )
            )
        return out

    # -- images --------------------------------------------------------------------

    def _images(
        self, model: nn.Module, epoch: int, chosen: np.ndarray, preds: np.ndarray
    ) -> dict[str, float]:
        from engine.explain.cam import gradcam

        rows = self.data.segments["probe"].start + chosen
        images = self.data.eval_bank.take(rows)
        maps = gradcam(model, images, [int(p) for p in preds])
        shares = [artifacts.cam_in_box(m, self.box) for m in maps]
        if self.run_dir is not None:
            pixels = images.cpu().numpy()
            for i, (sample, pred) in enumerate(zip(chosen, preds, strict=True)):
                record = artifacts.CamRecord(
                    image=artifacts.to_rgb(pixels[i]),
                    cam=maps[i],
                    box=self.box,
                    meta=self._meta(epoch, int(sample), int(pred), share=shares[i]),
                )
                stem = artifacts.stem(self.planned.run, epoch, i)
                self._announce(artifacts.CAM_KIND, artifacts.save_cam(self.run_dir, stem, record))
        return {"cam_in_stamp": _nanmean(shares)}

    # -- texts ---------------------------------------------------------------------

    def _texts(
        self, model: nn.Module, epoch: int, chosen: np.ndarray, preds: np.ndarray
    ) -> dict[str, float]:
        from engine.explain.shapley import TextExplainer, shap_picture

        setup = self.data.setup
        tokenizer = _tokenizer(setup)
        rows = self.data.segments["probe"].start + chosen
        texts = []
        for row in rows:
            ids = self.data.eval_bank.take(np.array([row]))["input_ids"][0].tolist()
            texts.append(tokenizer.decode(ids, skip_special_tokens=True))
        explainer = TextExplainer(
            model, tokenizer, setup.data.max_length, self.data.device, setup.train.batch_size
        )
        records = explainer.explain(texts, [int(p) for p in preds], setup.feature.text)
        if self.run_dir is not None:
            for i, (sample, pred, record) in enumerate(zip(chosen, preds, records, strict=True)):
                record.meta = self._meta(epoch, int(sample), int(pred), text=texts[i])
                stem = artifacts.stem(self.planned.run, epoch, i)
                json_path = artifacts.save_shap_json(self.run_dir, stem, record)
                png_path = f"{stem}_shap.png"
                shap_picture(record, self.run_dir / png_path)
                self._announce(artifacts.SHAP_KIND, [png_path, json_path])
        found = [r for r in records if r.rank > 0]
        return {
            "shap_value": _nanmean([r.value for r in found]),
            "shap_rank": _nanmean([float(r.rank) for r in found]),
        }

    # -- shared --------------------------------------------------------------------

    def _meta(self, epoch: int, sample: int, pred: int, **extra: object) -> dict[str, object]:
        p = self.planned
        return {
            "run": p.run,
            "mode": p.mode,
            "count": p.count,
            "seed": p.seed,
            "epoch": epoch,
            "sample": sample,
            "label": self.c_j,
            "pred": pred,
            "pulled_to": self.pulled_to,
            "feature": self.data.setup.feature.text,
            **extra,
        }

    def _announce(self, kind: str, paths: list[str]) -> None:
        for path in paths:
            self.emit(Artifact(sweep=self.sweep_id, run=self.planned.run, kind=kind, path=path))


_TOKENIZERS: dict[str, object] = {}


def _tokenizer(setup):  # noqa: ANN001, ANN202 - a Setup in, a transformers tokenizer out
    """The run's tokenizer, loaded once per process."""
    from engine.models import load_tokenizer, weights_source

    key = weights_source(setup)
    if key not in _TOKENIZERS:
        _TOKENIZERS[key] = load_tokenizer(setup)
    return _TOKENIZERS[key]


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if isinstance(v, float | int) and math.isfinite(v)]
    return float(sum(finite) / len(finite)) if finite else math.nan
