"""What happens to a batch between the stored tensors and the model: augmentation and normalisation.

Everything is a batched tensor operation on the training device: no per-sample Python.
Statistics (per-channel mean/std, ZCA) come from the training split only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.layout import trained_crop
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.registry import Registry

Tensor = torch.Tensor
Augment = Callable[[Tensor, DataConfig, torch.Generator], Tensor]
AUGMENTATIONS: Registry[Augment] = Registry("augmentation")


def _rand(n: int, generator: torch.Generator, device: torch.device) -> Tensor:
    """Uniform numbers drawn where the generator lives (the batch's device: no host copy, no sync)."""
    if generator.device.type == device.type:
        return torch.rand(n, generator=generator, device=generator.device)
    return torch.rand(n, generator=generator).to(device)


@AUGMENTATIONS.register("hflip")
def hflip(x: Tensor, cfg: DataConfig, g: torch.Generator) -> Tensor:
    """Mirror left-right half of the batch (Q22)."""
    flip = _rand(len(x), g, x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


@AUGMENTATIONS.register("vflip")
def vflip(x: Tensor, cfg: DataConfig, g: torch.Generator) -> Tensor:
    """Mirror top-bottom each image of x (N, C, H, W) with probability 1/2 (one of Q25's other augmentations)."""
    flip = _rand(len(x), g, x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(2), x)


def _affine(x: Tensor, angle: Tensor, scale: Tensor) -> Tensor:
    """Rotate by ``angle`` (radians) and zoom by ``scale`` around the centre, one matrix per image."""
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    zeros = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


@AUGMENTATIONS.register("rotate")
def rotate(x: Tensor, cfg: DataConfig, g: torch.Generator) -> Tensor:
    """A small rotation, uniform in ±data.rotation degrees."""
    angle = (_rand(len(x), g, x.device) * 2 - 1) * math.radians(cfg.rotation)
    return _affine(x, angle, torch.ones_like(angle))


@AUGMENTATIONS.register("scale")
def scale(x: Tensor, cfg: DataConfig, g: torch.Generator) -> Tensor:
    """A zoom, uniform in [1 − data.scale, 1 + data.scale]."""
    factor = 1 + (_rand(len(x), g, x.device) * 2 - 1) * cfg.scale
    return _affine(x, torch.zeros_like(factor), factor)


@AUGMENTATIONS.register("jitter")
def jitter(x: Tensor, cfg: DataConfig, g: torch.Generator) -> Tensor:
    """Colour jitter: brightness and contrast each scaled by up to ±data.jitter."""
    n, device = len(x), x.device
    brightness = 1 + (_rand(n, g, device) * 2 - 1) * cfg.jitter
    contrast = 1 + (_rand(n, g, device) * 2 - 1) * cfg.jitter
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return ((x - mean) * contrast[:, None, None, None] + mean) * brightness[:, None, None, None]


@AUGMENTATIONS.register("crop")
def crop(x: Tensor, cfg: DataConfig, g: torch.Generator) -> Tensor:
    """A random data.crop_size window of the image zero-padded by data.crop_padding (Q22-25)."""
    size_h, size_w = (cfg.crop_size, cfg.crop_size) if cfg.crop_size else x.shape[-2:]
    pad = cfg.crop_padding
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))
    n, _, h, w = x.shape
    top = (_rand(n, g, x.device) * (h - size_h + 1)).long().clamp_(max=h - size_h)
    left = (_rand(n, g, x.device) * (w - size_w + 1)).long().clamp_(max=w - size_w)
    rows = top[:, None] + torch.arange(size_h, device=x.device)
    cols = left[:, None] + torch.arange(size_w, device=x.device)
    # gather a per-image window with advanced indexing: (n, c, size, size)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return x.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def centre_crop(x: Tensor, size: int) -> Tensor:
    """The middle size×size window; an image smaller than that is zero-padded evenly first."""
    h, w = x.shape[-2:]
    grow_h, grow_w = max(size - h, 0), max(size - w, 0)
    if grow_h or grow_w:
        x = F.pad(x, (grow_w // 2, grow_w - grow_w // 2, grow_h // 2, grow_h - grow_h // 2))
        h, w = x.shape[-2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top : top + size, left : left + size]


@dataclass
class InputPipeline:
    """uint8 or float batches in, normalised float batches out; augmentation only for training."""

    cfg: DataConfig
    dtype: torch.dtype = torch.float32
    mean: Tensor | None = None
    std: Tensor | None = None
    augments: list[tuple[str, Augment]] = field(default_factory=list)
    crop_size: int = 0
    memory_format: torch.memory_format = torch.contiguous_format
    _device_generator: torch.Generator | None = None

    def _layout(self, x: Tensor) -> Tensor:
        return x.contiguous(memory_format=self.memory_format) if x.dim() == 4 else x

    def _to_float(self, x: Tensor) -> Tensor:
        return x.to(self.dtype).div_(255.0) if x.dtype == torch.uint8 else x.to(self.dtype)

    def _normalise(self, x: Tensor) -> Tensor:
        if self.mean is None:
            return x
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def generator_for(self, device: torch.device, generator: torch.Generator) -> torch.Generator:
        """``generator`` on the CPU; elsewhere a generator on the device, seeded once from it."""
        if device.type == generator.device.type:
            return generator
        if self._device_generator is None or self._device_generator.device != device:
            seed = int(torch.randint(0, 2**62, (1,), generator=generator))
            self._device_generator = torch.Generator(device=device).manual_seed(seed)
        return self._device_generator

    @property
    def device_generator(self) -> torch.Generator | None:
        """The device-side augmentation generator, or None while augmentation draws from the CPU one (saved in checkpoints)."""
        return self._device_generator

    def restore_device_generator(self, device: torch.device, state: Tensor) -> None:
        """Recreate the device-side augmentation generator with a saved state (resume)."""
        self._device_generator = torch.Generator(device=device)
        self._device_generator.set_state(state)

    def train_batch(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """A stored training batch, x (N, C, H, W) uint8/float or (N, D), as ``dtype``: uint8 scaled to 0-1 (÷255), augmented in
        ``data.augment`` order with ``generator`` (moved to the batch's device once), normalised, in ``memory_format``."""
        x = self._to_float(x)
        if self.augments:
            generator = self.generator_for(x.device, generator)
        for _, augment in self.augments:
            x = augment(x, self.cfg, generator)
        return self._layout(self._normalise(x))

    def eval_batch(self, x: Tensor) -> Tensor:
        """A stored batch for evaluation: scaled as in training, centre-cropped to the trained crop, normalised; no random augmentation."""
        x = self._to_float(x)
        if self.crop_size and x.dim() == 4 and tuple(x.shape[-2:]) != (self.crop_size, self.crop_size):
            x = centre_crop(x, self.crop_size)
        return self._layout(self._normalise(x))


def build_pipeline(cfg: DataConfig, train_x: Tensor, dtype: torch.dtype = torch.float32) -> InputPipeline:
    """The pipeline for ``cfg``, with normalisation statistics from the training inputs (Q19-20).

    ``train_x`` is (N, C, H, W) or (N, D); with ``data.normalize = "standard"`` the per-channel mean and std,
    shaped (1, C, 1, 1) or (1, D), are of the inputs as scaled for the model (uint8 ÷255). Raises ConfigError for augmentation of feature
    data, or a crop larger than the images plus their padding.
    """
    augments = []
    for name in cfg.augment:
        augments.append((name, AUGMENTATIONS.get(name)))
    images = train_x.dim() == 4
    if augments and not images:
        raise ConfigError(
            f"data.augment: got {list(cfg.augment)}; augmentation needs image data, not features of shape {tuple(train_x.shape[1:])}",
            key="data.augment",
        )
    if cfg.crop_size and images and cfg.crop_size > min(train_x.shape[-2:]) + 2 * cfg.crop_padding:
        raise ConfigError(
            f"data.crop_size: got {cfg.crop_size}; the images are {train_x.shape[-2]}×{train_x.shape[-1]} "
            f"(+{cfg.crop_padding} padding on each side)",
            key="data.crop_size",
        )
    pipeline = InputPipeline(cfg, dtype, augments=augments, crop_size=trained_crop(cfg.crop_size, cfg.augment))
    if cfg.normalize == "standard":
        mean, std = channel_stats(train_x, dtype)
        pipeline.mean, pipeline.std = mean, std
    return pipeline


@torch.no_grad()
def channel_stats(x: Tensor, dtype: torch.dtype = torch.float32, chunk: int = 4096) -> tuple[Tensor, Tensor]:
    """Per-channel mean and std of (N, C, H, W) images (or per-feature for (N, D)), in chunks."""
    dims = (0, 2, 3) if x.dim() == 4 else (0,)
    total = sq = None
    count = 0
    from rdfia_tui.engine.data.streaming import batches_of  # images on disk are decoded by workers

    for part in batches_of(x, [slice(start, start + chunk) for start in range(0, len(x), chunk)]):
        part = part.to(torch.float64).div_(255.0) if part.dtype == torch.uint8 else part.to(torch.float64)
        s, q = part.sum(dim=dims), part.pow(2).sum(dim=dims)
        total, sq = (s, q) if total is None else (total + s, sq + q)
        count += part.numel() // s.numel()
    mean = total / count
    std = (sq / count - mean.pow(2)).clamp_min(1e-12).sqrt()
    shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
    return mean.to(dtype).reshape(shape), std.to(dtype).reshape(shape)


@torch.no_grad()
def fit_zca(x: Tensor, eps: float, chunk: int = 4096) -> tuple[Tensor, Tensor]:
    """ZCA whitening from training images: x ↦ U diag(1/√(λ+ε)) Uᵀ (x − μ) (Q21).

    Returns (mean, W) over flattened pixels in [0, 1]; computed in float64, the covariance
    accumulated a chunk of images at a time (memory: a few D×D matrices, see memory.zca_bytes).
    """
    n, dims = len(x), x[0].numel() if len(x) else 0
    total = torch.zeros(dims, dtype=torch.float64, device=x.device)
    gram = torch.zeros(dims, dims, dtype=torch.float64, device=x.device)
    for start in range(0, n, chunk):
        part = x[start : start + chunk].reshape(-1, dims)
        part = part.to(torch.float64).div_(255.0) if part.dtype == torch.uint8 else part.to(torch.float64)
        total += part.sum(dim=0)
        gram.addmm_(part.T, part)
    mean = total / max(n, 1)
    cov = (gram - n * torch.outer(mean, mean)) / max(n - 1, 1)
    del gram
    eigenvalues, u = torch.linalg.eigh(cov)
    del cov
    scale = 1.0 / torch.sqrt(eigenvalues.clamp_min(0) + eps)
    return mean, (u * scale) @ u.T


@torch.no_grad()
def apply_zca(x: Tensor, mean: Tensor, w: Tensor, chunk: int = 4096) -> Tensor:
    """Whiten every image of a split once, up front; the result is float32 with the input's shape."""
    out = torch.empty(x.shape, dtype=torch.float32, device=x.device)
    w32, mean32 = w.to(x.device, torch.float32), mean.to(x.device, torch.float32)
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk].reshape(min(chunk, len(x) - start), -1)
        part = part.float().div_(255.0) if part.dtype == torch.uint8 else part.float()
        out[start : start + len(part)] = ((part - mean32) @ w32).reshape(-1, *x.shape[1:])
    return out
