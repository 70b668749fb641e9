"""Batch-norm and a batch of one example: merged, refused or explained, never a traceback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rdfia_tui.engine.config import ConfigError, apply_overrides
from rdfia_tui.engine.data.splits import batch_bounds
from rdfia_tui.engine.errors import DataError
from rdfia_tui.engine.events import BatchProgress, EpochEnded, Notice, RunStarted
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit

# 8×8 images: conv 5 → 4×4, pool → 2×2, conv 2 → 1×1, so bn2 sees one value per channel for a batch of one
TINY_BN = [
    "model.arch=convnet",
    "model.conv_channels=4,4",
    "model.conv_kernels=5,2",
    "model.conv_paddings=0,0",
    "model.fc=8",
    "model.batch_norm=true",
    "model.pool_ceil=true",
    "train.device=cpu",
    "train.epochs=2",
    "data.val_split=0",
]


def tiny_images(tmp_path: Path, n_train: int) -> str:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n_train + 6, 8, 8, 3), dtype=np.uint8)
    y = np.arange(n_train + 6) % 2
    np.savez(tmp_path / "tiny.npz", x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:])
    return f"data.path={tmp_path / 'tiny.npz'}"


def bn_cfg(tmp_path: Path, n_train: int, *extra: str):
    return apply_overrides(load_preset("circles-mlp"), ["data.dataset=npz", tiny_images(tmp_path, n_train), *TINY_BN, *extra])


@pytest.mark.parametrize(("n", "size", "bounds"), [(9, 4, [(0, 4), (4, 9)]), (8, 4, [(0, 4), (4, 8)]), (1, 4, [(0, 1)]), (5, 0, [(0, 5)])])
def test_a_last_batch_of_one_joins_the_previous_one(n: int, size: int, bounds: list) -> None:
    assert batch_bounds(n, size, min_last=2) == bounds
    assert batch_bounds(9, 4) == [(0, 4), (4, 8), (8, 9)]  # without batch-norm nothing changes


def test_a_last_batch_of_one_trains_with_batch_norm(tmp_path: Path, runs_dir: Path) -> None:
    """cifar10-batchnorm with data.limit_train=143 ended in 'Expected more than 1 value per channel'."""
    events: list = []
    result = fit(bn_cfg(tmp_path, 9, "train.batch_size=4"), events.append, runs_dir=runs_dir)
    assert result.status == "completed", result.message
    assert next(e for e in events if isinstance(e, RunStarted)).steps_per_epoch == 2
    assert {e.steps for e in events if isinstance(e, BatchProgress)} == {2}
    note = next(e.message for e in events if isinstance(e, Notice) and "batch-norm" in e.message)
    assert "joins the previous batch (2 steps, the last of 5 examples)" in note
    assert note in result.summary["notes"]
    assert len([e for e in events if isinstance(e, EpochEnded)]) == 3


def test_full_batch_of_one_example_with_batch_norm_is_refused(tmp_path: Path, runs_dir: Path) -> None:
    with pytest.raises(DataError) as info:
        fit(bn_cfg(tmp_path, 1, "train.batch_size=0"), runs_dir=runs_dir)
    assert "batch-norm needs at least 2 training examples" in str(info.value)


def test_batch_size_one_with_batch_norm_is_refused_in_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(load_preset("cifar10-batchnorm"), ["train.batch_size=1"])
    assert info.value.key == "train.batch_size" and "batch-norm" in str(info.value) and "\n" not in str(info.value)
