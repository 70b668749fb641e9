"""A user's own data: an .npz file of arrays, or an image folder of class folders."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
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


def read_image(file: Path, size: int) -> np.ndarray:
    """One image file as (H, W, 3) uint8, resized to size×size when ``size``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as img:
            img = img.convert("RGB")
            if size:
                img = img.resize((size, size))
            return np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"{file}: cannot read this image ({exc}); remove it or replace it") from None


def _list_split(folder: Path, classes: list[str]) -> tuple[list[Path], list[int]]:
    files, labels = [], []
    for label, cls in enumerate(classes):
        for file in sorted((folder / cls).iterdir()):
            if file.suffix.lower() in IMAGE_SUFFIXES:
                files.append(file)
                labels.append(label)
    if not files:
        raise DataError(f"{folder}: no images found in its class folders ({', '.join(classes)}); add .png or .jpg files")
    return files, labels


@dataclass(frozen=True)
class FolderListing:
    """The files of an image folder and their labels; class indices come from train/."""

    base: Path
    classes: tuple[str, ...]
    train: tuple[list[Path], list[int]]
    test: tuple[list[Path], list[int]]


def list_imagefolder(cfg: DataConfig) -> FolderListing:
    """``path/train/<class>/*.png`` and ``path/test/<class>/*.png``, checked; nothing decoded yet."""
    base = Path(cfg.path).expanduser()
    if not base.is_dir():
        raise DataError(f"data.path: {base} is not a folder; give a folder holding train/ and test/ class folders")
    for split in ("train", "test"):
        if not (base / split).is_dir():
            raise DataError(f"{base}: no {split}/ folder; an image folder needs train/<class>/ and test/<class>/")
    classes = sorted(p.name for p in (base / "train").iterdir() if p.is_dir())
    if not classes:
        raise DataError(f"{base / 'train'}: no class folders; put each class's images in train/<class>/")
    extra = sorted(p.name for p in (base / "test").iterdir() if p.is_dir() and p.name not in classes)
    if extra:
        raise DataError(f"{base / 'test'}: class folder(s) {', '.join(extra)} have no match in train/")
    test_classes = [c for c in classes if (base / "test" / c).is_dir()]
    test_files, local = _list_split(base / "test", test_classes)
    test_labels = [classes.index(test_classes[i]) for i in local]
    return FolderListing(base, tuple(classes), _list_split(base / "train", classes), (test_files, test_labels))


def _decode_all(files: list[Path], size: int, folder: Path) -> np.ndarray:
    images = [read_image(f, size) for f in files]
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise DataError(f"{folder}: images have different sizes {sorted(shapes)[:3]}; set data.image_size to resize them")
    return np.stack(images)


def load_imagefolder(cfg: DataConfig, root: Path) -> RawDataset:
    """Every image of the folder decoded into memory (``data.stream`` reads them batch by batch instead)."""
    listing = list_imagefolder(cfg)
    if cfg.stream:
        from rdfia_tui.engine.data.streaming import streamed_imagefolder

        return streamed_imagefolder(listing, cfg)
    x_train = _decode_all(listing.train[0], cfg.image_size, listing.base / "train")
    x_test = _decode_all(listing.test[0], cfg.image_size, listing.base / "test")
    y_train, y_test = (np.asarray(labels, dtype=np.int64) for labels in (listing.train[1], listing.test[1]))
    return from_arrays(x_train, y_train, x_test, y_test, listing.classes, source=str(listing.base), layout="nhwc")
