"""A dataset's input shape and class count from its headers and labels, without decoding its inputs:
what the console's layer table needs while the form changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.folders import check_layout, class_folders, walk
from rdfia_tui.engine.data.images import read_header
from rdfia_tui.engine.data.layout import nchw_shape
from rdfia_tui.engine.errors import DataError

Spec = tuple[tuple[int, ...], int]


def _array_shape(npz: np.lib.npyio.NpzFile, key: str) -> tuple[int, ...]:
    """An array's shape from its .npy header in the archive; its data is not read."""
    with npz.zip.open(f"{key}.npy") as fh:
        version = np.lib.format.read_magic(fh)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        return tuple(reader(fh)[0])


def peek_npz(path: Path) -> Spec:
    """(C, H, W) or (D,), and K, of an .npz; anything unusual is read in full, for read_npz's one-line error."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            shape = nchw_shape(_array_shape(npz, "x_train"), str(path))
            labels = [npz[k] for k in ("y_train", "y_test")]
            names = npz["class_names"] if "class_names" in npz.files else None
        top = max(int(y.max()) for y in labels)
        return shape, len(names) if names is not None else top + 1
    except (OSError, ValueError, KeyError, DataError, EOFError):
        from rdfia_tui.engine.data.npz import read_npz  # the full reader, for its one-line error

        raw = read_npz(path)
        return raw.input_shape, raw.n_classes


def peek_imagefolder(cfg: DataConfig) -> Spec:
    """(3, H, W) of the first image (or of data.image_size), and the number of class folders."""
    base = Path(cfg.path).expanduser()
    check_layout(base)
    classes, _ = class_folders(base / "train")
    if not classes:
        raise DataError(f"{base / 'train'}: no class folders; put each class's images in train/<class>/")
    for cls in classes:
        for file in walk(base / "train" / cls)[0]:
            header = read_header(file)
            if header.mode is not None:
                width, height = header.size
                return (3, cfg.image_size, cfg.image_size) if cfg.image_size else (3, height, width), len(classes)
    raise DataError(f"{base / 'train'}: no readable image in its class folders")
