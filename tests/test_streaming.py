"""data.stream: an image folder read from disk batch by batch through DataLoader workers gives
exactly the in-memory run's metrics, and never holds the whole folder as a tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rdfia_tui.engine.config import ConfigError, DataConfig, ModelConfig, RunConfig, apply_overrides
from rdfia_tui.engine.data.imagefolder import load_imagefolder
from rdfia_tui.engine.data.streaming import LazyImages, batches_of
from rdfia_tui.engine.errors import DataError
from rdfia_tui.engine.runs.record import read_metrics_csv
from rdfia_tui.engine.training import fit

TIMING = ("seconds", "images_per_s")


def noisy_folder(base: Path, per_class: int = 12, size: int = 8) -> Path:
    """Three classes of random PNGs, each class brighter in its own channel: learnable, not trivial."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, n in (("train", per_class), ("test", per_class // 3)):
        for k, cls in enumerate(("cat", "dog", "emu")):
            folder = base / split / cls
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                pixels = rng.integers(0, 150, (size, size, 3))
                pixels[..., k] += 100
                Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i:03d}.png")
    return base


def cfg_for(base: Path, *overrides: str) -> RunConfig:
    cfg = apply_overrides(
        RunConfig(name="folder"),
        [
            "data.dataset=imagefolder",
            f"data.path={base}",
            "data.normalize=standard",
            "data.augment=crop,hflip",
            "data.crop_size=6",
            "train.epochs=3",
            "train.batch_size=5",
            "train.device=cpu",
            *overrides,
        ],
    )
    model = ModelConfig(arch="convnet", conv_channels=(4,), conv_kernels=(3,), conv_paddings=(1,), fc=(8,))
    return RunConfig(cfg.name, cfg.description, cfg.data, model, cfg.optim, cfg.schedule, cfg.train)


def comparable(run_dir: Path) -> list[dict[str, float]]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in read_metrics_csv(run_dir / "metrics.csv")]


@pytest.mark.parametrize("workers", [0, 2])
def test_a_streamed_run_equals_the_in_memory_run(tmp_path: Path, runs_dir: Path, workers: int) -> None:
    base = noisy_folder(tmp_path / "imgs")
    memory = fit(cfg_for(base), runs_dir=runs_dir)
    streamed = fit(cfg_for(base, "data.stream=true", f"data.workers={workers}"), runs_dir=runs_dir)
    assert memory.status == streamed.status == "completed"
    assert comparable(streamed.run_dir) == comparable(memory.run_dir)
    assert memory.summary["epochs"][-1]["train_loss"] < memory.summary["epochs"][0]["train_loss"]


def test_streamed_images_stay_on_disk_until_indexed(tmp_path: Path) -> None:
    base = noisy_folder(tmp_path / "imgs")
    raw = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base), stream=True, workers=0), tmp_path)
    memory = load_imagefolder(DataConfig(dataset="imagefolder", path=str(base)), tmp_path)
    assert isinstance(raw.x_train, LazyImages) and raw.x_train.shape == memory.x_train.shape
    idx = torch.tensor([5, 0, 30])
    assert torch.equal(raw.x_train[idx], memory.x_train[idx])
    part = raw.x_train.subset(torch.tensor([3, 4, 5, 6]))
    assert isinstance(part, LazyImages) and len(part) == 4
    streamed = list(batches_of(part, [torch.tensor([1, 0]), slice(2, 4)]))
    assert torch.equal(torch.cat(streamed), memory.x_train[[4, 3, 5, 6]])


@pytest.mark.parametrize("workers", [0, 2])
def test_a_file_of_another_size_is_a_one_line_error(tmp_path: Path, runs_dir: Path, workers: int) -> None:
    from PIL import Image

    base = noisy_folder(tmp_path / "imgs")
    Image.new("RGB", (9, 9)).save(base / "train" / "dog" / "zzz.png")
    with pytest.raises(DataError) as info:
        fit(cfg_for(base, "data.stream=true", f"data.workers={workers}"), runs_dir=runs_dir)
    assert "zzz.png: is 9×9, not 8×8 like the first image; set data.image_size" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [(["data.stream=true"], "data.stream"), (["data.dataset=imagefolder", "data.path=x", "data.stream=true", "data.zca=true"], "data.zca")],
)
def test_stream_only_for_image_folders_and_without_zca(overrides: list[str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(RunConfig(), overrides)
    assert info.value.key == key
