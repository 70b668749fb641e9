"""MNIST, Fashion-MNIST and CIFAR-10: an .npz in the data root, torchvision's folders, or a download."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdfia_tui.engine.config import DataConfig
from rdfia_tui.engine.data.npz import read_npz
from rdfia_tui.engine.data.raw import RawDataset, from_arrays
from rdfia_tui.engine.errors import DataError

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]


@dataclass(frozen=True)
class VisionSource:
    """Where one torchvision dataset can be found on disk, and how to fetch it."""

    name: str
    folder: str
    read_folder: Callable[[Path], Arrays | None]
    download: Callable[[Path], None]


def _mnist_like(cls_name: str) -> tuple[Callable[[Path], Arrays | None], Callable[[Path], None]]:
    def read(root: Path) -> Arrays | None:
        from torchvision import datasets

        cls = getattr(datasets, cls_name)
        try:
            train, test = cls(str(root), train=True, download=False), cls(str(root), train=False, download=False)
        except RuntimeError:
            return None
        return (train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy(), tuple(train.classes))

    def download(root: Path) -> None:
        from torchvision import datasets

        cls = getattr(datasets, cls_name)
        cls(str(root), train=True, download=True)
        cls(str(root), train=False, download=True)

    return read, download


class ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers only, so a crafted batch file cannot run code."""

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            ("_codecs", "encode"),
        }
    )

    def find_class(self, module: str, name: str) -> object:
        """Only numpy's array reconstruction is allowed; any other global raises DataError (the file is not data)."""
        if (module, name) not in self.ALLOWED:
            raise DataError(f"a CIFAR-10 batch file refers to {module}.{name}, which is not data; delete the folder and download it again")
        return super().find_class(module, name)


def _read_cifar10_folder(root: Path) -> Arrays | None:
    folder = root / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    if not all((folder / n).is_file() for n in names):
        return None

    def unpickle(name: str) -> dict:
        with open(folder / name, "rb") as fh:
            return ArraysOnly(fh, encoding="latin1").load()

    def split(batch_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        batches = [unpickle(n) for n in batch_names]
        x = np.concatenate([b["data"] for b in batches]).reshape(-1, 3, 32, 32).astype(np.uint8)
        y = np.concatenate([np.asarray(b["labels"], dtype=np.int64) for b in batches])
        return x, y

    x_train, y_train = split(names[:5])
    x_test, y_test = split(["test_batch"])
    classes = tuple(unpickle("batches.meta")["label_names"])
    return x_train, y_train, x_test, y_test, classes


def _download_cifar10(root: Path) -> None:
    from torchvision import datasets

    datasets.CIFAR10(str(root), train=True, download=True)


_mnist_read, _mnist_download = _mnist_like("MNIST")
_fashion_read, _fashion_download = _mnist_like("FashionMNIST")
SOURCES = {
    "mnist": VisionSource("mnist", "MNIST/raw", _mnist_read, _mnist_download),
    "fashion-mnist": VisionSource("fashion-mnist", "FashionMNIST/raw", _fashion_read, _fashion_download),
    "cifar10": VisionSource("cifar10", "cifar-10-batches-py", _read_cifar10_folder, _download_cifar10),
}


def load_vision(source: VisionSource, cfg: DataConfig, root: Path) -> RawDataset:
    """Try ``<root>/<name>.npz``, then torchvision's folder layout, then a download."""
    npz = root / f"{source.name}.npz"
    if npz.is_file():
        return read_npz(npz)
    arrays = source.read_folder(root)
    failure = "downloads are off (data.download = false)"
    if arrays is None and cfg.download:
        try:
            arrays = _download(source, root)
        except Exception as exc:
            failure = f"the download failed ({describe_failure(exc)})"
    if arrays is None:
        raise DataError(
            f"{source.name} not found: looked for {npz} and {root / source.folder}/, and {failure}. "
            f"{'Go online and run again' if cfg.download else 'Set data.download=true and run again online'} to download it, "
            f"or copy {source.name}.npz or torchvision's "
            f"{source.folder.split('/')[0]}/ folder into {root} (choose the folder with --data-root or RDFIA_TUI_DATA)"
        )
    x_train, y_train, x_test, y_test, classes = arrays
    return from_arrays(x_train, y_train, x_test, y_test, classes, source=f"{source.name} in {root}", layout="nchw")


def describe_failure(exc: BaseException, limit: int = 200) -> str:
    """An exception in one line: its type and its whole text with the line breaks folded, cut at ``limit``."""
    text = " ".join(str(exc).split()) or (repr(exc.__context__) if exc.__context__ else "no detail")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(exc).__name__}: {text}"


def _download(source: VisionSource, root: Path) -> Arrays | None:
    """Download into ``root``; on failure, remove what this attempt created (empty folders, partial files)."""
    existed = root.exists()
    before = set(root.iterdir()) if existed else set()
    try:
        root.mkdir(parents=True, exist_ok=True)
        source.download(root)
        return source.read_folder(root)
    except BaseException:
        for entry in set(root.iterdir()) - before if root.is_dir() else ():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        raise


def load_mnist(cfg: DataConfig, root: Path) -> RawDataset:
    """MNIST (1×28×28 uint8 images, 10 classes) from ``root`` as :func:`load_vision` finds it; DataError when it cannot."""
    return load_vision(SOURCES["mnist"], cfg, root)


def load_fashion_mnist(cfg: DataConfig, root: Path) -> RawDataset:
    """Fashion-MNIST (1×28×28 uint8 images, 10 classes) as :func:`load_vision` finds it; DataError when it cannot."""
    return load_vision(SOURCES["fashion-mnist"], cfg, root)


def load_cifar10(cfg: DataConfig, root: Path) -> RawDataset:
    """CIFAR-10 (3×32×32 uint8 images, 10 classes) as :func:`load_vision` finds it; DataError when it cannot."""
    return load_vision(SOURCES["cifar10"], cfg, root)
