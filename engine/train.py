"""One run: train a model on D_train with k stamped samples, measure SPEC §3 every epoch.

The data of a whole sweep is loaded and stamped once (`prepare`) into two banks on the
device: the training bank (clean training images, then a stamped copy of every C_i
training image) and the evaluation bank (the test split, stamped C_i test images, stamped
C_j test images). A run only picks rows: which C_i samples are stamped is a row map, not
a copy, and every metric set is read from one batched forward per bank per epoch.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine import catalog, metrics
from engine.config import Setup, image_size
from engine.data.banks import Bank, ImageBank, cat_banks
from engine.data.datasets import Split, load_split
from engine.data.inject import ImageStamp, random_wrong_labels, stamp_order, training_labels
from engine.data.stamp import StampSpec
from engine.data.text import TokenInserter
from engine.events import Emit, Epoch, RunFinished, RunStarted
from engine.explain.runner import RunExplainer
from engine.interrupt import Interrupted, StopCheck, never
from engine.models import build_model, load_tokenizer, weights_source
from engine.plan import PlannedRun, ratio, targets


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        from engine.errors import ConfigError

        raise ConfigError(
            "train.device", f"'{name}' asked for but no CUDA device is visible", "use auto or cpu"
        )
    return device


@dataclass
class SweepData:
    """Everything the runs of one sweep share, built once by `prepare`."""

    setup: Setup
    device: torch.device
    split: Split
    train_bank: Bank
    """Rows 0..N-1: clean training inputs; row stamped_row[i]: the stamped copy of sample i."""
    stamped_row: np.ndarray
    eval_bank: Bank
    """The test split, then stamped C_i test inputs, then stamped C_j test inputs."""
    segments: dict[str, slice]
    test_ci: np.ndarray
    """Positions of C_i's samples in the test split."""
    mean: torch.Tensor
    std: torch.Tensor
    orders: dict[int, np.ndarray] = field(default_factory=dict)
    random_labels: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def train_size_ci(self) -> int:
        return int((self.split.train_y == self.setup.classes.c_i).sum())

    @property
    def kmax(self) -> int:
        return max(self.setup.sweep.counts)

    def order(self, seed: int) -> np.ndarray:
        if seed not in self.orders:
            y = self.split.train_y.numpy()
            self.orders[seed] = stamp_order(y, self.setup.classes.c_i, seed)
            info = catalog.DATASETS[self.setup.data.dataset]
            self.random_labels[seed] = random_wrong_labels(
                len(self.orders[seed]), info.num_classes, self.setup.classes.c_i, seed
            )
        return self.orders[seed]


def configure_torch(setup: Setup) -> torch.device:
    """Threads, determinism and the device, set once per process (and per worker)."""
    threads = setup.train.threads or max(1, (os.cpu_count() or 1) // setup.sweep.workers)
    torch.set_num_threads(threads)
    if setup.train.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return pick_device(setup.train.device)


def _subset(inputs: torch.Tensor | list[str], idx: np.ndarray) -> torch.Tensor | list[str]:
    if isinstance(inputs, list):
        return [inputs[i] for i in idx]
    return inputs[torch.from_numpy(np.asarray(idx, dtype=np.int64))]


class _Encoder:
    """Turns clean inputs into banks, with or without z_u (SPEC §1): a stamp for images,
    an inserted token for texts (tokenised once here, with the model's tokenizer)."""

    def __init__(self, setup: Setup) -> None:
        info = catalog.DATASETS[setup.data.dataset]
        self.image = info.modality == "image"
        if self.image:
            spec = StampSpec.from_config(setup.feature, image_size(setup), info.channels)
            self.stamp = ImageStamp(spec)
        else:
            self.inserter = TokenInserter(
                load_tokenizer(setup),
                setup.feature.text,
                str(setup.feature.position),
                setup.data.max_length,
                seed=setup.data.split_seed,
            )

    def __call__(
        self,
        inputs: torch.Tensor | list[str],
        stamped: bool,
        split_tag: int = 0,
        ids: np.ndarray = (),
    ) -> Bank:  # type: ignore[assignment]
        if self.image:
            return ImageBank(self.stamp(inputs) if stamped else inputs)
        return self.inserter.encode(inputs, stamped, split_tag, list(ids))


def prepare(setup: Setup, device: torch.device, split: Split | None = None) -> SweepData:
    """Load, split and inject z_u into the dataset once for the whole sweep."""
    split = split if split is not None else load_split(setup.data)
    encode = _Encoder(setup)
    c_i, c_j = setup.classes.c_i, setup.classes.c_j
    train_y = split.train_y.numpy()
    ci_idx = np.flatnonzero(train_y == c_i)
    n = len(train_y)
    stamped_row = np.full(n, -1, dtype=np.int64)
    stamped_row[ci_idx] = n + np.arange(len(ci_idx))
    train_bank = cat_banks(
        [encode(split.train_x, False), encode(_subset(split.train_x, ci_idx), True, _TRAIN, ci_idx)]
    )

    test_y = split.test_y.numpy()
    test_ci = np.flatnonzero(test_y == c_i)
    test_cj = np.flatnonzero(test_y == c_j)
    parts = {
        "test": encode(split.test_x, False),
        "ci_stamped": encode(_subset(split.test_x, test_ci), True, _TEST, test_ci),
        "probe": encode(_subset(split.test_x, test_cj), True, _TEST, test_cj),
    }
    segments, start = {}, 0
    for name, part in parts.items():
        segments[name] = slice(start, start + len(part))
        start += len(part)
    eval_bank = cat_banks(list(parts.values()))

    channels = catalog.DATASETS[setup.data.dataset].channels
    mean, std = torch.zeros(channels), torch.ones(channels)
    if encode.image:
        # Standardisation statistics of the clean training split, per channel (paper A.7).
        pixels = split.train_x.float().div_(255.0)
        mean = pixels.mean(dim=(0, 2, 3))
        std = pixels.std(dim=(0, 2, 3)).clamp_min(1e-6)
    if weights_source(setup):
        build_model(setup, mean, std)  # a missing weight file stops here, before any run
    return SweepData(
        setup=setup,
        device=device,
        split=split,
        train_bank=train_bank.to(device),
        stamped_row=stamped_row,
        eval_bank=eval_bank.to(device),
        segments=segments,
        test_ci=test_ci,
        mean=mean,
        std=std,
    )


_TRAIN, _TEST = 0, 1
"""Split tags that seed the random token position of each sample."""


@torch.inference_mode()
def predict(
    model: nn.Module, bank: Bank, batch_size: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Softmax probabilities for the bank's rows (all rows by default), in batches, as a
    float64 numpy array."""
    model.eval()
    rows = np.arange(len(bank)) if rows is None else np.asarray(rows)
    out = [
        F.softmax(model(bank.take(rows[i : i + batch_size])).float(), dim=1)
        for i in range(0, len(rows), batch_size)
    ]
    if not out:
        return np.zeros((0, 0))
    return torch.cat(out).double().cpu().numpy()


def batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Batch boundaries covering n samples; a final batch of one sample joins the previous
    one, since BatchNorm cannot train on a single sample."""
    bounds = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    bank: Bank,
    rows: np.ndarray,
    labels: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    should_stop: StopCheck = never,
) -> tuple[float, float]:
    """One pass over D_train in a seeded order; returns (mean loss, running accuracy %).

    `rows[i]` is the bank row of training sample i (its stamped copy when stamped). Loss
    and hits accumulate on the device; the only host sync is at the end.
    """
    model.train()
    n = len(rows)
    order = torch.randperm(n, generator=generator).numpy()
    device = labels.device
    loss_sum = torch.zeros((), device=device)
    hits = torch.zeros((), device=device, dtype=torch.long)
    for start, end in batch_bounds(n, batch_size):
        idx = order[start:end]
        y = labels[torch.from_numpy(idx).to(device)]
        logits = model(bank.take(rows[idx]))
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * (end - start)
        hits += (logits.detach().argmax(1) == y).sum()
        if should_stop():
            raise Interrupted
    return float(loss_sum.item() / n), float(100.0 * hits.item() / n)


@dataclass
class RunResult:
    planned: PlannedRun
    metrics: dict[str, float | None]
    targets: list[dict[str, object]]
    samples: dict[int, tuple[np.ndarray, np.ndarray]]
    """Per target class: (p(c|x_u), p(c|x_c)) over X_sens at the final epoch."""
    noisy_preds: np.ndarray | None
    """Baselines only: predictions on the stamped C_i prefix (seed order), one row per epoch."""
    seconds: float


def run_one(
    data: SweepData,
    planned: PlannedRun,
    emit: Emit,
    sweep_id: str,
    baseline_preds: np.ndarray | None = None,
    *,
    checkpoint: Path | None = None,
    should_stop: StopCheck = never,
    run_dir: Path | None = None,
) -> RunResult:
    """Train one model from scratch and report every epoch (SPEC §3).

    With `checkpoint`, the run's whole state is saved there every
    `train.checkpoint_every` epochs, and a run that finds one continues from it: model,
    optimiser, schedule, batch order and random state, so it ends exactly where an
    uninterrupted run would. `should_stop` is checked between batches; when it says
    yes the run raises Interrupted, leaving the last checkpoint in place.
    Explanations (GradCAM / SHAP, `engine.explain`) add their metrics to the epochs they
    are due at; their files go under `run_dir` when given.
    """
    setup, device = data.setup, data.device
    seed, k, mode = planned.seed, planned.count, planned.mode
    epochs = setup.train.epochs
    order = data.order(seed)
    stamped = order[:k]
    train_y = data.split.train_y.numpy()
    labels_np = training_labels(
        train_y, stamped, mode, data.random_labels[seed], setup.classes.y_fixed
    )
    rows = np.arange(len(train_y))
    rows[stamped] = data.stamped_row[stamped]
    labels = torch.from_numpy(labels_np).to(device)
    noisy_labels = labels_np[stamped]
    if not planned.is_baseline and baseline_preds is None:
        raise ValueError(f"run {planned.run} needs its baseline's predictions for the LM-score")

    torch.manual_seed(seed)  # the same initial weights for every count of a seed
    model = build_model(setup, data.mean, data.std).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(
        params,
        lr=setup.train.lr,
        momentum=setup.train.momentum,
        weight_decay=setup.train.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    generator = torch.Generator().manual_seed(seed)  # the same batch order for every count

    # Training rows the metrics read: the stamped prefix (X_noisy; a baseline keeps the
    # longest prefix of the sweep for the LM-score of later runs) and X_sens if it is drawn
    # from the training split.
    noisy_n = data.kmax if planned.is_baseline else k
    evaluator = _Evaluator(data, order, noisy_n, k)
    run_targets = targets(setup, mode)
    explainer = RunExplainer(data, planned, emit, sweep_id, run_dir)
    noisy_history: list[np.ndarray] = []
    final: tuple[dict, list, dict] = ({}, [], {})
    state = _Checkpoint(checkpoint, model, optimizer, scheduler, generator)
    first, spent = 1, 0.0
    if state.exists():
        first, spent, noisy_history, final = state.load(device)
    emit(
        RunStarted(
            sweep=sweep_id,
            run=planned.run,
            seed=seed,
            count=k,
            mode=mode,
            ratio=ratio(k, data.train_size_ci),
            index=planned.index,
            epochs=epochs,
            start_epoch=first,
        )
    )
    started = time.perf_counter() - spent
    every = setup.train.checkpoint_every
    for epoch in range(first, epochs + 1):
        t0 = time.perf_counter()
        loss, train_acc = train_one_epoch(
            model,
            optimizer,
            data.train_bank,
            rows,
            labels,
            setup.train.batch_size,
            generator,
            should_stop,
        )
        scheduler.step()
        train_seconds = time.perf_counter() - t0
        view = evaluator(model)
        noisy_preds = view.noisy_preds
        noisy_history.append(noisy_preds)
        lm = math.nan
        if k:
            lm = metrics.lm_score(noisy_preds[:k], baseline_preds[epoch - 1][:k], noisy_labels)
        epoch_metrics = {
            "train_loss": loss,
            "train_acc": train_acc,
            "train_seconds": train_seconds,
            "noisy_acc": metrics.accuracy_pct(noisy_preds[:k], noisy_labels) if k else math.nan,
            "test_acc": metrics.accuracy_pct(view.test_preds, data.split.test_y.numpy()),
            "acc_j": metrics.accuracy_pct(view.probe_preds, setup.classes.c_j),
            "lm": lm,
        }
        epoch_metrics.update(explainer(model, epoch, view.probe_preds))
        epoch_targets, samples = [], {}
        for target, role in run_targets:
            pu, pc = view.sens(target)
            s = metrics.s_sens(pu, pc) if len(pu) else math.nan
            p = metrics.ttest_greater(pu, pc, setup.metrics.ttest) if len(pu) > 1 else math.nan
            mp = metrics.misclassification_pct(view.probe_preds, setup.classes.c_j, target)
            epoch_targets.append(
                {
                    "target": target,
                    "role": role,
                    "s_sens": s,
                    "p_value": p,
                    "recognised": metrics.recognised(s, p, setup.metrics.alpha),
                    "mp": mp.mp,
                    "n_misclassified": mp.n_misclassified,
                }
            )
            samples[target] = (pu, pc)
        seconds = time.perf_counter() - t0
        emit(
            Epoch(
                sweep=sweep_id,
                run=planned.run,
                epoch=epoch,
                epochs=epochs,
                seconds=seconds,
                metrics=epoch_metrics,
                targets=epoch_targets,
            )
        )
        final = (epoch_metrics, epoch_targets, samples)
        if every and (epoch % every == 0 or epoch == epochs):
            state.save(epoch, time.perf_counter() - started, noisy_history, final)
    seconds = time.perf_counter() - started
    epoch_metrics, epoch_targets, samples = final
    emit(
        RunFinished(
            sweep=sweep_id,
            run=planned.run,
            seconds=seconds,
            metrics=epoch_metrics,
            targets=epoch_targets,
        )
    )
    return RunResult(
        planned=planned,
        metrics=epoch_metrics,
        targets=epoch_targets,
        samples=samples,
        noisy_preds=np.stack(noisy_history) if planned.is_baseline else None,
        seconds=seconds,
    )


class _Checkpoint:
    """A run's full training state in one file, written atomically (temp + rename)."""

    def __init__(
        self, path: Path | None, model: nn.Module, optimizer, scheduler, generator
    ) -> None:  # noqa: ANN001
        self.path = path
        self.parts = (model, optimizer, scheduler)
        self.generator = generator

    def exists(self) -> bool:
        return self.path is not None and self.path.is_file()

    def save(self, epoch: int, seconds: float, noisy: list[np.ndarray], final: tuple) -> None:
        assert self.path is not None
        model, optimizer, scheduler = self.parts
        state = {
            "epoch": epoch,
            "seconds": seconds,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "noisy_history": noisy,
            "final": final,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        try:
            torch.save(state, tmp)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def load(self, device: torch.device) -> tuple[int, float, list[np.ndarray], tuple]:
        assert self.path is not None
        state = torch.load(self.path, map_location=device, weights_only=False)
        model, optimizer, scheduler = self.parts
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        return state["epoch"] + 1, state["seconds"], list(state["noisy_history"]), state["final"]


@dataclass
class _View:
    """One epoch's predictions, sliced into the metric sets."""

    eval_probs: np.ndarray
    train_probs: np.ndarray
    segments: dict[str, slice]
    sens_rows: tuple[np.ndarray, np.ndarray] | None
    noisy_pos: np.ndarray
    test_ci: np.ndarray

    @property
    def test_preds(self) -> np.ndarray:
        return self.eval_probs[self.segments["test"]].argmax(1)

    @property
    def probe_preds(self) -> np.ndarray:
        return self.eval_probs[self.segments["probe"]].argmax(1)

    @property
    def noisy_preds(self) -> np.ndarray:
        return (
            self.train_probs[self.noisy_pos].argmax(1)
            if len(self.noisy_pos)
            else np.zeros(0, np.int64)
        )

    def sens(self, target: int) -> tuple[np.ndarray, np.ndarray]:
        """(p(c|x_u), p(c|x_c)) over X_sens."""
        if self.sens_rows is None:  # test_ci: both variants live in the evaluation bank
            stamped = self.eval_probs[self.segments["ci_stamped"], target]
            clean = self.eval_probs[self.segments["test"]][self.test_ci, target]
            return stamped, clean
        stamped_pos, clean_pos = self.sens_rows
        return self.train_probs[stamped_pos, target], self.train_probs[clean_pos, target]


class _Evaluator:
    """Works out once per run which bank rows each metric set needs, then each epoch runs
    one batched forward per bank and returns a `_View`."""

    def __init__(self, data: SweepData, order: np.ndarray, noisy_n: int, k: int) -> None:
        self.data = data
        population = data.setup.metrics.sens_population
        wanted = [data.stamped_row[order[:noisy_n]]]
        if population == "train_ci":
            ci = np.sort(order)
            wanted += [data.stamped_row[ci], ci]
        elif population == "train_stamped":
            wanted += [data.stamped_row[order[:k]], order[:k]]
        rows, inverse = np.unique(np.concatenate(wanted), return_inverse=True)
        self.rows = rows
        pieces = np.split(inverse, np.cumsum([len(w) for w in wanted])[:-1])
        self.noisy_pos = pieces[0]
        self.sens_rows = (pieces[1], pieces[2]) if population != "test_ci" else None

    def __call__(self, model: nn.Module) -> _View:
        batch = self.data.setup.train.eval_batch_size
        eval_probs = predict(model, self.data.eval_bank, batch)
        train_probs = predict(model, self.data.train_bank, batch, self.rows)
        return _View(
            eval_probs,
            train_probs,
            self.data.segments,
            self.sens_rows,
            self.noisy_pos,
            self.data.test_ci,
        )
