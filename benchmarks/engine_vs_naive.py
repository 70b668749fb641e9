"""The engine against the course's naive loop, on the augmented preset (crop 28 + flip).

The naive loop is written here as a student would write it: a torchvision-style Dataset that
yields PIL images, per-sample transforms in DataLoader workers, an eager fp32 model. Both sides
train the same network (231,170 parameters at 32×32; the crop-28 variant with ceil pooling) with
the same batch, learning rate, epochs and training images, and are alternated ``--repeats`` times.

    python benchmarks/engine_vs_naive.py --limit 10000 --epochs 1 --repeats 3

Prints JSON: images/s of the training phase (median and range) for both, the ratio of the
medians, and the final test accuracy of both (centre crop at test).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from common import data_root, emit, machine, run_main, spread
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from rdfia_tui.engine.config import apply_overrides
from rdfia_tui.engine.data.splits import load_raw, make_splits
from rdfia_tui.engine.events import EpochEnded
from rdfia_tui.engine.presets import load_preset
from rdfia_tui.engine.training import fit

PRESET = "cifar10-augmented"


# ---- the naive loop, as in the course ------------------------------------------------------
class CifarPIL(Dataset):
    """(H, W, 3) uint8 arrays in, one PIL image per item, transformed one at a time."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


class CourseNet(nn.Module):
    """The labs 6-7 network, with ceil-mode pooling so that 28×28 crops keep a 1×1 map."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5)
        self.conv3 = nn.Conv2d(64, 64, 5)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.fc4 = nn.Linear(64, 1000)
        self.fc5 = nn.Linear(1000, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.pool(F.relu(self.conv3(x)))
        return self.fc5(F.relu(self.fc4(x.flatten(1))))


def naive_run(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], args, device: torch.device) -> dict[str, float]:
    mean = (train[0] / 255.0).mean(axis=(0, 1, 2))
    std = (train[0] / 255.0).std(axis=(0, 1, 2))
    normalise = transforms.Normalize(mean.tolist(), std.tolist())
    train_tf = transforms.Compose([transforms.RandomCrop(28), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalise])
    test_tf = transforms.Compose([transforms.CenterCrop(28), transforms.ToTensor(), normalise])
    pin = device.type == "cuda"
    train_loader = DataLoader(
        CifarPIL(*train, train_tf),
        batch_size=args.batch,
        shuffle=True,
        num_workers=args.workers,
        pin_memory=pin,
        persistent_workers=args.workers > 0,
    )
    test_loader = DataLoader(CifarPIL(*test, test_tf), batch_size=1000, num_workers=args.workers, pin_memory=pin)
    torch.manual_seed(args.seed)
    model = CourseNet().to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=args.lr)
    rates = []
    for _ in range(args.epochs):
        model.train()
        start, seen = time.perf_counter(), 0
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=pin), y.to(device, non_blocking=pin)
            loss = F.cross_entropy(model(x), y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            seen += len(y)
        if device.type == "cuda":
            torch.cuda.synchronize()
        rates.append(seen / (time.perf_counter() - start))
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    return {"images_per_s": float(np.mean(rates)), "test_acc": correct / len(test[1])}


# ---- the engine ------------------------------------------------------------------------------
def engine_cfg(args):
    cfg = apply_overrides(
        load_preset(PRESET),
        [
            f"train.epochs={args.epochs}",
            f"train.batch_size={args.batch}",
            f"optim.lr={args.lr}",
            f"data.limit_train={args.limit}",
            f"train.seed={args.seed}",
            f"train.device={args.device}",
            "train.progress_interval=1.0",
            *args.set,
        ],
    )
    return cfg


def engine_run(cfg, root, runs_dir) -> dict[str, float]:
    rates: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, EpochEnded) and event.metrics.epoch > 0:
            rates.append(event.metrics.images_per_s)

    result = fit(cfg, on_event, runs_dir=runs_dir, data_root=root)
    return {"images_per_s": float(np.mean(rates)), "test_acc": result.summary["final_test_acc"], "speed": result.summary["speed"]}


def shared_images(cfg, root) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Exactly the engine's training split (same shuffle, limit and validation hold-out) and the test set, as HWC uint8."""
    splits = make_splits(load_raw(cfg.data, root), cfg.data, cfg.train.seed, torch.device("cpu"))

    def hwc(x: torch.Tensor) -> np.ndarray:
        return np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy())

    return (hwc(splits.train.x), splits.train.y.numpy()), (hwc(splits.test.x), splits.test.y.numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder with cifar10.npz (default: $RDFIA_TUI_DATA)")
    parser.add_argument("--limit", type=int, default=10000, help="training images drawn from the 50,000 (default 10000)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0, help="seed of the first repeat; repeat i uses seed + i")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the naive loop")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--set", action="append", default=[], help="extra engine overrides, e.g. train.channels_last=off")
    parser.add_argument("--runs-dir", default="/tmp/rdfia-bench-runs")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    root = data_root(args.data)
    device = torch.device(args.device)
    naive, engine = [], []
    base_seed = args.seed
    for repeat in range(args.repeats):  # alternate; repeat i uses seed + i on both sides
        args.seed = base_seed + repeat
        cfg = engine_cfg(args)
        train, test = shared_images(cfg, root)
        naive.append(naive_run(train, test, args, device))
        engine.append(engine_run(cfg, root, args.runs_dir))
    args.seed = base_seed
    naive_rate = spread([r["images_per_s"] for r in naive])
    engine_rate = spread([r["images_per_s"] for r in engine])
    emit(
        {
            "benchmark": "engine_vs_naive",
            "machine": machine(),
            "preset": PRESET,
            "settings": {k: v for k, v in vars(args).items() if k not in ("out",)},
            "train_images": len(train[1]),
            "engine_speed": engine[0]["speed"],
            "naive_images_per_s": naive_rate,
            "engine_images_per_s": engine_rate,
            "ratio_of_medians": engine_rate["median"] / naive_rate["median"],
            "naive_test_acc": spread([r["test_acc"] for r in naive]),
            "engine_test_acc": spread([r["test_acc"] for r in engine]),
        },
        args.out,
    )


if __name__ == "__main__":
    run_main(main)
