"""Data a user brings: image folders and .npz files are read right, or refused in one line.

Every case builds its own small images or arrays; nothing is copied from anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from rdfia_tui.engine.config import DataConfig, apply_overrides
from rdfia_tui.engine.data.imagefolder import load_imagefolder
from rdfia_tui.engine.data.images import read_image
from rdfia_tui.engine.data.npz import read_npz
from rdfia_tui.engine.errors import DataError
from rdfia_tui.engine.events import EpochEnded, Notice
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit


def one_line(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert "\n" not in message
    return message


def save(path: Path, image: Image.Image) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def two_classes(base: Path, per_class: int = 4, size: int = 6) -> Path:
    """cat is dark, dog is bright: 8-bit greyscale PNGs in train/ and test/."""
    for split in ("train", "test"):
        for cls, level in (("cat", 30), ("dog", 220)):
            for i in range(per_class):
                save(base / split / cls / f"{i}.png", Image.new("L", (size, size), level + i))
    return base


def folder_cfg(base: Path, **kwargs: object) -> DataConfig:
    return DataConfig(dataset="imagefolder", path=str(base), **kwargs)


def train_on(data: dict[str, str], runs_dir: Path, *extra: str) -> tuple[list, dict]:
    """A short MLP run on the given data keys; (events, summary.json)."""
    overrides = [f"data.{k}={v}" for k, v in data.items()]
    cfg = apply_overrides(
        load_preset("circles-mlp"),
        [*overrides, "data.val_split=0", "model.hidden=16", "train.epochs=3", "train.batch_size=4", "train.device=cpu", *extra],
    )
    events: list = []
    result = fit(cfg, events.append, runs_dir=runs_dir)
    assert result.status == "completed", result.message
    summary = json.loads((result.run_dir / "summary.json").read_text())
    return events, summary


# --- 1. image folders: what is a class, what is an image ----------------------------------------


@pytest.mark.parametrize("junk", [".ipynb_checkpoints", "__MACOSX", ".git"])
def test_hidden_and_tool_folders_are_not_classes(tmp_path: Path, junk: str) -> None:
    base = two_classes(tmp_path / "imgs")
    for split in ("train", "test"):
        save(base / split / junk / "0-checkpoint.png", Image.new("L", (6, 6), 128))
    raw = load_imagefolder(folder_cfg(base), tmp_path)
    assert raw.class_names == ("cat", "dog")
    assert sorted(raw.y_train.unique().tolist()) == [0, 1] and len(raw.y_train) == 8
    assert f"train/{junk}/" in raw.report["not_classes"]
    assert any(junk in note and "ignored" in note for note in raw.notes)


def test_hidden_and_tool_files_inside_a_class_are_ignored_and_counted(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    (base / "train" / "cat" / "._0.png").write_bytes(b"\x00\x05\x16\x07AppleDouble")  # macOS resource fork
    (base / "train" / "cat" / ".DS_Store").write_bytes(b"Bud1")
    (base / "train" / "dog" / "Thumbs.db").write_bytes(b"\xd0\xcf")
    raw = load_imagefolder(folder_cfg(base), tmp_path)
    assert len(raw.y_train) == 8
    assert raw.report["train"]["ignored_hidden_or_tool_files"] == 3
    assert raw.report["train"]["found"] == 8 and raw.report["train"]["used"] == 8
    assert any("ignored 3 hidden or tool file" in note for note in raw.notes)


def test_a_class_folder_without_a_readable_image_is_named(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    for split in ("train", "test"):
        (base / split / "emu").mkdir()
        (base / split / "emu" / "notes.txt").write_text("no image here")
    with pytest.raises(DataError) as info:
        load_imagefolder(folder_cfg(base), tmp_path)
    message = one_line(info)
    assert message.startswith(str(base / "train" / "emu")) and "no readable image" in message


def test_an_empty_class_folder_is_named(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    (base / "train" / "emu").mkdir()
    (base / "test" / "emu").mkdir()
    with pytest.raises(DataError) as info:
        load_imagefolder(folder_cfg(base), tmp_path)
    assert "emu" in one_line(info) and "empty" in one_line(info)


def test_train_and_test_must_have_the_same_classes(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    save(base / "train" / "bird" / "0.png", Image.new("L", (6, 6), 90))
    save(base / "test" / "plane" / "0.png", Image.new("L", (6, 6), 90))
    with pytest.raises(DataError) as info:
        load_imagefolder(folder_cfg(base), tmp_path)
    message = one_line(info)
    assert "only in train/: bird" in message and "only in test/: plane" in message


def test_images_are_found_by_content_whatever_the_extension(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    img = Image.new("RGB", (6, 6), (0, 0, 250))
    img.save(base / "train" / "cat" / "photo.jfif", format="JPEG")  # an extension the old reader did not know
    img.save(base / "train" / "cat" / "scan.IMG", format="PNG")  # upper-case, and not an image extension at all
    (base / "train" / "dog" / "labels.csv").write_text("file,label\n")
    (base / "train" / "dog" / "holiday.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")  # Pillow cannot read HEIC
    save(base / "train" / "dog" / "2019" / "nested.png", Image.new("L", (6, 6), 200))  # subfolders are walked, as in torchvision
    raw = load_imagefolder(folder_cfg(base), tmp_path)
    report = raw.report["train"]
    assert report["found"] == 13 and report["used"] == 11
    assert report["skipped"] == {"not an image Pillow can read (.csv)": 1, "not an image Pillow can read (.heic)": 1}
    assert torch.bincount(raw.y_train).tolist() == [6, 5]
    assert any("skipped 1 file(s): not an image Pillow can read (.heic)" in note for note in raw.notes)
    assert report["skipped_examples"]["not an image Pillow can read (.heic)"] == [str(base / "train" / "dog" / "holiday.heic")]


# --- 1. image folders: every Pillow mode -----------------------------------------------------------


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 257, 32768], [65535, 1000, 60000]], dtype=np.uint16)
    path = save(tmp_path / "g16.png", Image.fromarray(values))
    assert Image.open(path).mode == "I;16"
    decoded = read_image(path, 0)
    expected = np.round(values.astype(np.float64) * 255 / 65535).astype(np.uint8)
    assert decoded.shape == (2, 3, 3)
    assert (decoded[..., 0] == expected).all() and (decoded[..., 1] == expected).all()
    assert decoded.max() == 255 and decoded.min() == 0 and decoded[0, 2, 0] == 128


def test_sixteen_bit_classes_train_like_their_eight_bit_copies(tmp_path: Path, runs_dir: Path) -> None:
    """All-white decoding sat at chance; scaled, two classes of 16-bit images are told apart."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for cls, (low, high) in (("dark", (2000, 20000)), ("bright", (40000, 64000))):
            for i in range(12):
                save(tmp_path / "g16" / split / cls / f"{i}.png", Image.fromarray(rng.integers(low, high, (5, 5)).astype(np.uint16)))
    events, summary = train_on({"dataset": "imagefolder", "path": str(tmp_path / "g16")}, runs_dir, "optim.lr=0.5")
    final = [e.metrics for e in events if isinstance(e, EpochEnded)][-1]
    assert final.train_acc == 1.0 and final.test_acc == 1.0
    assert summary["data"]["train"]["modes"] == {"I;16": 24}
    assert summary["data"]["train"]["changed"] == {"16-bit values scaled to 8 bits (× 255/65535) (mode I;16)": 24}
    assert any("16-bit values scaled to 8 bits" in e.message for e in events if isinstance(e, Notice))


def test_alpha_and_colour_spaces_are_converted_and_said(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    save(base / "train" / "cat" / "a.png", Image.new("RGBA", (6, 6), (10, 20, 30, 0)))
    save(base / "train" / "cat" / "b.png", Image.new("LA", (6, 6), (40, 255)))
    save(base / "train" / "dog" / "c.jpg", Image.new("CMYK", (6, 6), (0, 0, 0, 0)))
    raw = load_imagefolder(folder_cfg(base), tmp_path)
    changed = raw.report["train"]["changed"]
    assert changed == {
        "alpha channel dropped (mode RGBA)": 1,
        "alpha channel dropped (mode LA)": 1,
        "converted from CMYK to RGB (mode CMYK)": 1,
    }
    assert raw.report["train"]["modes"] == {"L": 8, "RGBA": 1, "LA": 1, "CMYK": 1}
    cat = raw.x_train[raw.y_train == 0]
    assert any(bool((img[:, 0, 0] == torch.tensor([10, 20, 30], dtype=torch.uint8)).all()) for img in cat)
    dog = raw.x_train[raw.y_train == 1]
    assert any(bool((img == 255).all()) for img in dog)  # CMYK (0,0,0,0) is white


@pytest.mark.parametrize(
    ("mode", "array", "suffix"),
    [
        ("F", np.linspace(0, 1, 36, dtype=np.float32).reshape(6, 6), ".tif"),
        ("I", (np.arange(36, dtype=np.int32) * 100_000).reshape(6, 6), ".tif"),
    ],
)
def test_modes_without_a_fixed_range_are_refused_by_name(tmp_path: Path, mode: str, array: np.ndarray, suffix: str) -> None:
    base = two_classes(tmp_path / "imgs")
    path = save(base / "train" / "dog" / f"odd{suffix}", Image.fromarray(array))
    assert Image.open(path).mode == mode
    with pytest.raises(DataError) as info:
        load_imagefolder(folder_cfg(base), tmp_path)
    message = one_line(info)
    assert message.startswith(str(path)) and f"mode {mode}" in message and "no fixed range" in message


def test_summary_counts_what_the_folder_held(tmp_path: Path, runs_dir: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    (base / "train" / ".ipynb_checkpoints").mkdir()
    (base / "test" / "dog" / "readme.txt").write_text("x")
    _, summary = train_on({"dataset": "imagefolder", "path": str(base)}, runs_dir)
    data = summary["data"]
    assert data["classes"] == ["cat", "dog"] and data["not_classes"] == ["train/.ipynb_checkpoints/"]
    assert (data["train"]["found"], data["train"]["used"]) == (8, 8)
    assert (data["test"]["found"], data["test"]["used"], data["test"]["skipped"]) == (9, 8, {"not an image Pillow can read (.txt)": 1})


# --- 2. npz files --------------------------------------------------------------------------------


def save_npz(path: Path, **arrays: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    base = {
        "x_train": rng.integers(0, 256, (12, 4, 4), dtype=np.uint8),
        "y_train": np.arange(12) % 2,
        "x_test": rng.integers(0, 256, (6, 4, 4), dtype=np.uint8),
        "y_test": np.arange(6) % 2,
    }
    base.update(arrays)
    np.savez(path, **base)
    return path


def test_object_class_names_are_named_with_the_fix(tmp_path: Path) -> None:
    path = save_npz(tmp_path / "o.npz", class_names=np.array(["cat", "dog"], dtype=object))
    with pytest.raises(DataError) as info:
        read_npz(path)
    message = one_line(info)
    assert "class_names is an object array" in message and "dtype=str" in message


@pytest.mark.parametrize("key", ["x_train", "y_test"])
def test_ragged_arrays_are_named(tmp_path: Path, key: str) -> None:
    ragged = np.empty(12 if key == "x_train" else 6, dtype=object)
    for i in range(len(ragged)):
        ragged[i] = np.zeros((4, 4 + i % 2), dtype=np.uint8) if key == "x_train" else [i % 2]
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "r.npz", **{key: ragged}))
    assert f"{key} is an object array" in one_line(info)


def test_loading_never_unpickles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: calls.append(k) or original(*a, **k))
    read_npz(save_npz(tmp_path / "ok.npz"))
    assert calls and all(k.get("allow_pickle") is False for k in calls)


@pytest.mark.parametrize("dtype", [np.int64, np.int16, np.uint32])
def test_integer_images_in_0_255_train_exactly_like_uint8(tmp_path: Path, runs_dir: Path, dtype: type) -> None:
    """MNIST saved as int64 was fed unscaled (33.7 % against 84.7 %): now it is the same data as uint8."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (40, 5, 5), dtype=np.uint8)
    x[np.arange(40) % 2 == 1] //= 4  # two classes: bright and dark
    arrays = {"x_train": x[:30], "y_train": np.arange(30) % 2, "x_test": x[30:], "y_test": np.arange(10) % 2}
    np.savez(tmp_path / "u8.npz", **arrays)
    np.savez(tmp_path / "wide.npz", **{**arrays, "x_train": x[:30].astype(dtype), "x_test": x[30:].astype(dtype)})
    runs = [train_on({"dataset": "npz", "path": str(tmp_path / name)}, runs_dir) for name in ("u8.npz", "wide.npz")]
    metrics = [[e.metrics for e in events if isinstance(e, EpochEnded)] for events, _ in runs]
    assert [(m.train_loss, m.test_acc) for m in metrics[0]] == [(m.train_loss, m.test_acc) for m in metrics[1]]
    assert runs[1][1]["data"]["arrays"]["x_train"]["read_as"] == "8-bit images (÷255 per batch)"
    notes = [e.message for e in runs[1][0] if isinstance(e, Notice)]
    assert any(f"x_train is {np.dtype(dtype).name}" in n and "read as 8-bit images" in n for n in notes)


def test_integer_images_outside_0_255_are_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "i.npz", x_train=np.arange(12 * 16, dtype=np.int32).reshape(12, 4, 4) * 10))
    message = one_line(info)
    assert "the images are int32/uint8 with values 0..1910" in message and ".astype(np.uint8)" in message


def test_sixteen_bit_and_float_images_follow_the_documented_rule(tmp_path: Path) -> None:
    x16 = np.full((12, 4, 4), 65535, dtype=np.uint16)
    raw = read_npz(save_npz(tmp_path / "a.npz", x_train=x16, x_test=x16[:6] // 2))
    assert raw.x_train.dtype == torch.float32 and raw.x_train.max().item() == 1.0
    whole = np.random.default_rng(0).integers(0, 256, (12, 4, 4)).astype(np.float64)
    raw = read_npz(save_npz(tmp_path / "b.npz", x_train=whole, x_test=whole[:6]))
    assert raw.x_train.dtype == torch.uint8 and torch.equal(raw.x_train[:, 0], torch.from_numpy(whole.astype(np.uint8)))
    assert any("read as 8-bit images stored as floats" in n for n in raw.notes)
    normalised = np.random.default_rng(0).normal(size=(12, 4, 4)).astype(np.float32)
    raw = read_npz(save_npz(tmp_path / "c.npz", x_train=normalised, x_test=normalised[:6]))
    assert torch.equal(raw.x_train[:, 0], torch.from_numpy(normalised))
    assert any("used as given" in n for n in raw.notes)
    unit = np.random.default_rng(0).random((12, 4, 4)).astype(np.float32)
    raw = read_npz(save_npz(tmp_path / "d.npz", x_train=unit, x_test=unit[:6]))
    assert torch.equal(raw.x_train[:, 0], torch.from_numpy(unit)) and raw.notes == ()


def test_train_and_test_inputs_must_follow_the_same_rule(tmp_path: Path) -> None:
    unit = np.random.default_rng(0).random((6, 4, 4)).astype(np.float32)
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "m.npz", x_test=unit))
    message = one_line(info)
    assert "x_train is uint8 with values" in message and "but x_test is float32 with values" in message and "same dtype" in message


@pytest.mark.parametrize("overshoot", [1.0000001, -1e-7])
def test_the_rule_is_decided_on_both_splits_together(tmp_path: Path, overshoot: float) -> None:
    """Train in 0..1 and test one value past it (after a resize, say): one rule for both, said once, never a refusal."""
    rng = np.random.default_rng(0)
    train, test = rng.random((12, 4, 4)).astype(np.float32), rng.random((6, 4, 4)).astype(np.float32)
    test[0, 0, 0] = overshoot
    raw = read_npz(save_npz(tmp_path / "o.npz", x_train=train, x_test=test))
    assert raw.report["arrays"]["rule"] == "other float images"
    assert torch.equal(raw.x_train[:, 0], torch.from_numpy(train)) and torch.equal(raw.x_test[:, 0], torch.from_numpy(test))


def test_masks_of_zeros_and_ones_are_noted(tmp_path: Path) -> None:
    masks = (np.random.default_rng(0).random((12, 4, 4)) > 0.5).astype(np.uint8)
    raw = read_npz(save_npz(tmp_path / "mask.npz", x_train=masks, x_test=masks[:6]))
    assert any("nearly black" in n and "0/255" in n for n in raw.notes)


def test_the_channel_axis_of_4d_arrays_is_reported(tmp_path: Path) -> None:
    nchw = np.random.default_rng(0).integers(0, 256, (12, 3, 5, 5), dtype=np.uint8)
    raw = read_npz(save_npz(tmp_path / "nchw.npz", x_train=nchw, x_test=nchw[:6]))
    assert raw.input_shape == (3, 5, 5)
    assert raw.report["arrays"]["x_train"]["layout"] == "x_train (12, 3, 5, 5): channels read from axis 1 (N, C, H, W)"
    raw = read_npz(save_npz(tmp_path / "nhwc.npz", x_train=nchw.transpose(0, 2, 3, 1), x_test=nchw[:6].transpose(0, 2, 3, 1)))
    assert raw.input_shape == (3, 5, 5) and torch.equal(raw.x_train, torch.from_numpy(nchw))
    assert raw.report["arrays"]["x_train"]["layout"].endswith("channels read from axis 3 (N, H, W, C)")


@pytest.mark.parametrize(("names", "words"), [(["a", "a"], "'a' more than once"), (["a", " "], "an empty name")])
def test_class_names_must_be_distinct_and_named(tmp_path: Path, names: list[str], words: str) -> None:
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "names.npz", class_names=np.array(names)))
    assert words in one_line(info)


def test_a_folder_given_as_an_npz_is_named_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_npz(tmp_path)
    assert "is a folder, not an .npz file" in one_line(info)


@pytest.mark.parametrize(("labels", "fix"), [(np.arange(12) % 2 * 1.0, "astype(np.int64)"), (np.arange(12) % 2 == 1, "astype(np.int64)")])
def test_float_and_bool_labels_are_refused_with_the_fix(tmp_path: Path, labels: np.ndarray, fix: str) -> None:
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "labels.npz", y_train=labels))
    assert fix in one_line(info)


@pytest.mark.parametrize(
    ("y_train", "y_test", "names"),
    [
        (np.arange(12) % 2 + 1, np.arange(6) % 2 + 1, None),  # binary labels {1, 2}
        (np.arange(12) % 3 + 1, np.arange(6) % 3 + 1, np.array(["a", "b", "c"])),  # 1..K with K names
    ],
    ids=["binary-1-2", "three-with-names"],
)
def test_one_based_labels_are_refused(tmp_path: Path, y_train: np.ndarray, y_test: np.ndarray, names: np.ndarray | None) -> None:
    extra = {"class_names": names} if names is not None else {}
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "one.npz", y_train=y_train, y_test=y_test, **extra))
    assert "labels look 1-based" in one_line(info) and "subtract 1" in one_line(info)


def test_a_class_without_training_examples_is_noted(tmp_path: Path) -> None:
    raw = read_npz(save_npz(tmp_path / "gap.npz", y_train=np.arange(12) % 2 * 2, y_test=np.arange(6) % 3))
    assert raw.n_classes == 3
    assert "1 class(es) have no train example: 1" in raw.notes
    assert raw.report["arrays"] and raw.report["empty_classes"] == {"train": ["1"]}


def test_label_columns_are_flattened_and_one_hot_refused(tmp_path: Path) -> None:
    raw = read_npz(save_npz(tmp_path / "col.npz", y_train=(np.arange(12) % 2)[:, None]))
    assert raw.y_train.tolist() == (np.arange(12) % 2).tolist()
    assert any("y_train is shaped (12, 1)" in n for n in raw.notes)
    with pytest.raises(DataError) as info:
        read_npz(save_npz(tmp_path / "hot.npz", y_train=np.eye(2, dtype=np.int64)[np.arange(12) % 2]))
    assert "looks one-hot" in one_line(info) and "argmax" in one_line(info)


def test_other_arrays_in_the_archive_are_noted(tmp_path: Path) -> None:
    raw = read_npz(save_npz(tmp_path / "extra.npz", x_val=np.zeros((2, 4, 4), dtype=np.uint8)))
    assert any("ignored the array(s) x_val" in n for n in raw.notes)
    assert raw.report["ignored_arrays"] == ["x_val"]


# --- downloaded datasets: no code from pickles, and an offline failure that says why ---------------


class Touch:
    """Unpickling this creates a file: the kind of thing a crafted pickle does."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.path,))


def test_a_crafted_cifar_batch_cannot_run_code(tmp_path: Path) -> None:
    import pickle

    from rdfia_tui.engine.catalog import DATASETS

    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Touch(tmp_path / "probe")))
    assert (tmp_path / "probe").exists()  # the crafted pickle does run code when unpickled plainly
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        (folder / name).write_bytes(pickle.dumps({"data": Touch(marker), "labels": [0]}))
    with pytest.raises(DataError) as info:
        DATASETS.get("cifar10")(DataConfig(dataset="cifar10", download=False), tmp_path)
    assert "not data" in one_line(info)
    assert not marker.exists()


def test_an_offline_download_says_why_and_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from rdfia_tui.engine.data import vision

    def offline(root: Path) -> None:  # what torchvision's MNIST does without a network
        (root / "MNIST" / "raw").mkdir(parents=True)
        (root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").write_bytes(b"")
        raise RuntimeError(
            "Error downloading train-images-idx3-ubyte.gz:\nTried https://example.org/mnist/, got:\n"
            "<urlopen error [Errno -2] Name or service not known>\n"
        )

    monkeypatch.setitem(vision.SOURCES, "mnist", dataclasses.replace(vision.SOURCES["mnist"], download=offline))
    root = tmp_path / "cache" / "data"
    with pytest.raises(DataError) as info:
        vision.load_mnist(DataConfig(dataset="mnist"), root)
    assert "Name or service not known" in one_line(info)
    assert not root.exists() and (tmp_path / "cache").exists()
    kept = tmp_path / "kept"
    (kept / "mine.txt").parent.mkdir()
    (kept / "mine.txt").write_text("the user's")
    with pytest.raises(DataError):
        vision.load_mnist(DataConfig(dataset="mnist"), kept)
    assert sorted(p.name for p in kept.iterdir()) == ["mine.txt"]


# --- what else a folder can hold -----------------------------------------------------------------------


def test_folders_beside_train_and_test_are_noted(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    save(base / "val" / "cat" / "0.png", Image.new("L", (6, 6), 30))
    (base / "README.txt").write_text("my data")
    raw = load_imagefolder(folder_cfg(base), tmp_path)
    assert raw.report["ignored_beside_splits"] == ["README.txt", "val/"]
    assert any("ignored README.txt, val/ beside train/ and test/" in n and "data.val_split" in n for n in raw.notes)


def test_a_link_loop_is_not_followed(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs", per_class=1)
    (base / "train" / "cat" / "loop").symlink_to("..")  # train/cat/loop -> train/: would read dog's images as cats, forever
    raw = load_imagefolder(folder_cfg(base), tmp_path)
    assert raw.y_train.tolist() == [0, 1]
    assert raw.report["train"]["link_loops_not_followed"] == [str(base / "train" / "cat" / "loop")]
    assert any("link(s) that lead back" in n for n in raw.notes)


def test_a_linked_folder_elsewhere_is_followed(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs", per_class=1)
    save(tmp_path / "more" / "1.png", Image.new("L", (6, 6), 40))
    (base / "train" / "cat" / "more").symlink_to(tmp_path / "more")
    assert load_imagefolder(folder_cfg(base), tmp_path).y_train.tolist() == [0, 0, 1]


def test_an_image_of_another_size_is_named(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    odd = save(base / "train" / "dog" / "big.png", Image.new("L", (9, 7), 200))
    with pytest.raises(DataError) as info:
        load_imagefolder(folder_cfg(base), tmp_path)
    assert one_line(info).startswith(f"{odd}: is 9×7, not 6×6 like the first image")


def test_squashing_non_square_images_is_noted(tmp_path: Path) -> None:
    base = two_classes(tmp_path / "imgs")
    save(base / "train" / "dog" / "wide.png", Image.new("L", (12, 6), 200))
    raw = load_imagefolder(folder_cfg(base, image_size=6), tmp_path)
    assert raw.x_train.shape[1:] == (3, 6, 6)
    assert any("1 are not square (aspect ratio changed)" in n for n in raw.notes)
