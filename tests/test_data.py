"""Datasets: the toy loaders, npz files, torchvision's offline layouts, image folders and the splits."""

from __future__ import annotations

import dataclasses
import math
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from rdfia_tui.engine.config import DataConfig, RunConfig, apply_overrides
from rdfia_tui.engine.data import vision
from rdfia_tui.engine.data.imagefolder import load_imagefolder
from rdfia_tui.engine.data.npz import load_npz, read_npz
from rdfia_tui.engine.data.raw import RawDataset, from_arrays
from rdfia_tui.engine.data.root import ENV_DATA, resolve_data_root
from rdfia_tui.engine.data.splits import Split, as_input, load_raw, make_splits, shuffled_batches, steps_per_epoch
from rdfia_tui.engine.data.toy import load_circles, load_digits, load_moons
from rdfia_tui.engine.errors import DataError

CPU = torch.device("cpu")


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


# --- toy datasets ---------------------------------------------------------------------------


@pytest.mark.parametrize("loader", [load_circles, load_moons])
def test_two_d_shapes_dtypes_and_class_counts(loader, tmp_path: Path) -> None:
    raw = loader(DataConfig(n_samples=300), tmp_path)
    assert raw.x_train.shape == (300, 2) and raw.x_test.shape == (150, 2)
    assert raw.x_train.dtype == torch.float32 and raw.y_train.dtype == torch.int64
    assert raw.class_names == ("0", "1") and raw.n_classes == 2 and raw.input_shape == (2,)
    assert torch.bincount(raw.y_train).tolist() == [150, 150]
    assert torch.bincount(raw.y_test).tolist() == [75, 75]
    # odd sizes split with the extra point in class 1
    odd = loader(DataConfig(n_samples=11), tmp_path)
    assert torch.bincount(odd.y_train).tolist() == [5, 6]
    assert len(odd.y_test) == 5


def test_circles_geometry(tmp_path: Path) -> None:
    """Class 0 is the unit circle, class 1 the circle of radius 0.5, centred on the training mean."""
    exact = load_circles(DataConfig(n_samples=400, noise=0.0), tmp_path)
    for x, y in ((exact.x_train, exact.y_train), (exact.x_test, exact.y_test)):
        r = x.norm(dim=1)
        assert torch.allclose(r[y == 0], torch.ones(1), atol=1e-5)
        assert torch.allclose(r[y == 1], torch.full((1,), 0.5), atol=1e-5)
    noisy = load_circles(DataConfig(n_samples=2000, noise=0.1), tmp_path)
    assert torch.allclose(noisy.x_train.mean(dim=0), torch.zeros(2), atol=1e-5)
    r = noisy.x_train.norm(dim=1)
    assert abs(r[noisy.y_train == 0].mean().item() - 1.0) < 0.03
    assert abs(r[noisy.y_train == 1].mean().item() - 0.5) < 0.03
    # the noise is really added: radii spread with about its standard deviation
    assert 0.05 < r[noisy.y_train == 0].std().item() < 0.15
    # the training set is shuffled, not sorted by class
    assert 0 < (noisy.y_train[:100] == 0).sum().item() < 100


@pytest.mark.parametrize("loader", [load_circles, load_moons, load_digits])
def test_data_seed_fixes_the_data(loader, tmp_path: Path) -> None:
    a = loader(DataConfig(seed=3), tmp_path)
    b = loader(DataConfig(seed=3), tmp_path)
    c = loader(DataConfig(seed=4), tmp_path)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert not torch.equal(a.x_train, c.x_train)
    assert not torch.equal(a.x_test, c.x_test)


def test_digits(tmp_path: Path) -> None:
    from sklearn.datasets import load_digits as sk_digits

    raw = load_digits(DataConfig(), tmp_path)
    assert raw.x_train.dtype == torch.uint8
    assert raw.x_train.shape == (1797 - 359, 1, 8, 8) and raw.x_test.shape == (359, 1, 8, 8)
    assert raw.input_shape == (1, 8, 8)
    assert raw.class_names == tuple(str(i) for i in range(10))
    # every example lands in exactly one split: the label counts add up to scikit-learn's
    bunch = sk_digits()
    counts = torch.bincount(raw.y_train, minlength=10) + torch.bincount(raw.y_test, minlength=10)
    assert counts.tolist() == np.bincount(bunch.target).tolist()
    # 0..16 grey levels stretched to 0..255
    assert int(raw.x_train.max()) == 255 and int(raw.x_train.min()) == 0
    flat = {bytes(img) for img in (bunch.images * (255.0 / 16.0)).round().astype(np.uint8)}
    assert all(bytes(img.numpy().reshape(8, 8)) in flat for img in raw.x_test[:20])


# --- make_splits ------------------------------------------------------------------------------


def _id_npz(tmp_path: Path, n_train: int = 100, n_test: int = 30, name: str = "ids.npz") -> Path:
    """Each example's single feature is its id; train is sorted by class (first half 0, then 1)."""
    path = tmp_path / name
    np.savez(
        path,
        x_train=np.arange(n_train, dtype=np.float32)[:, None],
        y_train=(np.arange(n_train) >= n_train // 2).astype(np.int64),
        x_test=(1000 + np.arange(n_test, dtype=np.float32))[:, None],
        y_test=np.arange(n_test) % 2,
    )
    return path


def _ids(split: Split) -> list[int]:
    return [int(v) for v in split.x[:, 0].tolist()]


def test_splits_hold_out_val_from_train_only(tmp_path: Path) -> None:
    raw = read_npz(_id_npz(tmp_path))
    splits = make_splits(raw, DataConfig(val_split=0.2), seed=0, device=CPU)
    train, val, test = _ids(splits.train), _ids(splits.val), _ids(splits.test)
    assert len(val) == 20 and len(train) == 80
    assert set(train).isdisjoint(val)
    assert sorted(train + val) == list(range(100))
    assert test == [1000 + i for i in range(30)]
    assert torch.equal(splits.test.y, raw.y_test)
    # labels travel with their examples
    for split in (splits.train, splits.val):
        assert torch.equal(split.y, (split.x[:, 0] >= 50).long())
    assert splits.input_shape == (1,) and splits.class_names == ("0", "1") and splits.n_classes == 2


def test_split_is_shuffled_even_when_the_file_is_sorted(tmp_path: Path) -> None:
    raw = read_npz(_id_npz(tmp_path))
    splits = make_splits(raw, DataConfig(val_split=0.2), seed=0, device=CPU)
    assert set(splits.val.y.tolist()) == {0, 1}
    assert _ids(splits.train) != sorted(_ids(splits.train))
    limited = make_splits(raw, DataConfig(limit_train=20, val_split=0.0), seed=0, device=CPU)
    assert set(limited.train.y.tolist()) == {0, 1}


def test_limit_train_takes_exactly_n(tmp_path: Path) -> None:
    raw = read_npz(_id_npz(tmp_path))
    splits = make_splits(raw, DataConfig(limit_train=30, val_split=0.0), seed=0, device=CPU)
    assert len(splits.train) == 30 and len(splits.val) == 0
    assert len(set(_ids(splits.train))) == 30
    held = make_splits(raw, DataConfig(limit_train=30, val_split=0.2), seed=0, device=CPU)
    assert len(held.train) + len(held.val) == 30 and len(held.val) == 6
    assert set(_ids(held.train)).isdisjoint(_ids(held.val))
    assert len(held.test) == 30
    # a limit above the set's size takes everything
    assert len(make_splits(raw, DataConfig(limit_train=500, val_split=0.0), seed=0, device=CPU).train) == 100


@pytest.mark.parametrize(("fraction", "n_val"), [(0.0, 0), (0.1, 10), (0.25, 25), (0.5, 50), (0.9, 90), (0.001, 1)])
def test_val_split_fraction(tmp_path: Path, fraction: float, n_val: int) -> None:
    raw = read_npz(_id_npz(tmp_path))
    splits = make_splits(raw, DataConfig(val_split=fraction), seed=1, device=CPU)
    assert len(splits.val) == n_val
    assert len(splits.train) == 100 - n_val


def test_split_seed(tmp_path: Path) -> None:
    raw = read_npz(_id_npz(tmp_path))
    cfg = DataConfig(val_split=0.2)
    a, b, c = (make_splits(raw, cfg, seed=s, device=CPU) for s in (5, 5, 6))
    assert _ids(a.train) == _ids(b.train) and _ids(a.val) == _ids(b.val)
    assert set(_ids(a.val)) != set(_ids(c.val))


def test_uint8_images_stay_uint8_and_as_input_scales(tmp_path: Path) -> None:
    raw = from_arrays(
        np.arange(10 * 2 * 2 * 3).reshape(10, 2, 2, 3).astype(np.uint8) * 2,
        np.arange(10) % 2,
        np.full((4, 2, 2, 3), 255, dtype=np.uint8),
        np.arange(4) % 2,
        None,
        source="test",
    )
    assert raw.input_shape == (3, 2, 2)
    splits = make_splits(raw, DataConfig(val_split=0.2), seed=0, device=CPU)
    for split in (splits.train, splits.val, splits.test):
        assert split.x.dtype == torch.uint8
    scaled = as_input(splits.test.x)
    assert scaled.dtype == torch.float32
    assert torch.all(scaled == 1.0)
    x = torch.tensor([0, 51, 255], dtype=torch.uint8)
    assert torch.allclose(as_input(x), torch.tensor([0.0, 0.2, 1.0]))
    assert as_input(x).min() >= 0 and as_input(x).max() <= 1
    # the stored tensor is not scaled in place
    assert splits.test.x.dtype == torch.uint8 and int(splits.test.x.max()) == 255
    features = torch.tensor([[3.5, -2.0]])
    assert as_input(features) is features


# --- shuffled_batches -------------------------------------------------------------------------


def _id_split(n: int) -> Split:
    x = torch.arange(n, dtype=torch.float32)[:, None]
    return Split(x, torch.arange(n) * 3)


@pytest.mark.parametrize(("n", "batch", "sizes"), [(10, 3, [3, 3, 3, 1]), (10, 0, [10]), (7, 1, [1] * 7), (8, 8, [8]), (5, 50, [5])])
def test_shuffled_batches_cover_each_example_once(n: int, batch: int, sizes: list[int]) -> None:
    split = _id_split(n)
    generator = torch.Generator().manual_seed(0)
    orders = []
    for _ in range(3):
        batches = list(shuffled_batches(split, batch, generator))
        assert [len(yb) for _, yb in batches] == sizes
        assert len(batches) == steps_per_epoch(n, batch)
        ids = [int(v) for xb, _ in batches for v in xb[:, 0].tolist()]
        assert sorted(ids) == list(range(n))
        for xb, yb in batches:
            assert torch.equal(yb, xb[:, 0].long() * 3)
        orders.append(ids)
    if n > 3:
        # each epoch draws a new order
        assert len({tuple(o) for o in orders}) > 1


def test_shuffled_batches_scale_images() -> None:
    split = Split(torch.full((4, 1, 2, 2), 255, dtype=torch.uint8), torch.zeros(4, dtype=torch.int64))
    for xb, _ in shuffled_batches(split, 3, torch.Generator().manual_seed(0)):
        assert xb.dtype == torch.float32 and torch.all(xb == 1.0)


# --- npz files ---------------------------------------------------------------------------------


def _save(path: Path, **arrays) -> Path:
    base = {
        "x_train": np.zeros((6, 3), dtype=np.float32),
        "y_train": np.array([0, 1, 2, 0, 1, 2]),
        "x_test": np.zeros((3, 3), dtype=np.float32),
        "y_test": np.array([0, 1, 2]),
    }
    base.update(arrays)
    np.savez(path, **{k: v for k, v in base.items() if v is not None})
    return path


def test_npz_reads_features_and_class_names(tmp_path: Path) -> None:
    path = _save(tmp_path / "f.npz", x_train=np.arange(18, dtype=np.float64).reshape(6, 3), class_names=np.array(["a", "b", "c", "d"]))
    raw = read_npz(path)
    assert raw.class_names == ("a", "b", "c", "d") and raw.n_classes == 4
    assert raw.x_train.dtype == torch.float32 and raw.x_train.shape == (6, 3)
    assert raw.x_train[5, 2].item() == 17.0
    assert raw.y_train.dtype == torch.int64 and raw.y_train.tolist() == [0, 1, 2, 0, 1, 2]
    without = read_npz(_save(tmp_path / "g.npz"))
    assert without.class_names == ("0", "1", "2")
    via_config = load_npz(DataConfig(dataset="npz", path=str(path)), tmp_path)
    assert via_config.class_names == raw.class_names


def test_npz_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(tmp_path / "nope.npz")
    message = _one_line(info)
    assert "nope.npz" in message and "does not exist" in message and "x_train" in message


def test_npz_missing_arrays_are_named(tmp_path: Path) -> None:
    path = _save(tmp_path / "m.npz", y_train=None, x_test=None)
    with pytest.raises(DataError) as info:
        read_npz(path)
    message = _one_line(info)
    assert "y_train" in message.split(";")[0] and "x_test" in message.split(";")[0]
    assert "x_train" not in message.split(";")[0] and "y_test" not in message.split(";")[0]


def test_npz_mismatched_lengths(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(_save(tmp_path / "l.npz", y_train=np.array([0, 1, 0])))
    message = _one_line(info)
    assert "6" in message and "3" in message and "y_train" in message


def test_npz_negative_labels(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(_save(tmp_path / "n.npz", y_test=np.array([0, -1, 2])))
    assert "-1" in _one_line(info)


def test_npz_float_labels(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(_save(tmp_path / "fl.npz", y_train=np.array([0.0, 1, 2, 0, 1, 2])))
    assert "integer" in _one_line(info)


def test_npz_nan_features(tmp_path: Path) -> None:
    x = np.zeros((3, 3), dtype=np.float32)
    x[1, 1] = np.nan
    with pytest.raises(DataError) as info:
        read_npz(_save(tmp_path / "nan.npz", x_test=x))
    assert "NaN" in _one_line(info)


def test_npz_class_names_too_few(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(_save(tmp_path / "cn.npz", class_names=np.array(["a", "b"])))
    assert "class_names" in _one_line(info)


def test_text_file_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "notes.npz"
    path.write_text("x_train,y_train\n1,2\n")
    with pytest.raises(DataError) as info:
        read_npz(path)
    message = _one_line(info)
    assert "notes.npz" in message and "numpy.savez" in message


def test_npy_file_is_not_an_npz(tmp_path: Path) -> None:
    """A single array saved with numpy.save is a plausible mistake: it must be a DataError too."""
    path = tmp_path / "x_train.npy"
    np.save(path, np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(DataError) as info:
        read_npz(path)
    assert "x_train.npy" in _one_line(info)


def test_npz_dataset_can_be_chosen_before_its_path() -> None:
    """--set data.dataset=npz --set data.path=FILE is the natural order on the command line."""
    cfg = apply_overrides(RunConfig(name="t"), ["data.dataset=npz", "data.path=mine.npz"])
    assert cfg.data.dataset == "npz" and cfg.data.path == "mine.npz"


# --- torchvision's offline layouts ------------------------------------------------------------


def _write_idx_images(path: Path, images: np.ndarray) -> None:
    n, h, w = images.shape
    path.write_bytes(struct.pack(">iiii", 2051, n, h, w) + images.astype(np.uint8).tobytes())


def _write_idx_labels(path: Path, labels: np.ndarray) -> None:
    path.write_bytes(struct.pack(">ii", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


def _fake_mnist(root: Path, folder: str, n_train: int = 12, n_test: int = 5, h: int = 7, w: int = 6) -> tuple[np.ndarray, ...]:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(n_train, h, w), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(n_test, h, w), dtype=np.uint8)
    y_train, y_test = np.arange(n_train) % 10, (np.arange(n_test) * 3) % 10
    _write_idx_images(raw / "train-images-idx3-ubyte", x_train)
    _write_idx_labels(raw / "train-labels-idx1-ubyte", y_train)
    _write_idx_images(raw / "t10k-images-idx3-ubyte", x_test)
    _write_idx_labels(raw / "t10k-labels-idx1-ubyte", y_test)
    return x_train, y_train, x_test, y_test


@pytest.mark.parametrize(("dataset", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_like_from_torchvision_raw_files(tmp_path: Path, dataset: str, folder: str) -> None:
    x_train, y_train, x_test, y_test = _fake_mnist(tmp_path, folder)
    raw = load_raw(DataConfig(dataset=dataset, download=False), tmp_path)
    assert raw.x_train.dtype == torch.uint8
    assert raw.x_train.shape == (12, 1, 7, 6) and raw.x_test.shape == (5, 1, 7, 6)
    assert np.array_equal(raw.x_train[:, 0].numpy(), x_train)
    assert np.array_equal(raw.x_test[:, 0].numpy(), x_test)
    assert raw.y_train.tolist() == y_train.tolist() and raw.y_test.tolist() == y_test.tolist()
    assert raw.n_classes == 10


def _fake_cifar(root: Path, per_batch: int = 3, n_test: int = 4) -> dict[str, np.ndarray]:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    xs, ys = [], []
    for i in range(1, 6):
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [(i + j) % 10 for j in range(per_batch)]
        with open(folder / f"data_batch_{i}", "wb") as fh:
            pickle.dump({"data": data, "labels": labels}, fh)
        xs.append(data)
        ys += labels
    test = rng.integers(0, 256, size=(n_test, 3072), dtype=np.uint8)
    with open(folder / "test_batch", "wb") as fh:
        pickle.dump({"data": test, "labels": list(range(n_test))}, fh)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": names, "num_vis": 3072}, fh)
    return {"train": np.concatenate(xs), "y_train": np.array(ys), "test": test, "names": np.array(names)}


def test_cifar10_from_torchvision_pickles(tmp_path: Path) -> None:
    fake = _fake_cifar(tmp_path)
    raw = load_raw(DataConfig(dataset="cifar10", download=False), tmp_path)
    assert raw.x_train.dtype == torch.uint8
    assert raw.x_train.shape == (15, 3, 32, 32) and raw.x_test.shape == (4, 3, 32, 32)
    assert raw.y_train.tolist() == fake["y_train"].tolist()
    assert raw.y_test.tolist() == [0, 1, 2, 3]
    assert raw.class_names[0] == "airplane" and raw.class_names[-1] == "truck" and raw.n_classes == 10
    # a CIFAR row is the red plane, then green, then blue, each 32 rows of 32 pixels
    for i, c, h, w in [(0, 0, 0, 0), (7, 1, 5, 9), (14, 2, 31, 30)]:
        assert int(raw.x_train[i, c, h, w]) == int(fake["train"][i, c * 1024 + h * 32 + w])
    assert int(raw.x_test[3, 2, 31, 31]) == int(fake["test"][3, 3071])


def test_npz_in_data_root_takes_precedence(tmp_path: Path) -> None:
    _fake_cifar(tmp_path)
    np.savez(
        tmp_path / "cifar10.npz",
        x_train=np.zeros((7, 32, 32, 3), dtype=np.uint8),
        y_train=np.arange(7) % 2,
        x_test=np.zeros((2, 32, 32, 3), dtype=np.uint8),
        y_test=np.array([1, 0]),
        class_names=np.array(["cat", "dog"]),
    )
    raw = load_raw(DataConfig(dataset="cifar10", download=False), tmp_path)
    assert raw.x_train.shape == (7, 3, 32, 32)
    assert raw.class_names == ("cat", "dog")


def _no_download(name: str, monkeypatch: pytest.MonkeyPatch, error: Exception | None = None) -> list[Path]:
    calls: list[Path] = []

    def download(root: Path) -> None:
        calls.append(root)
        if error is not None:
            raise error

    monkeypatch.setitem(vision.SOURCES, name, dataclasses.replace(vision.SOURCES[name], download=download))
    return calls


@pytest.mark.parametrize(("dataset", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST"), ("cifar10", "cifar-10-batches-py")])
def test_missing_dataset_without_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dataset: str, folder: str) -> None:
    calls = _no_download(dataset, monkeypatch)
    root = tmp_path / "empty-root"
    with pytest.raises(DataError) as info:
        load_raw(DataConfig(dataset=dataset, download=False), root)
    message = _one_line(info)
    assert calls == []
    assert str(root) in message
    assert f"{dataset}.npz" in message and folder in message
    assert "--data-root" in message or "RDFIA_TUI_DATA" in message
    assert "download" in message


def test_failed_download_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_download("cifar10", monkeypatch, OSError("network is unreachable"))
    with pytest.raises(DataError) as info:
        load_raw(DataConfig(dataset="cifar10", download=True), tmp_path)
    message = _one_line(info)
    assert calls == [tmp_path]
    assert "network is unreachable" in message and "--data-root" in message


# --- the data root --------------------------------------------------------------------------


def test_resolve_data_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_DATA, raising=False)
    assert resolve_data_root() == tmp_path / "cache" / "rdfia-tui" / "data"
    monkeypatch.setenv(ENV_DATA, str(tmp_path / "env"))
    assert resolve_data_root() == tmp_path / "env"
    assert resolve_data_root(None) == tmp_path / "env"
    assert resolve_data_root(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_data_root("~/mine") == tmp_path / "home" / "mine"
    monkeypatch.setenv(ENV_DATA, "")
    assert resolve_data_root() == tmp_path / "cache" / "rdfia-tui" / "data"


def test_data_root_fixture_is_used_by_the_loaders(data_root: Path) -> None:
    _fake_cifar(data_root)
    raw = load_raw(DataConfig(dataset="cifar10", download=False), resolve_data_root())
    assert len(raw.y_train) == 15


# --- image folders -------------------------------------------------------------------------


def _png(path: Path, size: tuple[int, int], color, mode: str = "RGB") -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


COLORS = {"cat": (255, 0, 0), "dog": (0, 255, 0), "emu": (0, 0, 255)}


def _folder(base: Path, size: tuple[int, int] = (6, 5), test_classes=("cat", "dog", "emu")) -> Path:
    for cls, color in COLORS.items():
        for i in range(3):
            _png(base / "train" / cls / f"{i}.png", size, color)
    for cls in test_classes:
        _png(base / "test" / cls / "a.png", size, COLORS[cls])
    (base / "train" / "cat" / "notes.txt").write_text("not an image")
    return base


def test_imagefolder_shapes_and_labels(tmp_path: Path) -> None:
    base = _folder(tmp_path / "imgs")  # PIL sizes are (width, height)
    raw = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert raw.class_names == ("cat", "dog", "emu")
    assert raw.x_train.dtype == torch.uint8
    assert raw.x_train.shape == (9, 3, 5, 6) and raw.x_test.shape == (3, 3, 5, 6)
    assert torch.bincount(raw.y_train).tolist() == [3, 3, 3]
    for x, y in ((raw.x_train, raw.y_train), (raw.x_test, raw.y_test)):
        for i in range(len(y)):
            channel = int(y[i])  # cat is red, dog green, emu blue
            assert int(x[i, channel].min()) == 255 and int(x[i].sum()) == 255 * 5 * 6


def test_imagefolder_test_labels_follow_train_classes(tmp_path: Path) -> None:
    base = _folder(tmp_path / "imgs")
    raw = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert raw.y_test.tolist() == [0, 1, 2]
    assert int(raw.x_test[2, 2].min()) == 255


def test_imagefolder_test_without_a_class_is_refused(tmp_path: Path) -> None:
    base = _folder(tmp_path / "imgs", test_classes=("emu",))
    with pytest.raises(DataError) as info:
        load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert "only in train/: cat, dog" in _one_line(info)


def test_imagefolder_grey_images_become_rgb(tmp_path: Path) -> None:
    base = tmp_path / "grey"
    for split in ("train", "test"):
        for cls, level in (("a", 10), ("b", 200)):
            _png(base / split / cls / "x.png", (7, 7), level, mode="L")
    raw = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert raw.x_train.shape == (2, 3, 7, 7)
    assert raw.x_train[raw.y_train == 1].unique().tolist() == [200]


def test_imagefolder_empty_class_folders(tmp_path: Path) -> None:
    base = tmp_path / "empty"
    (base / "train" / "cat").mkdir(parents=True)
    (base / "test" / "cat").mkdir(parents=True)
    with pytest.raises(DataError) as info:
        load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    message = _one_line(info)
    assert "no readable image" in message and "cat" in message


def test_imagefolder_without_class_folders_or_splits(tmp_path: Path) -> None:
    base = tmp_path / "bare"
    (base / "train").mkdir(parents=True)
    (base / "test").mkdir()
    with pytest.raises(DataError) as info:
        load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert "class folders" in _one_line(info)
    with pytest.raises(DataError) as info:
        load_imagefolder(DataConfig(dataset="imagefolder", path=str(tmp_path / "missing")), tmp_path)
    assert "not a folder" in _one_line(info)


def test_imagefolder_sizes_must_match_unless_resized(tmp_path: Path) -> None:
    base = _folder(tmp_path / "mixed")
    _png(base / "train" / "dog" / "big.png", (9, 11), COLORS["dog"])
    with pytest.raises(DataError) as info:
        load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert "image_size" in _one_line(info)
    raw = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base), image_size=8), tmp_path)
    assert raw.x_train.shape == (10, 3, 8, 8) and raw.x_test.shape == (3, 3, 8, 8)
    assert torch.bincount(raw.y_train).tolist() == [3, 4, 3]


@pytest.mark.parametrize("side", [3, 4])
def test_imagefolder_tiny_rgb_images_are_channels_first(tmp_path: Path, side: int) -> None:
    """An image folder's arrays are always (H, W, RGB): a 4×4 image must still become (3, 4, 4)."""
    base = _folder(tmp_path / "tiny", size=(side, side))
    raw = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert raw.input_shape == (3, side, side)
    for i in range(len(raw.y_train)):
        assert int(raw.x_train[i, int(raw.y_train[i])].min()) == 255


# --- the real CIFAR-10 ----------------------------------------------------------------------


def test_real_cifar10_npz(shared_data: Path) -> None:
    raw: RawDataset = load_raw(DataConfig(dataset="cifar10", download=False), shared_data)
    assert raw.x_train.shape == (50_000, 3, 32, 32) and raw.x_test.shape == (10_000, 3, 32, 32)
    assert raw.x_train.dtype == torch.uint8
    assert raw.class_names == ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    assert torch.bincount(raw.y_train).tolist() == [5000] * 10
    assert torch.bincount(raw.y_test).tolist() == [1000] * 10
    # the published per-channel means on [0, 1]
    means = raw.x_train[:, :, ::4, ::4].float().mean(dim=(0, 2, 3)) / 255
    assert all(math.isclose(m, e, abs_tol=0.01) for m, e in zip(means.tolist(), (0.4914, 0.4822, 0.4465), strict=True))
    splits = make_splits(raw, DataConfig(limit_train=1000, val_split=0.1), seed=0, device=CPU)
    assert len(splits.train) == 900 and len(splits.val) == 100 and len(splits.test) == 10_000
    assert set(splits.train.y.tolist()) == set(range(10))
