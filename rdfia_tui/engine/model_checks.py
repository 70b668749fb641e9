"""Answers about a config without training it: its layer table and its input shape."""

from __future__ import annotations

from pathlib import Path

from rdfia_tui.engine.config import RunConfig
from rdfia_tui.engine.data.layout import cropped_shape, trained_crop
from rdfia_tui.engine.data.peek import peek_imagefolder, peek_npz
from rdfia_tui.engine.data.root import resolve_data_root
from rdfia_tui.engine.layer_plan import plan_table
from rdfia_tui.engine.layers import LayerTable

# Known input shapes, so a layer table needs no dataset on disk.
KNOWN_SHAPES = {
    "circles": ((2,), 2),
    "moons": ((2,), 2),
    "digits": ((1, 8, 8), 10),
    "mnist": ((1, 28, 28), 10),
    "fashion-mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
}


def input_spec(cfg: RunConfig, data_root: str | Path | None = None) -> tuple[tuple[int, ...], int]:
    """(input shape, number of classes) for ``cfg``'s dataset, reading no more than headers and labels."""
    if cfg.data.dataset in KNOWN_SHAPES:
        return KNOWN_SHAPES[cfg.data.dataset]
    peek = PEEKS.get(cfg.data.dataset)
    if peek is not None:
        return peek(cfg.data)
    from rdfia_tui.engine.data.splits import load_raw

    raw = load_raw(cfg.data, resolve_data_root(data_root))
    return raw.input_shape, raw.n_classes


PEEKS = {"npz": lambda d: peek_npz(Path(d.path).expanduser()), "imagefolder": peek_imagefolder}


def layer_table(cfg: RunConfig, data_root: str | Path | None = None, input_shape: tuple[int, ...] | None = None) -> LayerTable:
    """The model's layer table, from its plan (no torch); for an impossible architecture, the rows up
    to the failing layer and its error.

    The model is planned for the dataset's input (after a random crop); ``input_shape`` then
    describes it on another size, as a fully-convolutional net allows.
    """
    shape, n_classes = input_spec(cfg, data_root)
    shape = cropped_shape(shape, trained_crop(cfg.data.crop_size, cfg.data.augment))
    return plan_table(cfg.model, shape, n_classes, input_shape)


GRADCHECK_TOLERANCE = 1e-6


def gradient_check(cfg: RunConfig, data_root: str | Path | None = None, batch: int = 64) -> list[tuple[str, float, float]]:
    """Manual against autograd gradients of ``cfg``'s MLP on one training batch, in float64.

    Returns (parameter, largest absolute difference, largest relative difference) per parameter.
    """
    import torch

    from rdfia_tui.engine.data.splits import as_input, load_raw, make_splits
    from rdfia_tui.engine.errors import ConfigError
    from rdfia_tui.engine.models import build_model
    from rdfia_tui.engine.models.manual import gradients_compared

    if cfg.model.arch != "mlp":
        raise ConfigError(f"model.arch: gradcheck compares the hand-written MLP with autograd; got {cfg.model.arch!r}, use an mlp preset")
    raw = load_raw(cfg.data, resolve_data_root(data_root))
    splits = make_splits(raw, cfg.data, cfg.train.seed, torch.device("cpu"))
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg.model, splits.input_shape, splits.n_classes).double()
    size = min(cfg.train.batch_size or batch, batch, len(splits.train))
    x, y = as_input(splits.train.x[:size], torch.float64), splits.train.y[:size]
    return gradients_compared(model, x, y, cfg.train.loss)
