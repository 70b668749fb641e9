"""One image file as (H, W, 3) uint8: every Pillow mode scaled from its real range, or refused.

Pillow's own ``convert("RGB")`` clips 16-bit greyscale (mode ``I;16``) to 255, so such images
would all decode white. Each mode therefore has a rule here: how its values reach 8 bits, and
what the conversion changes (reported to the user), or why it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rdfia_tui.engine.errors import DataError
from rdfia_tui.engine.registry import Registry

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class ModeRule:
    """How one Pillow mode becomes 8-bit RGB.

    ``to_rgb`` takes the opened image and returns an RGB image; ``change`` says what the conversion
    does to the values (None when nothing is lost or rescaled); ``refusal`` is set for modes that
    have no fixed range and are refused.
    """

    what: str
    to_rgb: Callable[[Image], Image] | None = None
    change: str | None = None
    refusal: str | None = None


MODES: Registry[ModeRule] = Registry("image mode")


def _convert(img: Image) -> Image:
    return img.convert("RGB")


def _sixteen_bit(img: Image) -> Image:
    """0..65535 to 0..255 by v·255/65535, rounded: 65535 is white, 0 is black."""
    from PIL import Image as PILImage

    values = np.asarray(img).astype(np.int64)
    eight = ((values * 255 + 32767) // 65535).clip(0, 255).astype(np.uint8)
    return PILImage.fromarray(eight).convert("RGB")


for _mode, _what in (("RGB", "8-bit colour"), ("L", "8-bit greyscale"), ("1", "1-bit black and white"), ("P", "8-bit palette")):
    MODES.register(_mode, ModeRule(_what, _convert))
MODES.register("RGBX", ModeRule("8-bit colour with padding", _convert))
for _mode in ("RGBA", "RGBa", "LA", "La", "PA"):
    MODES.register(_mode, ModeRule(f"8-bit with alpha ({_mode})", _convert, change="alpha channel dropped"))
for _mode in ("CMYK", "YCbCr", "LAB", "HSV"):
    MODES.register(_mode, ModeRule(f"8-bit {_mode}", _convert, change=f"converted from {_mode} to RGB"))
for _mode in ("I;16", "I;16L", "I;16B", "I;16N"):
    MODES.register(_mode, ModeRule("16-bit greyscale", _sixteen_bit, change="16-bit values scaled to 8 bits (× 255/65535)"))
MODES.register(
    "I",
    ModeRule(
        "32-bit integer (16-bit from a PNG)",
        _sixteen_bit,
        change="16-bit values scaled to 8 bits (× 255/65535)",
        refusal="32-bit integer pixels have no fixed range; save the images as 8-bit or 16-bit PNG",
    ),
)
MODES.register(
    "F",
    ModeRule("32-bit float", refusal="32-bit float pixels have no fixed range; scale them to 0-255 and save the images as 8-bit PNG"),
)


def mode_rule(file: Path, mode: str) -> ModeRule:
    """The rule for ``mode``; a mode with no rule is refused in one line naming the file."""
    if mode not in MODES:
        raise DataError(f"{file}: Pillow mode {mode!r} is not supported; save the image as 8-bit RGB or greyscale PNG or JPEG")
    rule = MODES.get(mode)
    if rule.to_rgb is None:
        raise DataError(f"{file}: Pillow mode {mode} ({rule.what}): {rule.refusal}")
    return rule


def read_image(file: Path, size: int) -> np.ndarray:
    """One image file as (H, W, 3) uint8, resized to size×size when ``size``; the first frame of an animation.

    Raises DataError (one line, naming the file) for an unreadable file or a refused mode.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as img:
            rule = check_header(file, Header(img.mode, img.format))
            rgb = rule.to_rgb(img)
            if size:
                rgb = rgb.resize((size, size))
            return np.asarray(rgb, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"{file}: cannot read this image ({exc}); remove it or replace it") from None


@dataclass(frozen=True)
class Header:
    """What opening a file tells without decoding it: None fields when Pillow does not know it."""

    mode: str | None
    format: str | None
    frames: int = 1
    square: bool = True
    size: tuple[int, int] = (0, 0)  # (width, height)


def read_header(file: Path) -> Header:
    """Pillow's identification of ``file`` from its first bytes; Header(None, None) when it is not an image Pillow reads."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as img:
            return Header(img.mode, img.format, int(getattr(img, "n_frames", 1) or 1), img.width == img.height, img.size)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return Header(None, None)


def check_header(file: Path, header: Header) -> ModeRule:
    """The rule this file's mode follows, refusing it now (before any training) when it has none."""
    rule = mode_rule(file, header.mode or "")
    if header.mode == "I" and header.format != "PNG":
        raise DataError(f"{file}: Pillow mode I ({rule.what}) from {header.format}: {rule.refusal}")
    return rule
