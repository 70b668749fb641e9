"""Set-up: everything a run needs before its first step, built from a config in one typed object.

The order matters and is the same for a new run and a resumed one: device, generator, data (loaded,
split, fingerprinted, whitened, normalised), then the model from a seed of its own, the speed
settings, the loss, the step and its optimiser. User mistakes found here raise RdfiaError subclasses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from rdfia_tui.engine.catalog import LOSSES
from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.data.layout import cropped_shape
from rdfia_tui.engine.data.pipeline import InputPipeline, apply_zca, build_pipeline, fit_zca
from rdfia_tui.engine.data.root import resolve_data_root
from rdfia_tui.engine.data.splits import Split, Splits, load_raw, make_splits, steps_per_epoch
from rdfia_tui.engine.device import describe_device, resolve_device
from rdfia_tui.engine.distributed import ONE_PROCESS, ShareWeightedLoss, World
from rdfia_tui.engine.eager import restore_dynamo_guards, skip_dynamo_import
from rdfia_tui.engine.errors import ConfigError, DataError
from rdfia_tui.engine.fingerprint import data_fingerprint
from rdfia_tui.engine.layers import LayerTable, describe
from rdfia_tui.engine.memory import check_zca_fits, setting_up
from rdfia_tui.engine.models import build_model
from rdfia_tui.engine.models.manual import HandSGD
from rdfia_tui.engine.seeding import seed_everything
from rdfia_tui.engine.speed import Speed, auto_threads, resolve_speed
from rdfia_tui.engine.steps import MaxNormStep, ModuleStep, Step, build_step

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class RunData:
    """The splits on the run's device, and what loading them did (notes for people, a report for summary.json)."""

    splits: Splits
    fingerprint: dict
    notes: tuple[str, ...]
    report: dict


@dataclass
class RunSetup:
    """What a run trains with. ``model`` keeps the plain layers (weights, checkpoints, the decision
    boundary); ``net`` is what trains and predicts (compiled or wrapped by the speed settings)."""

    cfg: RunConfig
    device: torch.device
    generator: torch.Generator
    data: RunData
    dtype: torch.dtype
    pipeline: InputPipeline
    model: nn.Module
    net: nn.Module
    table: LayerTable
    threads: int
    speed: Speed
    loss_fn: LossFn
    step: Step
    optimiser: torch.optim.Optimizer | HandSGD
    min_last: int  # a last batch smaller than this joins the previous one (2 with batch-norm; per rank in a distributed run)
    world: World = ONE_PROCESS
    shared_loss: ShareWeightedLoss | None = None  # a distributed run's loss weighting (engine.distributed)

    @property
    def splits(self) -> Splits:
        """The run's train/val/test splits on its device (whitened when ``data.zca``)."""
        return self.data.splits

    @property
    def steps_per_epoch(self) -> int:
        """Optimiser steps per training epoch (data.splits.steps_per_epoch with ``min_last``)."""
        return steps_per_epoch(len(self.splits.train), self.cfg.train.batch_size, self.min_last)

    @property
    def device_name(self) -> str:
        """The device as recorded and shown: ``cuda[:N] (<GPU name>)``, ``cpu`` or ``mps``."""
        return describe_device(self.device)

    def notes(self) -> list[str]:
        """What the set-up decided that the user did not write, one line each."""
        threads, cores = self.threads, os.cpu_count() or 1
        shared = f"train.threads {threads} is more than this machine's {cores} cores: the threads will share them"
        shared = [shared] if threads > cores else []
        batching = batching_notes(len(self.splits.train), self.cfg.train.batch_size, self.min_last)
        return [*self.data.notes, *self.speed.notes, *batching, *shared]


def set_up(
    cfg: RunConfig,
    data_root: str | Path | None = None,
    *,
    console: bool = False,
    accept_data: Callable[[dict], None] = lambda fingerprint: None,
    world: World = ONE_PROCESS,
) -> RunSetup:
    """Build everything ``cfg`` trains with. ``accept_data(fingerprint)`` may refuse the data (a resumed
    run's check) before anything costly. Raises DataError (data that cannot train), DeviceError,
    ConfigError (augmentation or crop the data cannot take; a distributed run of a hand-written step or a batch
    smaller than the world), ArchitectureError (a network too deep for the input), ResourceError
    (``memory.setting_up``, ZCA too large), or what ``accept_data`` raises (RecordError).
    In a distributed ``world`` the step trains the network wrapped in DistributedDataParallel."""
    t = cfg.train
    check_world(cfg, world)
    device = world.device_for(resolve_device(t.device))
    generator = seed_everything(t.seed)
    dtype = DTYPES[t.dtype]
    data = load_data(cfg, data_root, device, accept_data)
    with setting_up("normalising the data", device):
        pipeline = build_pipeline(cfg.data, data.splits.train.x, dtype)
    input_shape = model_input_shape(data.splits.input_shape, pipeline)
    torch.manual_seed(t.seed)  # initial weights do not depend on how the data was loaded
    with setting_up("building the model", device):
        model = build_model(cfg.model, input_shape, data.splits.n_classes).to(device=device, dtype=dtype)
    table = describe(model, input_shape)
    cores = max(1, (os.cpu_count() or 1) // world.local_world_size)  # the ranks on this machine share its cores
    threads = t.threads or auto_threads(table, t.batch_size, len(data.splits.train), cores, console)
    torch.set_num_threads(threads)
    speed = resolve_speed(cfg, device, model)
    pipeline.memory_format = speed.memory_format
    net = speed.apply(model, device)
    if t.tta_flip:
        net = flip_averaged(net, input_shape)
    loss_fn: LossFn = LOSSES.get(t.loss)
    trained, step_loss = data_parallel(net, device, training_loss(loss_fn, t.label_smoothing), world)
    step, optimiser = training_step(cfg, model, trained, speed, step_loss)
    min_last = (2 if has_batch_norm(model) else 1) * world.world_size  # every rank gets a share of each batch
    check_batch_norm_fits(min_last, len(data.splits.train))
    shared = step_loss if isinstance(step_loss, ShareWeightedLoss) else None
    return RunSetup(cfg, device, generator, data, dtype, pipeline, model, net, table, threads, speed, loss_fn, step, optimiser, min_last,
                    world, shared)  # fmt: skip


def training_loss(loss_fn: LossFn, smoothing: float) -> LossFn:
    """The loss the steps back-propagate: ``loss_fn``, or cross-entropy against smoothed targets
    (1 − s)·one-hot + s/K (``train.label_smoothing``; Szegedy et al. 2016, "Rethinking the Inception architecture", §7)."""
    if smoothing <= 0:
        return loss_fn
    import torch.nn.functional as F

    return lambda logits, target: F.cross_entropy(logits, target, label_smoothing=smoothing)


def flip_averaged(net: nn.Module, input_shape: tuple[int, ...]) -> nn.Module:
    """``net`` evaluating each image and its mirror image (``train.tta_flip``); raises ConfigError for inputs that are
    not images (C, H, W)."""
    if len(input_shape) != 3:
        raise ConfigError(
            f"train.tta_flip: test-time flipping needs images (C, H, W), got inputs of shape {input_shape}; set train.tta_flip=false",
            key="train.tta_flip",
        )
    from rdfia_tui.engine.models.modules import FlipAveraged

    return FlipAveraged(net)


def data_parallel(net: nn.Module, device: torch.device, loss_fn: LossFn, world: World) -> tuple[nn.Module, LossFn]:
    """What the step trains and the loss it back-propagates: ``net`` and ``loss_fn`` for one process; in a
    distributed run, ``net`` in DistributedDataParallel and the loss weighted by each rank's share."""
    if not world.distributed:
        return net, loss_fn
    from torch.nn.parallel import DistributedDataParallel

    wrapped = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    return wrapped, ShareWeightedLoss(loss_fn, device)


def check_world(cfg: RunConfig, world: World) -> None:
    """Raise ConfigError for what a distributed run cannot do: a hand-written step, or fewer examples per step than ranks."""
    if not world.distributed:
        return
    if cfg.model.impl != "module":
        raise ConfigError(
            f"model.impl: {cfg.model.impl!r} is not supported on several processes (DistributedDataParallel wraps a torch.nn "
            "network); set model.impl=module or train.nproc=1",
            key="model.impl",
        )
    if 0 < cfg.train.batch_size < world.world_size:
        raise ConfigError(
            f"train.batch_size: got {cfg.train.batch_size}; a run on {world.world_size} processes needs at least one example "
            f"per process in each step; use train.batch_size >= {world.world_size}",
            key="train.batch_size",
        )


def load_data(cfg: RunConfig, data_root: str | Path | None, device: torch.device, accept: Callable[[dict], None]) -> RunData:
    """Load, split and fingerprint the data (``accept`` may refuse it), then whiten it when ``data.zca`` asks (Q21)."""
    with setting_up("loading the data", device):
        raw = load_raw(cfg.data, resolve_data_root(data_root))
        splits = make_splits(raw, cfg.data, cfg.train.seed, device)
    fingerprint = data_fingerprint(splits)
    accept(fingerprint)
    if len(splits.train) == 0:
        raise DataError("no training examples left after data.limit_train and data.val_split; raise limit_train or lower val_split")
    if cfg.data.zca:
        check_zca_fits(splits.input_shape, len(splits.train) + len(splits.val) + len(splits.test), device)
        with setting_up("whitening the images (ZCA)", device):
            splits = whiten(splits, cfg.data.zca_eps)
    return RunData(splits, fingerprint, tuple(raw.notes), raw.report)


def training_step(cfg: RunConfig, model: nn.Module, net: nn.Module, speed: Speed, loss_fn: LossFn) -> tuple[Step, object]:
    """The step ``model.impl`` names, run eagerly or compiled as the speed settings say, with max-norm (Q32)."""
    if speed.compile_mode is None:
        skip_dynamo_import()
    else:
        restore_dynamo_guards()
    step, optimiser = build_step(cfg.model.impl, net if cfg.model.impl == "module" else model, cfg.optim, cfg.train.loss, loss_fn)
    if speed.compile_mode is None and isinstance(step, ModuleStep):
        step.run_eagerly()
    step = speed.wrap_step(step)
    if cfg.optim.max_norm > 0:
        step = MaxNormStep(step, model, cfg.optim.max_norm)
    return step, optimiser


def check_batch_norm_fits(min_last: int, n_train: int) -> None:
    """Raise DataError when batch-norm would have to normalise a batch of one example."""
    if min_last > n_train:
        raise DataError(
            f"batch-norm needs at least 2 training examples to normalise a batch, but there is {n_train}; "
            "raise data.limit_train or lower data.val_split, or set model.batch_norm=false"
        )


def batching_notes(n: int, batch_size: int, min_last: int) -> list[str]:
    """What the batching does that the user did not write: a full batch forced, or a last batch merged."""
    if batch_size > n:
        return [f"train.batch_size {batch_size} is larger than the {n} training examples: each epoch is one full batch"]
    if batch_size and min_last > 1 and n > batch_size and 0 < n % batch_size < min_last:
        steps = steps_per_epoch(n, batch_size, min_last)
        return [
            f"the last batch of each epoch would hold {n % batch_size} example, which batch-norm cannot normalise in training: "
            f"it joins the previous batch ({steps} step{'s' if steps > 1 else ''}, the last of {batch_size + n % batch_size} examples)"
        ]
    return []


def has_batch_norm(model: nn.Module) -> bool:
    """Whether ``model`` has a batch-norm layer (then a last batch of one example joins the previous one)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def whiten(splits: Splits, eps: float) -> Splits:
    """ZCA fitted on the training split, applied to every split once (Q21)."""
    mean, w = fit_zca(splits.train.x, eps)
    return Splits(
        train=Split(apply_zca(splits.train.x, mean, w), splits.train.y),
        val=Split(apply_zca(splits.val.x, mean, w), splits.val.y),
        test=Split(apply_zca(splits.test.x, mean, w), splits.test.y),
        input_shape=splits.input_shape,
        class_names=splits.class_names,
    )


def model_input_shape(shape: tuple[int, ...], pipeline: InputPipeline) -> tuple[int, ...]:
    """What the model sees through ``pipeline``: C×crop×crop when it crops (data.layout.cropped_shape)."""
    return cropped_shape(shape, pipeline.crop_size)
