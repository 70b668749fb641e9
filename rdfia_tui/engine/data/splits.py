"""Device-resident train/val/test tensors, shuffled with randperm and cut by indexing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from rdfia_tui.engine.catalog import DATASETS
from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.raw import RawDataset
from rdfia_tui.engine.data.streaming import take


@dataclass(frozen=True)
class Split:
    """Inputs and labels of one split, already on the training device."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class Splits:
    """The train, val and test splits on the device, one example's shape ((C, H, W) or (D,)) and the K class names."""

    train: Split
    val: Split
    test: Split
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        """K, the number of class names (a class may have no example in some split)."""
        return len(self.class_names)


def load_raw(cfg: DataConfig, root: Path) -> RawDataset:
    """Run the loader named by ``cfg.dataset``."""
    return DATASETS.get(cfg.dataset)(cfg, root)


def make_splits(raw: RawDataset, cfg: DataConfig, seed: int, device: torch.device) -> Splits:
    """Shuffle train with ``seed`` (the files may be sorted by class), limit it, hold out val.

    The validation examples come only from train; test is never touched. Inputs keep their stored dtype
    ((N, C, H, W) uint8 images or (N, D) floats; streamed images stay on disk), labels are (N,) int64, all moved
    to ``device``. val holds round(val_split·n) examples; when n > 1, at least 1 if val_split > 0 and at most n − 1.
    Raises nothing of its own.
    """
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(raw.y_train), generator=generator)
    if cfg.limit_train:
        order = order[: cfg.limit_train]
    n_val = round(cfg.val_split * len(order))
    if cfg.val_split > 0 and len(order) > 1:
        n_val = max(n_val, 1)
    n_val = min(n_val, len(order) - 1)
    train_idx, val_idx = order[n_val:], order[:n_val]

    def put(x: torch.Tensor, y: torch.Tensor) -> Split:
        return Split(x.to(device).contiguous(), y.to(device))

    return Splits(
        train=put(take(raw.x_train, train_idx), raw.y_train[train_idx]),
        val=put(take(raw.x_train, val_idx), raw.y_train[val_idx]),
        test=put(raw.x_test, raw.y_test),
        input_shape=raw.input_shape,
        class_names=raw.class_names,
    )


def as_input(x: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Images are stored as uint8 and scaled to [0, 1] one batch at a time."""
    if x.dtype == torch.uint8:
        return x.to(dtype).div_(255.0)
    return x.to(dtype)


def batch_bounds(n: int, batch_size: int, min_last: int = 1) -> list[tuple[int, int]]:
    """(start, end) of each batch of an epoch of ``n`` examples; ``batch_size`` 0 is the whole split.

    A last batch smaller than ``min_last`` joins the one before it (batch-norm cannot normalise a
    batch of one example in training), so no example is dropped.
    """
    size = batch_size or n
    bounds = [(start, min(start + size, n)) for start in range(0, n, size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < min_last:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def shuffled_indices(split: Split, batch_size: int, generator: torch.Generator, min_last: int = 1) -> Iterator[torch.Tensor]:
    """One epoch of shuffled index batches; ``batch_size`` 0 means the whole split at once."""
    order = torch.randperm(len(split), generator=generator).to(split.y.device)
    for start, end in batch_bounds(len(split), batch_size, min_last):
        yield order[start:end]


def shuffled_batches(
    split: Split, batch_size: int, generator: torch.Generator, dtype: torch.dtype = torch.float32
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of training batches; ``batch_size`` 0 means the whole split at once."""
    n = len(split)
    size = batch_size or n
    order = torch.randperm(n, generator=generator).to(split.y.device)
    for start in range(0, n, size):
        idx = order[start : start + size]
        yield as_input(split.x[idx], dtype), split.y[idx]



def steps_per_epoch(n: int, batch_size: int, min_last: int = 1) -> int:
    """Optimiser steps in an epoch of ``n`` examples: ⌈n / batch_size⌉ (1 for ``batch_size`` 0, full batch), one fewer
    when a last batch smaller than ``min_last`` joins the one before it."""
    return len(batch_bounds(n, batch_size, min_last))
