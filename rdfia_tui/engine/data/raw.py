"""The common shape every loader returns, and the checks it must pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rdfia_tui.engine.errors import DataError


@dataclass(frozen=True)
class RawDataset:
    """Train and test examples on the CPU.

    Images are uint8 tensors shaped (N, C, H, W); feature data is float32 (N, D).
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    class_names: tuple[str, ...]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


LAYOUTS = ("auto", "nhwc", "nchw")


def images_to_nchw(x: np.ndarray, source: str, layout: str = "auto") -> np.ndarray:
    """(N, H, W) or (N, H, W, C) images, or (N, C, H, W) when ``layout`` says so, as (N, C, H, W).

    ``auto`` (for files of unknown origin) reads a last axis of 1, 3 or 4 as channels,
    else a second axis of 1, 3 or 4.
    """
    if x.ndim == 3:
        return x[:, None, :, :]
    if x.ndim == 4:
        if layout == "nhwc" or (layout == "auto" and x.shape[-1] in (1, 3, 4)):
            return x.transpose(0, 3, 1, 2)
        if layout == "nchw" or x.shape[1] in (1, 3, 4):
            return x
    raise DataError(f"{source}: images must be shaped (N,H,W) or (N,H,W,C) with 1, 3 or 4 channels, got {x.shape}")


def from_arrays(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    class_names: tuple[str, ...] | None,
    source: str,
    layout: str = "auto",
) -> RawDataset:
    """Check the arrays and turn them into a RawDataset; every problem is a one-line DataError."""
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(x) != len(y):
            raise DataError(f"{source}: x_{split} has {len(x)} examples but y_{split} has {len(y)}; they must match")
        if len(x) == 0:
            raise DataError(f"{source}: x_{split} is empty")
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{source}: y_{split} must be a 1-D array of integer class labels, got dtype {y.dtype} shape {y.shape}")
        if y.min() < 0:
            raise DataError(f"{source}: y_{split} has the label {int(y.min())}; labels must be 0..K-1")
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    if class_names is not None:
        if len(class_names) < n_classes:
            raise DataError(f"{source}: labels go up to {n_classes - 1} but class_names has only {len(class_names)} names")
        n_classes = len(class_names)
    names = tuple(class_names) if class_names is not None else tuple(str(i) for i in range(n_classes))

    if x_train.dtype == np.uint8:
        xs = [images_to_nchw(x, source, layout) for x in (x_train, x_test)]
        if xs[0].shape[1:] != xs[1].shape[1:]:
            raise DataError(f"{source}: train images are {xs[0].shape[1:]} but test images are {xs[1].shape[1:]}")
        tensors = [torch.from_numpy(np.ascontiguousarray(x)) for x in xs]
    elif np.issubdtype(x_train.dtype, np.floating) or np.issubdtype(x_train.dtype, np.integer):
        if x_train.ndim < 2 or x_train.shape[1:] != x_test.shape[1:]:
            raise DataError(f"{source}: x_train {x_train.shape} and x_test {x_test.shape} must have the same shape after the first axis")
        if x_train.ndim >= 3:
            xs = [images_to_nchw(x, source, layout).astype(np.float32) for x in (x_train, x_test)]
        else:
            xs = [x.astype(np.float32) for x in (x_train, x_test)]
        tensors = [torch.from_numpy(np.ascontiguousarray(x)) for x in xs]
        if not all(torch.isfinite(t).all() for t in tensors):
            raise DataError(f"{source}: the inputs contain NaN or infinite values")
    else:
        raise DataError(f"{source}: x_train has dtype {x_train.dtype}; use uint8 images or float features")
    return RawDataset(
        x_train=tensors[0],
        y_train=torch.from_numpy(y_train.astype(np.int64)),
        x_test=tensors[1],
        y_test=torch.from_numpy(y_test.astype(np.int64)),
        class_names=names,
    )
