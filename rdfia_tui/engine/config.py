"""Run configuration: frozen dataclasses, their keys and checks, built from a parsed TOML mapping, overrides, and TOML out."""

from __future__ import annotations

import codecs
import dataclasses
import functools
import math
import re
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdfia_tui.engine.catalog import (
    ACTIVATIONS,
    AUGMENTATION_NAMES,
    DATASETS,
    IMPLS,
    LOSSES,
    MODELS,
    NORMALISATIONS,
    OPTIMISERS,
    POOLS,
    SCHEDULES,
)
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.extras import install_line
from rdfia_tui.engine.lessons.lesson import LESSON_KEY, Lesson, parse_lesson
from rdfia_tui.engine.registry import did_you_mean, nearest
from rdfia_tui.engine.text_checks import control_character
from rdfia_tui.engine.toml_out import toml_value

Check = Callable[[Any], str | None]


Applies = Callable[["RunConfig"], bool]


def option(
    default: Any, help: str, *, choices: Iterable[str] | None = None, check: Check | None = None, applies: Applies | None = None
) -> Any:
    """A config field with its documentation, its allowed names, its value check, and when it is used at all
    (``applies(cfg)``: the form hides a key the rest of the config does not use)."""
    if isinstance(default, list):
        default = tuple(default)
    return field(default=default, metadata={"help": help, "choices": choices, "check": check, "applies": applies})


def _arch(name: str) -> Applies:
    return lambda c: c.model.arch == name


def _optimisers(*names: str) -> Applies:
    return lambda c: c.optim.name in names


def _schedules(*names: str) -> Applies:
    return lambda c: c.schedule.name in names


def _datasets(*names: str) -> Applies:
    return lambda c: c.data.dataset in names


def _augmented(name: str) -> Applies:
    return lambda c: name in c.data.augment


MLP, CONVNET = _arch("mlp"), _arch("convnet")
TOY = _datasets("circles", "moons")


def at_least(low: float) -> Check:
    """A Check that passes numbers of at least ``low``; a non-finite float fails. The Check returns the problem as text, or None."""

    def check(v: float) -> str | None:
        if isinstance(v, float) and not math.isfinite(v):
            return "must be a finite number"
        return None if v >= low else f"must be at least {low:g}"

    return check


def positive(v: float) -> str | None:
    """Check: a finite number greater than 0; returns the problem as text, or None."""
    if not math.isfinite(v):
        return "must be a finite number"
    return None if v > 0 else "must be greater than 0"


def fraction(v: float) -> str | None:
    """In [0, 1): a probability that leaves something behind (NaN fails both comparisons)."""
    return None if 0 <= v < 1 else "must be in [0, 1)"


MAX_WIDTH = 2**24  # units, channels or kernel size of one layer: two layers this wide already need a petabyte


def positive_items(v: tuple[int, ...]) -> str | None:
    """Check: every entry of the tuple from 1 to MAX_WIDTH (layer sizes, kernels); returns the problem as text, or
    None. Above MAX_WIDTH torch's own size arithmetic overflows (a traceback, not an out-of-memory)."""
    if not all(x >= 1 for x in v):
        return "every entry must be at least 1"
    too_wide = f"every entry must be at most {MAX_WIDTH:,} (2^24; a layer that wide already needs terabytes)"
    return None if all(x <= MAX_WIDTH for x in v) else too_wide


def non_negative_items(v: tuple[int, ...]) -> str | None:
    """Check: every entry of the tuple at least 0 (paddings); returns the problem as text, or None."""
    return None if all(x >= 0 for x in v) else "every entry must be at least 0"


_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def device_name(v: str) -> str | None:
    """Check: ``auto``, ``cpu``, ``mps``, ``cuda`` or ``cuda:N`` by spelling only (device.resolve_device asks whether it exists)."""
    return None if _DEVICE.match(v) else "must be auto, cpu, cuda, cuda:N or mps"


@dataclass(frozen=True)
class DataConfig:
    """Which examples the model sees, and how they are split."""

    dataset: str = option("circles", "dataset name", choices=DATASETS)
    path: str = option(
        "", "file (npz) or folder (imagefolder) to read; unused by the other datasets", applies=_datasets("npz", "imagefolder")
    )
    limit_train: int = option(0, "use only the first N shuffled training examples; 0 = all", check=at_least(0))
    val_split: float = option(0.1, "fraction of the training set held out for validation", check=fraction)
    n_samples: int = option(
        1000, "circles/moons: number of training points (the test set has half as many)", check=at_least(10), applies=TOY
    )
    noise: float = option(0.08, "circles/moons: standard deviation of the Gaussian noise", check=at_least(0), applies=TOY)
    seed: int = option(0, "seed that generates circles/moons and splits digits; fixed so every run sees the same data", check=at_least(0))
    image_size: int = option(
        0,
        "imagefolder: resize every image to this square size; 0 = keep (all must match)",
        check=at_least(0),
        applies=_datasets("imagefolder"),
    )
    stream: bool = option(
        False, "imagefolder: read the images from disk each epoch through DataLoader workers, for folders too large for memory"
    )
    workers: int = option(2, "stream: DataLoader worker processes decoding images", check=at_least(0), applies=lambda c: c.data.stream)
    download: bool = option(
        True,
        "mnist/fashion-mnist/cifar10: download into the data root when missing",
        applies=_datasets("mnist", "fashion-mnist", "cifar10"),
    )
    normalize: str = option(
        "none", "per-channel standardisation with train-split mean/std, applied to every split (Q19-20)", choices=NORMALISATIONS
    )
    zca: bool = option(False, "ZCA-whiten every split with a transform fitted on train (Q21)")
    zca_eps: float = option(0.01, "zca: the ε in U diag(1/√(λ+ε)) Uᵀ", check=positive, applies=lambda c: c.data.zca)
    augment: tuple[str, ...] = option(
        (), "training augmentations applied in order, batched on the device (Q22-25)", choices=AUGMENTATION_NAMES
    )
    crop_size: int = option(
        0, "crop: output size (evaluation uses a centre crop); 0 = the image size", check=at_least(0), applies=_augmented("crop")
    )
    crop_padding: int = option(
        0, "crop: zero padding added around the image before cropping", check=at_least(0), applies=_augmented("crop")
    )
    rotation: float = option(10.0, "rotate: largest angle in degrees", check=at_least(0), applies=_augmented("rotate"))
    scale: float = option(0.1, "scale: largest zoom in or out, as a fraction", check=fraction, applies=_augmented("scale"))
    jitter: float = option(0.2, "jitter: largest brightness/contrast change, as a fraction", check=fraction, applies=_augmented("jitter"))


@dataclass(frozen=True)
class ModelConfig:
    """The network: an MLP (labs 4-5) or the course's CNN (labs 6-7)."""

    arch: str = option("mlp", "network family", choices=MODELS)
    impl: str = option("module", "MLP implementation: module (torch.nn), autograd or manual", choices=IMPLS, applies=MLP)
    hidden: tuple[int, ...] = option((4,), "MLP: sizes of the hidden layers", check=positive_items, applies=MLP)
    activation: str = option("tanh", "MLP: hidden activation", choices=ACTIVATIONS, applies=MLP)
    conv_channels: tuple[int, ...] = option(
        (32, 64, 64), "convnet: output channels of each convolution", check=positive_items, applies=CONVNET
    )
    conv_kernels: tuple[int, ...] = option((5, 5, 5), "convnet: kernel size of each convolution", check=positive_items, applies=CONVNET)
    conv_paddings: tuple[int, ...] = option(
        (2, 0, 0), "convnet: zero padding of each convolution", check=non_negative_items, applies=CONVNET
    )
    pool: str = option("max", "convnet: pooling after each convolution", choices=POOLS, applies=CONVNET)
    pool_size: int = option(2, "convnet: pooling window and stride; 1 = no pooling", check=at_least(1), applies=CONVNET)
    pool_ceil: bool = option(False, "convnet: round pooled sizes up (ceil_mode), so a 1x1 map survives a 2x2 pool", applies=CONVNET)
    fc: tuple[int, ...] = option((1000,), "convnet: sizes of the hidden fully-connected layers", check=positive_items, applies=CONVNET)
    dropout: float = option(0.0, "convnet: dropout rate before each fully-connected layer", check=fraction, applies=CONVNET)
    batch_norm: bool = option(False, "convnet: batch normalisation after each convolution", applies=CONVNET)
    fully_conv: bool = option(
        False, "convnet: fully-connected layers as convolutions, giving a map of class scores on larger images (Q4-6)", applies=CONVNET
    )


@dataclass(frozen=True)
class OptimConfig:
    """The optimiser, as in torch.optim."""

    name: str = option("sgd", "optimiser", choices=OPTIMISERS)
    lr: float = option(0.1, "initial learning rate", check=positive)
    momentum: float = option(0.0, "sgd/rmsprop: momentum", check=fraction, applies=_optimisers("sgd", "rmsprop"))
    nesterov: bool = option(False, "sgd: Nesterov momentum (needs momentum > 0)", applies=_optimisers("sgd"))
    weight_decay: float = option(0.0, "L2 penalty added to the gradient", check=at_least(0))
    beta1: float = option(0.9, "adam: first-moment decay", check=fraction, applies=_optimisers("adam"))
    beta2: float = option(0.999, "adam: second-moment decay", check=fraction, applies=_optimisers("adam"))
    rho: float = option(0.9, "adadelta: running-average decay", check=fraction, applies=_optimisers("adadelta"))
    alpha: float = option(0.99, "rmsprop: smoothing constant", check=fraction, applies=_optimisers("rmsprop"))
    max_norm: float = option(
        0.0, "after each step, rescale each unit's incoming weights to an L2 norm of at most this; 0 = off (Q32)", check=at_least(0)
    )
    eps: float = option(
        1e-8, "adagrad/adadelta/rmsprop/adam: term added for numerical stability", check=positive, applies=lambda c: c.optim.name != "sgd"
    )


@dataclass(frozen=True)
class ScheduleConfig:
    """How the learning rate changes with the epoch t (t = 0 for the first epoch)."""

    name: str = option(
        "constant",
        "constant, time (lr0/(1+decay*t)), step (x gamma every step_size), exponential (lr0*gamma^t) or onecycle "
        "(per step: up from lr0/25 to lr0 over the warmup fraction, then down to 0 at the last epoch)",
        choices=SCHEDULES,
    )
    decay: float = option(0.1, "time: the k in lr0/(1+k*t)", check=at_least(0), applies=_schedules("time"))
    step_size: int = option(10, "step: epochs between two multiplications by gamma", check=at_least(1), applies=_schedules("step"))
    gamma: float = option(0.95, "step/exponential: multiplicative factor", check=positive, applies=_schedules("step", "exponential"))
    warmup: float = option(0.25, "onecycle: fraction of the run's epochs spent raising the lr to lr0", check=fraction,
                           applies=_schedules("onecycle"))  # fmt: skip


@dataclass(frozen=True)
class TrainConfig:
    """The loop: epochs, batches, seed, device and loss."""

    epochs: int = option(10, "training epochs after the epoch-0 evaluation", check=at_least(0))
    batch_size: int = option(32, "examples per step; 1 = stochastic, 0 = full batch", check=at_least(0))
    seed: int = option(0, "seed for initial weights, shuffling and the validation split", check=at_least(0))
    device: str = option("auto", "auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps", check=device_name)
    loss: str = option("cross_entropy", "cross_entropy (softmax + log loss) or mse (softmax vs one-hot)", choices=LOSSES)
    eval_batch_size: int = option(
        0, "examples per step when evaluating; 0 = automatic: 128 on a CPU (larger batches leave its caches), 1024 on a GPU",
        check=at_least(0),
    )
    label_smoothing: float = option(
        0.0, "cross_entropy: train against (1 - s)·one-hot + s/K (Szegedy et al. 2016); evaluation losses stay plain cross-entropy",
        check=fraction, applies=lambda c: c.train.loss == "cross_entropy" and c.model.impl == "module",
    )
    tta_flip: bool = option(False, "images: evaluate each image and its mirror image and average the logits (test-time augmentation)")
    progress_interval: float = option(0.1, "seconds between two progress events (and device syncs)", check=positive)
    threads: int = option(
        0, "CPU threads for torch; 0 = automatic (every core, but one fewer for an MLP in the console)", check=at_least(0)
    )
    dtype: str = option(
        "float32",
        "floating-point type of the weights and inputs (float64 to compare implementations exactly)",
        choices=("float32", "float64"),
    )
    precision: str = option(
        "auto",
        "autocast: auto (bf16 on CUDA and on CPUs with native bf16, else fp32), fp32 or bf16; module impl and float32 only",
        choices=("auto", "fp32", "bf16"),
    )
    channels_last: str = option(
        "auto", "NHWC memory layout for convolutions: auto (on for convnets), on or off", choices=("auto", "on", "off")
    )
    checkpoint: str = option(
        "off",
        "epoch: save model, optimiser and RNG states after each epoch, so 'rdfia-tui resume RUN_DIR' continues exactly",
        choices=("off", "epoch"),
    )
    compile: bool = option(False, "torch.compile the network (the first steps pay the compile time); module impl only")
    cuda_graphs: bool = option(False, "on CUDA, compile with CUDA graphs (mode reduce-overhead) to cut kernel-launch overhead")
    nproc: int = option(
        1, "processes training one run with DistributedDataParallel (started through torchrun); batch_size stays the global batch",
        check=at_least(1),
    )
    backend: str = option("auto", "process-group backend of a distributed run: auto (nccl on CUDA, gloo on CPU), gloo or nccl",
                          choices=("auto", "gloo", "nccl"))  # fmt: skip
    early_stop_patience: int = option(
        0, "early stopping: end the run once the watched validation metric has not improved for this many epochs; 0 = off (Q18)",
        check=at_least(0),
    )
    early_stop_metric: str = option("val_loss", "early stopping: the metric watched, val_loss (lower is better) or val_acc (higher)",
                                    choices=("val_loss", "val_acc"), applies=lambda c: c.train.early_stop_patience > 0)  # fmt: skip
    restore_best: bool = option(True, "early stopping: end with the weights of the best epoch, not the last one's",
                                applies=lambda c: c.train.early_stop_patience > 0)  # fmt: skip
    tensorboard: bool = option(
        False, f"also write TensorBoard event files into the run folder's tensorboard/ (needs {install_line('tensorboard')})"
    )


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "optim": OptimConfig,
    "schedule": ScheduleConfig,
    "train": TrainConfig,
}


@dataclass(frozen=True)
class RunConfig:
    """A whole preset: a name, a description, the five sections, and the lesson it teaches (None when it has none)."""

    name: str = "unnamed"
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    lesson: Lesson | None = field(default=None, compare=False)  # text about the run, not a setting of it

    def to_dict(self) -> dict[str, Any]:
        """The config as plain TOML/JSON values: name, description and one dict per section, tuples as lists (the
        settings only: the lesson is written by ``dumps``, so config diffs and sweep identities never see it)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        for section in SECTIONS:
            values = dataclasses.asdict(getattr(self, section))
            out[section] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        return out


@dataclass(frozen=True)
class FieldSpec:
    """What the loader, the validator and a generated form know about one key."""

    section: str
    name: str
    type: Any
    default: Any
    help: str
    choices: tuple[str, ...] | None
    check: Check | None
    applies: Applies | None = None

    @property
    def key(self) -> str:
        """``section.name``, as ``--set`` and error messages spell it."""
        return f"{self.section}.{self.name}"

    @property
    def type_name(self) -> str:
        """The field's type in words, for error messages ("an integer", "a list of names")."""
        return _TYPE_NAMES[self.type]

    def used_by(self, cfg: RunConfig) -> bool:
        """Whether ``cfg`` uses this key at all (an MLP has no conv_channels, SGD no beta1)."""
        return self.applies is None or self.applies(cfg)


_TYPE_NAMES = {
    int: "an integer",
    float: "a number",
    bool: "true or false",
    str: "a string",
    tuple[int, ...]: "a list of integers",
    tuple[str, ...]: "a list of names",
}


@functools.cache
def field_specs() -> tuple[FieldSpec, ...]:
    """Every key of every section, in declaration order (computed once: type hints are slow to resolve)."""
    specs = []
    for section, cls in SECTIONS.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            choices = f.metadata.get("choices")
            specs.append(
                FieldSpec(
                    section=section,
                    name=f.name,
                    type=hints[f.name],
                    default=f.default,
                    help=f.metadata.get("help", ""),
                    choices=tuple(choices) if choices is not None else None,
                    check=f.metadata.get("check"),
                    applies=f.metadata.get("applies"),
                )
            )
    return tuple(specs)


def spec_for(key: str) -> FieldSpec:
    """The spec of ``section.key``; an unknown key suggests the nearest one."""
    specs = {s.key: s for s in field_specs()}
    if key in specs:
        return specs[key]
    raise ConfigError(f"unknown key '{key}'{did_you_mean(key, list(specs))}", key=key)


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def coerce(spec: FieldSpec, value: Any) -> Any:
    """Check a TOML value's type for ``spec`` and return it in the field's type."""
    wanted = spec.type
    ok = False
    if wanted is bool:
        ok = isinstance(value, bool)
    elif wanted is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif wanted is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif wanted is str:
        ok = isinstance(value, str)
    elif wanted == tuple[int, ...]:
        ok = isinstance(value, list | tuple) and all(isinstance(x, int) and not isinstance(x, bool) for x in value)
        value = tuple(value) if ok else value
    elif wanted == tuple[str, ...]:
        ok = isinstance(value, list | tuple) and all(isinstance(x, str) for x in value)
        value = tuple(value) if ok else value
    if not ok:
        raise ConfigError(f"{spec.key}: expected {spec.type_name}, got {_describe(value)}", key=spec.key)
    return value


def _list_items(raw: str) -> list[str]:
    """The comma-separated items of ``raw`` ("4,8", "[4, 8]"); an empty item ("4,,8") is a ValueError."""
    inner = raw.strip("[]() ")
    if not inner:
        return []
    items = [x.strip() for x in inner.split(",")]
    if items[-1] == "":
        items.pop()  # a trailing comma, as TOML allows
    if "" in items:
        raise ValueError("an empty item")
    return items


def parse_text(spec: FieldSpec, text: str) -> Any:
    """Turn the text of a ``--set`` value (or a form field) into the field's type."""
    raw = text.strip()
    wanted = spec.type
    try:
        if wanted is bool:
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if wanted is int:
            return int(raw)
        if wanted is float:
            number = float(raw)
            return number
        if wanted is str:
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
                raw = raw[1:-1]
            return raw
        if wanted == tuple[int, ...]:
            return tuple(int(x) for x in _list_items(raw))
        if wanted == tuple[str, ...]:
            return tuple(x.strip("'\"") for x in _list_items(raw))
    except ValueError:
        pass
    raise ConfigError(f"{spec.key}: expected {spec.type_name}, got {text!r}", key=spec.key)


def check_value(spec: FieldSpec, value: Any) -> None:
    """Raise a ConfigError when ``value`` is not allowed for ``spec``."""
    if spec.choices is not None and isinstance(value, tuple):
        for item in value:
            if item not in spec.choices:
                allowed = ", ".join(spec.choices)
                raise ConfigError(f"{spec.key}: got {item!r}; allowed: {allowed}{did_you_mean(str(item), spec.choices)}", key=spec.key)
    elif spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(spec.choices)
        raise ConfigError(
            f"{spec.key}: got {value!r}; allowed: {allowed}{did_you_mean(str(value), spec.choices)}",
            key=spec.key,
        )
    if spec.check is not None:
        problem = spec.check(value)
        if problem:
            raise ConfigError(f"{spec.key}: got {value!r}; {problem}", key=spec.key)


def _cross_checks(cfg: RunConfig) -> None:
    """Rules that involve more than one key."""
    d, m, o = cfg.data, cfg.model, cfg.optim
    if d.dataset in ("npz", "imagefolder") and not d.path:
        raise ConfigError(f"data.path: dataset '{d.dataset}' needs data.path; set it with --set data.path=FILE_OR_FOLDER", key="data.path")
    if d.stream and d.dataset != "imagefolder":
        raise ConfigError(f"data.stream: only an imagefolder is read from disk batch by batch, not {d.dataset!r}", key="data.stream")
    if d.stream and d.zca:
        raise ConfigError("data.zca: ZCA needs every training image in memory at once; set data.stream=false", key="data.zca")
    if m.impl != "module" and m.arch != "mlp":
        raise ConfigError(
            f"model.impl: got {m.impl!r}; only the mlp has a manual or autograd implementation, use 'module' for {m.arch}", key="model.impl"
        )
    if m.impl != "module" and (o.name != "sgd" or o.nesterov):
        raise ConfigError(
            f"model.impl: {m.impl!r} trains with a hand-written SGD (momentum allowed, no Nesterov); "
            "set optim.name=sgd or model.impl=module",
            key="model.impl",
        )
    n = len(m.conv_channels)
    if not (len(m.conv_kernels) == n == len(m.conv_paddings)):
        raise ConfigError(
            f"model.conv_kernels/conv_paddings: got {len(m.conv_kernels)} kernels and {len(m.conv_paddings)} paddings "
            f"for {n} conv_channels; give one of each per convolution",
            key="model.conv_kernels",
        )
    if m.arch == "convnet" and n == 0:
        raise ConfigError("model.conv_channels: got []; the convnet needs at least one convolution", key="model.conv_channels")
    t = cfg.train
    if m.arch == "convnet" and m.batch_norm and t.batch_size == 1:
        raise ConfigError(
            "train.batch_size: got 1; batch-norm (model.batch_norm) needs at least 2 examples per batch to normalise "
            "in training; use a larger batch or set model.batch_norm=false",
            key="train.batch_size",
        )
    if t.label_smoothing > 0 and (t.loss != "cross_entropy" or m.impl != "module"):
        raise ConfigError(
            f"train.label_smoothing: smoothing applies to the cross_entropy loss of model.impl=module (got {t.loss}, {m.impl}); "
            "set train.label_smoothing=0",
            key="train.label_smoothing",
        )
    if t.precision == "bf16" and (t.dtype != "float32" or m.impl != "module"):
        raise ConfigError(
            f"train.precision: bf16 autocast needs train.dtype=float32 and model.impl=module (got {t.dtype}, {m.impl}); "
            "set train.precision=fp32",
            key="train.precision",
        )
    if (t.compile or t.cuda_graphs) and m.impl != "module":
        key = "train.compile" if t.compile else "train.cuda_graphs"
        raise ConfigError(f"{key}: compiles the torch.nn network, but model.impl is {m.impl!r}; set model.impl=module", key=key)
    if t.nproc > 1 and m.impl != "module":
        raise ConfigError(
            f"train.nproc: {m.impl!r} (model.impl) is not supported on several processes: DistributedDataParallel wraps a "
            "torch.nn network; set model.impl=module or train.nproc=1",
            key="train.nproc",
        )
    if 0 < t.batch_size < t.nproc:
        raise ConfigError(
            f"train.batch_size: got {t.batch_size}; a run on {t.nproc} processes needs at least one example per process "
            f"in each step; use train.batch_size >= {t.nproc}",
            key="train.batch_size",
        )
    if t.early_stop_patience > 0 and d.val_split == 0:
        raise ConfigError(
            "train.early_stop_patience: early stopping watches the validation split, but data.val_split is 0; set "
            "data.val_split=0.1 (choosing the epoch on the test set would overstate its accuracy) or train.early_stop_patience=0",
            key="train.early_stop_patience",
        )
    if o.nesterov and (o.name != "sgd" or o.momentum <= 0):
        raise ConfigError(
            f"optim.nesterov: needs optim.name='sgd' and optim.momentum > 0 (got {o.name!r}, momentum {o.momentum:g})", key="optim.nesterov"
        )


def validate(cfg: RunConfig) -> RunConfig:
    """The one place where a config is checked; returns it unchanged when valid."""
    for spec in field_specs():
        value = getattr(getattr(cfg, spec.section), spec.name)
        coerce(spec, list(value) if isinstance(value, tuple) else value)
        check_value(spec, value)
    _cross_checks(cfg)
    return cfg


_TOP_LEVEL = ("name", "description", *SECTIONS, LESSON_KEY)
BASE_KEY = "base"  # a preset's other top-level key: the preset it changes (resolved by rdfia_tui.engine.presets)


def _refuse_sweep_tables(raw: Mapping[str, Any]) -> None:
    sweep_tables = [t for t in ("grid", "sweep") if t in raw]
    if sweep_tables:
        raise ConfigError(f"this is a sweep file ([{'] and ['.join(sweep_tables)}]), not a preset; run it with 'rdfia-tui sweep FILE'")


def _section_values(top: str, value: Any, all_keys: list[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{top}: expected a table [{top}], got {_describe(value)}", key=top)
    values = {}
    for name, item in value.items():
        key = f"{top}.{name}"
        if key not in all_keys:
            siblings = [k.split(".", 1)[1] for k in all_keys if k.startswith(top + ".")]
            near = nearest(name, siblings)
            hint = f"; did you mean '{top}.{near}'?" if near else did_you_mean(key, all_keys)
            raise ConfigError(f"unknown key '{key}'{hint}", key=key)
        values[name] = coerce(spec_for(key), item)
    return values


def from_mapping(raw: Mapping[str, Any], *, default_name: str = "unnamed") -> RunConfig:
    """Build and validate a RunConfig from a parsed TOML document whose ``base`` (if any) is resolved
    (rdfia_tui.engine.presets does that when it loads a file).

    Raises ConfigError (one line) for a sweep file, an unknown key, or a wrong type or value.
    """
    _refuse_sweep_tables(raw)
    if BASE_KEY in raw:
        raise ConfigError("base: a preset's base is resolved when the file is loaded as a preset (--preset FILE)", key=BASE_KEY)
    all_keys = [s.key for s in field_specs()]
    sections: dict[str, dict[str, Any]] = {}
    for top, value in raw.items():
        if top not in _TOP_LEVEL:
            hint = did_you_mean(top, [*_TOP_LEVEL, BASE_KEY, *all_keys])
            raise ConfigError(f"unknown key '{top}'{hint} (top-level keys: {', '.join(_TOP_LEVEL)})", key=top)
        if top in SECTIONS:
            sections[top] = _section_values(top, value, all_keys)
    for top in ("name", "description"):
        if top in raw and not isinstance(raw[top], str):
            raise ConfigError(f"{top}: expected a string, got {_describe(raw[top])}", key=top)
        if top in raw and (bad := control_character(raw[top], allowed="" if top == "name" else "\n\t")) is not None:
            raise ConfigError(f"{top}: contains a control character ({bad}), which a terminal would act on; remove it", key=top)
    cfg = RunConfig(
        name=raw.get("name", default_name),
        description=raw.get("description", ""),
        **{section: cls(**sections.get(section, {})) for section, cls in SECTIONS.items()},
        lesson=parse_lesson(raw[LESSON_KEY]) if LESSON_KEY in raw else None,
    )
    return validate(cfg)


def parse_toml(text: str, *, source: str) -> dict[str, Any]:
    """The TOML document ``text``; raises ConfigError (one line, naming ``source`` and the place) when it is not valid TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None


def read_toml_text(path: Path) -> str:
    """The text of a TOML file: UTF-8, with or without the byte-order mark editors add.

    Raises ConfigError (one line) for an unreadable file or another encoding, saying where it fails.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read preset {path}: {exc.strerror or exc}") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:200]:
        raise ConfigError(f"{path}: saved as UTF-16; save it as UTF-8 (a preset is a UTF-8 TOML file)")
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ConfigError(f"{path}: the file is empty; a preset sets at least one key (copy presets/reference.toml to start one)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}, column {column}); save the file as UTF-8"
        ) from None


def with_absolute_paths(cfg: RunConfig) -> RunConfig:
    """``data.path`` resolved against the current folder: a run's record must name the same file from anywhere."""
    if not cfg.data.path:
        return cfg
    absolute = str(Path(cfg.data.path).expanduser().resolve())
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, path=absolute))


def with_values(cfg: RunConfig, changes: Mapping[str, Any]) -> RunConfig:
    """A copy of ``cfg`` with several keys changed, validated once, as a whole."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        spec = spec_for(key)
        sections.setdefault(spec.section, {})[spec.name] = coerce(spec, list(value) if isinstance(value, tuple) else value)
    replaced = {name: dataclasses.replace(getattr(cfg, name), **values) for name, values in sections.items()}
    return validate(dataclasses.replace(cfg, **replaced))


def with_value(cfg: RunConfig, key: str, value: Any) -> RunConfig:
    """A copy of ``cfg`` with one key changed and the result validated."""
    return with_values(cfg, {key: value})


def parse_override(text: str) -> tuple[str, str]:
    """Split ``section.key=value``."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or "." not in key:
        raise ConfigError(f"--set {text!r}: expected section.key=value, for example --set optim.lr=0.05")
    return key, value


def apply_overrides(cfg: RunConfig, overrides: Iterable[str]) -> RunConfig:
    """Apply ``--set section.key=value`` strings (a later one wins), each type-checked, then validate once.

    Raises ConfigError (one line, with its ``key``) for text without ``section.key=``, an unknown key, a value
    of the wrong type, or a result that does not validate.
    """
    changes: dict[str, Any] = {}
    for text in overrides:
        key, value = parse_override(text)
        changes[key] = parse_text(spec_for(key), value)
    return with_values(cfg, changes)


def dumps(cfg: RunConfig) -> str:
    """The fully resolved config as TOML, loadable again as a preset."""
    data = cfg.to_dict()
    lines = [f"name = {toml_value(data['name'])}", f"description = {toml_value(data['description'])}"]
    for section in SECTIONS:
        lines.append("")
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in data[section].items())
    if cfg.lesson is not None:
        lines += ["", cfg.lesson.to_toml().rstrip("\n")]
    return "\n".join(lines) + "\n"


def documented_toml(cfg: RunConfig) -> str:
    """``cfg`` as TOML with every key preceded by its meaning and allowed values."""
    data = cfg.to_dict()
    lines = [f"name = {toml_value(data['name'])}", f"description = {toml_value(data['description'])}"]
    for section, cls in SECTIONS.items():
        lines += ["", f"# {cls.__doc__}", f"[{section}]"]
        for spec in (s for s in field_specs() if s.section == section):
            allowed = f" [{' | '.join(spec.choices)}]" if spec.choices else ""
            lines.append(f"# {spec.help}{allowed}")
            lines.append(f"{spec.name} = {toml_value(data[section][spec.name])}")
    if cfg.lesson is not None:
        lines += ["", cfg.lesson.to_toml().rstrip("\n")]
    return "\n".join(lines) + "\n"
