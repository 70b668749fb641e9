"""A user's own arrays: an .npz file with x_train, y_train, x_test, y_test and optional class_names.

Read with ``allow_pickle=False``: a data file can never run code. An array numpy could only
unpickle (an object array: ragged rows, mixed types, Python strings) is refused by name.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.raw import RawDataset, from_arrays
from rdfia_tui.engine.errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
OPTIONAL_KEYS = ("class_names",)
SAVE_HINT = "save one with numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)"
OBJECT_HINTS = {
    "class_names": "save it with dtype=str, e.g. np.array(names, dtype=str)",
    "x_train": "save one numeric array with every example the same shape, e.g. np.stack(images).astype(np.uint8)",
    "y_train": "save integer labels, e.g. np.asarray(labels, dtype=np.int64)",
}


def _array(npz: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    """One array of the archive; an object array is a one-line DataError naming it."""
    try:
        return npz[key]
    except ValueError as exc:
        if "allow_pickle" not in str(exc) and "Object arrays" not in str(exc):
            raise
        hint = OBJECT_HINTS.get(key) or OBJECT_HINTS[key.replace("test", "train")]
        raise DataError(f"{path}: {key} is an object array (ragged or of mixed types), which is never unpickled; {hint}") from None


def _class_names(values: np.ndarray, path: Path) -> tuple[str, ...]:
    if values.ndim != 1:
        raise DataError(f"{path}: class_names must be a 1-D array of names, got shape {values.shape}")
    names = tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values.tolist())
    if any(not name.strip() for name in names):
        raise DataError(f"{path}: class_names has an empty name (position {[n.strip() for n in names].index('')}); name every class")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(f"{path}: class_names has {', '.join(repr(n) for n in twice)} more than once; each class needs its own name")
    return names


def read_npz(path: Path) -> RawDataset:
    """Read x_train, y_train, x_test, y_test (and optional class_names) from ``path``.

    Raises DataError (one line) for a missing or unreadable file, missing or object arrays, and
    every check of :func:`rdfia_tui.engine.data.raw.from_arrays`. Other arrays are ignored, with a note.
    """
    if path.is_dir():
        raise DataError(f"data.path: {path} is a folder, not an .npz file; give the file (or use data.dataset=imagefolder for a folder)")
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
            arrays = [_array(npz, k, path) for k in NPZ_KEYS]
            names = _class_names(_array(npz, "class_names", path), path) if "class_names" in npz.files else None
            extra = sorted(set(npz.files) - set(NPZ_KEYS) - set(OPTIONAL_KEYS))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({type(exc).__name__}); {SAVE_HINT}") from None
    raw = from_arrays(*arrays, names, source=str(path), layout="auto")
    notes = (f"{path.name}: ignored the array(s) {', '.join(extra)} (an npz gives {', '.join(NPZ_KEYS)} and class_names)",) if extra else ()
    return raw.with_report(notes, {"source": "npz", "path": str(path), "ignored_arrays": extra})


def load_npz(cfg: DataConfig, root: Path) -> RawDataset:
    """The ``npz`` loader: :func:`read_npz` on ``data.path`` (``~`` expanded; ``root`` is unused). Raises DataError as read_npz does."""
    return read_npz(Path(cfg.path).expanduser())
