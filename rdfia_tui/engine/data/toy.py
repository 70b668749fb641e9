"""Small datasets that work offline: 2-D circles and moons, and scikit-learn's 8x8 digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.raw import RawDataset, from_arrays


def make_circles(n: int, noise: float, rng: np.random.RandomState, factor: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A large circle (class 0) around a small one (class 1), as scikit-learn draws them."""
    n_out = n // 2
    outer = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n - n_out, endpoint=False)
    x = np.concatenate([np.c_[np.cos(outer), np.sin(outer)], factor * np.c_[np.cos(inner), np.sin(inner)]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n - n_out, dtype=np.int64)]
    return x, y


def make_moons(n: int, noise: float, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-circles, as scikit-learn draws them."""
    n_out = n // 2
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n - n_out)
    x = np.concatenate([np.c_[np.cos(outer), np.sin(outer)], np.c_[1 - np.cos(inner), 1 - np.sin(inner) - 0.5]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n - n_out, dtype=np.int64)]
    return x, y


def _two_d(maker, cfg: DataConfig) -> RawDataset:
    """Train and test are independent noisy draws from one generator seeded with data.seed."""
    rng = np.random.RandomState(cfg.seed)
    splits = []
    for n in (cfg.n_samples, max(cfg.n_samples // 2, 2)):
        x, y = maker(n, cfg.noise, rng)
        order = rng.permutation(n)
        x = x[order] + rng.normal(scale=cfg.noise, size=x.shape)
        splits.append((x.astype(np.float32), y[order]))
    (x_tr, y_tr), (x_te, y_te) = splits
    center = x_tr.mean(axis=0)
    return from_arrays(x_tr - center, y_tr, x_te - center, y_te, ("0", "1"), source=maker.__name__)


def load_circles(cfg: DataConfig, root: Path) -> RawDataset:
    """Two concentric noisy circles: the course's toy problem (Q4)."""
    return _two_d(make_circles, cfg)


def load_moons(cfg: DataConfig, root: Path) -> RawDataset:
    """Two interleaved noisy half-moons."""
    return _two_d(make_moons, cfg)


def load_digits(cfg: DataConfig, root: Path) -> RawDataset:
    """scikit-learn's bundled 1,797 handwritten 8x8 digits, a fixed 20% held out as test."""
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    images = (bunch.images * (255.0 / 16.0)).round().astype(np.uint8)
    order = np.random.RandomState(cfg.seed).permutation(len(images))
    n_test = len(images) // 5
    test, train = order[:n_test], order[n_test:]
    names = tuple(str(int(n)) for n in bunch.target_names)
    return from_arrays(images[train], bunch.target[train], images[test], bunch.target[test], names, source="digits")
