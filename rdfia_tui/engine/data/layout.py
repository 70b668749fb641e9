"""Where an image array keeps its channels, decided from its shape alone (no torch, no data read)."""

from __future__ import annotations

from rdfia_tui.engine.errors import DataError


def channels_last(shape: tuple[int, ...], source: str, layout: str = "auto") -> bool:
    """Whether images of ``shape`` (4-D) hold their channels on the last axis.

    ``auto`` (for files of unknown origin) reads a last axis of 1, 3 or 4 as channels,
    else a second axis of 1, 3 or 4.
    """
    if layout == "nhwc" or (layout == "auto" and shape[-1] in (1, 3, 4)):
        return True
    if layout == "nchw" or shape[1] in (1, 3, 4):
        return False
    raise DataError(f"{source}: images must be shaped (N,H,W) or (N,H,W,C) with 1, 3 or 4 channels, got {shape}")


def nchw_shape(shape: tuple[int, ...], source: str, layout: str = "auto") -> tuple[int, ...]:
    """One example's (C, H, W) for an image array of ``shape``; (D,) for features."""
    if len(shape) == 2:
        return (shape[1],)
    if len(shape) == 3:
        return (1, shape[1], shape[2])
    if len(shape) == 4:
        return (shape[3], shape[1], shape[2]) if channels_last(shape, source, layout) else tuple(shape[1:])
    raise DataError(f"{source}: images must be shaped (N,H,W) or (N,H,W,C) with 1, 3 or 4 channels, got {shape}")


def trained_crop(crop_size: int, augment: tuple[str, ...]) -> int:
    """The crop the network is trained on: ``data.crop_size`` when ``data.augment`` crops, else 0 (none)."""
    return crop_size if "crop" in augment else 0


def cropped_shape(shape: tuple[int, ...], crop: int) -> tuple[int, ...]:
    """What the model sees: a random crop shrinks C×H×W images to C×crop×crop (evaluation crops the centre to match)."""
    if crop and len(shape) == 3:
        return (shape[0], crop, crop)
    return shape
