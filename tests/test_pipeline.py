"""The input pipeline (labs 6-7, Q19-25): normalisation, ZCA whitening and the batched augmentations."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rdfia_tui.engine import catalog
from rdfia_tui.engine.config import DataConfig, ModelConfig, RunConfig, apply_overrides
from rdfia_tui.engine.data.npz import read_npz
from rdfia_tui.engine.data.pipeline import (
    AUGMENTATIONS,
    InputPipeline,
    apply_zca,
    build_pipeline,
    centre_crop,
    channel_stats,
    crop,
    fit_zca,
    hflip,
    jitter,
    rotate,
    scale,
    vflip,
)
from rdfia_tui.engine.data.splits import make_splits
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.setup import model_input_shape, whiten
from rdfia_tui.engine.training import fit

CPU = torch.device("cpu")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_images(n: int, c: int = 3, h: int = 8, w: int = 8, seed: int = 0, low: int = 0, high: int = 256) -> torch.Tensor:
    """Random uint8 (N, C, H, W) images."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.integers(low, high, size=(n, c, h, w), dtype=np.uint8))


def distinct_floats(n: int, c: int = 3, h: int = 8, w: int = 8, seed: int = 0) -> torch.Tensor:
    """Float images with no zero, no repeated window and no symmetry (almost surely)."""
    return torch.rand(n, c, h, w, generator=gen(seed), dtype=torch.float64) + 0.01


def save_npz(path: Path, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, **extra) -> Path:
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, **extra)
    return path


TINY_MODEL = ModelConfig(arch="convnet", conv_channels=(4,), conv_kernels=(3,), conv_paddings=(1,), fc=(8,))


def tiny_run(path: Path, *overrides: str) -> RunConfig:
    cfg = apply_overrides(
        RunConfig(name="pipe"),
        ["data.dataset=npz", f"data.path={path}", "train.device=cpu", "train.epochs=1", "train.batch_size=16", *overrides],
    )
    return dataclasses.replace(cfg, model=TINY_MODEL)


# --- the registry ------------------------------------------------------------------------------


def test_registry_names_match_the_catalog() -> None:
    assert set(AUGMENTATIONS.names()) == set(catalog.AUGMENTATION_NAMES)
    assert len(AUGMENTATIONS.names()) == len(catalog.AUGMENTATION_NAMES)
    assert "standard" in catalog.NORMALISATIONS and "none" in catalog.NORMALISATIONS


def test_every_catalog_name_resolves_to_a_callable() -> None:
    for name in catalog.AUGMENTATION_NAMES:
        assert callable(AUGMENTATIONS.get(name))


# --- normalisation -----------------------------------------------------------------------------


def test_channel_stats_match_numpy_on_uint8_images() -> None:
    x = random_images(37, c=3, h=5, w=6, seed=1)
    mean, std = channel_stats(x, torch.float64, chunk=8)  # several chunks, the last one short
    scaled = x.numpy().astype(np.float64) / 255.0
    assert mean.shape == (1, 3, 1, 1) and std.shape == (1, 3, 1, 1)
    np.testing.assert_allclose(mean.flatten().numpy(), scaled.mean(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(std.flatten().numpy(), scaled.std(axis=(0, 2, 3)), rtol=1e-8)
    # the default dtype is float32
    m32, s32 = channel_stats(x)
    assert m32.dtype == torch.float32 and s32.dtype == torch.float32


def test_channel_stats_of_features_are_per_feature() -> None:
    x = torch.randn(50, 4, generator=gen(2), dtype=torch.float64) * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64) + 5
    mean, std = channel_stats(x, torch.float64, chunk=7)
    assert mean.shape == (1, 4)
    np.testing.assert_allclose(mean.flatten().numpy(), x.numpy().mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(std.flatten().numpy(), x.numpy().std(axis=0), rtol=1e-8)


def test_standardised_training_images_have_zero_mean_and_unit_std() -> None:
    # three channels with very different brightness and spread
    rng = np.random.default_rng(3)
    channels = [rng.integers(0, 60, (400, 1, 6, 6)), rng.integers(100, 256, (400, 1, 6, 6)), rng.integers(40, 50, (400, 1, 6, 6))]
    x = torch.from_numpy(np.concatenate(channels, axis=1).astype(np.uint8))
    pipeline = build_pipeline(DataConfig(normalize="standard"), x)
    for out in (pipeline.eval_batch(x), pipeline.train_batch(x, gen())):
        assert out.dtype == torch.float32 and out.shape == x.shape
        np.testing.assert_allclose(out.mean(dim=(0, 2, 3)).numpy(), 0.0, atol=1e-4)
        np.testing.assert_allclose(out.std(dim=(0, 2, 3), unbiased=False).numpy(), 1.0, atol=1e-4)


def test_without_normalisation_images_are_only_scaled() -> None:
    x = random_images(10)
    pipeline = build_pipeline(DataConfig(normalize="none"), x)
    assert pipeline.mean is None
    torch.testing.assert_close(pipeline.eval_batch(x), x.float() / 255)
    torch.testing.assert_close(pipeline.train_batch(x, gen()), x.float() / 255)


def test_other_splits_use_the_training_statistics() -> None:
    train = random_images(200, seed=4, low=0, high=100)
    other = random_images(50, seed=5, low=150, high=256)
    pipeline = build_pipeline(DataConfig(normalize="standard"), train, torch.float64)
    mean, std = channel_stats(train, torch.float64)
    out = pipeline.eval_batch(other)
    torch.testing.assert_close(out, (other.double() / 255 - mean) / std)
    # far from standardised: the other split is much brighter than train
    assert (out.mean(dim=(0, 2, 3)) > 2).all()


def _shifted_npz(tmp_path: Path) -> Path:
    """Train images get brighter with their index (so train and val differ); test images are far brighter."""
    rng = np.random.default_rng(6)
    n_train, n_test = 60, 20
    ramp = np.linspace(0, 90, n_train)[:, None, None, None]
    x_train = (rng.integers(0, 60, size=(n_train, 8, 8, 3)) + ramp).astype(np.uint8)
    x_test = rng.integers(180, 256, size=(n_test, 8, 8, 3)).astype(np.uint8)
    y_train, y_test = np.arange(n_train) % 2, np.arange(n_test) % 2
    return save_npz(tmp_path / "shifted.npz", x_train, y_train, x_test, y_test)


def test_fit_takes_the_statistics_from_the_training_split_only(tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rdfia_tui.engine.setup as engine_setup

    path = _shifted_npz(tmp_path)
    cfg = tiny_run(path, "data.normalize=standard", "data.val_split=0.25")
    captured: list[tuple[torch.Tensor, InputPipeline]] = []

    def spy(data_cfg: DataConfig, train_x: torch.Tensor, dtype: torch.dtype = torch.float32) -> InputPipeline:
        pipeline = build_pipeline(data_cfg, train_x, dtype)
        captured.append((train_x, pipeline))
        return pipeline

    monkeypatch.setattr(engine_setup, "build_pipeline", spy)
    result = fit(cfg, runs_dir=runs_dir)
    assert result.status == "completed"
    assert len(captured) == 1
    train_x, pipeline = captured[0]

    splits = make_splits(read_npz(path), cfg.data, cfg.train.seed, CPU)
    assert torch.equal(train_x, splits.train.x)
    assert len(splits.train) == 45 and len(splits.val) == 15
    expected_mean = splits.train.x.double().div(255).mean(dim=(0, 2, 3))
    torch.testing.assert_close(pipeline.mean.flatten().double(), expected_mean, rtol=1e-5, atol=1e-6)
    # neither the whole training file (train + val) nor the test split
    everything = read_npz(path).x_train.double().div(255).mean(dim=(0, 2, 3))
    assert not torch.allclose(pipeline.mean.flatten().double(), everything, atol=1e-3)

    train_out = pipeline.eval_batch(splits.train.x)
    np.testing.assert_allclose(train_out.mean(dim=(0, 2, 3)).numpy(), 0.0, atol=1e-4)
    np.testing.assert_allclose(train_out.std(dim=(0, 2, 3), unbiased=False).numpy(), 1.0, atol=1e-4)
    test_out = pipeline.eval_batch(splits.test.x)
    assert (test_out.mean(dim=(0, 2, 3)) > 1.5).all(), "the test split must not be standardised with its own statistics"
    val_out = pipeline.eval_batch(splits.val.x)
    assert not np.allclose(val_out.mean(dim=(0, 2, 3)).numpy(), 0.0, atol=0.05)


def test_fit_with_standard_normalisation_runs(tmp_path: Path, runs_dir: Path) -> None:
    result = fit(tiny_run(_shifted_npz(tmp_path), "data.normalize=standard"), runs_dir=runs_dir)
    assert result.status == "completed"
    assert [e["epoch"] for e in result.summary["epochs"]] == [0, 1]
    assert all(np.isfinite(e["train_loss"]) and np.isfinite(e["test_loss"]) for e in result.summary["epochs"])


def test_fit_with_standard_normalisation_on_features(runs_dir: Path) -> None:
    cfg = apply_overrides(RunConfig(name="feat"), ["data.normalize=standard", "data.n_samples=100", "train.epochs=1", "train.device=cpu"])
    assert fit(cfg, runs_dir=runs_dir).status == "completed"


# --- ZCA whitening -----------------------------------------------------------------------------


def correlated_images(n: int, seed: int, spread: float = 1.0) -> torch.Tensor:
    """(n, 3, 4, 4) float64 images whose pixels are strongly correlated: box-smoothed noise plus a shared offset."""
    g = gen(seed)
    noise = torch.randn(n, 3, 6, 6, generator=g, dtype=torch.float64)
    smooth = F.avg_pool2d(noise, 3, stride=1)  # (n, 3, 4, 4), neighbours share most of their inputs
    mixed = smooth + 0.5 * smooth.mean(dim=1, keepdim=True) + 0.3 * torch.randn(n, 1, 1, 1, generator=g, dtype=torch.float64)
    independent = 0.1 * torch.randn(n, 3, 4, 4, generator=g, dtype=torch.float64)  # keeps every eigenvalue away from 0
    return spread * (mixed + independent) + 0.5


@pytest.mark.parametrize("eps", [1e-4, 0.05])
def test_zca_whitens_the_training_set(eps: float) -> None:
    x = correlated_images(2000, seed=7)
    mean, w = fit_zca(x, eps)
    assert mean.shape == (48,) and w.shape == (48, 48) and w.dtype == torch.float64
    torch.testing.assert_close(w, w.T, rtol=0, atol=1e-12)

    flat = x.reshape(len(x), -1).numpy()
    cov = np.cov(flat, rowvar=False)
    assert np.abs(cov - np.diag(np.diag(cov))).max() > 0.05, "the test data must be correlated to mean anything"
    lam, u = np.linalg.eigh(cov)
    np.testing.assert_allclose(mean.numpy(), flat.mean(axis=0), atol=1e-12)

    out = apply_zca(x, mean, w)
    assert out.shape == x.shape and out.dtype == torch.float32
    white = out.reshape(len(x), -1).double().numpy()
    np.testing.assert_allclose(white.mean(axis=0), 0.0, atol=1e-5)
    white_cov = np.cov(white, rowvar=False)
    expected = u @ np.diag(lam / (lam + eps)) @ u.T  # W C W with W = U diag(1/sqrt(lam + eps)) U^T
    np.testing.assert_allclose(white_cov, expected, atol=1e-4)
    if eps < 1e-3:
        assert lam.min() > 50 * eps  # so lam / (lam + eps) > 0.98 for every eigenvalue: close to the identity
        np.testing.assert_allclose(white_cov, np.eye(48), atol=0.03)
    else:
        # a large eps damps the weakest directions: their variance stays visibly below 1
        assert np.linalg.eigvalsh(white_cov).min() < 0.5


def test_zca_of_uint8_images_scales_to_unit_range() -> None:
    x = correlated_images(500, seed=8, spread=0.15).clamp(0, 1).mul(255).round().to(torch.uint8)
    mean, w = fit_zca(x, 0.01)
    mean_f, w_f = fit_zca(x.double() / 255, 0.01)
    torch.testing.assert_close(mean, mean_f)
    torch.testing.assert_close(w, w_f)
    out = apply_zca(x, mean, w, chunk=64)
    assert out.shape == x.shape and out.dtype == torch.float32
    torch.testing.assert_close(out, apply_zca(x.double() / 255, mean, w), rtol=1e-5, atol=1e-5)


def test_zca_applies_the_training_transform_to_other_splits() -> None:
    train = correlated_images(2000, seed=9)
    other = correlated_images(300, seed=10, spread=2.0)  # twice the spread of train
    mean, w = fit_zca(train, 1e-3)
    out = apply_zca(other, mean, w, chunk=100)
    assert out.shape == other.shape
    manual = (other.reshape(len(other), -1) - mean) @ w
    torch.testing.assert_close(out.reshape(len(other), -1).double(), manual, rtol=1e-4, atol=1e-4)
    # not refitted on the other split: its whitened variance is about 4, not 1
    variance = out.reshape(len(other), -1).double().var(dim=0).mean().item()
    assert 3.0 < variance < 5.0


def test_whiten_fits_on_train_and_applies_to_every_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    x_train = rng.integers(0, 256, size=(80, 4, 4, 3)).astype(np.uint8)
    x_test = rng.integers(100, 256, size=(20, 4, 4, 3)).astype(np.uint8)
    path = save_npz(tmp_path / "z.npz", x_train, np.arange(80) % 2, x_test, np.arange(20) % 2)
    splits = make_splits(read_npz(path), DataConfig(dataset="npz", path=str(path), val_split=0.25), 0, CPU)
    white = whiten(splits, 0.1)
    mean, w = fit_zca(splits.train.x, 0.1)
    for name in ("train", "val", "test"):
        before, after = getattr(splits, name), getattr(white, name)
        assert after.x.shape == before.x.shape and after.x.dtype == torch.float32
        assert torch.equal(after.y, before.y)
        torch.testing.assert_close(after.x, apply_zca(before.x, mean, w))
    refitted = apply_zca(splits.test.x, *fit_zca(splits.test.x, 0.1))
    assert not torch.allclose(white.test.x, refitted, atol=1e-2)


def test_fit_with_zca_runs(tmp_path: Path, runs_dir: Path) -> None:
    result = fit(tiny_run(_shifted_npz(tmp_path), "data.zca=true", "data.zca_eps=0.1"), runs_dir=runs_dir)
    assert result.status == "completed"
    assert all(np.isfinite(e["test_loss"]) for e in result.summary["epochs"])


# --- flips -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("augment", "axis"), [(hflip, 3), (vflip, 2)], ids=["hflip", "vflip"])
def test_flip_mirrors_about_half_of_the_batch(augment, axis: int) -> None:
    x = distinct_floats(2000, h=5, w=6)
    out = augment(x, DataConfig(), gen(12))
    assert out.shape == x.shape and out.dtype == x.dtype
    same = (out == x).flatten(1).all(dim=1)
    mirrored = (out == x.flip(axis)).flatten(1).all(dim=1)
    assert (same ^ mirrored).all(), "every image is either untouched or exactly mirrored"
    assert 0.45 < mirrored.float().mean().item() < 0.55


@pytest.mark.parametrize("augment", [hflip, vflip], ids=["hflip", "vflip"])
def test_flip_is_reproducible_with_the_same_seed(augment) -> None:
    x = distinct_floats(200)
    a, b = augment(x, DataConfig(), gen(13)), augment(x, DataConfig(), gen(13))
    assert torch.equal(a, b)
    c = augment(x, DataConfig(), gen(14))
    assert not torch.equal(a, c)


def test_flip_of_uint8_images_keeps_the_values() -> None:
    x = random_images(64)
    out = hflip(x, DataConfig(), gen())
    assert out.dtype == torch.uint8
    assert sorted(out.flatten().tolist()) == sorted(x.flatten().tolist())


# --- crops -------------------------------------------------------------------------------------


def window_offsets(out: torch.Tensor, padded: torch.Tensor) -> torch.Tensor:
    """For each output image, the (top, left) offsets of the windows of ``padded`` it equals: (N, H', W') booleans."""
    size = out.shape[-1]
    windows = padded.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, H', W', size, size)
    return (windows == out[:, :, None, None]).all(dim=-1).all(dim=-1).all(dim=1)


@pytest.mark.parametrize(("size", "pad"), [(5, 0), (5, 2), (8, 4), (8, 0)])
def test_crop_is_a_window_of_the_padded_image(size: int, pad: int) -> None:
    x = distinct_floats(1500)
    out = crop(x, DataConfig(crop_size=size, crop_padding=pad), gen(15))
    assert out.shape == (1500, 3, size, size) and out.dtype == x.dtype
    padded = F.pad(x, (pad, pad, pad, pad))
    hits = window_offsets(out, padded)
    assert (hits.flatten(1).sum(dim=1) == 1).all(), "each crop is exactly one window of the zero-padded image"
    n_offsets = 8 + 2 * pad - size + 1
    seen = hits.any(dim=0)
    assert seen.shape == (n_offsets, n_offsets)
    assert seen.all(), f"every offset occurs over many draws; missing {(~seen).nonzero().tolist()}"
    if pad:
        # windows that reach into the padding carry zeros on their border
        has_zero = (out == 0).flatten(1).any(dim=1)
        assert has_zero.any() and not has_zero.all()
    else:
        assert not (out == 0).any()
    if size == 8 and pad == 0:
        assert torch.equal(out, x)


def test_crop_size_zero_means_the_image_size() -> None:
    x = distinct_floats(20)
    assert torch.equal(crop(x, DataConfig(crop_size=0), gen()), x)


def test_crop_is_reproducible_with_the_same_seed() -> None:
    x = distinct_floats(100)
    cfg = DataConfig(crop_size=5, crop_padding=1)
    assert torch.equal(crop(x, cfg, gen(16)), crop(x, cfg, gen(16)))
    assert not torch.equal(crop(x, cfg, gen(16)), crop(x, cfg, gen(17)))


def test_crop_of_uint8_images() -> None:
    x = random_images(40)
    out = crop(x, DataConfig(crop_size=6, crop_padding=2), gen())
    assert out.shape == (40, 3, 6, 6) and out.dtype == torch.uint8
    assert window_offsets(out, F.pad(x, (2, 2, 2, 2))).flatten(1).any(dim=1).all()


def test_centre_crop_picks_the_middle() -> None:
    x = distinct_floats(4, h=8, w=8)
    assert torch.equal(centre_crop(x, 4), x[..., 2:6, 2:6])
    assert torch.equal(centre_crop(x, 8), x)
    odd = distinct_floats(2, h=7, w=9)
    assert torch.equal(centre_crop(odd, 5), odd[..., 1:6, 2:7])


def test_pipeline_random_crops_for_training_and_centre_crops_for_evaluation() -> None:
    x = random_images(300, h=8, w=8, seed=18)
    pipeline = build_pipeline(DataConfig(augment=("crop",), crop_size=5), x)
    assert pipeline.crop_size == 5
    assert model_input_shape((3, 8, 8), pipeline) == (3, 5, 5)
    ev = pipeline.eval_batch(x)
    torch.testing.assert_close(ev, centre_crop(x.float() / 255, 5))
    assert torch.equal(pipeline.eval_batch(x), ev), "evaluation is deterministic"
    tr = pipeline.train_batch(x, gen(19))
    assert tr.shape == (300, 3, 5, 5)
    hits = window_offsets(tr, x.float() / 255)
    assert hits.flatten(1).any(dim=1).all()
    assert not torch.equal(tr, ev), "training crops are random"
    assert hits.any(dim=0).sum() > 1
    # already at the crop size: evaluation leaves the images alone
    small = random_images(5, h=5, w=5)
    torch.testing.assert_close(pipeline.eval_batch(small), small.float() / 255)


def test_pipeline_without_crop_keeps_the_size_even_with_a_crop_size() -> None:
    x = random_images(20)
    pipeline = build_pipeline(DataConfig(augment=("hflip",), crop_size=5), x)
    assert pipeline.crop_size == 0
    assert pipeline.eval_batch(x).shape == x.shape
    assert pipeline.train_batch(x, gen()).shape == x.shape
    assert model_input_shape((3, 8, 8), pipeline) == (3, 8, 8)


def test_pipeline_applies_augmentations_in_order_then_normalises() -> None:
    x = random_images(64, seed=20)
    cfg = DataConfig(augment=("crop", "hflip"), crop_size=6, crop_padding=1, normalize="standard")
    pipeline = build_pipeline(cfg, x)
    assert [name for name, _ in pipeline.augments] == ["crop", "hflip"]
    g1, g2 = gen(21), gen(21)
    expected = hflip(crop(x.float() / 255, cfg, g2), cfg, g2)
    torch.testing.assert_close(pipeline.train_batch(x, g1), (expected - pipeline.mean) / pipeline.std)


def test_crop_larger_than_the_padded_image_is_refused() -> None:
    x = random_images(4, h=8, w=8)
    with pytest.raises(ConfigError, match="crop_size") as info:
        build_pipeline(DataConfig(augment=("crop",), crop_size=11, crop_padding=1), x)
    assert info.value.key == "data.crop_size"
    build_pipeline(DataConfig(augment=("crop",), crop_size=10, crop_padding=1), x)  # fits exactly


@pytest.mark.parametrize("size", [5, 7, 0], ids=["fits", "taller-than-high", "image-size"])
def test_crop_of_non_square_images_gives_what_the_model_expects(size: int) -> None:
    """6-high, 8-wide images: a crop must either be refused or give true windows of the model's input size.

    crop_size=7 fits the width (8) but not the height (6); crop_size=0 means "the image size".
    """
    x = distinct_floats(50, h=6, w=8).float()
    cfg = DataConfig(augment=("crop",), crop_size=size)
    try:
        pipeline = build_pipeline(cfg, x)
    except ConfigError:
        return
    shape = model_input_shape((3, 6, 8), pipeline)
    tr, ev = pipeline.train_batch(x, gen()), pipeline.eval_batch(x)
    assert tuple(tr.shape[1:]) == shape, f"train batches are {tuple(tr.shape[1:])}, the model is built for {shape}"
    assert tuple(ev.shape[1:]) == shape, f"eval batches are {tuple(ev.shape[1:])}, the model is built for {shape}"
    rows = tr.shape[-2]
    hits = (x.unfold(2, rows, 1).unfold(3, tr.shape[-1], 1) == tr[:, :, None, None]).all(-1).all(-1).all(1)
    assert hits.flatten(1).any(dim=1).all(), "every training crop is a window of its image"


# --- rotate, scale, jitter ---------------------------------------------------------------------


@pytest.mark.parametrize("augment", [rotate, scale, jitter], ids=["rotate", "scale", "jitter"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_geometric_and_colour_augmentations_keep_shape_and_dtype(augment, dtype: torch.dtype) -> None:
    x = distinct_floats(16, h=7, w=9).to(dtype)
    out = augment(x, DataConfig(rotation=15.0, scale=0.2, jitter=0.3), gen(22))
    assert out.shape == x.shape and out.dtype == dtype
    assert torch.isfinite(out).all()
    assert not torch.allclose(out, x), "with a non-zero setting the images change"


def test_rotation_zero_is_the_identity() -> None:
    x = distinct_floats(10, h=8, w=8).float()
    torch.testing.assert_close(rotate(x, DataConfig(rotation=0.0), gen()), x, rtol=1e-5, atol=1e-5)


def test_scale_zero_is_the_identity() -> None:
    x = distinct_floats(10, h=8, w=8).float()
    torch.testing.assert_close(scale(x, DataConfig(scale=0.0), gen()), x, rtol=1e-5, atol=1e-5)


def test_rotate_and_scale_are_reproducible_with_the_same_seed() -> None:
    x = distinct_floats(10).float()
    for augment in (rotate, scale):
        assert torch.equal(augment(x, DataConfig(), gen(23)), augment(x, DataConfig(), gen(23)))


def test_small_rotation_stays_close_and_values_stay_in_range() -> None:
    # bilinear sampling with reflection padding interpolates: no value leaves the image's range
    x = distinct_floats(32, h=16, w=16).float()
    out = rotate(x, DataConfig(rotation=5.0), gen(24))
    assert out.min() >= x.min() - 1e-6 and out.max() <= x.max() + 1e-6


def test_jitter_changes_brightness_within_the_bound() -> None:
    j = 0.2
    x = distinct_floats(2000, h=4, w=4)
    out = jitter(x, DataConfig(jitter=j), gen(25))
    # contrast keeps the image mean; brightness scales it by a factor in [1 - j, 1 + j]
    ratio = out.mean(dim=(1, 2, 3)) / x.mean(dim=(1, 2, 3))
    assert ratio.min() >= 1 - j - 1e-9 and ratio.max() <= 1 + j + 1e-9
    assert ratio.min() < 1 - j / 2 and ratio.max() > 1 + j / 2, "the whole range is used over a large batch"
    # the spread around the mean is scaled by contrast x brightness, each in [1 - j, 1 + j]
    spread = (out - out.mean(dim=(1, 2, 3), keepdim=True)).abs().mean(dim=(1, 2, 3))
    spread_in = (x - x.mean(dim=(1, 2, 3), keepdim=True)).abs().mean(dim=(1, 2, 3))
    factor = spread / spread_in
    assert factor.min() >= (1 - j) ** 2 - 1e-9 and factor.max() <= (1 + j) ** 2 + 1e-9
    # each image is an affine map of itself: a per-image gain and offset, the same for every pixel
    gain = (out[:, 0, 0, 0] - out[:, 0, 0, 1]) / (x[:, 0, 0, 0] - x[:, 0, 0, 1])
    offset = out[:, 0, 0, 0] - gain * x[:, 0, 0, 0]
    torch.testing.assert_close(out, gain[:, None, None, None] * x + offset[:, None, None, None], rtol=1e-7, atol=1e-7)


def test_jitter_zero_is_the_identity() -> None:
    x = distinct_floats(10)
    torch.testing.assert_close(jitter(x, DataConfig(jitter=0.0), gen()), x)


def test_every_augmentation_runs_through_the_pipeline() -> None:
    x = random_images(12, h=10, w=10)
    cfg = DataConfig(augment=catalog.AUGMENTATION_NAMES, crop_size=8, crop_padding=1, normalize="standard")
    pipeline = build_pipeline(cfg, x)
    out = pipeline.train_batch(x, gen())
    assert out.shape == (12, 3, 8, 8) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert pipeline.eval_batch(x).shape == (12, 3, 8, 8)
    assert pipeline.train_batch(x.double() / 255, gen()).shape == (12, 3, 8, 8)


# --- errors ------------------------------------------------------------------------------------


def test_augmentation_of_feature_data_is_refused() -> None:
    features = torch.randn(30, 2, generator=gen())
    with pytest.raises(ConfigError) as info:
        build_pipeline(DataConfig(augment=("hflip",)), features)
    assert info.value.key == "data.augment"
    assert "hflip" in str(info.value) and "(2,)" in str(info.value)
    build_pipeline(DataConfig(normalize="standard"), features)  # normalisation alone is fine


def test_fit_on_circles_with_an_augmentation_is_refused_before_training(runs_dir: Path) -> None:
    cfg = apply_overrides(load_preset("circles-mlp"), ["train.device=cpu", "data.augment=[hflip]"])
    with pytest.raises(ConfigError, match=r"data\.augment"):
        fit(cfg, runs_dir=runs_dir)
    assert not runs_dir.exists() or not any(runs_dir.iterdir()), "no run folder for a refused config"


def test_unknown_augmentation_suggests_the_nearest_name() -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(RunConfig(), ["data.augment=[crop, hflp]"])
    message = str(info.value)
    assert info.value.key == "data.augment"
    assert "'hflp'" in message and "did you mean 'hflip'" in message
    with pytest.raises(ConfigError, match="did you mean 'rotate'"):
        apply_overrides(RunConfig(), ["data.augment=rotat"])
    with pytest.raises(KeyError, match="did you mean 'jitter'"):
        AUGMENTATIONS.get("jiter")


def test_unknown_normalisation_suggests_the_nearest_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'standard'"):
        apply_overrides(RunConfig(), ["data.normalize=standrd"])
