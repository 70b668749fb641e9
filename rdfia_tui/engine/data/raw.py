"""The common shape every loader returns, and the checks and documented conversions it passes through.

Inputs (``x_train``, ``x_test``) follow one rule by dtype and value range, the same for both splits:

- images are arrays of 3 or 4 dimensions; features are (N, D);
- uint8 images are 8-bit pixels, scaled to 0-1 one batch at a time (÷255);
- integer images of another dtype whose values lie in 0..255 are 8-bit pixels too: stored as uint8;
- uint16 images are 16-bit pixels: ÷65535;
- float images in 0..1 are used as they are; float images holding only whole numbers in 0..255 are
  8-bit pixels (÷255); any other float images (already normalised, say) are used as given;
- integer features are used unscaled, as float32; float features as they are;
- anything else (other integer ranges, bool, complex, strings, objects) is refused with a hint.

Labels are 1-D integers 0..K-1; a (N, 1) column is flattened; labels that run 1..K are refused.
Every conversion is a line in ``notes`` (shown as a Notice) and an entry in ``report`` (summary.json).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from rdfia_tui.engine.data.layout import channels_last
from rdfia_tui.engine.errors import DataError
from rdfia_tui.engine.registry import Registry


@dataclass(frozen=True)
class RawDataset:
    """Train and test examples on the CPU.

    Images are uint8 tensors shaped (N, C, H, W) (float32 when they were not 8-bit); feature data is
    float32 (N, D). ``notes`` say, one line each, what loading converted, skipped or ignored;
    ``report`` holds the same as counts, for summary.json.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    class_names: tuple[str, ...]
    notes: tuple[str, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One example's shape: (C, H, W) for images, (D,) for features."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        """K, the number of class names."""
        return len(self.class_names)

    def with_report(self, notes: tuple[str, ...], report: dict[str, Any]) -> RawDataset:
        """The same data with a loader's own notes first and its report merged in."""
        return dataclasses.replace(self, notes=(*notes, *self.notes), report={**report, **self.report})


LAYOUTS = ("auto", "nhwc", "nchw")


def images_to_nchw(x: np.ndarray, source: str, layout: str = "auto") -> np.ndarray:
    """(N, H, W) or (N, H, W, C) images, or (N, C, H, W) when ``layout`` says so, as (N, C, H, W)."""
    if x.ndim == 3:
        return x[:, None, :, :]
    if x.ndim == 4:
        return x.transpose(0, 3, 1, 2) if channels_last(x.shape, source, layout) else x
    raise DataError(f"{source}: images must be shaped (N,H,W) or (N,H,W,C) with 1, 3 or 4 channels, got {x.shape}")


# --- labels ------------------------------------------------------------------------------------


LABEL_HINTS = {
    "U": "; map the names to 0..K-1 and save the names as class_names",
    "S": "; map the names to 0..K-1 and save the names as class_names",
    "O": "; map the names to 0..K-1 and save the names as class_names",
    "f": "; save whole-number labels as integers: {name}.astype(np.int64)",
    "b": "; save them as integers 0 and 1: {name}.astype(np.int64)",
}


def _label_array(name: str, y: np.ndarray, source: str, notes: list[str]) -> np.ndarray:
    """``y`` as 1-D int64: a (N, 1) column is flattened (noted); one-hot rows and non-integers are refused."""
    if y.ndim == 2 and y.shape[1] == 1:
        notes.append(f"{name} is shaped {y.shape}: read as a 1-D array of labels")
        y = y[:, 0]
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all():
        raise DataError(f"{source}: {name} looks one-hot, shaped {y.shape}; save the class indices instead: {name}.argmax(axis=1)")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        hint = LABEL_HINTS.get(y.dtype.kind, "").format(name=name) if y.ndim == 1 else ""
        raise DataError(f"{source}: {name} must be a 1-D array of integer class labels, got dtype {y.dtype} shape {y.shape}{hint}")
    return y.astype(np.int64)


def _check_labels(y_train: np.ndarray, y_test: np.ndarray, class_names: tuple[str, ...] | None, source: str) -> int:
    """The number of classes K; labels must be 0..K-1."""
    for split, y in (("train", y_train), ("test", y_test)):
        if len(y) and y.min() < 0:
            raise DataError(f"{source}: y_{split} has the label {int(y.min())}; labels must be 0..K-1")
    low = min(int(y_train.min()), int(y_test.min()))
    high = max(int(y_train.max()), int(y_test.max()))
    if low == 1 and (class_names is None or len(class_names) == high):
        raise DataError(f"{source}: labels look 1-based (they run 1..{high} and 0 never occurs); subtract 1: y_train - 1, y_test - 1")
    if class_names is None:
        return high + 1
    if len(class_names) <= high:
        raise DataError(f"{source}: labels go up to {high} but class_names has only {len(class_names)} name(s)")
    return len(class_names)


def _empty_classes(y_train: np.ndarray, y_test: np.ndarray, names: tuple[str, ...], notes: list[str]) -> dict[str, list[str]]:
    """Classes with no example in a split: a note each, and their names for the report."""
    empty = {}
    for split, y in (("train", y_train), ("test", y_test)):
        counts = np.bincount(y, minlength=len(names))
        missing = [names[k] for k in range(len(names)) if counts[k] == 0]
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            notes.append(f"{len(missing)} class(es) have no {split} example: {shown}")
            empty[split] = missing
    return empty


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputRule:
    """How one kind of input array is stored: ``store`` maps the numpy array to the stored one."""

    read_as: str
    store: Callable[[np.ndarray], np.ndarray]
    note: bool = True  # say it in a Notice (the plain cases are only in the report)


INPUT_RULES: Registry[InputRule] = Registry("input rule")
INPUT_RULES.register("uint8 images", InputRule("8-bit images (÷255 per batch)", lambda x: x, note=False))
INPUT_RULES.register("8-bit integer images", InputRule("8-bit images (÷255 per batch)", lambda x: x.astype(np.uint8)))
INPUT_RULES.register("uint16 images", InputRule("16-bit images (÷65535)", lambda x: (x / 65535.0).astype(np.float32)))
INPUT_RULES.register("float images in 0-1", InputRule("images in 0-1, as they are", lambda x: x.astype(np.float32), note=False))
INPUT_RULES.register("whole float images", InputRule("8-bit images stored as floats (÷255 per batch)", lambda x: x.astype(np.uint8)))
INPUT_RULES.register("other float images", InputRule("images used as given (not 0-1: already normalised?)", lambda x: x.astype(np.float32)))
INPUT_RULES.register("float features", InputRule("features, as they are", lambda x: x.astype(np.float32), note=False))
INPUT_RULES.register("integer features", InputRule("features used unscaled, as float32", lambda x: x.astype(np.float32)))

_BAD_KINDS = {"b": "bool", "c": "complex", "U": "text", "S": "bytes", "O": "object", "V": "structured", "M": "datetime", "m": "timedelta"}


def _value_range(x: np.ndarray) -> tuple[float, float]:
    return (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)


def _all_whole(x: np.ndarray, chunk: int = 1024) -> bool:
    """Every value a whole number (checked a chunk of rows at a time, to keep memory flat)."""
    return all(bool((part == np.round(part)).all()) for part in (x[i : i + chunk] for i in range(0, len(x), chunk)))


def _check_array(name: str, x: np.ndarray, source: str) -> None:
    """A numeric array of 2 to 4 dimensions, finite when it is float."""
    if x.dtype.kind in _BAD_KINDS or x.dtype.kind not in "uif":
        hint = "use uint8 images or float features, e.g. x.astype(np.float32)"
        kind = _BAD_KINDS.get(x.dtype.kind, "not numeric")
        named = f"{x.dtype}" if kind in str(x.dtype) else f"{x.dtype} ({kind})"
        raise DataError(f"{source}: {name} has dtype {named}; {hint}")
    if x.ndim < 2 or x.ndim > 4:
        raise DataError(f"{source}: {name} is shaped {x.shape}; give images (N,H,W) or (N,H,W,C), or features (N,D)")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise DataError(f"{source}: the inputs contain NaN or infinite values ({name})")


def _describe(x: np.ndarray) -> str:
    low, high = _value_range(x)
    return f"{x.dtype} with values {low:g}..{high:g}"


def classify_inputs(x_train: np.ndarray, x_test: np.ndarray, source: str) -> str:
    """The INPUT_RULES name both input arrays follow, decided on their joint value range; else a DataError."""
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        _check_array(name, x, source)
    if (x_train.dtype.kind == "f") != (x_test.dtype.kind == "f") or (x_train.ndim == 2) != (x_test.ndim == 2):
        raise DataError(
            f"{source}: x_train is {_describe(x_train)} {x_train.shape} but x_test is {_describe(x_test)} {x_test.shape}; "
            "save both with the same dtype and layout"
        )
    low = min(_value_range(x_train)[0], _value_range(x_test)[0])
    high = max(_value_range(x_train)[1], _value_range(x_test)[1])
    images = x_train.ndim >= 3
    if x_train.dtype.kind == "f":
        if not images:
            return "float features"
        if low >= 0 and high <= 1:
            return "float images in 0-1"
        return "whole float images" if low >= 0 and high <= 255 and _all_whole(x_train) and _all_whole(x_test) else "other float images"
    if not images:
        return "integer features"
    if x_train.dtype == x_test.dtype == np.uint8:
        return "uint8 images"
    if low >= 0 and high <= 255:
        return "8-bit integer images"
    if x_train.dtype == x_test.dtype == np.uint16:
        return "uint16 images"
    raise DataError(
        f"{source}: the images are {x_train.dtype}/{x_test.dtype} with values {low:g}..{high:g}; integer images must be "
        "8-bit (0..255: save with x.astype(np.uint8)) or uint16, or give floats in 0..1"
    )


def _layout_note(name: str, x: np.ndarray, stored: np.ndarray) -> str | None:
    """Which axis became the channels, for 4-D arrays (the only ones whose layout is read, not given)."""
    if x.ndim != 4:
        return None
    axis = 3 if stored.shape[1:] != x.shape[1:] else 1
    return f"{name} {tuple(x.shape)}: channels read from axis {axis} ({'N, H, W, C' if axis == 3 else 'N, C, H, W'})"


def _inputs(x_train: np.ndarray, x_test: np.ndarray, source: str, layout: str, notes: list[str]) -> tuple[list[torch.Tensor], dict]:
    """Both input arrays stored by the same rule, as (N, C, H, W) images or (N, D) features."""
    kind = classify_inputs(x_train, x_test, source)
    if x_train.dtype == np.uint8 and x_train.ndim == 2:
        raise DataError(
            f"{source}: x_train is uint8 shaped {x_train.shape}: 8-bit images must be shaped (N,H,W) or (N,H,W,C); "
            "reshape them (e.g. x.reshape(len(x), 28, 28)) or save float features"
        )
    if x_train.shape[1:] != x_test.shape[1:] and x_train.ndim == 2:
        raise DataError(f"{source}: x_train {x_train.shape} and x_test {x_test.shape} must have the same shape after the first axis")
    rule = INPUT_RULES.get(kind)
    tensors, report = [], {"rule": kind}
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        placed = images_to_nchw(x, source, layout) if x.ndim >= 3 else x
        tensors.append(torch.from_numpy(np.ascontiguousarray(rule.store(placed))))
        low, high = _value_range(x)
        layout_note = _layout_note(name, x, placed)
        report[name] = {
            "dtype": str(x.dtype),
            "shape": list(x.shape),
            "min": low,
            "max": high,
            "read_as": rule.read_as,
            "layout": layout_note,
        }
        if rule.note:
            notes.append(f"{name} is {x.dtype} {tuple(x.shape)} with values {low:g}..{high:g}: read as {rule.read_as}")
        if kind.endswith("images") and rule.read_as.startswith("8-bit") and high <= 1:
            notes.append(f"{name} holds only the values {low:g}..{high:g} as 8-bit pixels: nearly black; save masks as 0/255, or as floats")
    if tensors[0].shape[1:] != tensors[1].shape[1:]:
        raise DataError(f"{source}: train images are {tuple(tensors[0].shape[1:])} but test images are {tuple(tensors[1].shape[1:])}")
    return tensors, report


def from_arrays(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    class_names: tuple[str, ...] | None,
    source: str,
    layout: str = "auto",
) -> RawDataset:
    """Check the arrays and turn them into a RawDataset by the module's rules; every problem is a one-line DataError."""
    notes: list[str] = []
    y_train, y_test = (_label_array(f"y_{s}", y, source, notes) for s, y in (("train", y_train), ("test", y_test)))
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(x) != len(y):
            raise DataError(f"{source}: x_{split} has {len(x)} examples but y_{split} has {len(y)}; they must match")
        if len(x) == 0:
            raise DataError(f"{source}: x_{split} is empty")
    n_classes = _check_labels(y_train, y_test, class_names, source)
    names = tuple(class_names) if class_names is not None else tuple(str(i) for i in range(n_classes))
    tensors, report = _inputs(x_train, x_test, source, layout, notes)
    empty = _empty_classes(y_train, y_test, names, notes)
    return RawDataset(
        x_train=tensors[0],
        y_train=torch.from_numpy(y_train),
        x_test=tensors[1],
        y_test=torch.from_numpy(y_test),
        class_names=names,
        notes=tuple(notes),
        report={"arrays": report, "empty_classes": empty},
    )
