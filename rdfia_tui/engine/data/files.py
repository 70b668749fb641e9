"""A user's own data: an .npz file of arrays, or an image folder of class folders."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.raw import RawDataset, from_arrays
from rdfia_tui.engine.errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def read_npz(path: Path) -> RawDataset:
    """Read x_train, y_train, x_test, y_test (and optional class_names) from ``path``."""
    if not path.is_file():
        raise DataError(f"data.path: {path} does not exist; give an .npz file with x_train, y_train, x_test and y_test")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: holds a single array, not an .npz archive; save x_train, y_train, x_test and y_test with numpy.savez")
        with loaded as npz:
            missing = [k for k in NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path}: missing array(s) {', '.join(missing)}; an npz needs {', '.join(NPZ_KEYS)} (class_names optional)")
            arrays = [npz[k] for k in NPZ_KEYS]
            names = tuple(str(n) for n in npz["class_names"]) if "class_names" in npz.files else None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(
            f"{path}: not a readable .npz file ({type(exc).__name__}); "
            "save one with numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)"
        ) from None
    return from_arrays(*arrays, names, source=str(path), layout="auto")


def load_npz(cfg: DataConfig, root: Path) -> RawDataset:
    return read_npz(Path(cfg.path).expanduser())


def _read_split(folder: Path, classes: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image, UnidentifiedImageError

    images, labels, shapes = [], [], set()
    for label, cls in enumerate(classes):
        for file in sorted((folder / cls).iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(file) as img:
                    img = img.convert("RGB")
                    if size:
                        img = img.resize((size, size))
                    array = np.asarray(img, dtype=np.uint8)
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"{file}: cannot read this image ({exc}); remove it or replace it") from None
            shapes.add(array.shape)
            images.append(array)
            labels.append(label)
    if not images:
        raise DataError(f"{folder}: no images found in its class folders ({', '.join(classes)}); add .png or .jpg files")
    if len(shapes) > 1:
        raise DataError(f"{folder}: images have different sizes {sorted(shapes)[:3]}; set data.image_size to resize them")
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def load_imagefolder(cfg: DataConfig, root: Path) -> RawDataset:
    """``path/train/<class>/*.png`` and ``path/test/<class>/*.png``; class names from train."""
    base = Path(cfg.path).expanduser()
    if not base.is_dir():
        raise DataError(f"data.path: {base} is not a folder; give a folder holding train/ and test/ class folders")
    for split in ("train", "test"):
        if not (base / split).is_dir():
            raise DataError(f"{base}: no {split}/ folder; an image folder needs train/<class>/ and test/<class>/")
    classes = sorted(p.name for p in (base / "train").iterdir() if p.is_dir())
    if not classes:
        raise DataError(f"{base / 'train'}: no class folders; put each class's images in train/<class>/")
    x_train, y_train = _read_split(base / "train", classes, cfg.image_size)
    test_classes = [c for c in classes if (base / "test" / c).is_dir()]
    extra = sorted(p.name for p in (base / "test").iterdir() if p.is_dir() and p.name not in classes)
    if extra:
        raise DataError(f"{base / 'test'}: class folder(s) {', '.join(extra)} have no match in train/")
    x_test, y_test_local = _read_split(base / "test", test_classes, cfg.image_size)
    y_test = np.asarray([classes.index(test_classes[i]) for i in y_test_local], dtype=np.int64)
    return from_arrays(x_train, y_train, x_test, y_test, tuple(classes), source=str(base), layout="nhwc")
